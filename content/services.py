"""Writes for H5P packages: import (validate, extract, record), replace and delete.

Order of work in an import, so that bad input never leaves half-written data:

1. validate the whole archive, streaming (content.validation) - nothing written yet;
2. extract to *new*, uniquely named storage folders (never over files in use);
3. record packages and libraries in one transaction;
4. after commit, remove the folders the new ones replace; if the transaction fails
   instead, remove the folders written in step 2.
"""

import logging
import secrets
import uuid
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.models import Collection

from content import storage as h5p_files
from content.models import H5PLibrary, H5PPackage
from content.validation import (
    LibraryInfo,
    LibraryRef,
    PackageRefused,
    ValidatedPackage,
    limit,
    validate_package,
)

logger = logging.getLogger(__name__)


def _installed_libraries() -> dict[str, LibraryInfo]:
    installed = {}
    for row in H5PLibrary.objects.all():
        ref = LibraryRef(row.machine_name, row.major_version, row.minor_version)
        installed[ref.folder] = LibraryInfo(
            ref=ref,
            patch=row.patch_version,
            title=row.title,
            runnable=row.runnable,
            core_api=(row.core_api_major, row.core_api_minor),
            preloaded_js=[],
            preloaded_css=[],
            dependencies=[_ref_from_folder(folder) for folder in row.dependencies],
            metadata={},
        )
    return installed


def _ref_from_folder(folder: str) -> LibraryRef:
    name, version = folder.rsplit("-", 1)
    major, minor = version.split(".")
    return LibraryRef(name, int(major), int(minor))


def city_collection(city) -> Collection:
    """The city's own collection (made by lms.people.services.city_create)."""
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=city.name).first()
    if collection is None:
        collection = root.add_child(name=city.name)
    return collection


@dataclass
class _Written:
    package_folder: str
    library_folders: dict[str, str]  # library folder name -> new storage folder


def _extract(fileobj, validated: ValidatedPackage, *, content_id: str, installed: dict) -> _Written:
    storage = h5p_files.h5p_storage()
    max_file = limit("H5P_MAX_FILE_BYTES")
    token = secrets.token_hex(6)
    package_folder = h5p_files.package_folder(content_id, token)
    written = _Written(package_folder=package_folder, library_folders={})
    fileobj.seek(0)
    with zipfile.ZipFile(fileobj) as archive:
        files = [("h5p.json", f"{package_folder}/h5p.json")]
        files += [
            (member, h5p_files.join(f"{package_folder}/content", inner))
            for member, inner in validated.content_members
        ]
        for folder, library in validated.libraries.items():
            current = installed.get(folder)
            # Like H5P core: a library is stored once per major.minor; only a newer patch
            # replaces the one installed.
            if current is not None and current.patch >= library.patch:
                continue
            target = h5p_files.library_folder(folder, f"{library.patch}-{token}")
            written.library_folders[folder] = target
            files += [(member, h5p_files.join(target, inner)) for member, inner in library.members]
        try:
            h5p_files.write_members(
                h5p_files.h5p_storage(), archive, files, max_file_bytes=max_file
            )
        except Exception:
            h5p_files.delete_folders_quietly(
                storage, [package_folder, *written.library_folders.values()]
            )
            raise
    return written


