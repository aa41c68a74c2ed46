"""The trainer's side of the quiz engine in the Wagtail admin: question bank, quizzes,
import and export, each limited to the courses the trainer may edit."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from courses.quiz_models import Question, QuestionAnswer, QuestionCategory, Quiz, QuizSlot
from tests import quiz_factories as qf
from tests.courses.conftest import assert_refused, make_course

pytestmark = pytest.mark.django_db

GIFT = """
// Bank soal uji
::Ibu kota::Ibu kota Indonesia adalah? {=Jakarta ~Bandung ~Surabaya}

::NIP::NIP terdiri dari 18 digit. {T}
"""

BROKEN_GIFT = """::Baik::Pertanyaan yang benar? {=Ya ~Tidak}

::Rusak::Pertanyaan tanpa jawaban benar? {~Satu ~Dua}
"""


@pytest.fixture
def jakarta_course(jakarta):
    return make_course(jakarta.curriculum, title="Layanan JAKI")


@pytest.fixture
def sorong_course(sorong):
    return make_course(sorong.curriculum, title="Layanan Sorong")


@pytest.fixture
def jakarta_category(jakarta_course):
    return qf.category(jakarta_course, "Dasar")


@pytest.fixture
def sorong_category(sorong_course):
    return qf.category(sorong_course, "Dasar Sorong")


@pytest.fixture
def jakarta_question(jakarta_category):
    return qf.single_choice(jakarta_category, name="Soal Jakarta", right="Monas")


@pytest.fixture
def sorong_question(sorong_category):
    return qf.single_choice(sorong_category, name="Soal Sorong", right="Raja Ampat")


@pytest.fixture
def sorong_quiz(sorong_course, sorong_question):
    return qf.quiz(sorong_course, title="Kuis Sorong", questions=[sorong_question])


@pytest.fixture
def trainer_client(client, jakarta, jakarta_course):
    """A Jakarta trainer, whose city has a course (so the quiz screens are open)."""
    client.force_login(jakarta.trainer)
    return client


def url(viewset: str, view: str, *args) -> str:
    return reverse(f"{viewset}:{view}", args=args)


def answers_formset(rows, initial=0) -> dict:
    filled = [
        {
            "id": "",
            "text": "",
            "fraction": "0",
            "feedback": "",
            "match_text": "",
            "tolerance": "",
            "ORDER": str(index),
            "DELETE": "",
            **row,
        }
        for index, row in enumerate(rows)
    ]
    return inline_formset(filled, initial=initial)


def question_data(category, kind="single", answers=(), **fields) -> dict:
    data = {
        "category": str(category.pk),
        "kind": kind,
        "name": "Ibu kota",
        "text": "Ibu kota Indonesia adalah?",
        "points": "1",
        "general_feedback": "",
        "partial_credit": "on",
        "truefalse_answer": "",
        "answers": answers_formset(list(answers)),
    }
    data.update(fields)
    return nested_form_data(data)


def slots_formset(rows, initial=0) -> dict:
    filled = [
        {"id": "", "question": "", "category": "", "draw_count": "1", "ORDER": str(i), **row}
        for i, row in enumerate(rows)
    ]
    return inline_formset(filled, initial=initial)


def quiz_data(course, slots=(), **fields) -> dict:
    data = {
        "course": str(course.pk),
        "title": "Kuis Akhir",
        "intro": "",
        "time_limit_minutes": "20",
        "opens_at": "",
        "closes_at": "",
        "attempts_allowed": "2",
        "grading_method": "highest",
        "pass_mark_percent": "70",
        "shuffle_answers": "on",
        "review_answers": "after_submit",
        "review_correctness": "after_submit",
        "review_correct_answers": "after_close",
        "review_feedback": "after_submit",
        "slots": slots_formset(list(slots)),
    }
    data.update(fields)
    return nested_form_data(data)


def form_errors(response) -> list[str]:
    form = response.context["form"]
    return [message for messages in form.errors.values() for message in messages]


# --- question bank -------------------------------------------------------------------------


class QuestionListTests:
    def test_trainer_sees_own_city_questions_only(
        self, trainer_client, jakarta_question, sorong_question
    ):
        response = trainer_client.get(url("questions", "index"))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Soal Jakarta" in html
        assert "Soal Sorong" not in html

    def test_filters_and_search(self, trainer_client, jakarta_course, jakarta_question):
        other = qf.category(jakarta_course, "Lanjutan")
        qf.question(
            other, "truefalse", name="Pernyataan NIP", answers=[("true", 100), ("false", 0)]
        )

        by_kind = trainer_client.get(url("questions", "index"), {"kind": "truefalse"})
        by_category = trainer_client.get(url("questions", "index"), {"category": other.pk})
        by_text = trainer_client.get(url("questions", "index"), {"q": "Jakarta"})

        assert "Pernyataan NIP" in by_kind.content.decode()
        assert "Soal Jakarta" not in by_kind.content.decode()
        assert "Pernyataan NIP" in by_category.content.decode()
        assert "Soal Jakarta" not in by_category.content.decode()
        assert "Soal Jakarta" in by_text.content.decode()
        assert "Pernyataan NIP" not in by_text.content.decode()

    def test_filtering_by_another_city_course_is_refused(
        self, trainer_client, sorong_course, sorong_question
    ):
        response = trainer_client.get(url("questions", "index"), {"course": sorong_course.pk})

        assert "Soal Sorong" not in response.content.decode()

    def test_learner_is_refused(self, client, jakarta, jakarta_question):
        client.force_login(jakarta.learner())

        response = client.get(url("questions", "index"))

        assert response.status_code in (302, 403)

    def test_query_count_does_not_grow_with_the_bank(
        self, trainer_client, jakarta_category, django_assert_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for n in range(5):
            qf.single_choice(jakarta_category, name=f"Soal {n:02d}")
        trainer_client.get(url("questions", "index"))  # warm the session and site caches
        with CaptureQueriesContext(connection) as five:
            response = trainer_client.get(url("questions", "index"))
        assert response.status_code == 200
        for n in range(5, 50):
            qf.single_choice(jakarta_category, name=f"Soal {n:02d}")

        with django_assert_num_queries(len(five.captured_queries)):
            response = trainer_client.get(url("questions", "index"))

        html = response.content.decode()
        assert "Soal 00" in html
        assert "Soal 49" in html


class MenuTests:
    def test_trainer_sees_the_bank_and_quiz_menus(self, trainer_client):
        html = trainer_client.get(reverse("wagtailadmin_home")).content.decode()

        assert "Question bank" in html
        assert "Quizzes" in html
        assert reverse("quiz_bank_io:import") in html

    def test_staff_without_courses_does_not(self, client, sorong):
        client.force_login(sorong.trainer)

        html = client.get(reverse("wagtailadmin_home")).content.decode()

        assert "Question bank" not in html
        assert reverse("quiz_bank_io:import") not in html


class QuestionFormTests:
    def test_create_page_renders_with_kind_help(self, trainer_client, jakarta_category):
        response = trainer_client.get(url("questions", "add"))

        assert response.status_code == 200
        html = response.content.decode()
        assert "data-quiz-answer-help" in html
        assert "Matching answer: what belongs to the prompt (right side)." in html

    def test_category_choice_is_limited_to_manageable_courses(
        self, trainer_client, jakarta_category, sorong_category
    ):
        form = trainer_client.get(url("questions", "add")).context["form"]

        assert list(form.fields["category"].queryset) == [jakarta_category]

    def test_valid_question_is_saved_through_the_service(self, trainer_client, jakarta_category):
        data = question_data(
            jakarta_category,
            answers=[{"text": "Jakarta", "fraction": "100"}, {"text": "Bandung"}],
        )

        response = trainer_client.post(url("questions", "add"), data)

        assert response.status_code == 302, form_errors(response)
        question = Question.objects.get(name="Ibu kota")
        assert question.version == 1
        assert [(a.text, a.fraction) for a in question.answers.order_by("sort_order")] == [
            ("Jakarta", 100),
            ("Bandung", 0),
        ]

    def test_invalid_question_shows_grading_rules_and_saves_nothing(
        self, trainer_client, jakarta_category
    ):
        data = question_data(jakarta_category, answers=[{"text": "Jakarta"}, {"text": "Bandung"}])

        response = trainer_client.post(url("questions", "add"), data)

        assert response.status_code == 200
        assert "One answer of a single choice question must give 100% credit." in form_errors(
            response
        )
        assert not Question.objects.exists()
        assert not QuestionAnswer.objects.exists()

    def test_invalid_edit_keeps_the_stored_version(self, trainer_client, jakarta_question):
        data = question_data(
            jakarta_question.category,
            name="Soal Jakarta",
            answers=[{"text": "Satu-satunya", "fraction": "100"}],
        )

        response = trainer_client.post(url("questions", "edit", jakarta_question.pk), data)

        assert response.status_code == 200
        assert "A single choice question needs at least 2 answers." in form_errors(response)
        jakarta_question.refresh_from_db()
        assert jakarta_question.version == 1
        assert jakarta_question.answers.count() == 3

    def test_edit_bumps_the_version(self, trainer_client, jakarta_question):
        data = question_data(
            jakarta_question.category,
            name="Soal Jakarta",
            answers=[{"text": "Monas", "fraction": "100"}, {"text": "Ancol"}],
        )

        response = trainer_client.post(url("questions", "edit", jakarta_question.pk), data)

        assert response.status_code == 302, form_errors(response)
        jakarta_question.refresh_from_db()
        assert jakarta_question.version == 2
        assert jakarta_question.answers.count() == 2

    def test_true_false_from_the_correct_answer_field(self, trainer_client, jakarta_category):
        data = question_data(
            jakarta_category, kind="truefalse", name="NIP", truefalse_answer="false"
        )

        response = trainer_client.post(url("questions", "add"), data)

        assert response.status_code == 302, form_errors(response)
        question = Question.objects.get(name="NIP")
        assert sorted((a.text, a.fraction) for a in question.answers.all()) == [
            ("false", 100),
            ("true", 0),
        ]
        edit = trainer_client.get(url("questions", "edit", question.pk))
        assert edit.context["form"].fields["truefalse_answer"].initial == "false"

    def test_true_false_without_an_answer_is_refused(self, trainer_client, jakarta_category):
        data = question_data(jakarta_category, kind="truefalse", name="NIP")

        response = trainer_client.post(url("questions", "add"), data)

        assert response.status_code == 200
        assert "Choose whether the statement is true or false." in form_errors(response)
        assert not Question.objects.exists()

    def test_other_city_category_is_refused(self, trainer_client, sorong_category):
        data = question_data(
            sorong_category, answers=[{"text": "A", "fraction": "100"}, {"text": "B"}]
        )

        response = trainer_client.post(url("questions", "add"), data)

        assert response.status_code == 200
        assert form_errors(response)
        assert not Question.objects.exists()


class OtherCityRefusedTests:
    """A Jakarta trainer reaches nothing of Sorong's bank, whatever the screen."""

    @pytest.mark.parametrize("view", ["edit", "delete", "history", "usage"])
    def test_sorong_question(self, trainer_client, sorong_question, view):
        response = trainer_client.get(url("questions", view, sorong_question.pk))

        assert response.status_code == 404

    @pytest.mark.parametrize("view", ["edit", "delete", "history"])
    def test_sorong_category(self, trainer_client, sorong_category, view):
        response = trainer_client.get(url("question_categories", view, sorong_category.pk))

        assert response.status_code == 404

    @pytest.mark.parametrize("view", ["edit", "delete", "history"])
    def test_sorong_quiz(self, trainer_client, sorong_quiz, view):
        response = trainer_client.get(url("quizzes", view, sorong_quiz.pk))

        assert response.status_code == 404

    def test_posting_edits_and_deletes_changes_nothing(
        self, trainer_client, sorong_question, sorong_quiz
    ):
        edit = trainer_client.post(
            url("questions", "edit", sorong_question.pk),
            question_data(
                sorong_question.category,
                name="Dirusak",
                answers=[{"text": "A", "fraction": "100"}, {"text": "B"}],
            ),
        )
        delete_question = trainer_client.post(url("questions", "delete", sorong_question.pk))
        delete_quiz = trainer_client.post(url("quizzes", "delete", sorong_quiz.pk))

        assert {edit.status_code, delete_question.status_code, delete_quiz.status_code} == {404}
        sorong_question.refresh_from_db()
        assert sorong_question.name == "Soal Sorong"
        assert Quiz.objects.filter(pk=sorong_quiz.pk).exists()

    def test_lists_hide_sorong(self, trainer_client, jakarta_category, sorong_quiz):
        categories = trainer_client.get(url("question_categories", "index")).content.decode()
        quizzes = trainer_client.get(url("quizzes", "index")).content.decode()

        assert "Dasar Sorong" not in categories
        assert "Dasar" in categories
        assert "Kuis Sorong" not in quizzes

    def test_trainer_of_a_city_without_courses_is_refused_the_screens(
        self, client, sorong, jakarta_question
    ):
        client.force_login(sorong.trainer)

        for target in (
            url("questions", "index"),
            url("quizzes", "index"),
            url("question_categories", "index"),
            url("quiz_bank_io", "import"),
            url("quiz_bank_io", "export"),
        ):
            response = client.get(target)
            assert_refused(response)


