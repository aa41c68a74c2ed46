"""A timed quiz in a real Chromium on a phone-sized screen: start it from its lesson,
answer (each answer saved as given), reload mid-way, continue, submit, see the result
and the lesson complete."""

import os
from dataclasses import dataclass

import pytest

# Playwright's sync API keeps an event loop running in this thread (see conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "rahasia-uji-123"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@dataclass
class QuizLesson:
    url: str
    nip: str
    quiz_key: str


@pytest.fixture
def quiz_lesson(db) -> QuizLesson:
    from courses import services as course_services
    from tests import quiz_factories as qf
    from tests.factories import CityFactory, LearnerFactory

    index = course_services.curriculum_index_install(title="Kurikulum ASN Digital")
    city = CityFactory(name="Kota Uji Kuis", slug="kota-uji-kuis")
    curriculum = course_services.city_curriculum_create(
        index=index, city=city, title="Kurikulum Kota Uji"
    )
    course = course_services.course_create(
        parent=curriculum,
        title="Keamanan Siber",
        slug="keamanan-siber",
        summary="Kursus uji kuis.",
        jp_value=2,
        competency_area="digital_literacy",
        estimated_duration=3600,
    )
    category = qf.category(course, "Dasar")
    questions = [
        qf.single_choice(category, name=f"Soal {n}", text=f"Pertanyaan nomor {n}?")
        for n in (1, 2, 3)
    ]
    quiz = qf.quiz(course, questions=questions, time_limit_minutes=10, title="Kuis Siber")
    lesson = course_services.lesson_create(
        course=course,
        title="Kuis akhir",
        slug="kuis-akhir",
        body=[
            {"type": "paragraph", "value": "<p>Kerjakan kuis berikut.</p>"},
            {"type": "quiz", "value": {"key": str(quiz.key), "title": "Kuis akhir"}},
        ],
        completion_rule="quiz_passed",
    )
    learner = LearnerFactory(city=city, password=PASSWORD)
    return QuizLesson(url=lesson.get_url(), nip=learner.nip, quiz_key=str(quiz.key))


def _log_in(page, username: str) -> None:
    page.goto("/akun/masuk/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")


def _answer_right(page, number: int) -> None:
    question = page.locator(f"[data-question='{number}']")
    question.locator("label.quiz-option", has_text="Benar").click()
    # Saved on the server, as the status line says.
    question.locator(".quiz-status.ok").wait_for()


class QuizInBrowserTests:
    def test_timed_quiz_from_start_to_a_completed_lesson(self, quiz_lesson, phone_page):
        page = phone_page
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        _log_in(page, quiz_lesson.nip)
        page.goto(quiz_lesson.url)
        with page.expect_navigation():
            page.locator(".block-quiz a.button").click()
        with page.expect_navigation():
            page.locator("[data-quiz-start]").click()
        assert "/kuis/percobaan/" in page.url
        # The countdown runs from the server's deadline (10 minutes).
        timer = page.locator("[data-timer]")
        page.wait_for_function(
            "() => /\\d+:\\d\\d/.test(document.querySelector('[data-timer]').textContent)"
        )
        assert "9:5" in timer.inner_text() or "10:00" in timer.inner_text()

        _answer_right(page, 1)
        _answer_right(page, 2)
        page.reload()
        # The answers given before the reload are still there.
        for number in (1, 2):
            checked = page.locator(f"[data-question='{number}'] input[type=radio]:checked")
            assert checked.count() == 1
            assert "Benar" in checked.locator("xpath=..").inner_text()
        _answer_right(page, 3)

        with page.expect_navigation():
            page.locator("[data-submit]").click()
        assert "/hasil/" in page.url
        assert page.locator(".quiz-verdict.passed").is_visible()
        assert page.locator("[data-lesson-complete]").is_visible()
        page.goto(quiz_lesson.url)
        assert page.locator(".lesson-outline .status.done").count() == 1
        assert problems == []
