"""Quiz results as files: the attempts and the per-question statistics, as CSV or XLSX.

Both formats stream: rows come from the database in chunks and are written as they come
(CSV through a StreamingHttpResponse, XLSX through openpyxl's write-only mode into a
temporary file), so a quiz with many thousands of attempts does not grow memory.

CSV is written for Excel as Indonesian offices have it set up: UTF-8 with a byte-order
mark (otherwise Excel reads the names as Latin-1), ``;`` between fields and a decimal
comma (the Indonesian list and decimal separators); a field that contains ``;``, a quote
or a line break is quoted. Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe in both formats, so a learner named
``=HYPERLINK(...)`` cannot make a spreadsheet run a formula (CSV injection).
"""

import csv
import datetime
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from courses.quiz_models import Quiz
from lms.records.models import AttemptCloser, AttemptState
from lms.reports import quiz_selectors as selectors

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula."""
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    """A sheet: a title, translated headers and rows of plain values (str, int, float,
    Decimal, naive datetime, bool or None)."""

    title: str
    headers: list[str]
    rows: Iterable[list]


def _local(moment: datetime.datetime | None) -> datetime.datetime | None:
    # Spreadsheets have no time zones: the site's local time, without tzinfo.
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def attempts_table(*, viewer, quiz: Quiz, filters=selectors.NO_FILTER) -> Table:
    """The attempts of the learners the viewer may see, one row per attempt."""
    states = dict(AttemptState.choices)
    closers = dict(AttemptCloser.choices)

    def rows() -> Iterator[list]:
        for row in selectors.attempt_rows_iter(viewer=viewer, quiz=quiz, filters=filters):
            duration = row["duration"]
            yield [
                safe_text(row["learner__full_name"]),
                row["learner__nip"],
                safe_text(row["learner__city__name"] or ""),
                safe_text(row["learner__agency__name"] or ""),
                row["number"],
                str(states.get(row["state"], row["state"])),
                _local(row["started_at"]),
                _local(row["submitted_at"]),
                None if duration is None else int(duration.total_seconds()),
                row["points"],
                row["max_points"],
                None if row["score_percent"] is None else round(row["score_percent"], 2),
                _yes_no(row["passed"]),
                str(closers.get(row["closed_by"], "")),
            ]

    return Table(
        title=_("Attempts"),
        headers=[
            _("Name"),
            _("NIP"),
            _("City"),
            _("Agency"),
            _("Attempt"),
            _("State"),
            _("Started"),
            _("Submitted"),
            _("Duration (seconds)"),
            _("Points"),
            _("Maximum points"),
            _("Score (%)"),
            _("Passed"),
            _("Ended by"),
        ],
        rows=rows(),
    )


def questions_table(*, viewer, quiz: Quiz, filters=selectors.NO_FILTER) -> Table:
    """The per-question statistics over the cities the viewer may see."""

    def pct(value: float | None):
        return None if value is None else round(value, 2)

    stats = selectors.question_stats(viewer=viewer, quiz=quiz, filters=filters)
    return Table(
        title=_("Question statistics"),
        headers=[
            _("Question"),
            _("Type"),
            _("Question key"),
            _("Versions"),
            _("Attempts"),
            _("Answered"),
            _("Facility index (%)"),
            _("Standard deviation (%)"),
            _("Discrimination index (%)"),
        ],
        rows=(
            [
                safe_text(item.name),
                item.kind,
                str(item.question_key),
                ", ".join(str(version) for version in item.versions),
                item.attempts,
                item.answered,
                pct(item.facility_percent),
                pct(item.sd_percent),
                pct(item.discrimination_percent),
            ]
            for item in stats
        ),
    )


# --- CSV -----------------------------------------------------------------------------------


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value):
        return value


def csv_lines(table: Table) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER, lineterminator="\r\n")
    # The byte-order mark tells Excel the file is UTF-8.
    yield "\ufeff" + writer.writerow(table.headers)
    for row in table.rows:
        yield writer.writerow([_csv_value(value) for value in row])


def csv_response(table: Table, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(table)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


# --- XLSX ----------------------------------------------------------------------------------


def write_xlsx(table: Table, target) -> None:
    """Write the table into ``target`` (a path or a binary file) in write-only mode:
    openpyxl keeps no rows in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.title[:31])
    bold = Font(bold=True)
    header = []
    for text in table.headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append(row)
    workbook.save(target)


def xlsx_response(table: Table, filename: str) -> FileResponse:
    # A temporary file, not a BytesIO: the workbook may be large, memory must not be.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    write_xlsx(table, spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE
    )


EXPORTS: dict[str, Callable[..., Table]] = {
    "attempts": attempts_table,
    "questions": questions_table,
}
FORMATS = {"csv": csv_response, "xlsx": xlsx_response}


def export_filename(quiz: Quiz, what: str) -> str:
    stem = slugify(quiz.title)[:60] or "kuis"
    part = "percobaan" if what == "attempts" else "statistik-soal"
    return f"{stem}-{part}-{timezone.localdate():%Y%m%d}"