class DeleteTests:
    def test_question_used_in_a_quiz_is_not_deleted(
        self, trainer_client, jakarta_course, jakarta_question
    ):
        qf.quiz(jakarta_course, title="Kuis Memakai", questions=[jakarta_question])

        confirm = trainer_client.get(url("questions", "delete", jakarta_question.pk))
        response = trainer_client.post(url("questions", "delete", jakarta_question.pk))

        assert confirm.status_code == 200
        assert "Kuis Memakai" in confirm.content.decode()
        assert "data-delete-protected" in confirm.content.decode()
        assert response.status_code == 302
        assert Question.objects.filter(pk=jakarta_question.pk).exists()
        followed = trainer_client.get(response.url)
        assert "This question is used in a quiz, so it cannot be deleted." in (
            followed.content.decode()
        )

    def test_unused_question_is_deleted(self, trainer_client, jakarta_question):
        response = trainer_client.post(url("questions", "delete", jakarta_question.pk))

        assert response.status_code == 302
        assert not Question.objects.filter(pk=jakarta_question.pk).exists()

    def test_category_with_questions_is_not_deleted(self, trainer_client, jakarta_question):
        category = jakarta_question.category

        response = trainer_client.post(url("question_categories", "delete", category.pk))

        assert response.status_code == 302
        assert QuestionCategory.objects.filter(pk=category.pk).exists()


