"""The one place that answers "may this user see this learner / this city?".

Every view, admin screen, API and report asks these functions (the Wagtail permission
policies in lms/people/admin/viewsets.py delegate here too), so a rule changes in one
place.

Roles and what they reach:

- national admin (members of the national-admin group, and superusers): every city,
  every person; manages every city.
- city admin (BKPSDM officer): the people, agencies and records of the city (or cities)
  whose admin group they belong to; manages those.
- trainer: sees the cities they author for (their curriculum), but NO learner's
  personal data beyond their own profile: trainers work with content and with
  aggregated results, and UU PDP 27/2022 asks for data minimisation. A trainer who is
  also a supervisor still sees their own staff, as a supervisor.
- supervisor (any profile that others name as supervisor): their direct and indirect
  staff, in one recursive query.
- learner: only themself, and their own city.

Roles are group memberships (people.CityRole ties a group to a role and a city); they are
looked up once per user object and cached on it, so a request that checks many rows
does not repeat the lookup.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from lms.people.models import Agency, City, CityRole, LearnerProfile
from lms.people.selectors import staff_pk_subquery, supervisor_chain_pk_subquery

_CACHE_ATTR = "_lms_people_roles"
_SUPERVISOR_CACHE_ATTR = "_lms_people_is_supervisor"


@dataclass(frozen=True)
class Roles:
    """What one user is, as far as visibility goes."""

    national: bool = False
    admin_city_ids: frozenset[int] = frozenset()
    trainer_city_ids: frozenset[int] = frozenset()
    profile_id: int | None = None
    profile_city_id: int | None = None

    @property
    def viewable_city_ids(self) -> frozenset[int]:
        own = {self.profile_city_id} if self.profile_city_id else set()
        return self.admin_city_ids | self.trainer_city_ids | own


_NOBODY = Roles()


def roles_of(user) -> Roles:
    """The user's roles, looked up once (two small queries) and cached on the user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return _NOBODY
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_active:
        roles = _NOBODY
    else:
        national = user.is_superuser
        admin_cities, trainer_cities = set(), set()
        for role, city_id in CityRole.objects.filter(group__user=user).values_list(
            "role", "city_id"
        ):
            if role == CityRole.Role.NATIONAL_ADMIN:
                national = True
            elif role == CityRole.Role.CITY_ADMIN:
                admin_cities.add(city_id)
            elif role == CityRole.Role.TRAINER:
                trainer_cities.add(city_id)
        profile = (
            LearnerProfile.objects.filter(user_id=user.pk, is_active=True)
            .values_list("pk", "city_id")
            .first()
        )
        roles = Roles(
            national=national,
            admin_city_ids=frozenset(admin_cities),
            trainer_city_ids=frozenset(trainer_cities),
            profile_id=profile[0] if profile else None,
            profile_city_id=profile[1] if profile else None,
        )
    setattr(user, _CACHE_ATTR, roles)
    return roles


def clear_roles_cache(user) -> None:
    """Forget cached roles, after group membership changed within the same request."""
    for attr in (_CACHE_ATTR, _SUPERVISOR_CACHE_ATTR):
        if user is not None and hasattr(user, attr):
            delattr(user, attr)


def _city_id(city: City | int | None) -> int | None:
    return city if isinstance(city, int) or city is None else city.pk


# --- roles --------------------------------------------------------------------------------


def is_national_admin(user) -> bool:
    return roles_of(user).national


def is_city_admin(user, city: City | int | None = None) -> bool:
    roles = roles_of(user)
    if city is None:
        return bool(roles.admin_city_ids)
    return _city_id(city) in roles.admin_city_ids


def is_trainer(user, city: City | int | None = None) -> bool:
    roles = roles_of(user)
    if city is None:
        return bool(roles.trainer_city_ids)
    return _city_id(city) in roles.trainer_city_ids


