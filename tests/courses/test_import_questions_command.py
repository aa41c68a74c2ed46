"""manage.py import_questions / export_questions: all or nothing, clear errors."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from courses.quiz_models import Question, QuestionCategory
from tests.courses.conftest import make_course
from tests.courses.test_quiz_services import AIKEN, GIFT
from tests.quiz_factories import category, question, single_choice

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(jakarta):
    return make_course(
        jakarta.curriculum, title="Literasi Keamanan Siber", slug="literasi-keamanan-siber"
    )


def write(tmp_path, name: str, content, encoding="utf-8"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding)
    return str(path)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class ImportQuestionsCommandTests:
    def test_gift_import(self, tmp_path, course):
        path = write(tmp_path, "keamanan.gift", GIFT)
        out, _err = run(
            "import_questions", path, "--course", "literasi-keamanan-siber", "--format", "gift"
        )
        assert out.strip() == (
            "Imported 5 questions into “Literasi Keamanan Siber” (categories: Kata Sandi, SPBE)."
        )
        assert Question.objects.filter(category__course=course).count() == 5

    def test_aiken_with_bom_into_a_named_category(self, tmp_path, course):
        path = write(tmp_path, "spbe.txt", "\ufeff" + AIKEN.replace("\n", "\r\n"))
        run(
            "import_questions",
            path,
            "--course",
            "literasi-keamanan-siber",
            "--format",
            "aiken",
            "--category",
            "Pra-tes SPBE",
        )
        bank = QuestionCategory.objects.get(course=course, name="Pra-tes SPBE")
        assert [q.text for q in bank.questions.order_by("pk")] == [
            "Apa kepanjangan SPBE?",
            "Manakah kata sandi paling kuat?",
        ]

    def test_broken_file_imports_nothing_and_lists_each_problem(self, tmp_path, course):
        broken = (
            "::KS-01::Apa manfaat autentikasi dua faktor?{=Lapisan kedua ~Lebih cepat}\n"
            "\n"
            "::Esai::Jelaskan kebijakan kata sandi di instansi Anda.{}\n"
            "\n"
            "::KS-02::Pilih yang benar {~A ~B}\n"
        )
        path = write(tmp_path, "rusak.gift", broken)
        err = StringIO()
        with pytest.raises(CommandError) as caught:
            call_command(
                "import_questions",
                path,
                "--course",
                "literasi-keamanan-siber",
                "--format",
                "gift",
                stdout=StringIO(),
                stderr=err,
            )
        assert str(caught.value) == (
            "Nothing was imported: fix the 2 problems above and try again."
        )
        lines = err.getvalue().strip().splitlines()
        assert lines[0].startswith("line 3: Essay questions are not supported")
        assert lines[1] == (
            "line 5: Give at least one answer of a multiple response question positive credit."
        )
        assert not Question.objects.exists()
        assert not QuestionCategory.objects.exists()

    def test_broken_aiken_file(self, tmp_path, course):
        path = write(tmp_path, "rusak.txt", "Soal tanpa kunci?\nA. Ya\nB. Tidak\n")
        err = StringIO()
        with pytest.raises(CommandError):
            call_command(
                "import_questions",
                path,
                "--course",
                "literasi-keamanan-siber",
                "--format",
                "aiken",
                stdout=StringIO(),
                stderr=err,
            )
        assert err.getvalue().startswith("line 1: The “ANSWER: …” line is missing.")
        assert not Question.objects.exists()

    def test_dry_run_writes_nothing(self, tmp_path, course):
        path = write(tmp_path, "keamanan.gift", GIFT)
        out, _err = run(
            "import_questions",
            path,
            "--course",
            "literasi-keamanan-siber",
            "--format",
            "gift",
            "--dry-run",
        )
        assert "Checked 5 questions" in out
        assert "Nothing was written (--dry-run)." in out
        assert not Question.objects.exists()
        assert not QuestionCategory.objects.exists()

    def test_unknown_course(self, tmp_path, course):
        path = write(tmp_path, "keamanan.gift", GIFT)
        with pytest.raises(CommandError) as caught:
            run("import_questions", path, "--course", "tidak-ada", "--format", "gift")
        assert str(caught.value) == "No course has the slug “tidak-ada”."
        with pytest.raises(CommandError) as caught:
            run("import_questions", path, "--course-id", "999999", "--format", "gift")
        assert str(caught.value) == "No course has the page id 999999."
        with pytest.raises(CommandError) as caught:
            run("import_questions", path, "--format", "gift")
        assert str(caught.value) == "Name the course with --course SLUG or --course-id ID."
        assert not Question.objects.exists()

    def test_a_slug_shared_by_two_cities_needs_the_page_id(self, tmp_path, course, sorong):
        sorong_course = make_course(
            sorong.curriculum, title="Literasi Keamanan Siber Sorong", slug=course.slug
        )
        path = write(tmp_path, "keamanan.gift", GIFT)
        with pytest.raises(CommandError) as caught:
            run("import_questions", path, "--course", course.slug, "--format", "gift")
        assert str(caught.value) == (
            f"Several courses have the slug “literasi-keamanan-siber”: {course.pk} "
            f"(Literasi Keamanan Siber); {sorong_course.pk} (Literasi Keamanan Siber Sorong). "
            "Choose one with --course-id ID."
        )
        assert not Question.objects.exists()
        run("import_questions", path, "--course-id", str(sorong_course.pk), "--format", "gift")
        assert Question.objects.filter(category__course=sorong_course).count() == 5
        assert not Question.objects.filter(category__course=course).exists()

    def test_bad_encoding_and_missing_file(self, tmp_path, course):
        path = write(tmp_path, "latin1.gift", b"Kata sandi kuat? {T}\n\xe9\xff")
        with pytest.raises(CommandError) as caught:
            run("import_questions", path, "--course", course.slug, "--format", "gift")
        assert str(caught.value) == (
            f"“{path}” is not UTF-8 text (unreadable byte at position 21). "
            "Save it as UTF-8 and try again."
        )
        missing = str(tmp_path / "tidak-ada.gift")
        with pytest.raises(CommandError) as caught:
            run("import_questions", missing, "--course", course.slug, "--format", "gift")
        assert str(caught.value).startswith(f"Cannot read “{missing}”:")
        assert not Question.objects.exists()


class ExportQuestionsCommandTests:
    def test_export_to_stdout_and_to_a_file_reads_back(self, tmp_path, course, sorong):
        bank = category(course, "Kata Sandi")
        single_choice(bank, name="KS-01", text="Cara terbaik melindungi akun?")
        question(
            category(course, "SPBE"),
            "truefalse",
            name="SPBE-01",
            text="SPBE diatur dalam Perpres 95/2018.",
            answers=[("true", 100), ("false", 0)],
        )
        out, _err = run("export_questions", "--course", course.slug)
        assert "$CATEGORY: Kata Sandi" in out and "::SPBE-01::" in out

        target = tmp_path / "ekspor.gift"
        _out, err = run(
            "export_questions",
            "--course",
            course.slug,
            "--category",
            "SPBE",
            "--output",
            str(target),
        )
        assert "Exported the questions of “Literasi Keamanan Siber”" in err
        exported = target.read_text(encoding="utf-8")
        assert "::SPBE-01::" in exported and "KS-01" not in exported

        other = make_course(sorong.curriculum, title="Salinan Sorong", slug="salinan-sorong")
        run("import_questions", str(target), "--course", "salinan-sorong", "--format", "gift")
        copied = Question.objects.get(category__course=other)
        assert (copied.name, copied.kind, copied.category.name) == ("SPBE-01", "truefalse", "SPBE")

    def test_unknown_category(self, course):
        with pytest.raises(CommandError) as caught:
            run("export_questions", "--course", course.slug, "--category", "Tidak Ada")
        assert str(caught.value) == (
            "The course “Literasi Keamanan Siber” has no category “Tidak Ada”."
        )