class CategoryTests:
    def test_create_through_the_service(self, trainer_client, jakarta_course):
        response = trainer_client.post(
            url("question_categories", "add"),
            {"course": jakarta_course.pk, "name": "Keamanan", "description": "Soal keamanan"},
        )

        assert response.status_code == 302
        category = QuestionCategory.objects.get(name="Keamanan")
        assert category.course == jakarta_course
        assert category.description == "Soal keamanan"

    def test_duplicate_name_is_a_form_error(self, trainer_client, jakarta_category):
        response = trainer_client.post(
            url("question_categories", "add"),
            {"course": jakarta_category.course.pk, "name": "dasar", "description": ""},
        )

        assert response.status_code == 200
        assert (
            "The category “dasar” already exists in this course. Choose another name."
            in form_errors(response)
        )
        assert QuestionCategory.objects.count() == 1

    def test_other_city_course_is_refused(self, trainer_client, sorong_course):
        response = trainer_client.post(
            url("question_categories", "add"),
            {"course": sorong_course.pk, "name": "Curian", "description": ""},
        )

        assert response.status_code == 200
        assert "You may only choose a course you can edit. Choose one from the list." in (
            form_errors(response)
        )
        assert not QuestionCategory.objects.filter(name="Curian").exists()


# --- quizzes -------------------------------------------------------------------------------


