"""Writes for people and organisations. Every change to cities, agencies, profiles and
roles goes through these functions so that the admin, the importer and the demo data
apply the same rules."""

import datetime

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils.translation import gettext as _
from wagtail.models import Collection, GroupCollectionPermission

from lms.people.models import Agency, City, CityRole, LearnerProfile, User
from lms.people.nip import parse_nip, validate_nip_matches
from lms.people.permissions import clear_roles_cache
from lms.people.selectors import staff_pk_subquery

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
# Model permissions of each role. They open the admin screens; which rows a holder then
# sees or changes is narrowed by lms.people.permissions (their city only).
_MODEL_PERMISSIONS = {
    CityRole.Role.NATIONAL_ADMIN: [
        ("people", "add_city"),
        ("people", "change_city"),
        ("people", "view_city"),
        ("people", "add_agency"),
        ("people", "change_agency"),
        ("people", "delete_agency"),
        ("people", "view_agency"),
        ("people", "add_learnerprofile"),
        ("people", "change_learnerprofile"),
        ("people", "view_learnerprofile"),
    ],
    CityRole.Role.CITY_ADMIN: [
        ("people", "view_city"),
        ("people", "add_agency"),
        ("people", "change_agency"),
        ("people", "delete_agency"),
        ("people", "view_agency"),
        ("people", "add_learnerprofile"),
        ("people", "change_learnerprofile"),
        ("people", "view_learnerprofile"),
    ],
    CityRole.Role.TRAINER: [],
}
_ROLE_GROUP_NAMES = {
    CityRole.Role.CITY_ADMIN: "Admin Kota %(city)s",
    CityRole.Role.TRAINER: "Pelatih %(city)s",
    CityRole.Role.NATIONAL_ADMIN: "Admin Nasional",
}


def nip_parse(value: str, *, employment_type: str = LearnerProfile.EmploymentType.PNS):
    """nip.parse_nip, refusing non-ASCII digits too.

    str.isdigit() and int() accept e.g. Arabic-Indic digits, which would be stored as a
    NIP nobody can type; until nip.py checks this itself, every write path comes here.
    """
    nip = (value or "").strip().replace(" ", "")
    if not nip.isascii():
        raise ValidationError(
            _("NIP may contain digits only (found “%(value)s”).") % {"value": value},
            code="nip_digits",
        )
    return parse_nip(nip, employment_type=employment_type)


def _permission(app_label: str, codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _role_permissions(role: str) -> list[Permission]:
    wanted = [_ADMIN_ACCESS, *_MODEL_PERMISSIONS.get(role, [])]
    query = Q()
    for app_label, codename in wanted:
        query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query))


@transaction.atomic
def role_permissions_sync() -> None:
    """Give every role group exactly the model permissions of its role (re-runnable).

    Groups made before a role gained a permission catch up; permissions added by hand on
    the group screen are kept.
    """
    for city_role in CityRole.objects.select_related("group"):
        city_role.group.permissions.add(*_role_permissions(city_role.role))


@transaction.atomic
def city_create(
    *,
    name: str,
    slug: str,
    bkpsdm_name: str,
    timezone: str = City.TimeZone.WIB,
    certificate_number_format: str | None = None,
) -> City:
    """Create a city with its staff groups and its own image/document collection."""
    city = City(name=name, slug=slug, bkpsdm_name=bkpsdm_name, timezone=timezone)
    if certificate_number_format:
        city.certificate_number_format = certificate_number_format.strip()
    city.full_clean()
    city.save()

    collection = Collection.get_first_root_node().add_child(name=city.name)
    for role, permissions in _COLLECTION_PERMISSIONS.items():
        group = Group.objects.create(name=_ROLE_GROUP_NAMES[role] % {"city": city.name})
        group.permissions.add(*_role_permissions(role))
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
    group.permissions.add(*_role_permissions(CityRole.Role.NATIONAL_ADMIN))
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
    clear_roles_cache(user)


def role_revoke(*, user: User, role: str, city: City | None = None) -> None:
    user.groups.remove(*Group.objects.filter(city_role__role=role, city_role__city=city))
    clear_roles_cache(user)


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
            {
                "parent": ValidationError(
                    _("The parent unit belongs to another city."), code="agency_other_city"
                )
            }
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
        parts = nip_parse(nip, employment_type=employment_type)
    except ValidationError as exc:
        raise ValidationError({"nip": exc.error_list}) from None
    validate_nip_matches(parts, birth_date=birth_date, gender=gender or None)
    errors = _identity_taken(nip=nip, email=email)
    if agency is not None and agency.city_id != city.pk:
        errors["agency"] = _("The agency “%(agency)s” belongs to another city.") % {
            "agency": agency.name
        }
    if supervisor is not None and supervisor.city_id != city.pk:
        errors["supervisor"] = ValidationError(
            _("The supervisor works for another city."), code="supervisor_other_city"
        )
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
    # Rules such as "every learner of Diskominfo takes course X" cover newcomers too.
    _apply_enrolment_rules(profile)
    return profile