def is_supervisor(user) -> bool:
    """Whether anyone names this user as their supervisor (asked once per user object)."""
    roles = roles_of(user)
    if roles.profile_id is None:
        return False
    cached = getattr(user, _SUPERVISOR_CACHE_ATTR, None)
    if cached is None:
        cached = LearnerProfile.objects.filter(supervisor_id=roles.profile_id).exists()
        setattr(user, _SUPERVISOR_CACHE_ATTR, cached)
    return cached


# --- cities -------------------------------------------------------------------------------


def can_view_city(user, city: City | int) -> bool:
    roles = roles_of(user)
    return roles.national or _city_id(city) in roles.viewable_city_ids


def can_manage_city(user, city: City | int) -> bool:
    """May run the city's people and agencies (national admins and the city's admins)."""
    roles = roles_of(user)
    return roles.national or _city_id(city) in roles.admin_city_ids


def can_edit_city_record(user, city: City | int | None = None) -> bool:
    """May create cities or change a city's own record (name, BKPSDM, time zone)."""
    return roles_of(user).national


def visible_cities(user) -> QuerySet[City]:
    roles = roles_of(user)
    if roles.national:
        return City.objects.all()
    return City.objects.filter(pk__in=roles.viewable_city_ids)


def manageable_cities(user) -> QuerySet[City]:
    roles = roles_of(user)
    if roles.national:
        return City.objects.all()
    return City.objects.filter(pk__in=roles.admin_city_ids)


# --- agencies -----------------------------------------------------------------------------


def can_view_agency(user, agency: Agency) -> bool:
    return can_view_city(user, agency.city_id)


def can_manage_agency(user, agency: Agency) -> bool:
    return can_manage_city(user, agency.city_id)


def visible_agencies(user) -> QuerySet[Agency]:
    roles = roles_of(user)
    if roles.national:
        return Agency.objects.all()
    return Agency.objects.filter(city_id__in=roles.viewable_city_ids)


def manageable_agencies(user) -> QuerySet[Agency]:
    roles = roles_of(user)
    if roles.national:
        return Agency.objects.all()
    return Agency.objects.filter(city_id__in=roles.admin_city_ids)


# --- learners (and everything recorded about them) ----------------------------------------


def visible_profiles(user) -> QuerySet[LearnerProfile]:
    """Every profile the user may see; use it as the base of any list of learners or
    records (`records.filter(learner__in=visible_profiles(user))`)."""
    roles = roles_of(user)
    if roles.national:
        return LearnerProfile.objects.all()
    condition = Q()
    if roles.admin_city_ids:
        condition |= Q(city_id__in=roles.admin_city_ids)
    if roles.profile_id is not None:
        condition |= Q(pk=roles.profile_id) | Q(pk__in=staff_pk_subquery(roles.profile_id))
    if not condition:
        return LearnerProfile.objects.none()
    return LearnerProfile.objects.filter(condition)


def manageable_profiles(user) -> QuerySet[LearnerProfile]:
    """Profiles the user may change (national admins and the city's admins only)."""
    roles = roles_of(user)
    if roles.national:
        return LearnerProfile.objects.all()
    if not roles.admin_city_ids:
        return LearnerProfile.objects.none()
    return LearnerProfile.objects.filter(city_id__in=roles.admin_city_ids)


def can_view_learner(user, profile: LearnerProfile) -> bool:
    """May see this person's profile and learning records."""
    roles = roles_of(user)
    if roles.national or profile.city_id in roles.admin_city_ids:
        return True
    if roles.profile_id is None:
        return False
    if profile.pk == roles.profile_id:
        return True
    if profile.city_id != roles.profile_city_id:
        # Supervisors are always in their staff's city (services.supervisor_set).
        return False
    return (
        LearnerProfile.objects.filter(pk=roles.profile_id)
        .filter(pk__in=supervisor_chain_pk_subquery(profile.pk))
        .exists()
    )


def can_manage_learner(user, profile: LearnerProfile) -> bool:
    return can_manage_city(user, profile.city_id)
