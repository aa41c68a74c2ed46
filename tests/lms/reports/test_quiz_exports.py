"""Quiz result exports: CSV for Indonesian Excel (BOM, `;`, decimal comma, no formula
injection), XLSX (write-only), the rows of the viewer's city only, streamed."""

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.reports import quiz_exports
from tests.factories import city_admin, national_admin, trainer

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


def export_url(quiz, what, fmt) -> str:
    return reverse("reports_quiz_export", args=[quiz.pk, what, fmt])


def body(response) -> bytes:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content)
    return b"".join(response)


def read_csv(response) -> list[list[str]]:
    raw = body(response)
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(response) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))


@pytest.fixture
def results(world, national_quiz):
    quiz, questions = national_quiz
    make_attempt(world.new_learner(full_name="Budi; Santoso"), quiz, questions, [1, 0.5, 0])
    make_attempt(world.new_learner(full_name='=HYPERLINK("http://x")'), quiz, questions, [1, 1, 1])
    make_attempt(world.new_learner(full_name="-Rina"), quiz, questions, [0, 0, 0], submitted=False)
    make_attempt(
        world.new_learner(city=world.sorong, full_name="Yohanes Sorong"), quiz, questions, [0, 1, 0]
    )
    return quiz


class CsvExportTests:
    def test_attempts_csv_opens_in_excel_and_keeps_to_the_city(self, client, world, results):
        client.force_login(city_admin(world.jakarta))
        response = client.get(export_url(results, "attempts", "csv"))
        assert response.status_code == 200
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'attachment; filename="kuis-nasional-percobaan-' in response["Content-Disposition"]
        rows = read_csv(response)
        assert rows[0][:4] == ["Name", "NIP", "City", "Agency"]
        by_name = {row[0]: row for row in rows[1:]}
        assert len(rows) == 4
        # A `;` inside a name is quoted, not a new column.
        assert by_name["Budi; Santoso"][2] == "Jakarta"
        assert by_name["Budi; Santoso"][11] == "50,0"  # score with the decimal comma
        assert by_name["Budi; Santoso"][12] == "No"
        # Formula-looking names are neutralised.
        assert '\'=HYPERLINK("http://x")' in by_name
        assert "'-Rina" in by_name
        assert (
            "Yohanes Sorong"
            not in body(client.get(export_url(results, "attempts", "csv"))).decode()
        )

    def test_question_statistics_csv(self, client, world, results):
        client.force_login(trainer(world.jakarta))
        rows = read_csv(client.get(export_url(results, "questions", "csv")))
        assert rows[0][0] == "Question" and rows[0][6] == "Facility index (%)"
        assert [row[0] for row in rows[1:]] == ["Soal 1", "Soal 2", "Soal 3"]
        # Two submitted Jakarta attempts (Sorong's is outside a Jakarta trainer's figures).
        assert [row[4] for row in rows[1:]] == ["2", "2", "2"]
        assert rows[2][6] == "75,0"

    def test_safe_text(self):
        for text in ("=1+1", "+62", "-5", "@SUM(A1)", "\tx", "\rx"):
            assert quiz_exports.safe_text(text) == "'" + text
        assert quiz_exports.safe_text("Budi") == "Budi"
        assert quiz_exports.safe_text("") == ""


class XlsxExportTests:
    def test_attempts_xlsx(self, client, world, results):
        client.force_login(city_admin(world.jakarta))
        response = client.get(export_url(results, "attempts", "xlsx"))
        assert response.status_code == 200
        assert response["Content-Type"] == quiz_exports.XLSX_CONTENT_TYPE
        rows = read_xlsx(response)
        assert rows[0][0] == "Name" and len(rows) == 4
        names = {row[0] for row in rows[1:]}
        assert "Yohanes Sorong" not in names
        assert '\'=HYPERLINK("http://x")' in names  # text, not a formula
        budi = next(row for row in rows[1:] if row[0] == "Budi; Santoso")
        assert isinstance(budi[1], str) and len(budi[1]) == 18  # the NIP stays text
        assert budi[11] == 50.0 and budi[8] == 420

    def test_national_admin_gets_every_city(self, client, world, results):
        client.force_login(national_admin())
        rows = read_xlsx(client.get(export_url(results, "attempts", "xlsx")))
        assert {row[2] for row in rows[1:]} == {"Jakarta", "Sorong"}
        stats = read_xlsx(client.get(export_url(results, "questions", "xlsx")))
        assert [row[4] for row in stats[1:]] == [3, 3, 3]

    def test_filter_applies_to_the_export(self, client, world, results):
        client.force_login(city_admin(world.jakarta))
        rows = read_xlsx(client.get(export_url(results, "attempts", "xlsx"), {"passed": "yes"}))
        assert [row[0] for row in rows[1:]] == ['\'=HYPERLINK("http://x")']


class ExportRefusalTests:
    def test_other_city_and_unknown_formats(self, client, world, results, jakarta_quiz):
        client.force_login(city_admin(world.sorong))
        assert client.get(export_url(jakarta_quiz[0], "attempts", "xlsx")).status_code == 404
        assert client.get(export_url(results, "questions", "csv")).status_code == 404
        client.force_login(city_admin(world.jakarta))
        assert client.get(export_url(results, "attempts", "pdf")).status_code == 404
        assert client.get(export_url(results, "secrets", "csv")).status_code == 404

    def test_export_queries_do_not_grow(self, client, world, national_quiz):
        quiz, questions = national_quiz
        client.force_login(city_admin(world.jakarta))

        def export() -> tuple[int, int]:
            with CaptureQueriesContext(connection) as queries:
                rows = read_csv(client.get(export_url(quiz, "attempts", "csv")))
            return len(queries), len(rows)

        make_attempt(world.new_learner(), quiz, questions, [1, 0, 0])
        few, rows = export()
        assert rows == 2
        for n in range(15):
            make_attempt(world.new_learner(), quiz, questions, [1, n % 2, 0])
        assert export() == (few, 17)
