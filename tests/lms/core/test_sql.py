"""lms.core.sql and lms.records.sql: the hot path's SQL built once must give the very rows
the ORM gives (same values, same Python types after the converters), on SQLite and on
PostgreSQL."""

import datetime
import uuid

import pytest
from django.db import transaction
from django.db.models.fields.related import ForeignKey

from lms.core import sql
from lms.people.backends import NipOrEmailBackend
from lms.people.models import City, LearnerProfile, User
from lms.records import sql as records_sql
from lms.records.models import ActivityKind, ActivityProgress, LearnerActivity
from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db


def same_fields(ours, orms) -> None:
    assert type(ours) is type(orms)
    for field in type(orms)._meta.concrete_fields:
        mine, theirs = getattr(ours, field.attname), getattr(orms, field.attname)
        assert mine == theirs, field.name
        assert type(mine) is type(theirs), field.name
    assert ours._state.adding is False


def a_statement(learner, pk):
    from lms.records.models import Statement

    now = datetime.datetime(2026, 5, 1, 8, 30, tzinfo=datetime.UTC)
    return Statement(
        id=pk,
        learner=learner,
        verb="http://adlnet.gov/expapi/verbs/experienced",
        object_iri="http://x.example/a",
        content_hash="0" * 64,
        batch_token=uuid.uuid4(),
        timestamp=now,
        stored_at=now,
        payload={"id": str(pk)},
        city_id=learner.city_id,
    )


@pytest.fixture
def learner():
    profile = LearnerFactory()
    return LearnerProfile.objects.get(pk=profile.pk)


class LearnerTests:
    def test_without_an_activity_row_it_matches_select_related(self, learner):
        ours = records_sql.learner_with_city_and_activity(user_id=learner.user_id, lock=False)
        orms = LearnerProfile.objects.select_related("city", "last_activity").get(pk=learner.pk)
        same_fields(ours, orms)
        same_fields(ours.city, orms.city)
        assert LearnerProfile.last_activity.is_cached(ours)
        with pytest.raises(LearnerActivity.DoesNotExist):
            _ = ours.last_activity

    def test_with_an_activity_row_and_by_id_under_a_lock(self, learner):
        LearnerActivity.objects.create(
            learner=learner, last_active_on=datetime.date(2026, 5, 1), counted_city_id=7
        )
        with transaction.atomic():
            ours = records_sql.learner_with_city_and_activity(learner_id=learner.pk, lock=True)
        orms = LearnerProfile.objects.select_related("city", "last_activity").get(pk=learner.pk)
        same_fields(ours.last_activity, orms.last_activity)
        assert ours.last_activity.last_active_on == datetime.date(2026, 5, 1)
        assert ours.last_activity.learner is ours

    def test_an_inactive_or_unknown_learner_is_none(self, learner):
        LearnerProfile.objects.filter(pk=learner.pk).update(is_active=False)
        assert records_sql.learner_with_city_and_activity(learner_id=learner.pk, lock=False) is None
        assert records_sql.learner_with_city_and_activity(user_id=10**9, lock=False) is None


class RowTests:
    def test_by_pk_matches_the_orm_and_misses_give_none(self, learner):
        same_fields(sql.by_pk(User, learner.user_id), User.objects.get(pk=learner.user_id))
        same_fields(sql.by_pk(City, learner.city_id), City.objects.get(pk=learner.city_id))
        assert sql.by_pk(User, 10**9) is None

    def test_the_backend_refuses_an_inactive_user(self, learner):
        backend = NipOrEmailBackend()
        assert backend.get_user(str(learner.user_id)).pk == learner.user_id
        User.objects.filter(pk=learner.user_id).update(is_active=False)
        assert backend.get_user(str(learner.user_id)) is None

    def test_rows_of_learner_reads_what_upsert_wrote(self, learner):
        now = datetime.datetime(2026, 5, 1, 8, 30, tzinfo=datetime.UTC)
        course, other = uuid.uuid4(), uuid.uuid4()
        row = ActivityProgress(
            learner=learner,
            kind=ActivityKind.COURSE,
            activity_key=course,
            course_key=course,
            progress=40,
            best_score=55.5,
            started_at=now,
            last_activity_at=now,
            criteria={"rule": "viewed", "lessons": [str(other)]},
        )
        sql.upsert(
            ActivityProgress, [row], unique=("learner", "activity_key"), update=("progress",)
        )
        row.progress = 60
        sql.upsert(
            ActivityProgress, [row], unique=("learner", "activity_key"), update=("progress",)
        )
        (ours,) = sql.rows_of_learner_read(
            ActivityProgress, learner_id=learner.pk, any_of={"course_key": [course]}
        ).run()
        same_fields(ours, ActivityProgress.objects.get(learner=learner, activity_key=course))
        assert ours.progress == 60 and ours.criteria == {"rule": "viewed", "lessons": [str(other)]}
        other_course = sql.rows_of_learner_read(
            ActivityProgress, learner_id=learner.pk, any_of={"course_key": [other]}
        )
        assert other_course.run() == []
        # Nothing to look for: no query at all.
        assert (
            sql.rows_of_learner_read(
                ActivityProgress,
                learner_id=learner.pk,
                any_of={"course_key": [], "activity_key": []},
            )
            is None
        )

    def test_insert_ignoring_conflicts_returns_only_new_keys(self, learner):
        from lms.records.models import Statement

        def statement(pk):
            return a_statement(learner, pk)

        first, second = uuid.uuid4(), uuid.uuid4()
        assert sql.insert_ignoring_conflicts(Statement, [statement(first)]) == {first}
        inserted = sql.insert_ignoring_conflicts(Statement, [statement(first), statement(second)])
        assert inserted == {second}
        assert Statement.objects.get(pk=second).payload == {"id": str(second)}


