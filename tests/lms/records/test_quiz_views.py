"""The learner's quiz pages and the JSON answer endpoint: start/resume, saving, the
deadline, review options (no answer key before they allow it), permissions and queries."""

import datetime
import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lms.records import quiz_selectors, quiz_services
from lms.records.models import AttemptQuestion, AttemptState, QuizAttempt
from tests import quiz_factories as qf

from .test_quiz_attempts import make_quiz, right_response, start

pytestmark = pytest.mark.django_db


def start_url(setup, lesson=None):
    return reverse(
        "quiz:start",
        kwargs={
            "quiz_key": setup.quiz_key,
            "lesson_key": (lesson or setup.quiz_lesson).translation_key,
        },
    )


def post_answer(client, attempt, position, response):
    return client.post(
        reverse("quiz:answer", args=[attempt.pk]),
        data=json.dumps({"position": position, "response": response}),
        content_type="application/json",
    )


def secret_quiz(setup, **fields):
    """A quiz whose answer key is easy to look for in a page: feedback, an accepted short
    answer, a numeric value and a matching pair no learner-facing text contains."""
    category = qf.category(setup.course, "Rahasia")
    single = qf.question(
        category,
        "single",
        text="Ibu kota?",
        general_feedback="UMUMRAHASIA",
        answers=[("Jakarta", 100, "FEEDBACKBENAR"), ("Bandung", 0, "FEEDBACKSALAH")],
    )
    short = qf.question(category, "short", text="Kota?", answers=[("KUNCIPENDEK", 100)])
    numeric = qf.question(category, "numeric", text="Berapa?", answers=[("4242.5", 100)])
    matching = qf.question(
        category,
        "matching",
        text="Pasangkan",
        answers=[
            {"text": "Merah", "match_text": "Red"},
            {"text": "Biru", "match_text": "Blue"},
        ],
    )
    return qf.quiz(
        setup.course,
        questions=[single, short, numeric, matching],
        key=setup.quiz_key,
        **fields,
    )


SECRETS = ("FEEDBACKBENAR", "FEEDBACKSALAH", "UMUMRAHASIA", "KUNCIPENDEK", "4242.5", "100.00")


class StartPageTests:
    def test_intro_rules_and_start_button(self, world, learner_client):
        make_quiz(world.course, time_limit_minutes=15, attempts_allowed=2, intro="Selamat.")
        response = learner_client.get(start_url(world.course))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Selamat." in html
        assert "Time limit: 15 minutes" in html
        assert "You may make 2 attempts." in html
        assert "Start the quiz" in html

    def test_post_starts_then_resumes_on_another_device(self, world, learner_client):
        make_quiz(world.course)
        first = learner_client.post(start_url(world.course))
        attempt = QuizAttempt.objects.get()
        assert first.url == reverse("quiz:attempt", args=[attempt.pk])
        phone = Client()
        phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # chose English there too
        phone.force_login(world.learner.user)
        assert "Continue the attempt" in phone.get(start_url(world.course)).content.decode()
        assert phone.post(start_url(world.course)).url == first.url
        assert QuizAttempt.objects.count() == 1

    def test_a_lesson_of_another_city_is_not_found(self, world, learner_client):
        qf.quiz(world.sorong_course.course, key=world.sorong_course.quiz_key)
        assert learner_client.get(start_url(world.sorong_course)).status_code == 404
        assert learner_client.post(start_url(world.sorong_course)).status_code == 404
        assert not QuizAttempt.objects.exists()

    def test_no_attempts_left_shows_a_message_and_starts_nothing(self, world, learner_client):
        quiz = make_quiz(world.course, attempts_allowed=1)
        attempt = start(world, quiz)
        quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)
        page = learner_client.get(start_url(world.course)).content.decode()
        assert "You have no attempts left" in page
        response = learner_client.post(start_url(world.course), follow=True)
        assert "You have used all 1 attempts" in response.content.decode()
        assert QuizAttempt.objects.count() == 1

    def test_anonymous_is_sent_to_log_in(self, world, client):
        make_quiz(world.course)
        response = client.get(start_url(world.course))
        assert response.status_code == 302 and "/akun/" in response.url