def _apply_enrolment_rules(profile: LearnerProfile) -> None:
    # Imported lazily: lms.records builds on lms.people, not the other way round.
    from lms.records.services import apply_enrolment_rules_to

    apply_enrolment_rules_to([profile])


def _identity_taken(*, nip: str, email: str, exclude_user: User | None = None) -> dict:
    """Field errors for a NIP or email another account already uses.

    The database constraints would refuse them too, but on the user row and in words
    about a "username"; a learner's admin needs to hear it about the NIP and the email.
    """
    errors = {}
    users = User.objects.all()
    profiles = LearnerProfile.objects.all()
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
        profiles = profiles.exclude(user_id=exclude_user.pk)
    if users.filter(username=nip).exists() or profiles.filter(nip=nip).exists():
        errors["nip"] = ValidationError(
            _("Another account already uses the NIP %(nip)s.") % {"nip": nip},
            code="nip_taken",
        )
    email = email.strip()
    if email and users.filter(email__iexact=email).exists():
        errors["email"] = ValidationError(
            _("Another account already uses this email address."), code="email_taken"
        )
    return errors


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


# Distinguishes "leave unchanged" from an explicit empty value in the *_update services.
UNCHANGED = object()


@transaction.atomic
def learner_update(
    *,
    profile: LearnerProfile,
    nip=UNCHANGED,
    full_name=UNCHANGED,
    employment_type=UNCHANGED,
    gender=UNCHANGED,
    birth_date=UNCHANGED,
    golongan=UNCHANGED,
    jabatan_type=UNCHANGED,
    jabatan_name=UNCHANGED,
    agency=UNCHANGED,
    email=UNCHANGED,
    phone=UNCHANGED,
) -> LearnerProfile:
    """Change a learner's data; the user's username, email and name follow the profile.

    The NIP is checked again, and birth date and gender must still agree with it. The
    city does not change here (a transfer moves records too); the supervisor changes
    through supervisor_set and the active flag through learner_(de)activate.
    """
    profile = LearnerProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    user = profile.user
    given = {
        "full_name": full_name,
        "golongan": golongan,
        "jabatan_type": jabatan_type,
        "jabatan_name": jabatan_name,
        "phone": phone,
    }
    for field, value in given.items():
        if value is not UNCHANGED:
            setattr(profile, field, (value or "").strip())
    if employment_type is not UNCHANGED:
        profile.employment_type = employment_type
    if nip is not UNCHANGED:
        profile.nip = (nip or "").strip().replace(" ", "")
    if gender is not UNCHANGED:
        profile.gender = gender or ""
    if birth_date is not UNCHANGED:
        profile.birth_date = birth_date
    if email is not UNCHANGED:
        profile.email = (email or "").strip()

    try:
        parts = nip_parse(profile.nip, employment_type=profile.employment_type)
    except ValidationError as exc:
        raise ValidationError({"nip": exc.error_list}) from None
    validate_nip_matches(parts, birth_date=profile.birth_date, gender=profile.gender or None)
    profile.gender = profile.gender or parts.gender
    profile.birth_date = profile.birth_date or parts.birth_date

    errors = _identity_taken(nip=profile.nip, email=profile.email, exclude_user=user)
    if agency is not UNCHANGED:
        if agency is not None and agency.city_id != profile.city_id:
            errors["agency"] = ValidationError(
                _("The agency “%(agency)s” belongs to another city.") % {"agency": agency.name},
                code="agency_other_city",
            )
        profile.agency = agency
    if errors:
        raise ValidationError(errors)

    profile.full_clean()
    user.username = profile.nip
    user.email = profile.email
    user.first_name = profile.full_name[:150]
    user.full_clean(exclude=["password"])
    user.save(update_fields=["username", "email", "first_name"])
    profile.save()
    if agency is not UNCHANGED or jabatan_type is not UNCHANGED:
        _apply_enrolment_rules(profile)
    return profile


@transaction.atomic
def supervisor_set(*, profile: LearnerProfile, supervisor: LearnerProfile | None) -> LearnerProfile:
    """Name (or clear) a person's supervisor.

    Refused: the person themself, a supervisor in another city, and anyone who already
    reports to the person, directly or indirectly (that would make a loop).
    """
    profile = LearnerProfile.objects.select_for_update().get(pk=profile.pk)
    if supervisor is not None:
        if supervisor.pk == profile.pk:
            raise ValidationError(
                {
                    "supervisor": ValidationError(
                        _("A person cannot be their own supervisor."),
                        code="supervisor_self",
                    )
                }
            )
        if supervisor.city_id != profile.city_id:
            raise ValidationError(
                {
                    "supervisor": ValidationError(
                        _(
                            "%(supervisor)s works for another city; a supervisor must work "
                            "in the same city."
                        )
                        % {"supervisor": supervisor.full_name},
                        code="supervisor_other_city",
                    )
                }
            )
        if LearnerProfile.objects.filter(
            pk=supervisor.pk, pk__in=staff_pk_subquery(profile.pk)
        ).exists():
            raise ValidationError(
                {
                    "supervisor": ValidationError(
                        _(
                            "%(supervisor)s already reports to %(person)s, directly or "
                            "indirectly; they cannot also be their supervisor."
                        )
                        % {"supervisor": supervisor.full_name, "person": profile.full_name},
                        code="supervisor_cycle",
                    )
                }
            )
    profile.supervisor = supervisor
    profile.save(update_fields=["supervisor", "updated_at"])
    return profile


