"""Quiz attempts as learner records: start and resume, the seeded draw, saving answers,
the deadline, the attempts limit, access, submitting (once) and what it completes."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.records import quiz_services, services, tasks
from lms.records.models import (
    ActivityProgress,
    AttemptCloser,
    AttemptQuestion,
    AttemptState,
    CourseCompletion,
    JpCredit,
    QuizAttempt,
    Statement,
)
from tests import quiz_factories as qf

from .conftest import h5p, post, view

pytestmark = pytest.mark.django_db


def make_quiz(setup, *, questions: int = 3, draws=(), **fields):
    """A quiz of ``setup``'s course with the key its quiz lesson places, made of
    ``questions`` single-choice questions (right answer "Benar")."""
    category = qf.category(setup.course, "Dasar")
    fixed = [
        qf.single_choice(category, name=f"Soal {n}", text=f"Soal nomor {n}?")
        for n in range(1, questions + 1)
    ]
    return qf.quiz(setup.course, questions=fixed, draws=draws, key=setup.quiz_key, **fields)


def right_response(row: AttemptQuestion) -> dict:
    right = next(a["id"] for a in row.spec["answers"] if a["fraction"] == "100.00")
    return {"choice": right}


def wrong_response(row: AttemptQuestion) -> dict:
    wrong = next(a["id"] for a in row.spec["answers"] if a["fraction"] != "100.00")
    return {"choice": wrong}


def start(world, quiz, *, user=None, lesson=None, **kwargs) -> QuizAttempt:
    return quiz_services.attempt_start(
        user=user or world.learner.user,
        quiz=quiz,
        lesson_key=(lesson or world.course.quiz_lesson).translation_key,
        **kwargs,
    )


def answer_all(attempt, *, right: int, user=None) -> None:
    """Answer the first ``right`` questions correctly and the others wrongly."""
    user = user or attempt.learner.user
    for row in attempt.questions.order_by("position"):
        response = right_response(row) if row.position <= right else wrong_response(row)
        quiz_services.answer_save(
            user=user, attempt_id=attempt.pk, position=row.position, response=response
        )


def progress_of(learner, key):
    return ActivityProgress.objects.filter(learner=learner, activity_key=key).first()


class StartTests:
    def test_start_copies_rules_questions_and_deadline(self, world):
        quiz = make_quiz(world.course, time_limit_minutes=10, pass_mark_percent=60)
        now = timezone.now()
        attempt = start(world, quiz, now=now)
        assert attempt.number == 1
        assert attempt.state == AttemptState.IN_PROGRESS
        assert attempt.course_key == world.course.course.translation_key
        assert attempt.rules["grading_method"] == "highest"
        assert attempt.pass_mark_percent == 60
        assert attempt.deadline_at == now + datetime.timedelta(minutes=10)
        rows = list(attempt.questions.order_by("position"))
        assert [row.spec["text"] for row in rows] == [
            "Soal nomor 1?",
            "Soal nomor 2?",
            "Soal nomor 3?",
        ]
        assert attempt.max_points == 3
        # The snapshot stays as drawn when the question is edited later.
        question = quiz.slots.first().question
        question.text = "Diubah"
        question.save()
        assert attempt.questions.get(position=1).spec["text"] == "Soal nomor 1?"

    def test_deadline_is_the_closing_time_when_that_comes_first(self, world):
        now = timezone.now()
        quiz = make_quiz(
            world.course, time_limit_minutes=60, closes_at=now + datetime.timedelta(minutes=5)
        )
        assert start(world, quiz, now=now).deadline_at == quiz.closes_at

    def test_starting_again_resumes_the_open_attempt_on_any_device(self, world):
        quiz = make_quiz(world.course)
        first = start(world, quiz)
        again = start(world, quiz)
        assert again.pk == first.pk
        assert QuizAttempt.objects.count() == 1

    def test_a_new_attempt_after_submitting_gets_the_next_number(self, world):
        quiz = make_quiz(world.course)
        first = start(world, quiz)
        quiz_services.attempt_submit(user=world.learner.user, attempt_id=first.pk)
        second = start(world, quiz)
        assert second.pk != first.pk and second.number == 2

    def test_attempts_limit_is_enforced(self, world):
        quiz = make_quiz(world.course, attempts_allowed=1)
        first = start(world, quiz)
        quiz_services.attempt_submit(user=world.learner.user, attempt_id=first.pk)
        with pytest.raises(quiz_services.NoAttemptsLeft) as refused:
            start(world, quiz)
        assert "1 attempts" in refused.value.message
        assert QuizAttempt.objects.count() == 1

    def test_a_quiz_not_open_yet_or_closed_is_refused(self, world):
        now = timezone.now()
        later = make_quiz(world.course, opens_at=now + datetime.timedelta(days=1))
        with pytest.raises(quiz_services.QuizClosed) as refused:
            start(world, later, now=now)
        assert "opens on" in refused.value.message
        later.opens_at, later.closes_at = now - datetime.timedelta(days=2), now
        later.save()
        with pytest.raises(quiz_services.QuizClosed):
            start(world, later, now=now)
        assert not QuizAttempt.objects.exists()

    def test_a_lesson_of_another_city_is_refused(self, world):
        quiz = qf.quiz(
            world.sorong_course.course,
            questions=[qf.single_choice(qf.category(world.sorong_course.course))],
            key=world.sorong_course.quiz_key,
        )
        with pytest.raises(quiz_services.AccessDenied):
            start(world, quiz, lesson=world.sorong_course.quiz_lesson)
        assert not QuizAttempt.objects.exists()

    def test_a_lesson_that_does_not_place_the_quiz_is_refused(self, world):
        quiz = make_quiz(world.course)
        with pytest.raises(quiz_services.AccessDenied):
            start(world, quiz, lesson=world.course.viewed)

    def test_a_user_without_a_learner_profile_is_refused(self, world, django_user_model):
        quiz = make_quiz(world.course)
        staff = django_user_model.objects.create_user(username="staf", password="x")
        with pytest.raises(quiz_services.AccessDenied):
            start(world, quiz, user=staff)


class DrawTests:
    def make(self, world, **fields):
        course = world.course.course
        pool = qf.category(course, "Bank")
        for n in range(12):
            qf.single_choice(pool, name=f"Acak {n}", text=f"Acak {n}?", wrong=("A", "B", "C"))
        fixed = qf.single_choice(qf.category(course, "Tetap"), name="Tetap", text="Tetap?")
        return qf.quiz(
            course, questions=[fixed], draws=[(pool, 5)], key=world.course.quiz_key, **fields
        )

    def test_the_draw_is_fixed_for_an_attempt_and_reproducible_from_its_seed(self, world):
        quiz = self.make(world, shuffle_questions=True)
        attempt = start(world, quiz)
        rows = list(attempt.questions.order_by("position"))
        assert len(rows) == 6
        assert len({row.question_key for row in rows}) == 6
        keys = [str(q.key) for q in quiz_services.draw_questions(quiz, attempt.seed)]
        assert keys == [row.spec["key"] for row in rows]
        # A reload (resume) shows the same questions in the same order.
        again = start(world, quiz)
        assert [r.spec["key"] for r in again.questions.order_by("position")] == keys

    def test_different_seeds_draw_differently(self, world):
        quiz = self.make(world)
        draws = {
            tuple(q.pk for q in quiz_services.draw_questions(quiz, seed)) for seed in range(10)
        }
        assert len(draws) > 1
        # The fixed question is always first when questions are not shuffled.
        assert all(draw[0] == quiz.slots.first().question_id for draw in draws)

    def test_answers_are_shuffled_per_attempt_when_the_quiz_says_so(self, world):
        quiz = self.make(world, shuffle_answers=True)
        orders = set()
        for _n in range(6):
            attempt = start(world, quiz)
            orders |= {tuple(row.answer_order) for row in attempt.questions.all()}
            quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)
        assert len(orders) > 1
        assert all(sorted(order) == [f"a{n}" for n in range(len(order))] for order in orders)


class AnswerSaveTests:
    def test_the_last_answer_wins(self, world):
        quiz = make_quiz(world.course)
        attempt = start(world, quiz)
        row = attempt.questions.get(position=1)
        user = world.learner.user
        quiz_services.answer_save(
            user=user, attempt_id=attempt.pk, position=1, response=wrong_response(row)
        )
        saved = quiz_services.answer_save(
            user=user, attempt_id=attempt.pk, position=1, response=right_response(row)
        )
        row.refresh_from_db()
        assert row.response == right_response(row)
        assert row.answered_at == saved.saved_at
        assert saved.seconds_left is None  # no time limit

    def test_a_response_that_does_not_fit_is_refused_and_nothing_changes(self, world):
        quiz = make_quiz(world.course)
        attempt = start(world, quiz)
        user = world.learner.user
        for position, response in [(1, {"choice": "a9"}), (1, {"value": True}), (9, {})]:
            with pytest.raises(quiz_services.BadResponse):
                quiz_services.answer_save(
                    user=user, attempt_id=attempt.pk, position=position, response=response
                )
        assert not AttemptQuestion.objects.filter(response__isnull=False).exists()

    def test_another_learners_attempt_is_not_found(self, world):
        quiz = make_quiz(world.course)
        attempt = start(world, quiz)
        other = world.new_learner()
        with pytest.raises(quiz_services.AttemptNotFound):
            quiz_services.answer_save(
                user=other.user, attempt_id=attempt.pk, position=1, response={}
            )
        with pytest.raises(quiz_services.AttemptNotFound):
            quiz_services.attempt_submit(user=other.user, attempt_id=attempt.pk)
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.IN_PROGRESS

    def test_after_submit_answers_are_refused(self, world):
        quiz = make_quiz(world.course)
        attempt = start(world, quiz)
        quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)
        with pytest.raises(quiz_services.AttemptSubmitted):
            quiz_services.answer_save(
                user=world.learner.user, attempt_id=attempt.pk, position=1, response={}
            )

    def test_after_the_deadline_the_answer_is_refused_and_the_attempt_graded(self, world):
        quiz = make_quiz(world.course, time_limit_minutes=1)
        began = timezone.now()
        attempt = start(world, quiz, now=began)
        row = attempt.questions.get(position=1)
        user = world.learner.user
        quiz_services.answer_save(
            user=user,
            attempt_id=attempt.pk,
            position=1,
            response=right_response(row),
            now=began + datetime.timedelta(seconds=30),
        )
        # Within the grace an answer still counts (it was on its way).
        quiz_services.answer_save(
            user=user,
            attempt_id=attempt.pk,
            position=2,
            response=right_response(attempt.questions.get(position=2)),
            now=began + datetime.timedelta(seconds=63),
        )
        with pytest.raises(quiz_services.TimeUp):
            quiz_services.answer_save(
                user=user,
                attempt_id=attempt.pk,
                position=3,
                response=right_response(attempt.questions.get(position=3)),
                now=began + datetime.timedelta(seconds=70),
            )
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.SUBMITTED
        assert attempt.closed_by == AttemptCloser.DEADLINE
        assert attempt.points == 2
        assert attempt.questions.get(position=3).response is None

    @pytest.mark.parametrize("count", [5, 20])
    def test_saving_an_answer_takes_a_constant_number_of_queries(self, world, count):
        quiz = make_quiz(world.course, questions=count)
        attempt = start(world, quiz)
        row = attempt.questions.get(position=count)
        with CaptureQueriesContext(connection) as queries:
            quiz_services.answer_save(
                user=world.learner.user,
                attempt_id=attempt.pk,
                position=count,
                response=right_response(row),
            )
        # Savepoint, learner lock, question + attempt, two updates, release.
        assert len(queries) <= 6, [q["sql"] for q in queries]


class SubmitTests:
    def test_submit_grades_and_reports_once(self, world):
        quiz = make_quiz(world.course, pass_mark_percent=60)
        attempt = start(world, quiz)
        answer_all(attempt, right=2)
        user = world.learner.user
        graded = quiz_services.attempt_submit(user=user, attempt_id=attempt.pk)
        assert graded.state == AttemptState.SUBMITTED
        assert graded.closed_by == AttemptCloser.LEARNER
        assert graded.points == 2
        assert graded.score_percent == pytest.approx(66.67)
        assert graded.passed is True
        again = quiz_services.attempt_submit(user=user, attempt_id=attempt.pk)
        assert (again.submitted_at, again.points) == (graded.submitted_at, graded.points)
        assert Statement.objects.filter(kind="quiz").count() == 1
        quiz_row = progress_of(world.learner, quiz.key)
        assert quiz_row.passed_at is not None
        assert quiz_row.best_score == pytest.approx(66.67)
        assert quiz_row.statement_count == 1

    def test_passing_completes_the_lesson_and_the_course_with_jp_once(self, world, learner_client):
        setup = world.course
        quiz = make_quiz(setup)
        # The other lessons are done through the browser's statements.
        assert post(learner_client, [view(lesson) for lesson in setup.lessons]).status_code == 200
        assert post(learner_client, h5p(setup, 0.9, completion=True)).status_code == 200
        assert not CourseCompletion.objects.exists()
        attempt = start(world, quiz)
        answer_all(attempt, right=3)
        for _n in range(2):
            quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)
        lesson = progress_of(world.learner, setup.quiz_lesson.translation_key)
        assert lesson.completed_at is not None
        assert CourseCompletion.objects.filter(learner=world.learner).count() == 1
        assert sum(JpCredit.objects.values_list("jp", flat=True)) == 2

    def test_a_failed_attempt_does_not_complete_the_lesson_and_a_later_pass_does(self, world):
        quiz = make_quiz(world.course, pass_mark_percent=100)
        first = start(world, quiz)
        answer_all(first, right=1)
        quiz_services.attempt_submit(user=world.learner.user, attempt_id=first.pk)
        lesson_key = world.course.quiz_lesson.translation_key
        assert progress_of(world.learner, lesson_key).completed_at is None
        assert progress_of(world.learner, quiz.key).passed_at is None
        second = start(world, quiz)
        answer_all(second, right=3)
        quiz_services.attempt_submit(user=world.learner.user, attempt_id=second.pk)
        assert progress_of(world.learner, lesson_key).completed_at is not None

    def test_a_server_result_retried_is_acknowledged_without_change(self, world):
        quiz = make_quiz(world.course)
        attempt = start(world, quiz)
        answer_all(attempt, right=3)
        attempt = quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)
        result = services.quiz_result_record(attempt=attempt, quiz_grade_percent=100, passed=True)
        assert (result.stored, result.duplicates) == (0, 1)
        assert progress_of(world.learner, quiz.key).statement_count == 1


class CloseOverdueTests:
    def test_overdue_attempts_are_closed_and_graded_once(self, world):
        quiz = make_quiz(world.course, time_limit_minutes=5)
        began = timezone.now() - datetime.timedelta(minutes=10)
        overdue = start(world, quiz, now=began)
        quiz_services.answer_save(
            user=world.learner.user,
            attempt_id=overdue.pk,
            position=1,
            response=right_response(overdue.questions.get(position=1)),
            now=began + datetime.timedelta(minutes=1),
        )
        other = world.new_learner()
        running = start(world, quiz, user=other.user)
        assert quiz_services.attempts_close_overdue() == 1
        # The periodic task runs the same; nothing is left to close.
        assert tasks.quiz_attempts_close_overdue.call() == 0
        overdue.refresh_from_db()
        running.refresh_from_db()
        assert overdue.state == AttemptState.SUBMITTED
        assert overdue.closed_by == AttemptCloser.DEADLINE
        assert overdue.points == 1
        assert running.state == AttemptState.IN_PROGRESS
        assert Statement.objects.filter(kind="quiz").count() == 1

    def test_the_cron_command_closes_what_is_overdue(self, world):
        from io import StringIO

        from django.core.management import call_command

        quiz = make_quiz(world.course, time_limit_minutes=5)
        overdue = start(world, quiz, now=timezone.now() - datetime.timedelta(minutes=10))
        out = StringIO()
        call_command("close_overdue_attempts", stdout=out)
        assert "1" in out.getvalue()
        overdue.refresh_from_db()
        assert overdue.state == AttemptState.SUBMITTED
        assert overdue.closed_by == AttemptCloser.DEADLINE


class BrowserQuizStatementTests:
    def test_a_quiz_result_from_the_browser_is_refused(self, world, learner_client):
        from .conftest import _post, quiz_passed

        response = _post(learner_client, quiz_passed(world.course))
        assert response.status_code == 403
        assert "graded by the server" in response.json()["error"]
        assert not Statement.objects.exists()

    def test_lesson_statements_still_record(self, world, learner_client):
        assert post(learner_client, view(world.course.viewed)).status_code == 200
        assert Statement.objects.count() == 1


def test_attempt_ids_are_not_guessable_by_number():
    # The attempt's id is the only handle a URL carries: a random UUID.
    assert isinstance(QuizAttempt._meta.pk.default(), uuid.UUID)
