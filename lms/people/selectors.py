"""Reads for people and organisations: staff trees, agency subtrees, lookups by NIP.

Who may see what is decided in lms.people.permissions; these functions only read.
"""

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from lms.people.models import Agency, City, LearnerProfile


def _profile_table() -> tuple[str, str, str]:
    qn = connection.ops.quote_name
    opts = LearnerProfile._meta
    return (
        qn(opts.db_table),
        qn(opts.pk.column),
        qn(opts.get_field("supervisor").column),
    )


def staff_pk_subquery(supervisor_id: int) -> RawSQL:
    """Primary keys of everyone below a supervisor, direct and indirect, as ONE subquery.

    A recursive CTE walks the supervisor links down; UNION (not UNION ALL) drops rows it
    has already produced, so a supervision cycle ends the recursion instead of looping.
    Both SQLite and PostgreSQL accept a WITH clause inside an IN (...) subquery.
    """
    table, pk, supervisor = _profile_table()
    sql = (
        f"WITH RECURSIVE staff_tree(id) AS ("
        f"SELECT {pk} FROM {table} WHERE {supervisor} = %s "
        f"UNION "
        f"SELECT p.{pk} FROM {table} p INNER JOIN staff_tree s ON p.{supervisor} = s.id"
        f") SELECT id FROM staff_tree"
    )
    return RawSQL(sql, (supervisor_id,))


def supervisor_chain_pk_subquery(profile_id: int) -> RawSQL:
    """Primary keys of a person's supervisor, their supervisor, and so on up (ONE subquery).

    Walking up is cheaper than walking down when asking "is X above Y?": a chain is a
    handful of rows, a subtree can be a whole city.
    """
    table, pk, supervisor = _profile_table()
    sql = (
        f"WITH RECURSIVE chain(id) AS ("
        f"SELECT {supervisor} FROM {table} WHERE {pk} = %s AND {supervisor} IS NOT NULL "
        f"UNION "
        f"SELECT p.{supervisor} FROM {table} p INNER JOIN chain c ON p.{pk} = c.id "
        f"WHERE p.{supervisor} IS NOT NULL"
        f") SELECT id FROM chain"
    )
    return RawSQL(sql, (profile_id,))


def profiles_with_related() -> QuerySet[LearnerProfile]:
    """Profiles with what every listing shows, fetched in the same query."""
    return LearnerProfile.objects.select_related("user", "city", "agency", "supervisor")


def staff_of(*, supervisor: LearnerProfile, indirect: bool = True) -> QuerySet[LearnerProfile]:
    """A supervisor's staff: direct only, or everyone below them (the default)."""
    if not indirect:
        return profiles_with_related().filter(supervisor_id=supervisor.pk)
    return profiles_with_related().filter(pk__in=staff_pk_subquery(supervisor.pk))


def is_above(*, supervisor: LearnerProfile, profile: LearnerProfile) -> bool:
    """Whether `supervisor` is somewhere in the supervisor chain above `profile`."""
    return (
        LearnerProfile.objects.filter(pk=supervisor.pk)
        .filter(pk__in=supervisor_chain_pk_subquery(profile.pk))
        .exists()
    )


def has_staff(*, profile: LearnerProfile) -> bool:
    return LearnerProfile.objects.filter(supervisor_id=profile.pk).exists()


def agency_subtree(*, agency: Agency) -> QuerySet[Agency]:
    """The agency and every unit below it: one prefix query on the materialised path."""
    return Agency.objects.filter(path__startswith=agency.path, city_id=agency.city_id)


def agency_subtree_profiles(*, agency: Agency) -> QuerySet[LearnerProfile]:
    """Everyone working in the agency or any unit below it."""
    return profiles_with_related().filter(
        agency__path__startswith=agency.path, city_id=agency.city_id
    )


def agencies_of_city(*, city: City) -> QuerySet[Agency]:
    """A city's agencies in tree order (parents before their children)."""
    return Agency.objects.filter(city=city).order_by("path")


def profile_by_nip(*, nip: str, city: City | None = None) -> LearnerProfile | None:
    qs = LearnerProfile.objects.filter(nip=(nip or "").strip().replace(" ", ""))
    if city is not None:
        qs = qs.filter(city=city)
    return qs.select_related("city").first()