def test_the_foreign_keys_covered_by_composite_indexes_have_none_of_their_own():
    from lms.records.models import Statement

    for name in ("learner", "city"):
        field = Statement._meta.get_field(name)
        assert isinstance(field, ForeignKey) and field.db_index is False
    leading = {tuple(index.fields[:1]) for index in Statement._meta.indexes}
    assert ("learner",) in leading and ("city",) in leading


def course_progress(learner, course: uuid.UUID, **extra) -> ActivityProgress:
    now = datetime.datetime(2026, 5, 1, 8, 30, tzinfo=datetime.UTC)
    return ActivityProgress.objects.create(
        learner=learner,
        kind=ActivityKind.COURSE,
        activity_key=course,
        course_key=course,
        started_at=now,
        last_activity_at=now,
        **extra,
    )


def test_a_chained_read_sees_the_rows_as_a_separate_read_does():
    """On PostgreSQL the statement insert carries the progress read in the same round
    trip; the rows read must be those a separate read gives."""
    from lms.records.models import Statement

    if not sql.can_chain():
        pytest.skip("Only PostgreSQL's WITH may hold an INSERT")
    learner = LearnerFactory()
    course = uuid.uuid4()
    course_progress(learner, course, progress=20)
    read = sql.rows_of_learner_read(
        ActivityProgress, learner_id=learner.pk, any_of={"course_key": [course]}
    )
    pk = uuid.uuid4()
    row = a_statement(learner, pk)
    inserted, rows = sql.insert_ignoring_conflicts(Statement, [row], then=read)
    assert inserted == {pk}
    (chained,) = rows
    same_fields(chained, read.run()[0])
    # A retry inserts nothing and still reads.
    assert sql.insert_ignoring_conflicts(Statement, [row], then=read)[0] == set()


def test_a_chained_read_that_finds_no_row_still_returns_the_inserted_keys():
    from lms.records.models import Statement

    if not sql.can_chain():
        pytest.skip("Only PostgreSQL's WITH may hold an INSERT")
    learner = LearnerFactory()
    courses = [uuid.uuid4(), uuid.uuid4()]
    for course in courses:
        course_progress(learner, course)
    nothing = sql.rows_of_learner_read(
        ActivityProgress, learner_id=learner.pk, any_of={"course_key": [uuid.uuid4()]}
    )
    first, second = uuid.uuid4(), uuid.uuid4()
    rows = [a_statement(learner, first), a_statement(learner, second)]
    assert sql.insert_ignoring_conflicts(Statement, rows, then=nothing) == ({first, second}, [])
    # Two rows found: each carries the same keys, and both rows come back.
    both = sql.rows_of_learner_read(
        ActivityProgress, learner_id=learner.pk, any_of={"course_key": courses}
    )
    third = uuid.uuid4()
    inserted, found = sql.insert_ignoring_conflicts(
        Statement, [a_statement(learner, third), rows[0]], then=both
    )
    assert inserted == {third}
    assert sorted(row.course_key for row in found) == sorted(courses)
    assert Statement.objects.filter(pk__in=[first, second, third]).count() == 3


def prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


class PreparedTests:
    """On PostgreSQL this module's queries are prepared (lms.config sets a threshold);
    the ORM's are not, and a rollback (which makes psycopg drop them all) is harmless."""

    @pytest.fixture(autouse=True)
    def postgresql(self):
        if not sql.prepares():
            pytest.skip("prepared statements: PostgreSQL only")

    def test_a_hot_query_is_prepared_after_the_threshold_and_the_orm_is_not(self, learner):
        from django.db import connection

        threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
        for _ in range(threshold + 1):
            assert sql.by_pk(User, learner.user_id).pk == learner.user_id
            assert City.objects.filter(pk=learner.city_id).exists()
        prepared = prepared_statements()
        assert any('FROM "people_user"' in statement for statement in prepared)
        assert not any('FROM "people_city"' in statement for statement in prepared)

    def test_after_a_rollback_the_queries_are_prepared_again(self, learner):
        from django.db import DatabaseError, connection

        threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
        for _ in range(threshold + 1):
            sql.by_pk(User, learner.user_id)
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        assert sql.by_pk(User, learner.user_id).pk == learner.user_id
        for _ in range(threshold + 1):
            same_fields(sql.by_pk(User, learner.user_id), User.objects.get(pk=learner.user_id))
        assert any('FROM "people_user"' in statement for statement in prepared_statements())

    def test_while_queries_are_logged_their_text_is_logged(self, learner):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
        with CaptureQueriesContext(connection) as captured:
            for _ in range(threshold + 2):
                sql.by_pk(User, learner.user_id)
        assert len(captured) == threshold + 2
        assert all('FROM "people_user"' in query["sql"] for query in captured)

    def test_turned_off_nothing_is_prepared(self, learner):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")  # psycopg forgets its own record of them too
        threshold = connection.settings_dict["OPTIONS"].pop("prepare_threshold")
        try:
            assert not sql.prepares()
            for _ in range(threshold + 5):
                assert sql.by_pk(User, learner.user_id).pk == learner.user_id
            assert prepared_statements() == []
        finally:
            connection.settings_dict["OPTIONS"]["prepare_threshold"] = threshold
