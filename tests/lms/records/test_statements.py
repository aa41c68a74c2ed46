"""The statement endpoint and the write path: idempotency, conflicts, access, monotonic
progress, completion and JP credited exactly once, constant query count."""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lms.records import selectors, services, xapi
from lms.records.models import (
    ActivityKind,
    ActivityProgress,
    CourseCompletion,
    Enrolment,
    JpCredit,
    Rollup,
    Statement,
)
from tests.factories import StaffUserFactory

from .conftest import (
    build_course,
    complete_all,
    h5p,
    post,
    quiz_passed,
    quiz_result,
    statement,
    view,
)

pytestmark = pytest.mark.django_db


def progress_of(learner, key) -> ActivityProgress | None:
    return ActivityProgress.objects.filter(learner=learner, activity_key=key).first()


def rollup_total(name: str, **filters) -> int:
    return sum(getattr(r, name) for r in Rollup.objects.filter(**filters))


class StatementEndpointTests:
    def test_a_statement_is_stored_and_answered_with_its_id(self, learner_client, world):
        payload = view(world.course.viewed)
        response = post(learner_client, payload)
        assert response.status_code == 200, response.content
        assert response.json() == [payload["id"]]
        assert response["X-Experience-API-Version"] == "1.0.3"
        stored = Statement.objects.get()
        assert str(stored.id) == payload["id"]
        assert stored.learner == world.learner
        # The server sets actor, timestamp and stored.
        assert stored.payload["actor"]["account"]["name"] == world.learner.nip
        assert stored.payload["stored"] == stored.payload["timestamp"]

    def test_the_same_event_sent_twice_is_stored_once_and_counted_once(self, learner_client, world):
        payload = view(world.course.viewed, duration="PT1M")
        assert post(learner_client, payload).status_code == 200
        again = dict(payload, timestamp="2020-01-01T00:00:00Z")  # a retry from another clock
        assert post(learner_client, again).status_code == 200
        assert Statement.objects.count() == 1
        lesson = progress_of(world.learner, world.course.viewed.translation_key)
        assert lesson.statement_count == 1
        assert lesson.time_spent_seconds == 60
        assert rollup_total("started", course_key=world.course.course.translation_key) == 1

    def test_a_batch_with_repeats_inside_and_across_requests_counts_each_once(
        self, learner_client, world
    ):
        first = view(world.course.viewed)
        second = h5p(world.course, 0.5)
        assert post(learner_client, [first, second, first]).status_code == 200
        assert post(learner_client, [second, first]).status_code == 200
        assert Statement.objects.count() == 2
        assert progress_of(world.learner, world.course.h5p_key).statement_count == 1

    def test_same_id_with_different_content_is_refused_with_409_and_nothing_changes(
        self, learner_client, world
    ):
        payload = h5p(world.course, 0.5)
        assert post(learner_client, payload).status_code == 200
        changed = h5p(world.course, 0.9, statement_id=payload["id"])
        fresh = view(world.course.quiz_lesson)
        response = post(learner_client, [fresh, changed])
        assert response.status_code == 409
        assert response.json()["statement_id"] == payload["id"]
        assert Statement.objects.count() == 1
        assert progress_of(world.learner, world.course.h5p_key).best_score == 50

    def test_another_learner_reusing_an_id_gets_409(self, client, world):
        payload = view(world.course.viewed)
        client.force_login(world.learner.user)
        assert post(client, payload).status_code == 200
        client.force_login(world.new_learner().user)
        assert post(client, payload).status_code == 409
        assert Statement.objects.count() == 1

    def test_not_logged_in_is_401(self, client, world):
        assert post(client, view(world.course.viewed)).status_code == 401
        assert not Statement.objects.exists()

    def test_staff_without_a_learner_profile_is_refused(self, client, world):
        client.force_login(StaffUserFactory())
        assert post(client, view(world.course.viewed)).status_code == 403
        assert not Statement.objects.exists()

    def test_csrf_header_is_required(self, world):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.learner.user)
        token = "a" * 32  # a CSRF secret, as the cookie holds it
        client.cookies["csrftoken"] = token
        assert post(client, view(world.course.viewed)).status_code == 403
        response = post(client, view(world.course.viewed), HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200
        assert Statement.objects.count() == 1

    def test_the_version_header_is_required(self, learner_client, world):
        response = learner_client.post(
            "/xapi/statements", data="{}", content_type="application/json"
        )
        assert response.status_code == 400
        assert "X-Experience-API-Version" in response.json()["error"]

    def test_get_needs_the_version_header_and_shows_only_the_learners_own(
        self, learner_client, world
    ):
        mine = view(world.course.viewed)
        assert post(learner_client, mine).status_code == 200
        colleague = Client()
        colleague.force_login(world.new_learner().user)
        theirs = view(world.course.viewed)
        assert post(colleague, theirs).status_code == 200

        bare = learner_client.get("/xapi/statements")
        assert bare.status_code == 400
        assert "X-Experience-API-Version" in bare.json()["error"]

        response = learner_client.get("/xapi/statements", HTTP_X_EXPERIENCE_API_VERSION="1.0.3")
        assert response.status_code == 200
        assert [s["id"] for s in response.json()["statements"]] == [mine["id"]]
        assert response.json()["statements"][0]["actor"]["account"]["name"] == world.learner.nip
        # Asking for the colleague's statement by id finds nothing either.
        single = learner_client.get(
            "/xapi/statements", {"statementId": theirs["id"]}, HTTP_X_EXPERIENCE_API_VERSION="1.0.3"
        )
        assert single.status_code == 404


class AccessTests:
    def test_another_citys_course_is_403_and_nothing_is_stored(self, learner_client, world):
        response = post(
            learner_client, [view(world.course.viewed), view(world.sorong_course.viewed)]
        )
        assert response.status_code == 403
        assert "curriculum" in response.json()["error"]
        assert not Statement.objects.exists()
        assert not ActivityProgress.objects.exists()

    def test_a_national_course_the_city_did_not_adopt_is_403(self, client, world):
        client.force_login(world.new_learner(city=world.sorong).user)
        assert post(client, view(world.national.viewed)).status_code == 403
        assert not Statement.objects.exists()

    def test_a_national_course_the_city_adopted_is_accepted(self, learner_client, world):
        assert post(learner_client, view(world.national.viewed)).status_code == 200

    def test_an_unknown_lesson_is_403(self, learner_client, world):
        assert post(learner_client, statement("lesson", uuid.uuid4())).status_code == 403

    def test_an_unpublished_lesson_is_403(self, learner_client, world):
        world.course.viewed.unpublish()
        assert post(learner_client, view(world.course.viewed)).status_code == 403

    def test_an_activity_that_is_not_in_the_lesson_is_400(self, learner_client, world):
        payload = statement("h5p", uuid.uuid4(), lesson=world.course.h5p_lesson, verb="answered")
        response = post(learner_client, payload)
        assert response.status_code == 400
        assert "not part of the lesson" in response.json()["error"]
        assert not Statement.objects.exists()


class ProgressTests:
    def test_progress_never_goes_down(self, learner_client, world):
        key = world.course.h5p_key
        post(learner_client, h5p(world.course, 0.7, verb="progressed", progress=60))
        post(learner_client, h5p(world.course, 0.4, verb="progressed", progress=30))
        row = progress_of(world.learner, key)
        assert row.progress == 60
        assert row.best_score == 70
        assert row.last_score == 40

    def test_completed_at_is_set_once_on_the_first_crossing(self, learner_client, world):
        post(learner_client, h5p(world.course, 0.5, verb="completed"))
        first = progress_of(world.learner, world.course.h5p_key).completed_at
        post(learner_client, h5p(world.course, 0.6, verb="completed"))
        row = progress_of(world.learner, world.course.h5p_key)
        assert row.completed_at == first
        assert row.progress == 100

    def test_sub_content_statements_are_stored_but_do_not_grade(self, learner_client, world):
        child = statement(
            "h5p",
            world.course.h5p_key,
            verb="answered",
            lesson=world.course.h5p_lesson,
            score={"scaled": 1.0},
            sub_content="abc-123",
        )
        assert post(learner_client, child).status_code == 200
        assert Statement.objects.get().is_child
        assert not ActivityProgress.objects.exists()

    def test_time_spent_adds_up_on_activity_lesson_and_course(self, learner_client, world):
        post(
            learner_client,
            [h5p(world.course, 0.2, duration="PT30S"), h5p(world.course, 0.3, duration="PT1M")],
        )
        assert progress_of(world.learner, world.course.h5p_key).time_spent_seconds == 90
        assert (
            progress_of(world.learner, world.course.h5p_lesson.translation_key).time_spent_seconds
            == 90
        )
        assert (
            progress_of(world.learner, world.course.course.translation_key).time_spent_seconds == 90
        )

    def test_first_statement_enrols_the_learner(self, learner_client, world):
        post(learner_client, view(world.course.viewed))
        enrolment = Enrolment.objects.get()
        assert enrolment.source == Enrolment.Source.ACTIVITY


class CompletionTests:
    def test_each_rule_is_evaluated_on_the_server(self, learner_client, world):
        setup = world.course
        post(learner_client, view(setup.viewed))
        assert progress_of(world.learner, setup.viewed.translation_key).completed_at

        post(learner_client, h5p(setup, 0.7))
        assert progress_of(world.learner, setup.h5p_lesson.translation_key).completed_at is None
        post(learner_client, h5p(setup, 0.85))
        lesson = progress_of(world.learner, setup.h5p_lesson.translation_key)
        assert lesson.completed_at is not None
        assert lesson.criteria["rule"] == "h5p_score" and lesson.criteria["threshold"] == 80

        post(
            learner_client,
            statement(
                "quiz", setup.quiz_key, verb="failed", lesson=setup.quiz_lesson, success=False
            ),
        )
        assert progress_of(world.learner, setup.quiz_lesson.translation_key).completed_at is None
        assert not CourseCompletion.objects.exists()
        post(learner_client, quiz_passed(setup))
        assert progress_of(world.learner, setup.quiz_lesson.translation_key).completed_at

        completion = CourseCompletion.objects.get()
        course = setup.course
        assert completion.course_key == course.translation_key
        assert completion.course_title == course.title
        assert completion.jp == course.jp_value
        assert completion.learning_form == "e_learning"
        assert completion.organiser == world.jakarta.bkpsdm_name
        assert completion.year == completion.completed_on.year
        assert completion.certificate_number.startswith("ASN-")
        assert [c["rule"] for c in completion.criteria["lessons"]] == [
            "viewed",
            "h5p_score",
            "quiz_passed",
        ]
        assert rollup_total("completed", course_key=course.translation_key) == 1

    def test_completion_and_jp_are_credited_exactly_once(self, learner_client, world):
        batch = complete_all(world.course)
        assert post(learner_client, batch).status_code == 200
        assert post(learner_client, batch).status_code == 200
        post(learner_client, quiz_passed(world.course))  # new statement, already complete
        assert CourseCompletion.objects.count() == 1
        assert sum(JpCredit.objects.values_list("jp", flat=True)) == world.course.course.jp_value
        assert rollup_total("jp") == world.course.course.jp_value
        assert rollup_total("completed") == 1

    def test_lessons_not_required_do_not_block_completion(self, learner_client, world):
        setup = build_course(world.jakarta_curriculum, extra_lessons=0)
        from tests.courses.conftest import make_lesson

        make_lesson(setup.course, title="Opsional", is_required=False)
        post(learner_client, complete_all(setup)[:3] + complete_all(setup)[3:])
        assert CourseCompletion.objects.filter(course_key=setup.course.translation_key).exists()

    def test_completion_sends_the_notification_after_commit(
        self, learner_client, world, mailoutbox, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            post(learner_client, complete_all(world.course))
        # One message per completion: the certificate-issued notification, with the
        # certificate number and the JP credited.
        assert len(mailoutbox) == 1
        completion = CourseCompletion.objects.get()
        assert completion.certificate_number in mailoutbox[0].body
        assert f"{completion.jp} JP" in mailoutbox[0].body


def work_queries(captured) -> list[str]:
    """Queries that do work: without BEGIN/COMMIT/SAVEPOINT, which SQLite logs (and the
    test's own transaction adds) but which cost no round trip in production on PostgreSQL."""
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [q["sql"] for q in captured if not q["sql"].startswith(control)]


class QueryCountTests:
    @pytest.mark.parametrize("extra_lessons", [0, 27])
    def test_constant_queries_per_statement_whatever_the_course_size(
        self, world, extra_lessons, django_assert_max_num_queries
    ):
        setup = build_course(world.jakarta_curriculum, extra_lessons=extra_lessons)
        assert len(setup.lessons) in (3, 30)
        user = world.learner.user

        def record(payload):
            services.statements_record(user=user, statements=xapi.parse_statements([payload]))

        record(view(setup.viewed))  # the first start also writes the enrolment
        record(h5p(setup, 0.3, verb="progressed", progress=10))  # the first score
        # Steady state (counting the test transaction's SAVEPOINT and RELEASE too).
        with django_assert_max_num_queries(8):
            record(view(setup.viewed))
        with django_assert_max_num_queries(8):
            record(h5p(setup, 0.2, verb="progressed", progress=20))
        # A state change (a better score) adds the rollup upsert.
        with CaptureQueriesContext(connection) as captured:
            record(h5p(setup, 0.6))
        assert len(work_queries(captured)) <= 8, work_queries(captured)
        # Completing the course adds the completion, the ledger and the rollups: still
        # a constant, whatever the number of lessons.
        with CaptureQueriesContext(connection) as captured:
            record(h5p(setup, 0.95))
            # The quiz result comes from the server's grading (quiz_result_record).
            quiz_result(world.learner, quiz_passed(setup))
        assert CourseCompletion.objects.exists() is (extra_lessons == 0)
        assert len(work_queries(captured)) <= 2 * 8 + 4, work_queries(captured)
        retry = h5p(setup, 0.1)
        record(retry)
        with django_assert_max_num_queries(5):  # a retry: profile, insert, compare
            record(retry)

    def test_the_browser_request_adds_only_the_session_and_the_user(self, world, learner_client):
        """The whole HTTP request, as the lesson page sends it: the session and its user,
        then the write path's four (lock the learner, insert the statement, read and
        upsert the progress; on PostgreSQL the insert and the read are sent as one). Roles
        are not looked up: the write path checks the learner."""
        from lms.core import sql

        setup = world.course
        assert post(learner_client, view(setup.viewed)).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            response = post(learner_client, view(setup.viewed))
        assert response.status_code == 200
        queries = work_queries(captured.captured_queries)
        assert len(queries) == (5 if sql.can_chain() else 6), queries
        assert not [q for q in queries if "people_cityrole" in q or "auth_group" in q]


class SelectorTests:
    def test_lesson_progress_reads_in_one_query(
        self, learner_client, world, django_assert_num_queries
    ):
        setup = world.course
        post(learner_client, [view(setup.viewed), h5p(setup, 0.5)])
        keys = [lesson.translation_key for lesson in setup.lessons]
        with django_assert_num_queries(1):
            progress = selectors.lesson_progress(world.learner.user, keys)
        assert progress[setup.viewed.translation_key].completed
        assert not progress[setup.h5p_lesson.translation_key].completed
        assert progress[setup.h5p_lesson.translation_key].score_percent == 50
        assert setup.quiz_lesson.translation_key not in progress

    def test_course_progress_and_continue(self, learner_client, world):
        setup = world.course
        post(learner_client, [view(setup.viewed), h5p(setup, 0.5)])
        progress = selectors.course_progress(
            learner=world.learner, course_key=setup.course.translation_key
        )
        assert progress.percent == 33
        assert not progress.is_complete
        items = selectors.continue_where_left_off(learner=world.learner)
        assert [i.course_key for i in items] == [setup.course.translation_key]
        post(learner_client, complete_all(setup))
        assert selectors.continue_where_left_off(learner=world.learner) == []
        assert selectors.course_progress(
            learner=world.learner, course_key=setup.course.translation_key
        ).is_complete

    def test_kinds_of_rows(self, learner_client, world):
        post(learner_client, h5p(world.course, 0.5))
        kinds = set(ActivityProgress.objects.values_list("kind", flat=True))
        assert kinds == {ActivityKind.COURSE, ActivityKind.LESSON, ActivityKind.H5P}