class AttemptPageTests:
    def test_no_answer_key_in_the_page_while_answering(self, world, learner_client):
        quiz = secret_quiz(world.course)
        attempt = start(world, quiz)
        html = learner_client.get(reverse("quiz:attempt", args=[attempt.pk])).content.decode()
        assert "Ibu kota?" in html and "Jakarta" in html and "Merah" in html
        for secret in SECRETS:
            assert secret not in html, secret
        view = quiz_selectors.attempt_for_learner(attempt)
        text = json.dumps(view.as_json())
        for secret in (*SECRETS, "fraction", "match_text", "feedback"):
            assert secret not in text, secret

    def test_answers_saved_are_shown_after_a_reload(self, world, learner_client):
        quiz = make_quiz(world.course)
        attempt = start(world, quiz)
        row = attempt.questions.get(position=2)
        response = post_answer(learner_client, attempt, 2, right_response(row))
        assert response.status_code == 200, response.content
        assert set(response.json()) == {"saved_at", "seconds_left"}
        html = learner_client.get(reverse("quiz:attempt", args=[attempt.pk])).content.decode()
        assert f'value="{right_response(row)["choice"]}" checked' in html

    def test_the_deadline_is_shown_in_the_learners_city_time(self, world, client):
        # Sorong is on WIT (UTC+9); the server runs on UTC.
        learner = world.new_learner(city=world.sorong)
        quiz = make_quiz(world.sorong_course, time_limit_minutes=30)
        began = datetime.datetime(2026, 11, 25, 1, 0, tzinfo=datetime.UTC)
        attempt = start(
            world, quiz, user=learner.user, lesson=world.sorong_course.quiz_lesson, now=began
        )
        QuizAttempt.objects.filter(pk=attempt.pk).update(
            deadline_at=timezone.now() + datetime.timedelta(minutes=30)
        )
        attempt.refresh_from_db()
        client.force_login(learner.user)
        html = client.get(reverse("quiz:attempt", args=[attempt.pk])).content.decode()
        local = timezone.localtime(
            attempt.deadline_at, timezone=datetime.timezone(datetime.timedelta(hours=9))
        )
        assert f"Answer before {local:%H:%M} WIT." in html

    def test_the_countdown_comes_from_the_server(self, world, learner_client):
        quiz = make_quiz(world.course, time_limit_minutes=10)
        attempt = start(world, quiz)
        html = learner_client.get(reverse("quiz:attempt", args=[attempt.pk])).content.decode()
        assert 'data-seconds-left="59' in html  # 599 or 598 seconds left

    def test_after_the_deadline_the_page_closes_the_attempt(self, world, learner_client):
        quiz = make_quiz(world.course, time_limit_minutes=1)
        attempt = start(world, quiz, now=timezone.now() - datetime.timedelta(minutes=2))
        response = learner_client.get(reverse("quiz:attempt", args=[attempt.pk]))
        assert response.url == reverse("quiz:review", args=[attempt.pk])
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.SUBMITTED and attempt.closed_by == "deadline"

    def test_another_learners_attempt_is_not_found(self, world, learner_client):
        quiz = make_quiz(world.course)
        other = world.new_learner()
        attempt = start(world, quiz, user=other.user)
        for name in ("attempt", "review"):
            assert learner_client.get(reverse(f"quiz:{name}", args=[attempt.pk])).status_code == 404
        assert learner_client.post(reverse("quiz:submit", args=[attempt.pk])).status_code == 404
        assert post_answer(learner_client, attempt, 1, {}).status_code == 404
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.IN_PROGRESS

    @pytest.mark.parametrize("count", [5, 20])
    def test_the_page_takes_a_constant_number_of_queries(
        self, world, learner_client, django_assert_max_num_queries, count
    ):
        quiz = make_quiz(world.course, questions=count)
        attempt = start(world, quiz)
        url = reverse("quiz:attempt", args=[attempt.pk])
        learner_client.get(url)
        with django_assert_max_num_queries(12):
            assert learner_client.get(url).status_code == 200


class AnswerEndpointTests:
    def test_refusals(self, world, learner_client, client):
        quiz = make_quiz(world.course)
        attempt = start(world, quiz)
        url = reverse("quiz:answer", args=[attempt.pk])
        bad_json = learner_client.post(url, data="{", content_type="application/json")
        assert bad_json.status_code == 400
        assert post_answer(learner_client, attempt, 1, {"choice": "a7"}).status_code == 400
        assert post_answer(learner_client, attempt, "1", {}).status_code == 400
        anonymous = Client()
        assert post_answer(anonymous, attempt, 1, {}).status_code == 401
        assert not AttemptQuestion.objects.filter(response__isnull=False).exists()
        quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)
        late = post_answer(learner_client, attempt, 1, {})
        assert late.status_code == 409
        assert late.json()["review_url"] == reverse("quiz:review", args=[attempt.pk])

    def test_time_up_is_409_and_the_attempt_is_graded(self, world, learner_client):
        quiz = make_quiz(world.course, time_limit_minutes=1)
        attempt = start(world, quiz, now=timezone.now() - datetime.timedelta(minutes=2))
        response = post_answer(learner_client, attempt, 1, {})
        assert response.status_code == 409
        assert "Time is up" in response.json()["error"]
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.SUBMITTED

    def test_the_answer_endpoint_needs_the_csrf_token(self, world):
        quiz = make_quiz(world.course)
        attempt = start(world, quiz)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(world.learner.user)
        assert post_answer(strict, attempt, 1, {}).status_code == 403


