"""Writes for people and organisations. Every change to cities, agencies, profiles and
roles goes through these functions so that the admin, the importer and the demo data
apply the same rules."""

import datetime

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import Collection, GroupCollectionPermission

from lms.people.models import Agency, City, CityRole, LearnerProfile, User
from lms.people.nip import parse_nip, validate_nip_matches

# Staff roles may open the Wagtail admin; what they see there is narrowed per city.
_ADMIN_ACCESS = ("wagtailadmin", "access_admin")
# Images and documents of a city live in the city's own collection.
_COLLECTION_PERMISSIONS = {
    CityRole.Role.CITY_ADMIN: [
        ("wagtailimages", "add_image"),
        ("wagtailimages", "change_image"),
        ("wagtailimages", "choose_image"),
        ("wagtaildocs", "add_document"),
        ("wagtaildocs", "change_document"),
        ("wagtaildocs", "choose_document"),
    ],
    CityRole.Role.TRAINER: [
        ("wagtailimages", "add_image"),
        ("wagtailimages", "choose_image"),
        ("wagtaildocs", "add_document"),
        ("wagtaildocs", "choose_document"),
    ],
}
_ROLE_GROUP_NAMES = {
    CityRole.Role.CITY_ADMIN: "Admin Kota %(city)s",
    CityRole.Role.TRAINER: "Pelatih %(city)s",
    CityRole.Role.NATIONAL_ADMIN: "Admin Nasional",
}


def _permission(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def city_create(
    *, name: str, slug: str, bkpsdm_name: str, timezone: str = City.TimeZone.WIB
) -> City:
    """Create a city with its staff groups and its own image/document collection."""
    city = City(name=name, slug=slug, bkpsdm_name=bkpsdm_name, timezone=timezone)
    city.full_clean()
    city.save()

    collection = Collection.get_first_root_node().add_child(name=city.name)
    access_admin = _permission(*_ADMIN_ACCESS)
    for role, permissions in _COLLECTION_PERMISSIONS.items():
        group = Group.objects.create(name=_ROLE_GROUP_NAMES[role] % {"city": city.name})
        group.permissions.add(access_admin)
        CityRole.objects.create(group=group, city=city, role=role)
        GroupCollectionPermission.objects.bulk_create(
            GroupCollectionPermission(
                group=group, collection=collection, permission=_permission(*perm)
            )
            for perm in permissions
        )
    return city


def city_role_group(*, city: City | None, role: str) -> Group:
    return CityRole.objects.select_related("group").get(city=city, role=role).group


@transaction.atomic
def national_admin_group() -> Group:
    """The single national-admin group, created on first use."""
    role = CityRole.objects.filter(role=CityRole.Role.NATIONAL_ADMIN).select_related("group")
    existing = role.first()
    if existing:
        return existing.group
    group, _created = Group.objects.get_or_create(
        name=_ROLE_GROUP_NAMES[CityRole.Role.NATIONAL_ADMIN]
    )
    group.permissions.add(_permission(*_ADMIN_ACCESS))
    CityRole.objects.create(group=group, city=None, role=CityRole.Role.NATIONAL_ADMIN)
    return group


@transaction.atomic
def role_assign(*, user: User, role: str, city: City | None = None) -> None:
    """Give a user a staff role (idempotent)."""
    if role == CityRole.Role.NATIONAL_ADMIN:
        group = national_admin_group()
    else:
        if city is None:
            raise ValidationError(_("A city admin or trainer role needs a city."))
        group = city_role_group(city=city, role=role)
    user.groups.add(group)


def role_revoke(*, user: User, role: str, city: City | None = None) -> None:
    user.groups.remove(*Group.objects.filter(city_role__role=role, city_role__city=city))


@transaction.atomic
def agency_create(
    *,
    city: City,
    name: str,
    code: str = "",
    kind: str = Agency.Kind.OFFICE,
    parent: Agency | None = None,
) -> Agency:
    """Add an agency under a parent unit of the same city (or as a top-level OPD)."""
    if parent is not None and parent.city_id != city.pk:
        raise ValidationError(
            {"parent": _("The parent unit belongs to another city.")}, code="agency_other_city"
        )
    agency = Agency(city=city, name=name, code=code.strip().upper(), kind=kind)
    agency.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        return Agency.add_root(instance=agency)
    return parent.add_child(instance=agency)


@transaction.atomic
def learner_create(
    *,
    city: City,
    nip: str,
    full_name: str,
    email: str = "",
    password: str | None = None,
    agency: Agency | None = None,
    supervisor: LearnerProfile | None = None,
    employment_type: str = LearnerProfile.EmploymentType.PNS,
    gender: str = "",
    birth_date: datetime.date | None = None,
    golongan: str = "",
    jabatan_type: str = "",
    jabatan_name: str = "",
    phone: str = "",
) -> LearnerProfile:
    """Create a user and their learner profile; the NIP is the username.

    Birth date and gender come from the NIP when not given, and must agree with it when
    given. Without a password the account cannot log in until it is reset by email.
    """
    nip = nip.strip().replace(" ", "")
    try:
        parts = parse_nip(nip, employment_type=employment_type)
    except ValidationError as exc:
        raise ValidationError({"nip": exc.messages}) from None
    validate_nip_matches(parts, birth_date=birth_date, gender=gender or None)
    errors = {}
    if agency is not None and agency.city_id != city.pk:
        errors["agency"] = _("The agency “%(agency)s” belongs to another city.") % {
            "agency": agency.name
        }
    if supervisor is not None and supervisor.city_id != city.pk:
        errors["supervisor"] = _("The supervisor works for another city.")
    if errors:
        raise ValidationError(errors)

    user = User(username=nip, email=email.strip(), first_name=full_name[:150])
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    profile = LearnerProfile(
        user=user,
        city=city,
        agency=agency,
        nip=nip,
        full_name=full_name.strip(),
        employment_type=employment_type,
        gender=gender or parts.gender,
        birth_date=birth_date or parts.birth_date,
        golongan=golongan,
        jabatan_type=jabatan_type,
        jabatan_name=jabatan_name,
        supervisor=supervisor,
        email=email.strip(),
        phone=phone.strip(),
    )
    profile.full_clean()
    profile.save()
    return profile


@transaction.atomic
def staff_user_create(
    *, username: str, email: str, password: str | None, first_name: str = "", last_name: str = ""
) -> User:
    """An account for admins and trainers, who have no learner profile of their own."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user