class QuizFormTests:
    def test_create_page_renders(self, trainer_client, jakarta_question):
        response = trainer_client.get(url("quizzes", "add"))

        assert response.status_code == 200
        assert "What learners see after an attempt" in response.content.decode()

    def test_create_with_fixed_and_random_slots(
        self, trainer_client, jakarta_course, jakarta_question, jakarta_category
    ):
        qf.single_choice(jakarta_category, name="Soal kedua")  # one to draw at random
        data = quiz_data(
            jakarta_course,
            slots=[
                {"question": str(jakarta_question.pk)},
                {"category": str(jakarta_category.pk), "draw_count": "1"},
            ],
        )

        response = trainer_client.post(url("quizzes", "add"), data)

        assert response.status_code == 302, form_errors(response)
        quiz = Quiz.objects.get(title="Kuis Akhir")
        assert quiz.time_limit_minutes == 20
        slots = list(quiz.slots.order_by("sort_order"))
        assert [s.question_id for s in slots] == [jakarta_question.pk, None]
        assert [s.category_id for s in slots] == [None, jakarta_category.pk]

    def test_drawing_more_than_the_category_holds_is_refused(
        self, trainer_client, jakarta_course, jakarta_category, jakarta_question
    ):
        data = quiz_data(
            jakarta_course, slots=[{"category": str(jakarta_category.pk), "draw_count": "5"}]
        )

        response = trainer_client.post(url("quizzes", "add"), data)

        assert response.status_code == 200
        assert any("has only 1 question" in message for message in form_errors(response))
        assert not Quiz.objects.exists()
        assert not QuizSlot.objects.exists()

    def test_slot_needs_question_or_category(self, trainer_client, jakarta_course):
        data = quiz_data(jakarta_course, slots=[{"draw_count": "1"}])

        response = trainer_client.post(url("quizzes", "add"), data)

        assert response.status_code == 200
        assert not Quiz.objects.exists()

    def test_other_city_question_in_a_slot_is_refused(
        self, trainer_client, jakarta_course, sorong_question
    ):
        data = quiz_data(jakarta_course, slots=[{"question": str(sorong_question.pk)}])

        response = trainer_client.post(url("quizzes", "add"), data)

        assert response.status_code == 200
        assert not Quiz.objects.exists()

    def test_question_of_another_own_course_is_refused(
        self, trainer_client, jakarta, jakarta_course, jakarta_question
    ):
        other = make_course(jakarta.curriculum, title="Kursus Lain")
        data = quiz_data(other, slots=[{"question": str(jakarta_question.pk)}])

        response = trainer_client.post(url("quizzes", "add"), data)

        assert response.status_code == 200
        slot_form = response.context["form"].formsets["slots"].forms[0]
        assert slot_form.errors["question"] == [
            "This question belongs to another course's question bank."
        ]
        assert not Quiz.objects.exists()

    def test_edit_offers_only_the_quiz_course_questions(
        self, trainer_client, jakarta, jakarta_course, jakarta_question
    ):
        other = make_course(jakarta.curriculum, title="Kursus Lain")
        qf.single_choice(qf.category(other), name="Soal Kursus Lain")
        quiz = qf.quiz(jakarta_course, questions=[jakarta_question])

        response = trainer_client.get(url("quizzes", "edit", quiz.pk))

        assert response.status_code == 200
        slot_form = response.context["form"].formsets["slots"].forms[0]
        assert list(slot_form.fields["question"].queryset) == [jakarta_question]

    def test_other_city_course_is_refused(self, trainer_client, sorong_course):
        response = trainer_client.post(url("quizzes", "add"), quiz_data(sorong_course))

        assert response.status_code == 200
        assert not Quiz.objects.exists()


