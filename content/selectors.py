"""Reads for H5P packages: who may play or choose which package, and URLs to its files."""

import uuid

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet

from content.models import H5PLibrary, H5PPackage
from lms.people.permissions import roles_of

FILE_TOKEN_SALT = "content.h5p.files"
LAUNCH_TOKEN_SALT = "content.h5p.launch"
# H5P loads files lazily (the images of slide 20 when the learner gets there), so a file
# URL must outlive a long study session; a reload of the lesson gets fresh URLs.
DEFAULT_FILE_URL_MAX_AGE = 4 * 60 * 60
# A launch token only bridges the redirect to H5P_CONTENT_ORIGIN.
LAUNCH_URL_MAX_AGE = 5 * 60


def file_url_max_age() -> int:
    return int(getattr(settings, "H5P_FILE_URL_MAX_AGE", DEFAULT_FILE_URL_MAX_AGE))


def packages_visible_to(user) -> QuerySet[H5PPackage]:
    """Packages a user may play: national ones (no city) and those of their cities."""
    roles = roles_of(user)
    if not getattr(user, "is_authenticated", False):
        return H5PPackage.objects.none()
    if roles.national:
        return H5PPackage.objects.all()
    return H5PPackage.objects.filter(Q(city__isnull=True) | Q(city_id__in=roles.viewable_city_ids))


def packages_choosable_by(user) -> QuerySet[H5PPackage]:
    """Ready packages a staff member may put into a lesson (what the admin chooser lists)."""
    from content.permissions import permission_policy

    return permission_policy.instances_user_has_permission_for(user, "choose").filter(
        status=H5PPackage.Status.READY
    )


def playable_package(*, user, content_id: uuid.UUID) -> H5PPackage | None:
    return (
        packages_visible_to(user)
        .filter(content_id=content_id, status=H5PPackage.Status.READY)
        .first()
    )


def package_by_content_id(content_id) -> H5PPackage | None:
    return H5PPackage.objects.filter(content_id=content_id).first()


def packages_by_content_ids(keys) -> dict[str, H5PPackage]:
    ids = []
    for key in keys:
        try:
            ids.append(uuid.UUID(str(key)))
        except ValueError:
            continue
    return {
        str(package.content_id): package
        for package in H5PPackage.objects.filter(
            content_id__in=ids, status=H5PPackage.Status.READY
        ).only("content_id", "title", "status")
    }


# --- signed tokens --------------------------------------------------------------------------


def file_token(*, package: H5PPackage, user) -> str:
    """A token naming the package (and, for the audit trail, the learner), time-stamped."""
    return signing.TimestampSigner(salt=FILE_TOKEN_SALT).sign(f"{package.content_id}.{user.pk}")


def package_from_file_token(token: str) -> H5PPackage | None:
    """The ready package a file token grants, or None when the token is forged or expired."""
    try:
        value = signing.TimestampSigner(salt=FILE_TOKEN_SALT).unsign(
            token, max_age=file_url_max_age()
        )
        content_id = uuid.UUID(value.split(".", 1)[0])
    except (signing.BadSignature, ValueError):
        return None
    return (
        H5PPackage.objects.filter(content_id=content_id, status=H5PPackage.Status.READY)
        .only("pk", "content_id", "storage_path")
        .first()
    )


def launch_token(*, package: H5PPackage, user) -> str:
    return signing.TimestampSigner(salt=LAUNCH_TOKEN_SALT).sign(f"{package.content_id}.{user.pk}")


def user_id_from_launch_token(token: str, *, content_id: uuid.UUID) -> int | None:
    try:
        value = signing.TimestampSigner(salt=LAUNCH_TOKEN_SALT).unsign(
            token, max_age=LAUNCH_URL_MAX_AGE
        )
        token_content_id, user_id = value.split(".", 1)
        if uuid.UUID(token_content_id) != content_id:
            return None
        return int(user_id)
    except (signing.BadSignature, ValueError):
        return None


def package_library(*, package: H5PPackage, folder: str) -> H5PLibrary | None:
    """A library the package depends on, by folder name (``H5P.Foo-1.2``); else None."""
    name, _sep, version = folder.rpartition("-")
    major, _sep, minor = version.partition(".")
    if not (name and major.isdigit() and minor.isdigit()):
        return None
    return package.libraries.filter(
        machine_name=name, major_version=int(major), minor_version=int(minor)
    ).first()
