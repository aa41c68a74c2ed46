"""Quizzes in lessons: the catalogue that resolves quiz keys, the lesson's quiz block
(title, summary, start button) and the lesson form's rule that a quiz belongs to the
lesson's course and that the editor may use it."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from wagtail.test.utils.form_data import nested_form_data, streamfield

from courses import activities, quiz_catalogue
from courses.activities import ActivityInfo, ActivityKind, resolve_activities
from courses.blocks import BaseStreamBlock
from courses.models import LessonPage
from courses.quiz_catalogue import QuizCatalogue, QuizInfo
from tests import quiz_factories as qf
from tests.courses.conftest import make_course, make_lesson
from tests.courses.test_workflow import add_lesson_url, lesson_form

pytestmark = pytest.mark.django_db


def quiz_block(key, title="Kuis akhir"):
    return {"type": "quiz", "value": {"key": str(key), "title": title}}


def quiz_form(key, title="Kuis akhir") -> dict:
    return nested_form_data({"body": streamfield([("quiz", {"key": str(key), "title": title})])})


def key_errors(response) -> list[str]:
    body_error = response.context["form"].errors.as_data()["body"][0]
    return body_error.block_errors[0].block_errors["key"].messages


@pytest.fixture
def jakarta_course(jakarta):
    return make_course(jakarta.curriculum, title="Layanan JAKI")


@pytest.fixture
def sorong_course(sorong):
    return make_course(sorong.curriculum, title="Layanan Sorong")


@pytest.fixture
def jakarta_quiz(jakarta_course):
    category = qf.category(jakarta_course, "Dasar")
    fixed = [qf.single_choice(category, name=f"Soal {n}") for n in range(3)]
    pool = qf.category(jakarta_course, "Acak")
    for n in range(6):
        qf.single_choice(pool, name=f"Acak {n}")
    return qf.quiz(
        jakarta_course,
        title="Kuis Layanan JAKI",
        questions=fixed,
        draws=[(pool, 4)],
        time_limit_minutes=30,
        attempts_allowed=2,
        pass_mark_percent=Decimal("75"),
    )


@pytest.fixture
def sorong_quiz(sorong_course):
    category = qf.category(sorong_course)
    return qf.quiz(sorong_course, title="Kuis Sorong", questions=[qf.single_choice(category)])


class CatalogueTests:
    def test_registered_by_the_courses_app(self):
        assert activities.has_catalogue(ActivityKind.QUIZ)
        assert isinstance(activities._catalogues[ActivityKind.QUIZ], QuizCatalogue)

    def test_resolves_title_and_summary(self, jakarta_quiz):
        key = str(jakarta_quiz.key)

        info = resolve_activities(ActivityKind.QUIZ, [key])[key]

        assert isinstance(info, QuizInfo)
        assert info.title == "Kuis Layanan JAKI"
        # 3 fixed questions + 4 drawn at random.
        assert info.question_count == 7
        assert info.time_limit_minutes == 30
        assert info.attempts_allowed == 2
        assert info.pass_mark_percent == Decimal("75")
        assert info.launch_url == reverse("quiz:launch", kwargs={"quiz_key": key})

    def test_unknown_and_malformed_keys_are_left_out(self, jakarta_quiz):
        unknown = str(uuid.uuid4())

        resolved = QuizCatalogue().resolve([unknown, "bukan-uuid", str(jakarta_quiz.key)])

        assert set(resolved) == {str(jakarta_quiz.key)}

    def test_one_query_for_many_quizzes(self, jakarta_course, django_assert_num_queries):
        category = qf.category(jakarta_course)
        question = qf.single_choice(category)
        keys = [str(qf.quiz(jakarta_course, questions=[question]).key) for _ in range(8)]

        with django_assert_num_queries(1):
            resolved = QuizCatalogue().resolve(keys)

        assert len(resolved) == 8
        assert all(info.question_count == 1 for info in resolved.values())

    def test_start_url_names_quiz_and_lesson(self, jakarta_quiz):
        lesson_key = uuid.uuid4()
        info = QuizCatalogue().resolve([str(jakarta_quiz.key)])[str(jakarta_quiz.key)]

        assert info.start_url(lesson_key) == reverse(
            "quiz:start", kwargs={"quiz_key": jakarta_quiz.key, "lesson_key": lesson_key}
        )

    def test_missing_learner_pages_give_no_url_instead_of_an_error(self, jakarta_quiz, monkeypatch):
        def no_route(*args, **kwargs):
            raise NoReverseMatch("quiz")

        monkeypatch.setattr(quiz_catalogue, "reverse", no_route)

        info = QuizCatalogue().resolve([str(jakarta_quiz.key)])[str(jakarta_quiz.key)]

        assert info.launch_url == ""
        assert info.start_url(uuid.uuid4()) == ""


class LessonBlockTests:
    def test_lesson_shows_title_summary_and_start_button(self, client, jakarta, jakarta_quiz):
        lesson = make_lesson(
            jakarta_quiz.course,
            body=[quiz_block(jakarta_quiz.key, title="Uji pemahaman")],
            completion_rule="quiz_passed",
        )
        client.force_login(jakarta.learner())

        response = client.get(lesson.url)

        html = response.content.decode()
        assert response.status_code == 200
        assert "Uji pemahaman" in html
        assert "Kuis Layanan JAKI" in html
        assert "7 questions" in html
        assert "Time limit: 30 minutes" in html
        assert "2 attempts allowed" in html
        assert "Pass mark: 75%" in html
        start = reverse(
            "quiz:start",
            kwargs={"quiz_key": jakarta_quiz.key, "lesson_key": lesson.translation_key},
        )
        assert f'href="{start}"' in html
        assert "Start the quiz" in html

    def test_unlimited_quiz_says_so(self, client, jakarta, jakarta_course):
        category = qf.category(jakarta_course)
        quiz = qf.quiz(jakarta_course, questions=[qf.single_choice(category)])
        lesson = make_lesson(jakarta_course, body=[quiz_block(quiz.key)])
        client.force_login(jakarta.learner())

        html = client.get(lesson.url).content.decode()

        assert "1 question" in html
        assert "No time limit" in html
        assert "Unlimited attempts" in html

    def test_lesson_renders_without_learner_quiz_pages(
        self, client, jakarta, jakarta_quiz, monkeypatch
    ):
        lesson = make_lesson(jakarta_quiz.course, body=[quiz_block(jakarta_quiz.key)])

        def no_route(*args, **kwargs):
            raise NoReverseMatch("quiz")

        monkeypatch.setattr(quiz_catalogue, "reverse", no_route)
        client.force_login(jakarta.learner())

        response = client.get(lesson.url)

        assert response.status_code == 200
        html = response.content.decode()
        assert "Kuis Layanan JAKI" in html
        assert "The quiz cannot be started here yet. Try again later." in html

    def test_a_stand_in_catalogue_renders_without_summary(
        self, client, jakarta, jakarta_course, monkeypatch
    ):
        class StandIn:
            def resolve(self, keys):
                return {
                    key: ActivityInfo(key=key, title="Kuis Pengganti", launch_url="/kuis/x/")
                    for key in keys
                }

        key = str(uuid.uuid4())
        monkeypatch.setitem(activities._catalogues, ActivityKind.QUIZ, StandIn())
        lesson = make_lesson(jakarta_course, body=[quiz_block(key)])
        client.force_login(jakarta.learner())

        response = client.get(lesson.url)

        assert response.status_code == 200
        html = response.content.decode()
        assert "Kuis Pengganti" in html
        assert "quiz-summary" not in html

    def test_lesson_resolves_its_quizzes_in_one_query(
        self, client, jakarta, jakarta_course, django_assert_max_num_queries
    ):
        category = qf.category(jakarta_course)
        question = qf.single_choice(category)
        quizzes = [qf.quiz(jakarta_course, questions=[question]) for _ in range(4)]
        one = make_lesson(jakarta_course, body=[quiz_block(quizzes[0].key)])
        many = make_lesson(jakarta_course, body=[quiz_block(q.key) for q in quizzes])
        client.force_login(jakarta.learner())
        client.get(one.url)  # warm caches (site root, session)

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as single:
            client.get(one.url)
        with django_assert_max_num_queries(len(single.captured_queries)):
            response = client.get(many.url)
        assert response.content.decode().count("block-quiz") == 4

    def test_block_value_stays_the_key_string(self, jakarta_quiz):
        block = BaseStreamBlock().child_blocks["quiz"]
        key = str(jakarta_quiz.key)

        value = block.to_python({"key": key.upper(), "title": "Kuis"})

        assert block.get_prep_value(block.clean(value)) == {"key": key, "title": "Kuis"}

    def test_unknown_quiz_key_is_refused(self):
        key_block = BaseStreamBlock().child_blocks["quiz"].child_blocks["key"]

        with pytest.raises(ValidationError) as excinfo:
            key_block.clean(str(uuid.uuid4()))

        assert excinfo.value.messages == [
            "No quiz with this ID exists. Choose one with the quiz chooser."
        ]

    def test_chooser_state_names_the_quiz_by_key(self, jakarta_quiz):
        key_block = BaseStreamBlock().child_blocks["quiz"].child_blocks["key"]

        state = key_block.get_form_state(str(jakarta_quiz.key))

        assert state["id"] == str(jakarta_quiz.key)
        assert state["title"] == "Kuis Layanan JAKI"
        assert key_block.field.widget.get_chooser_modal_url() == reverse("quiz_chooser:choose")


class LessonFormTests:
    def test_trainer_places_own_course_quiz(self, client, jakarta, jakarta_course, jakarta_quiz):
        client.force_login(jakarta.trainer)
        data = lesson_form("Pelajaran Kuis", "pelajaran-kuis", **quiz_form(jakarta_quiz.key))

        response = client.post(add_lesson_url(jakarta_course), data)

        assert response.status_code == 302, response.content.decode()[:2000]
        lesson = LessonPage.objects.get(slug="pelajaran-kuis")
        assert lesson.activity_keys("quiz") == (str(jakarta_quiz.key),)

    def test_chooser_posting_a_primary_key_stores_the_key(
        self, client, jakarta, jakarta_course, jakarta_quiz
    ):
        client.force_login(jakarta.trainer)
        data = lesson_form("Pelajaran Kuis", "pelajaran-kuis", **quiz_form(jakarta_quiz.pk))

        response = client.post(add_lesson_url(jakarta_course), data)

        assert response.status_code == 302, response.content.decode()[:2000]
        lesson = LessonPage.objects.get(slug="pelajaran-kuis")
        assert lesson.activity_keys("quiz") == (str(jakarta_quiz.key),)

    def test_quiz_of_another_course_is_refused(self, client, jakarta, jakarta_course, jakarta_quiz):
        other_course = make_course(jakarta.curriculum, title="Kursus Lain")
        client.force_login(jakarta.trainer)
        data = lesson_form("Pelajaran Salah", "pelajaran-salah", **quiz_form(jakarta_quiz.key))

        response = client.post(add_lesson_url(other_course), data)

        assert response.status_code == 200
        assert not LessonPage.objects.filter(slug="pelajaran-salah").exists()
        assert key_errors(response) == [
            "This quiz belongs to another course. Choose a quiz of this lesson's course, or "
            "make one in the course's question bank."
        ]

    def test_other_city_quiz_is_refused(self, client, sorong, sorong_course, jakarta_quiz):
        client.force_login(sorong.trainer)
        data = lesson_form("Pelajaran Curian", "pelajaran-curian", **quiz_form(jakarta_quiz.key))

        response = client.post(add_lesson_url(sorong_course), data)

        assert response.status_code == 200
        assert not LessonPage.objects.filter(slug="pelajaran-curian").exists()
        assert key_errors(response)

    def test_editing_refuses_a_quiz_of_another_course(
        self, client, jakarta, jakarta_course, jakarta_quiz
    ):
        other_course = make_course(jakarta.curriculum, title="Kursus Lain")
        category = qf.category(other_course)
        other_quiz = qf.quiz(other_course, questions=[qf.single_choice(category)])
        lesson = make_lesson(jakarta_course, body=[quiz_block(jakarta_quiz.key)])
        client.force_login(jakarta.trainer)
        data = lesson_form(lesson.title, lesson.slug, **quiz_form(other_quiz.key))

        response = client.post(reverse("wagtailadmin_pages:edit", args=[lesson.pk]), data)

        assert response.status_code == 200
        assert key_errors(response)
        lesson.refresh_from_db()
        assert lesson.get_latest_revision_as_object().activity_keys("quiz") == (
            str(jakarta_quiz.key),
        )

    def test_editor_shows_the_stored_quiz_in_the_chooser(
        self, client, jakarta, jakarta_course, jakarta_quiz
    ):
        lesson = make_lesson(jakarta_course, body=[quiz_block(jakarta_quiz.key)])
        client.force_login(jakarta.trainer)

        response = client.get(reverse("wagtailadmin_pages:edit", args=[lesson.pk]))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Kuis Layanan JAKI" in html
        assert reverse("quiz_chooser:choose") in html


class ChooserTests:
    def test_lists_only_the_editors_quizzes(self, client, jakarta, jakarta_quiz, sorong_quiz):
        client.force_login(jakarta.trainer)

        html = client.get(reverse("quiz_chooser:choose")).content.decode()

        assert "Kuis Layanan JAKI" in html
        assert "Kuis Sorong" not in html

    def test_search_narrows_the_list(self, client, jakarta, jakarta_course, jakarta_quiz):
        qf.quiz(jakarta_course, title="Ujian Akhir")
        client.force_login(jakarta.trainer)

        html = client.get(reverse("quiz_chooser:choose_results"), {"q": "ujian"}).content.decode()

        assert "Ujian Akhir" in html
        assert "Kuis Layanan JAKI" not in html

    def test_chosen_answers_with_the_key(self, client, jakarta, jakarta_quiz):
        client.force_login(jakarta.trainer)

        response = client.get(reverse("quiz_chooser:chosen", args=[jakarta_quiz.pk]))

        assert response.status_code == 200
        assert response.json()["result"]["id"] == str(jakarta_quiz.key)

    def test_other_city_quiz_cannot_be_chosen(self, client, jakarta, sorong_quiz):
        client.force_login(jakarta.trainer)

        response = client.get(reverse("quiz_chooser:chosen", args=[sorong_quiz.pk]))

        assert response.status_code == 404
