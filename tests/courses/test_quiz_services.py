"""courses.quiz_services: question save with version bumps, import/export of question
files (all or nothing), categories, and the quiz slot checks."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from courses import quiz_services
from courses.question_formats import FormatError, parse_gift
from courses.quiz_models import Question, QuestionAnswer, QuestionCategory, Quiz, QuizSlot
from tests.courses.conftest import make_course
from tests.quiz_factories import category, question, quiz, single_choice

GIFT = """// Bank soal Literasi Keamanan Siber
$CATEGORY: $course$/top/Kata Sandi

::KS-01::Apa manfaat utama autentikasi dua faktor?{
  =Menambah lapisan keamanan kedua#Tepat.
  ~Mempercepat proses masuk#Kurang tepat.
  ~Menghapus kebutuhan kata sandi#Kata sandi tetap perlu.
}

::KS-02::Kata sandi boleh dibagikan kepada rekan satu bidang.{F}

::KS-03::Panjang minimal kata sandi yang dianjurkan (karakter)?{#12:2}

$CATEGORY: $course$/top/SPBE

::SPBE-01::Apa kepanjangan SPBE?{=Sistem Pemerintahan Berbasis Elektronik =SPBE}

::SPBE-02::Pasangkan unsur SPBE dengan contohnya.{
  =Layanan publik -> Perizinan daring
  =Tata kelola -> Arsitektur SPBE
}
"""

AIKEN = """Apa kepanjangan SPBE?
A. Sistem Pelayanan Berbasis Elektronik
B. Sistem Pemerintahan Berbasis Elektronik
ANSWER: B

Manakah kata sandi paling kuat?
A. bukittinggi2024
B. K0t4!Sorong#Aman-77
ANSWER: B
"""


@pytest.fixture
def course(jakarta):
    return make_course(jakarta.curriculum, title="Literasi Keamanan Siber")


@pytest.fixture
def other_course(sorong):
    return make_course(sorong.curriculum, title="Keamanan Siber Sorong")


def rows(question):
    return list(
        QuestionAnswer.objects.filter(question=question)
        .order_by("sort_order")
        .values_list("text", "fraction")
    )


@pytest.mark.django_db
class QuestionSaveTests:
    def test_new_question_is_saved_with_its_answers(self, course, jakarta):
        bank = category(course, "Kata Sandi")
        made = quiz_services.question_save(
            question=Question(
                category=bank, kind="single", name="KS-01", text="Cara terbaik melindungi akun?"
            ),
            answers=[
                {"text": "Autentikasi dua faktor", "fraction": "100", "feedback": "Tepat."},
                {"text": "Kata sandi sama di semua akun", "fraction": 0},
            ],
            by=jakarta.trainer,
        )
        made.refresh_from_db()
        assert made.version == 1
        assert made.created_by == jakarta.trainer
        assert rows(made) == [
            ("Autentikasi dua faktor", Decimal("100")),
            ("Kata sandi sama di semua akun", Decimal("0")),
        ]
        assert made.spec()["answers"][0]["feedback"] == "Tepat."

    def test_invalid_question_saves_nothing_and_lists_every_problem(self, course):
        bank = category(course)
        with pytest.raises(ValidationError) as caught:
            quiz_services.question_save(
                question=Question(category=bank, kind="single", name="Rusak", text="Soal?"),
                answers=[
                    {"text": "Satu", "fraction": "50"},
                    {"text": "Dua", "fraction": "1000"},
                    {"text": "Tiga", "fraction": "seratus"},
                ],
            )
        assert caught.value.messages == [
            "Answer 2, credit (%): Ensure this value is less than or equal to 100.",
            "Answer 2, credit (%): Ensure that there are no more than 3 digits before the "
            "decimal point.",
            "Answer 3, credit (%): “seratus” value must be a decimal number.",
        ]
        with pytest.raises(ValidationError) as caught:
            quiz_services.question_save(
                question=Question(category=bank, kind="single", name="Rusak", text="Soal?"),
                answers=[{"text": "Satu", "fraction": "50"}, {"text": "Dua", "fraction": "0"}],
            )
        assert caught.value.messages == [
            "One answer of a single choice question must give 100% credit."
        ]
        assert not Question.objects.exists()
        assert not QuestionAnswer.objects.exists()

    def test_change_bumps_the_version_and_replaces_the_answers(self, course):
        made = single_choice(category(course), right="2FA", wrong=("Tanggal lahir",))
        made.text = "Cara paling aman?"
        quiz_services.question_save(
            question=made,
            answers=[
                {"text": "2FA", "fraction": "100"},
                {"text": "Tanggal lahir", "fraction": "0"},
                {"text": "Sandi 123456", "fraction": "-50"},
            ],
        )
        made.refresh_from_db()
        assert made.version == 2
        assert made.text == "Cara paling aman?"
        assert rows(made) == [
            ("2FA", Decimal("100")),
            ("Tanggal lahir", Decimal("0")),
            ("Sandi 123456", Decimal("-50")),
        ]

    def test_unchanged_question_keeps_its_version(self, course, django_assert_max_num_queries):
        made = question(
            category(course),
            "numeric",
            answers=[{"text": "12", "fraction": Decimal("100"), "tolerance": Decimal("2")}],
        )
        same = [{"text": "12", "fraction": "100.00", "tolerance": "2.0000", "feedback": ""}]
        # Category check, the locked question and its answers; no write at all.
        with django_assert_max_num_queries(5):
            quiz_services.question_save(question=made, answers=same)
        made.refresh_from_db()
        assert made.version == 1

    def test_answer_only_change_bumps_the_version(self, course):
        made = single_choice(category(course))
        quiz_services.question_save(
            question=made,
            answers=[
                {"text": "Benar", "fraction": "100", "feedback": "Umpan balik baru."},
                {"text": "Salah 1", "fraction": "0"},
                {"text": "Salah 2", "fraction": "0"},
            ],
        )
        made.refresh_from_db()
        assert made.version == 2
        assert made.spec()["answers"][0]["feedback"] == "Umpan balik baru."

    def test_refused_edit_leaves_the_stored_question_alone(self, course):
        made = single_choice(category(course))
        before = Question.objects.get(pk=made.pk).spec()
        made.text = "Teks baru"
        with pytest.raises(ValidationError):
            quiz_services.question_save(question=made, answers=[{"text": "A", "fraction": 100}])
        stored = Question.objects.get(pk=made.pk)
        assert stored.spec() == before

    def test_stale_instance_counts_from_the_stored_version(self, course):
        made = single_choice(category(course))
        Question.objects.filter(pk=made.pk).update(version=5)
        made.name = "Nama baru"
        answers = [{"text": a.text, "fraction": a.fraction} for a in made.answers.all()]
        quiz_services.question_save(question=made, answers=answers)
        made.refresh_from_db()
        assert made.version == 6


@pytest.mark.django_db
class QuestionsImportTests:
    def test_gift_import_creates_categories_questions_and_answers(self, course, jakarta):
        result = quiz_services.questions_import(
            course=course, text=GIFT, fmt="gift", by=jakarta.trainer
        )
        assert result.created == 5
        assert result.categories == ["Kata Sandi", "SPBE"]
        assert [q.name for q in result.questions] == [
            "KS-01",
            "KS-02",
            "KS-03",
            "SPBE-01",
            "SPBE-02",
        ]
        stored = {
            q.name: q
            for q in Question.objects.filter(category__course=course).select_related("category")
        }
        assert {name: (q.kind, q.category.name) for name, q in stored.items()} == {
            "KS-01": ("single", "Kata Sandi"),
            "KS-02": ("truefalse", "Kata Sandi"),
            "KS-03": ("numeric", "Kata Sandi"),
            "SPBE-01": ("short", "SPBE"),
            "SPBE-02": ("matching", "SPBE"),
        }
        assert stored["KS-01"].created_by == jakarta.trainer
        spec = stored["KS-03"].spec()
        assert (spec["answers"][0]["text"], spec["answers"][0]["tolerance"]) == ("12", "2.0000")
        assert rows(stored["KS-01"])[0] == ("Menambah lapisan keamanan kedua", Decimal("100"))

    def test_existing_categories_are_reused(self, course):
        existing = category(course, "spbe")
        quiz_services.questions_import(course=course, text=GIFT, fmt="gift")
        assert QuestionCategory.objects.filter(course=course).count() == 2
        assert existing.questions.count() == 2

    def test_aiken_goes_to_the_default_or_named_category(self, course):
        result = quiz_services.questions_import(course=course, text=AIKEN, fmt="aiken")
        assert result.categories == ["Default"]
        assert QuestionCategory.objects.get(course=course, name="Default").questions.count() == 2
        quiz_services.questions_import(
            course=course, text=AIKEN, fmt="aiken", category_name="  Pra-tes SPBE "
        )
        assert (
            QuestionCategory.objects.get(course=course, name="Pra-tes SPBE").questions.count() == 2
        )

    def test_a_broken_file_imports_nothing(self, course):
        broken = GIFT + "\n::Esai::Jelaskan pentingnya SPBE.{}\n"
        with pytest.raises(FormatError) as caught:
            quiz_services.questions_import(course=course, text=broken, fmt="gift")
        assert caught.value.errors[0][0] == GIFT.count("\n") + 2  # the essay's line
        assert "Essay questions are not supported" in caught.value.errors[0][1]
        assert not Question.objects.exists()
        assert not QuestionCategory.objects.exists()

    def test_values_the_database_cannot_hold_are_refused_with_their_line(self, course):
        text = "Soal baik? {T}\n\nAngka besar? {#1:123456789012345}\n"
        with pytest.raises(FormatError) as caught:
            quiz_services.questions_import(course=course, text=text, fmt="gift")
        assert [line for line, _message in caught.value.errors] == [3]
        assert caught.value.errors[0][1].startswith("Answer 1, tolerance:")
        assert not Question.objects.exists()

    def test_dry_run_writes_nothing(self, course):
        result = quiz_services.questions_import(course=course, text=GIFT, fmt="gift", dry_run=True)
        assert result.created == 0
        assert len(result.questions) == 5
        assert result.categories == ["Kata Sandi", "SPBE"]
        assert not Question.objects.exists()
        assert not QuestionCategory.objects.exists()

    def test_unknown_format(self, course):
        with pytest.raises(ValidationError) as caught:
            quiz_services.questions_import(course=course, text=GIFT, fmt="xml")
        assert caught.value.messages == ["Unknown file format “xml”. Choose GIFT or Aiken."]

    def test_query_count_does_not_grow_with_the_file(self, course):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def gift(count: int) -> str:
            return "\n\n".join(
                f"::Q{n}::Apakah kata sandi nomor {n} aman?{{=Ya ~Tidak ~Ragu}}"
                for n in range(count)
            )

        def queries(count: int, category: str) -> int:
            with CaptureQueriesContext(connection) as captured:
                quiz_services.questions_import(
                    course=course, text=gift(count), fmt="gift", category_name=category
                )
            return len(captured.captured_queries)

        # The first write of the process warms caches (content types, Wagtail's reference
        # index registry); measure after it. A new category each time, then one insert of
        # questions and one of answers, whatever the count: on SQLite, whose limit of 999
        # parameters splits 180 answer rows into two inserts, one more.
        queries(1, "Pemanasan")
        few, many = queries(5, "Lima"), queries(60, "Enam puluh")
        assert many - few == (0 if connection.vendor == "postgresql" else 1)
        # Savepoints, the category and its reference-index entry, the two inserts.
        assert few <= 12
        assert QuestionAnswer.objects.filter(question__category__course=course).count() == 198


@pytest.mark.django_db
class QuestionsExportTests:
    def test_export_reads_back_into_another_course(self, course, other_course):
        quiz_services.questions_import(course=course, text=GIFT, fmt="gift")
        exported = quiz_services.questions_export(course=course)
        assert exported.count("$CATEGORY:") == 2
        quiz_services.questions_import(course=other_course, text=exported, fmt="gift")

        def specs(of_course):
            return sorted(
                (
                    {k: v for k, v in q.spec().items() if k not in ("key", "version")}
                    | {"category": q.category.name}
                    for q in Question.objects.filter(category__course=of_course)
                    .select_related("category")
                    .prefetch_related("answers")
                ),
                key=lambda spec: spec["name"],
            )

        assert specs(other_course) == specs(course)

    def test_one_category_and_other_courses_category(self, course, other_course):
        quiz_services.questions_import(course=course, text=GIFT, fmt="gift")
        spbe = QuestionCategory.objects.get(course=course, name="SPBE")
        exported = quiz_services.questions_export(course=course, category=spbe)
        assert [q.name for q in parse_gift(exported)] == ["SPBE-01", "SPBE-02"]
        foreign = category(other_course, "Milik Sorong")
        with pytest.raises(ValidationError) as caught:
            quiz_services.questions_export(course=course, category=foreign)
        assert caught.value.messages == ["This category belongs to another course."]

    def test_ordering_questions_are_noted_not_exported(self, course):
        bank = category(course, "Insiden")
        question(
            bank,
            "ordering",
            name="Urutan penanganan insiden",
            answers=[("Identifikasi", 0), ("Lokalisasi", 0), ("Pemulihan", 0)],
        )
        exported = quiz_services.questions_export(course=course)
        assert "left out: GIFT has no ordering questions" in exported
        with pytest.raises(FormatError):
            parse_gift(exported)  # nothing but comments and the category line

    def test_query_count_does_not_grow(self, course, django_assert_num_queries):
        bank = category(course, "Kata Sandi")
        for n in range(10):
            single_choice(bank, name=f"Soal {n}")
        with django_assert_num_queries(2):
            exported = quiz_services.questions_export(course=course)
        assert len(parse_gift(exported)) == 10


@pytest.mark.django_db
class CategoryCreateTests:
    def test_create_and_duplicate(self, course, other_course):
        made = quiz_services.category_create(course=course, name=" Kata Sandi ")
        assert made.name == "Kata Sandi"
        with pytest.raises(ValidationError) as caught:
            quiz_services.category_create(course=course, name="kata sandi")
        assert caught.value.messages == [
            "The category “kata sandi” already exists in this course. Choose another name."
        ]
        # Another course's bank is its own.
        assert quiz_services.category_create(course=other_course, name="Kata Sandi").pk

    def test_empty_name(self, course):
        with pytest.raises(ValidationError):
            quiz_services.category_create(course=course, name="   ")
        assert not QuestionCategory.objects.exists()


@pytest.mark.django_db
class QuizSlotsCheckTests:
    def test_a_sound_quiz_has_no_problems(self, course):
        bank = category(course, "Kata Sandi")
        fixed = single_choice(bank)
        single_choice(bank)
        single_choice(bank)
        made = quiz(course, questions=[fixed], draws=[(bank, 2)])
        assert quiz_services.quiz_slots_check(made) == []

    def test_fixed_questions_are_not_drawn_again(self, course):
        bank = category(course, "Kata Sandi")
        fixed = single_choice(bank)
        single_choice(bank)
        single_choice(bank)
        made = quiz(course, questions=[fixed], draws=[(bank, 3)])
        assert quiz_services.quiz_slots_check(made) == [
            "The category “Kata Sandi” has 2 questions left besides the quiz's fixed "
            "questions, but the quiz draws 3 random questions from it. Add questions or "
            "draw fewer."
        ]

    def test_other_courses_question_and_category_are_refused(self, course, other_course):
        foreign_bank = category(other_course, "Bank Sorong")
        foreign = single_choice(foreign_bank, name="Soal Sorong")
        made = quiz(course, questions=[foreign], draws=[(foreign_bank, 1)])
        assert quiz_services.quiz_slots_check(made) == [
            "Quiz question 1: “Soal Sorong” belongs to another course. Choose a question "
            "from this course's bank.",
            "Quiz question 2: the category “Bank Sorong” belongs to another course. Choose a "
            "category of this course.",
        ]

    def test_draws_larger_than_the_category(self, course):
        bank = category(course, "SPBE")
        single_choice(bank)
        single_choice(bank)
        small = category(course, "Satu Soal")
        single_choice(small)
        made = quiz(course, draws=[(bank, 2), (bank, 1), (small, 2)])
        assert quiz_services.quiz_slots_check(made) == [
            "The category “SPBE” has only 2 questions, but the quiz draws 3 random questions "
            "from it. Add questions or draw fewer.",
            "The category “Satu Soal” has only 1 question, but the quiz draws 2 random "
            "questions from it. Add questions or draw fewer.",
        ]

    def test_unsaved_slots_of_a_form(self, course):
        bank = category(course, "Kata Sandi")
        made = Quiz(course=course, title="Pra-tes Kata Sandi")
        made.slots = [
            QuizSlot(category=bank, draw_count=4),
            QuizSlot(),
        ]
        assert quiz_services.quiz_slots_check(made) == [
            "Quiz question 2: choose either a question or a random category.",
            "The category “Kata Sandi” has only 0 questions, but the quiz draws 4 random "
            "questions from it. Add questions or draw fewer.",
        ]

    def test_query_count_does_not_grow_with_slots(self, course, django_assert_num_queries):
        bank = category(course, "Kata Sandi")
        questions = [single_choice(bank) for _ in range(10)]
        made = quiz(course, questions=questions[:8], draws=[(bank, 1), (bank, 1)])
        with django_assert_num_queries(3):
            assert quiz_services.quiz_slots_check(made) == []
