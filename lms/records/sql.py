"""The learner a statement is about, locked with their city and last active day, as SQL
built once (see lms.core.sql): the first query of every statement request."""

import functools

from lms.core import sql
from lms.people.models import City, LearnerProfile
from lms.records.models import LearnerActivity


@functools.lru_cache(maxsize=8)
def _learner_sql(wrapper, by: str, lock: bool) -> str:
    qn = wrapper.ops.quote_name
    profile, _f, _c = sql.columns(wrapper, LearnerProfile, "p")
    city, _f, _c = sql.columns(wrapper, City, "c")
    activity, _f, _c = sql.columns(wrapper, LearnerActivity, "a")
    column = qn("user_id" if by == "user" else "id")
    query = (
        f"SELECT {profile}, {city}, {activity} "
        f"FROM {qn(LearnerProfile._meta.db_table)} {qn('p')} "
        f"INNER JOIN {qn(City._meta.db_table)} {qn('c')} ON {qn('c')}.{qn('id')} = "
        f"{qn('p')}.{qn('city_id')} "
        f"LEFT OUTER JOIN {qn(LearnerActivity._meta.db_table)} {qn('a')} ON "
        f"{qn('a')}.{qn('learner_id')} = {qn('p')}.{qn('id')} "
        f"WHERE {qn('p')}.{column} = %s AND {qn('p')}.{qn('is_active')}"
    )
    if lock and wrapper.features.has_select_for_update:
        # SQLite has no row locks: its writes are serialised by the database lock.
        query += " " + wrapper.ops.for_update_sql(of=(qn("p"),), no_key=True)
    return query


def learner_with_city_and_activity(*, user_id=None, learner_id=None, lock: bool):
    """The active LearnerProfile of a user (or by id), with its city and its
    LearnerActivity (None when it has none) already attached, as
    ``select_related("city", "last_activity")`` would; locked FOR NO KEY UPDATE (OF the
    profile row only) when ``lock`` and the database has row locks. None when there is
    no such active learner."""
    wrapper = sql.current_connection()
    by = "user" if user_id is not None else "id"
    with sql.cursor() as cursor:
        cursor.execute(
            _learner_sql(wrapper, by, lock), [user_id if user_id is not None else learner_id]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    sizes = [len(model._meta.concrete_fields) for model in (LearnerProfile, City)]
    profile = sql.instance(LearnerProfile, "p", row[: sizes[0]])
    city = sql.instance(City, "c", row[sizes[0] : sizes[0] + sizes[1]])
    activity_values = row[sizes[0] + sizes[1] :]
    activity = None
    if activity_values[0] is not None:  # its primary key: the LEFT JOIN found a row
        activity = sql.instance(LearnerActivity, "a", activity_values)
    LearnerProfile.city.field.set_cached_value(profile, city)
    LearnerProfile.last_activity.related.set_cached_value(profile, activity)
    if activity is not None:
        LearnerActivity.learner.field.set_cached_value(activity, profile)
    return profile