class FormWithoutJavaScriptTests:
    def test_the_form_saves_every_answer_and_submits(self, world, learner_client):
        quiz = make_quiz(world.course, questions=2)
        attempt = start(world, quiz)
        rows = {row.position: row for row in attempt.questions.all()}
        data = {
            "q1-shown": "1",
            "q1-choice": right_response(rows[1])["choice"],
            "q2-shown": "1",
            "q2-choice": right_response(rows[2])["choice"],
        }
        saved = learner_client.post(reverse("quiz:attempt", args=[attempt.pk]), data)
        assert saved.url == reverse("quiz:attempt", args=[attempt.pk])
        assert AttemptQuestion.objects.filter(response__isnull=False).count() == 2
        done = learner_client.post(reverse("quiz:submit", args=[attempt.pk]), data)
        assert done.url == reverse("quiz:review", args=[attempt.pk])
        attempt.refresh_from_db()
        assert attempt.points == 2
        page = learner_client.get(done.url).content.decode()
        assert "Your score: 100%" in page
        assert "This lesson is complete." in page

    def test_a_refused_answer_in_the_form_saves_nothing(self, world, learner_client):
        quiz = make_quiz(world.course, questions=2)
        attempt = start(world, quiz)
        row = attempt.questions.get(position=1)
        data = {
            "q1-shown": "1",
            "q1-choice": right_response(row)["choice"],
            "q2-shown": "1",
            "q2-choice": "a9",
        }
        response = learner_client.post(reverse("quiz:submit", args=[attempt.pk]), data)
        assert response.url == reverse("quiz:attempt", args=[attempt.pk])
        attempt.refresh_from_db()
        assert attempt.state == AttemptState.IN_PROGRESS
        assert not AttemptQuestion.objects.filter(response__isnull=False).exists()


class ReviewTests:
    def submit_all_right(self, world, quiz, client):
        attempt = start(world, quiz)
        for row in attempt.questions.all():
            response = {
                "single": {"choice": "a0"},
                "short": {"text": "KUNCIPENDEK"},
                "numeric": {"value": "4242,5"},
                "matching": {"pairs": {"a0": "a0", "a1": "a1"}},
            }[row.spec["kind"]]
            assert post_answer(client, attempt, row.position, response).status_code == 200
        return quiz_services.attempt_submit(user=world.learner.user, attempt_id=attempt.pk)

    def test_correct_answers_wait_for_the_quiz_to_close(self, world, learner_client):
        closes = timezone.now() + datetime.timedelta(days=1)
        quiz = secret_quiz(
            world.course,
            closes_at=closes,
            review_answers="after_submit",
            review_correctness="after_submit",
            review_feedback="after_close",
            review_correct_answers="after_close",
        )
        attempt = self.submit_all_right(world, quiz, learner_client)
        assert attempt.score_percent == 100.0
        html = learner_client.get(reverse("quiz:review", args=[attempt.pk])).content.decode()
        assert "Correct" in html
        assert "KUNCIPENDEK" in html  # the learner's own answer
        for secret in ("FEEDBACKBENAR", "UMUMRAHASIA", "correct answer", "Correct answer:"):
            assert secret not in html, secret
        later = quiz_selectors.attempt_for_learner(attempt, closes + datetime.timedelta(seconds=1))
        assert later.review.correct_answers and later.review.feedback
        assert later.questions[0].feedback == ["FEEDBACKBENAR", "UMUMRAHASIA"]
        assert later.questions[1].correct_value == "KUNCIPENDEK"

    def test_never_shows_nothing_but_the_score(self, world, learner_client):
        quiz = secret_quiz(
            world.course,
            review_answers="never",
            review_correctness="never",
            review_feedback="never",
            review_correct_answers="never",
        )
        attempt = self.submit_all_right(world, quiz, learner_client)
        html = learner_client.get(reverse("quiz:review", args=[attempt.pk])).content.decode()
        assert "Your score: 100%" in html
        for secret in (*SECRETS, "Ibu kota?"):
            assert secret not in html, secret
        view = quiz_selectors.attempt_for_learner(attempt).as_json()
        assert all(q["response"] is None for q in view["questions"])