# --- import and export ---------------------------------------------------------------------


def import_data(course, **fields) -> dict:
    data = {
        "course": str(course.pk),
        "fmt": "gift",
        "category_name": "Impor",
        "text": "",
        "dry_run": "on",
    }
    data.update(fields)
    return data


class ImportTests:
    def test_form_renders(self, trainer_client, jakarta_course):
        response = trainer_client.get(url("quiz_bank_io", "import"))

        assert response.status_code == 200
        assert list(response.context["form"].fields["course"].queryset) == [jakarta_course]

    def test_check_only_previews_and_saves_nothing(self, trainer_client, jakarta_course):
        response = trainer_client.post(
            url("quiz_bank_io", "import"), import_data(jakarta_course, text=GIFT)
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "data-import-preview" in html
        assert "Ibu kota" in html
        assert "2 questions would be imported." in html
        assert not Question.objects.exists()

    def test_import_saves_into_the_category(self, trainer_client, jakarta_course):
        upload = SimpleUploadedFile("bank.gift", GIFT.encode("utf-8"))
        data = import_data(jakarta_course, file=upload)
        del data["dry_run"]

        response = trainer_client.post(url("quiz_bank_io", "import"), data)

        assert response.status_code == 200
        assert "2 questions imported." in response.content.decode()
        assert set(
            Question.objects.filter(category__course=jakarta_course).values_list(
                "category__name", flat=True
            )
        ) == {"Impor"}
        assert Question.objects.count() == 2

    def test_broken_file_lists_lines_and_imports_nothing(self, trainer_client, jakarta_course):
        data = import_data(jakarta_course, text=BROKEN_GIFT)
        del data["dry_run"]

        response = trainer_client.post(url("quiz_bank_io", "import"), data)

        assert response.status_code == 200
        assert not Question.objects.exists()
        html = response.content.decode()
        assert "Nothing was imported" in html
        assert 'data-line="3"' in html
        assert "Line 3:" in html

    def test_non_utf8_file_gets_a_clear_message(self, trainer_client, jakarta_course):
        upload = SimpleUploadedFile("bank.txt", "::Soal::Kota Bandung? {T}".encode("utf-16"))

        response = trainer_client.post(
            url("quiz_bank_io", "import"), import_data(jakarta_course, file=upload)
        )

        assert response.status_code == 200
        assert any("is not UTF-8 text" in message for message in form_errors(response))

    def test_file_over_one_megabyte_is_refused(self, trainer_client, jakarta_course):
        upload = SimpleUploadedFile("bank.gift", b"x" * (1024 * 1024 + 1))

        response = trainer_client.post(
            url("quiz_bank_io", "import"), import_data(jakarta_course, file=upload)
        )

        assert response.status_code == 200
        assert (
            "The file is larger than 1 MB. Split it into smaller files and import each."
            in form_errors(response)
        )

    def test_empty_input_is_refused(self, trainer_client, jakarta_course):
        response = trainer_client.post(url("quiz_bank_io", "import"), import_data(jakarta_course))

        assert response.status_code == 200
        assert "Upload a file or paste the questions to import." in form_errors(response)

    def test_other_city_course_is_refused(self, trainer_client, sorong_course):
        data = import_data(sorong_course, text=GIFT)
        del data["dry_run"]

        response = trainer_client.post(url("quiz_bank_io", "import"), data)

        assert response.status_code == 200
        assert form_errors(response)
        assert not Question.objects.exists()


class ExportTests:
    def test_downloads_the_course_bank_as_gift(
        self, trainer_client, jakarta_course, jakarta_question
    ):
        response = trainer_client.get(url("quiz_bank_io", "export"), {"course": jakarta_course.pk})

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain")
        assert "attachment;" in response["Content-Disposition"]
        assert ".gift" in response["Content-Disposition"]
        assert "Monas" in response.content.decode()

    def test_one_category_only(self, trainer_client, jakarta_course, jakarta_question):
        other = qf.category(jakarta_course, "Lain")
        qf.single_choice(other, name="Soal Lain", right="Kota Tua")

        response = trainer_client.get(
            url("quiz_bank_io", "export"), {"course": jakarta_course.pk, "category": other.pk}
        )

        text = response.content.decode()
        assert "Kota Tua" in text
        assert "Monas" not in text

    def test_other_city_course_is_refused(self, trainer_client, sorong_course, sorong_question):
        response = trainer_client.get(url("quiz_bank_io", "export"), {"course": sorong_course.pk})

        assert response.status_code == 200
        assert "Raja Ampat" not in response.content.decode()
        assert form_errors(response)

    def test_category_of_another_course_is_refused(
        self, trainer_client, jakarta, jakarta_course, jakarta_question
    ):
        other = make_course(jakarta.curriculum, title="Kursus Lain")
        other_category = qf.category(other, "Lain")

        response = trainer_client.get(
            url("quiz_bank_io", "export"),
            {"course": jakarta_course.pk, "category": other_category.pk},
        )

        assert "This category belongs to another course." in form_errors(response)