@transaction.atomic
def _record(
    *,
    validated: ValidatedPackage,
    written: _Written,
    content_id: str,
    package: H5PPackage | None,
    city,
    collection,
    user,
    filename: str,
) -> tuple[H5PPackage, list[str]]:
    stale_folders = []
    for folder, target in written.library_folders.items():
        info = validated.libraries[folder]
        row = (
            H5PLibrary.objects.select_for_update()
            .filter(
                machine_name=info.ref.machine_name,
                major_version=info.ref.major,
                minor_version=info.ref.minor,
            )
            .first()
        )
        if row is not None and row.patch_version >= info.patch:
            # Another import installed this (or a newer) patch meanwhile: keep theirs.
            stale_folders.append(target)
            continue
        if row is None:
            row = H5PLibrary(
                machine_name=info.ref.machine_name,
                major_version=info.ref.major,
                minor_version=info.ref.minor,
            )
        else:
            stale_folders.append(row.storage_path)
        row.patch_version = info.patch
        row.title = info.title
        row.runnable = info.runnable
        row.core_api_major, row.core_api_minor = info.core_api
        row.dependencies = [dep.folder for dep in info.dependencies]
        row.storage_path = target
        row.full_clean()
        row.save()

    installed = _installed_libraries()
    closure = validated.dependency_closure(installed)
    wanted = Q(pk__in=[])
    for ref in closure:
        wanted |= Q(machine_name=ref.machine_name, major_version=ref.major, minor_version=ref.minor)
    libraries = list(H5PLibrary.objects.filter(wanted))

    if package is None:
        package = H5PPackage(content_id=content_id)
    else:
        package = H5PPackage.objects.select_for_update().get(pk=package.pk)
        stale_folders.append(package.storage_path)
    package.title = validated.title
    package.main_library = validated.main_library.folder
    package.language = validated.language
    package.size_bytes = validated.total_bytes
    package.file_count = validated.file_count
    package.storage_path = written.package_folder
    package.original_filename = (filename or "")[:255]
    package.status = H5PPackage.Status.READY
    if city is not None or package.pk is None:
        package.city = city
    if collection is not None:
        package.collection = collection
    elif package.pk is None and city is not None:
        package.collection = city_collection(city)
    if user is not None:
        package.uploaded_by = user
    package.full_clean()
    package.save()
    package.libraries.set(libraries)

    storage = h5p_files.h5p_storage()
    transaction.on_commit(lambda: h5p_files.delete_folders_quietly(storage, stale_folders))
    return package, stale_folders


def package_import(
    *,
    file,
    filename: str = "",
    city=None,
    collection: Collection | None = None,
    user=None,
    replace: H5PPackage | None = None,
) -> H5PPackage:
    """Validate an .h5p file (a binary, seekable file object) and import it.

    With ``replace``, the package keeps its content id (lessons keep working) and gets the
    new files; the old ones are removed after commit. Raises PackageRefused (a
    ValidationError naming the file and the rule) before writing anything.
    """
    installed = _installed_libraries()
    validated = validate_package(file, installed=installed)
    content_id = str(replace.content_id if replace is not None else uuid.uuid4())
    written = _extract(file, validated, content_id=content_id, installed=installed)
    try:
        package, _stale = _record(
            validated=validated,
            written=written,
            content_id=content_id,
            package=replace,
            city=city,
            collection=collection,
            user=user,
            filename=filename,
        )
    except IntegrityError as exc:
        _discard(written)
        raise PackageRefused(
            _(
                "Another upload installed the same libraries at the same moment. Upload the "
                "package again."
            ),
            code="concurrent_import",
        ) from exc
    except BaseException:
        _discard(written)
        raise
    logger.info(
        "Imported H5P package %s (%s, %s files)",
        package.content_id,
        package.title,
        validated.file_count,
    )
    return package


def _discard(written: _Written) -> None:
    h5p_files.delete_folders_quietly(
        h5p_files.h5p_storage(), [written.package_folder, *written.library_folders.values()]
    )


@transaction.atomic
def package_delete(*, package: H5PPackage) -> None:
    """Delete a package; its files go after commit. Shared libraries stay installed."""
    package = H5PPackage.objects.select_for_update().get(pk=package.pk)
    folder = package.storage_path
    package.delete()
    storage = h5p_files.h5p_storage()
    transaction.on_commit(lambda: h5p_files.delete_folders_quietly(storage, [folder]))


@transaction.atomic
def package_update(
    *, package: H5PPackage, title: str | None = None, status: str | None = None
) -> H5PPackage:
    package = H5PPackage.objects.select_for_update().get(pk=package.pk)
    if title is not None:
        package.title = title.strip()
    if status is not None:
        package.status = status
    package.full_clean()
    package.save()
    return package


def refusal_text(error: ValidationError) -> str:
    """One line for the uploader, whatever kind of ValidationError came back."""
    if isinstance(error, PackageRefused):
        return error.text
    return " ".join(error.messages)