def _set_active(profile: LearnerProfile, active: bool) -> LearnerProfile:
    profile = LearnerProfile.objects.select_for_update().select_related("user").get(pk=profile.pk)
    # The profile and the login go together: an inactive learner must not log in, and
    # a reactivated one must be able to.
    profile.is_active = active
    profile.save(update_fields=["is_active", "updated_at"])
    profile.user.is_active = active
    profile.user.save(update_fields=["is_active"])
    return profile


@transaction.atomic
def learner_deactivate(*, profile: LearnerProfile) -> LearnerProfile:
    """Stop a learner's access (retired, moved away); their records stay, but they no
    longer count on the dashboards (active learners, overdue mandatory courses)."""
    from lms.records.services import learners_counts_sync

    profile = _set_active(profile, False)
    learners_counts_sync([profile.pk])
    return profile


@transaction.atomic
def learner_activate(*, profile: LearnerProfile) -> LearnerProfile:
    profile = _set_active(profile, True)
    _apply_enrolment_rules(profile)
    return profile


@transaction.atomic
def city_update(
    *,
    city: City,
    name=UNCHANGED,
    slug=UNCHANGED,
    bkpsdm_name=UNCHANGED,
    timezone=UNCHANGED,
    certificate_number_format=UNCHANGED,
) -> City:
    city = City.objects.select_for_update().get(pk=city.pk)
    for field, value in (
        ("name", name),
        ("slug", slug),
        ("bkpsdm_name", bkpsdm_name),
        ("timezone", timezone),
        ("certificate_number_format", certificate_number_format),
    ):
        if value is not UNCHANGED:
            setattr(city, field, value.strip() if isinstance(value, str) else value)
    city.full_clean()
    city.save()
    return city


@transaction.atomic
def agency_update(*, agency: Agency, name=UNCHANGED, code=UNCHANGED, kind=UNCHANGED) -> Agency:
    """Rename or recode an agency; its place in the tree changes through agency_move."""
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if name is not UNCHANGED:
        agency.name = (name or "").strip()
    if code is not UNCHANGED:
        agency.code = (code or "").strip().upper()
    if kind is not UNCHANGED:
        agency.kind = kind
    agency.full_clean(exclude=["path", "depth", "numchild"])
    agency.save()
    return agency


@transaction.atomic
def agency_move(*, agency: Agency, parent: Agency | None) -> Agency:
    """Put an agency (with its whole subtree) under another unit of the same city, or
    make it a top-level OPD."""
    agency = Agency.objects.get(pk=agency.pk)
    if parent is not None:
        parent = Agency.objects.get(pk=parent.pk)
        if parent.city_id != agency.city_id:
            raise ValidationError(
                {
                    "parent": ValidationError(
                        _("The parent unit belongs to another city."),
                        code="agency_other_city",
                    )
                }
            )
        if parent.path.startswith(agency.path):
            raise ValidationError(
                {
                    "parent": ValidationError(
                        _("A unit cannot be moved under itself or one of its own sub-units."),
                        code="agency_move_into_own_subtree",
                    )
                }
            )
    current_parent = agency.get_parent()
    if (current_parent.pk if current_parent else None) == (parent.pk if parent else None):
        return agency
    if parent is None:
        agency.move(Agency.get_first_root_node(), pos="sorted-sibling")
    else:
        agency.move(parent, pos="sorted-child")
    return Agency.objects.get(pk=agency.pk)


@transaction.atomic
def agency_delete(*, agency: Agency) -> None:
    """Delete an agency nobody works in and that has no sub-units; otherwise refuse."""
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if agency.get_children_count():
        raise ValidationError(
            _("“%(agency)s” still has sub-units; move or delete them first.")
            % {"agency": agency.name},
            code="agency_has_children",
        )
    if agency.profiles.exists():
        raise ValidationError(
            _("People still work in “%(agency)s”; move them to another agency first.")
            % {"agency": agency.name},
            code="agency_has_people",
        )
    try:
        # Savepoint: a refused delete must leave the caller's transaction usable.
        with transaction.atomic():
            agency.delete()
    except (ProtectedError, RestrictedError):
        # Other apps' rows (records, reports) may protect an agency; refuse, don't crash.
        raise ValidationError(
            _("“%(agency)s” is still used by other records and cannot be deleted.")
            % {"agency": agency.name},
            code="agency_in_use",
        ) from None
