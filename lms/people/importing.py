"""Bulk import of learners from a BKPSDM roster (CSV or XLSX).

Three steps, usable by the management command and the admin view alike:

1. read: stream the file's rows (CSV in UTF-8 with or without BOM, comma or semicolon;
   or the first sheet of an XLSX workbook), refusing anything else with a clear message;
2. validate: check every row and column against the same rules as
   ``services.learner_create`` (NIP, same-city agency and supervisor, unique email) plus
   what only a whole file can break (duplicate NIPs, supervisor cycles); the result is an
   ``ImportReport`` listing (row, column, message) - no writes;
3. apply: upsert by NIP, all or nothing, with a constant number of queries per batch.

Columns are matched by header name. A recognised optional column that is present in the
file is authoritative (an empty cell clears the value); a column absent from the file
leaves that value of existing learners untouched.
"""

import codecs
import csv
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from lms.people.models import Agency, City, LearnerProfile, User
from lms.people.nip import NipParts, parse_nip

MAX_FILE_SIZE = 10 * 1024 * 1024
# A zipped workbook under the size limit can still unpack to millions of rows; the admin
# request and the all-or-nothing transaction must stay bounded.
MAX_ROWS = 100_000
# Rows per INSERT/UPDATE statement; Django lowers it further where the backend needs to.
BATCH_SIZE = 1000
# Values per IN (...) look-up; SQLite builds may allow as few as 999 parameters.
LOOKUP_CHUNK = 900

REQUIRED_COLUMNS = ("nip", "nama", "email")
OPTIONAL_COLUMNS = ("golongan", "jabatan", "unit_kerja", "nip_atasan", "telepon")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Which profile field each optional column writes, for "column absent = leave untouched".
_COLUMN_FIELDS = {
    "golongan": "golongan",
    "jabatan": "jabatan_name",
    "unit_kerja": "agency",
    "telepon": "phone",
}
# Model field errors (from clean_fields) are reported under the column they came from.
_FIELD_COLUMNS = {
    "nip": "nip",
    "username": "nip",
    "full_name": "nama",
    "first_name": "nama",
    "email": "email",
    "golongan": "golongan",
    "jabatan_name": "jabatan",
    "phone": "telepon",
}

TEMPLATE_EXAMPLE = {
    "nip": "198609262015051001",
    "nama": "Budi Santoso",
    "email": "budi.santoso@example.go.id",
    "golongan": "III/a",
    "jabatan": "Pranata Komputer Ahli Pertama",
    "unit_kerja": "DISKOMINFO",
    "nip_atasan": "197503152000031002",
    "telepon": "081234567890",
}

ERROR = "error"
WARNING = "warning"

# A spreadsheet turns a long digit string into a float and prints it like 1.98609E+17.
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE]\+?\d+$")
_PHONE = re.compile(r"^[0-9+()\-./ ]+$")
_GOLONGAN = re.compile(r"^(iv|iii|ii|i|[1-4])\s*[/\-.\s]?\s*([a-e])$", re.IGNORECASE)
_ROMAN = {
    "i": "I",
    "ii": "II",
    "iii": "III",
    "iv": "IV",
    "1": "I",
    "2": "II",
    "3": "III",
    "4": "IV",
}
_GOLONGAN_VALUES = {choice.value for choice in LearnerProfile.Golongan}
# File signatures of formats people upload by mistake; anything with them is not a CSV.
_BINARY_SIGNATURES = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"MZ",
    b"\x7fELF",
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_SNIFF_BYTES = 64 * 1024

ProgressCallback = Callable[[str, int, int | None], None]


class RosterFileError(Exception):
    """The file as a whole cannot be used; the message says why and what to do."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class ImportIssue:
    """One problem: a whole file (row None), a header (row 1) or one cell of a data row."""

    row: int | None
    column: str | None
    message: str
    code: str
    level: str = ERROR

    def __str__(self) -> str:
        if self.row is not None and self.column:
            return _("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        if self.row is not None:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        if self.column:
            return _("Column %(column)s: %(message)s") % {
                "column": self.column,
                "message": self.message,
            }
        return self.message


@dataclass(eq=False)
class ImportRow:
    """One data row of the file and what the import makes of it."""

    number: int
    values: dict[str, str]
    nip: str = ""
    parts: NipParts | None = None
    golongan: str = ""
    agency: Agency | None = None
    supervisor_nip: str = ""
    existing: LearnerProfile | None = None
    user: User | None = None
    profile: LearnerProfile | None = None
    changed_fields: set[str] = field(default_factory=set)
    action: str = ""  # "create", "update" or "unchanged" once the row is valid
    has_error: bool = False


class ImportReport:
    """Everything the import found out about a file, for the command and the admin."""

    def __init__(self, *, city: City, filename: str = "", dry_run: bool = False):
        self.city = city
        self.filename = filename
        self.dry_run = dry_run
        self.columns: list[str] = []
        self.rows: list[ImportRow] = []
        self.issues: list[ImportIssue] = []
        self.created = 0
        self.updated = 0
        self.unchanged = 0
        self.applied = False
        # Stored learners whose NIP is in the file (as a learner or a supervisor).
        self._profiles: dict[str, LearnerProfile] = {}

    def error(self, row: "ImportRow | int | None", column: str | None, message: str, code: str):
        number = row.number if isinstance(row, ImportRow) else row
        if isinstance(row, ImportRow):
            row.has_error = True
        self.issues.append(ImportIssue(number, column, message, code, ERROR))

    def warning(self, row: int | None, column: str | None, message: str, code: str):
        self.issues.append(ImportIssue(row, column, message, code, WARNING))

    @property
    def errors(self) -> list[ImportIssue]:
        return [issue for issue in self.issues if issue.level == ERROR]

    @property
    def warnings(self) -> list[ImportIssue]:
        return [issue for issue in self.issues if issue.level == WARNING]

    @property
    def ok(self) -> bool:
        """True when the whole file is (or, in a dry run, would be) imported."""
        return not self.errors

    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def error_row_count(self) -> int:
        return sum(1 for row in self.rows if row.has_error)

    def summary(self) -> str:
        counts = {
            "rows": self.row_count,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "city": self.city.name,
        }
        if not self.ok:
            if not self.rows or any(issue.row is None for issue in self.errors):
                return _("Nothing was imported. Correct the problem listed and try again.")
            return ngettext(
                "Nothing was imported: %(errors)s error in %(bad_rows)s of %(rows)s rows. "
                "Correct the file and upload it again; no row is imported until all are valid.",
                "Nothing was imported: %(errors)s errors in %(bad_rows)s of %(rows)s rows. "
                "Correct the file and upload it again; no row is imported until all are valid.",
                len(self.errors),
            ) % {**counts, "errors": len(self.errors), "bad_rows": self.error_row_count}
        if self.dry_run:
            return (
                ngettext(
                    "Dry run: %(rows)s row can be imported into %(city)s "
                    "(%(created)s new, %(updated)s updated, %(unchanged)s unchanged). "
                    "Nothing was written; import again without the dry run to save it.",
                    "Dry run: all %(rows)s rows can be imported into %(city)s "
                    "(%(created)s new, %(updated)s updated, %(unchanged)s unchanged). "
                    "Nothing was written; import again without the dry run to save them.",
                    self.row_count,
                )
                % counts
            )
        return (
            ngettext(
                "Imported %(rows)s row into %(city)s: %(created)s new, %(updated)s updated, "
                "%(unchanged)s unchanged. New learners set their password with "
                "“Forgot password” using their email address.",
                "Imported %(rows)s rows into %(city)s: %(created)s new, %(updated)s updated, "
                "%(unchanged)s unchanged. New learners set their password with "
                "“Forgot password” using their email address.",
                self.row_count,
            )
            % counts
        )

    def row_action_label(self, row: ImportRow) -> str:
        if self.dry_run:
            labels = {
                "create": pgettext("learner import row", "would be created"),
                "update": pgettext("learner import row", "would be updated"),
            }
        else:
            labels = {
                "create": pgettext("learner import row", "created"),
                "update": pgettext("learner import row", "updated"),
            }
        labels["unchanged"] = pgettext("learner import row", "unchanged")
        return labels.get(row.action, pgettext("learner import row", "refused"))


# --- reading ---------------------------------------------------------------------------


def file_size(file) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return size
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def read_roster(file, *, filename: str = "") -> tuple[str, Iterator[tuple[int, list]]]:
    """Open a roster and return its format ("csv" or "xlsx") and an iterator of
    (spreadsheet row number, cells). The format comes from the content, not the name,
    so a renamed file is recognised or refused for what it is."""
    size = file_size(file)
    if isinstance(file, File):
        # Read the underlying file: zipfile and the decoder need only read/seek/tell.
        file = file.file
    if size > MAX_FILE_SIZE:
        raise RosterFileError(
            _(
                "The file is %(size)s MB; the limit is %(limit)s MB. Split the roster into "
                "several files and import them one after another."
            )
            % {"size": f"{size / 1024 / 1024:.1f}", "limit": MAX_FILE_SIZE // (1024 * 1024)},
            "file_too_large",
        )
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    if not head.strip().lstrip(codecs.BOM_UTF8).strip():
        raise RosterFileError(
            _("The file is empty. Use the template and add one row per learner."), "file_empty"
        )
    suffix = PurePath(filename).suffix.lower()
    if head.startswith(_ZIP):
        return "xlsx", _xlsx_rows(file)
    if head.startswith(_OLE2):
        raise RosterFileError(
            _(
                "This is an old Excel file (.xls). Open it in Excel or LibreOffice and save "
                "it as .xlsx or as “CSV UTF-8”, then import that file."
            ),
            "file_xls",
        )
    if suffix == ".xlsx":
        raise RosterFileError(
            _(
                "The file is named .xlsx but is not an Excel workbook (it is not a zip "
                "archive). Save the roster again from Excel as .xlsx, or as “CSV UTF-8”."
            ),
            "file_not_xlsx",
        )
    if _looks_binary(head):
        raise RosterFileError(
            _(
                "The file is neither CSV nor XLSX (it contains binary data). Upload the "
                "roster as a .csv (UTF-8) or .xlsx file; download the template if unsure."
            ),
            "file_not_csv",
        )
    return "csv", _csv_rows(file)


def _looks_binary(head: bytes) -> bool:
    if any(head.startswith(signature) for signature in _BINARY_SIGNATURES):
        return True
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    return controls > len(head) // 100


def _not_utf8(row: int) -> RosterFileError:
    return RosterFileError(
        _(
            "The file is not UTF-8 text (the problem is in row %(row)s). In Excel "
            "choose Save As > “CSV UTF-8 (Comma delimited)”, or upload the .xlsx file."
        )
        % {"row": row},
        "file_encoding",
    )


def _text_lines(file) -> Iterator[str]:
    """Read the file chunk by chunk and decode it line by line: a large roster is never
    held in memory whole, and an encoding error surfaces at the row that has it.
    Splitting the bytes at "\n" is safe because UTF-8 never uses that byte inside a
    multi-byte character."""
    pending = b""
    encoding = "utf-8-sig"  # only the first line may start with a byte-order mark
    while chunk := file.read(_SNIFF_BYTES):
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            yield (line + b"\n").decode(encoding)
            encoding = "utf-8"
    if pending:
        yield pending.decode(encoding)


def _csv_rows(file) -> Iterator[tuple[int, list]]:
    lines = _text_lines(file)
    row_number = 0
    try:
        first_line = next(lines, "")
        # The header decides the delimiter: Indonesian Excel saves "CSV" with semicolons.
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter)
        for row_number, cells in enumerate(reader, start=1):
            yield row_number, cells
    except UnicodeDecodeError:
        raise _not_utf8(row_number + 1) from None
    except csv.Error as exc:
        raise RosterFileError(
            _(
                "The CSV file is malformed near row %(row)s (%(detail)s). Check the quotes "
                "in that row, or save the roster again from the spreadsheet."
            )
            % {"row": row_number + 1, "detail": exc},
            "file_csv_malformed",
        ) from None


def _xlsx_rows(file) -> Iterator[tuple[int, list]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise RosterFileError(
            _(
                "The file is a zip archive but not an Excel workbook. Upload the roster as "
                ".xlsx or .csv; download the template if unsure."
            ),
            "file_not_xlsx",
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for row_number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield row_number, list(cells)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):
        # SyntaxError covers the XML parser's errors on a damaged sheet.
        raise RosterFileError(
            _("The Excel workbook is damaged. Open it in Excel and save it again."),
            "file_not_xlsx",
        ) from None
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        # Digits beyond double precision are already lost: show it the way Excel does.
        return f"{value:.14E}".replace(".00000000000000", "")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def column_key(header) -> str:
    """Header names are matched case-insensitively; spaces and hyphens count as "_"."""
    text = _cell_text(header).lstrip("\ufeff").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


# --- validating ------------------------------------------------------------------------


def validate_roster(
    file,
    *,
    city: City,
    filename: str = "",
    dry_run: bool = True,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Read and check a roster without writing anything."""
    report = ImportReport(city=city, filename=filename, dry_run=dry_run)
    try:
        _fmt, rows = read_roster(file, filename=filename)
        positions = _read_header(report, rows)
        if positions is None:
            return report
        _read_rows(report, rows, positions, progress)
    except RosterFileError as exc:
        report.error(None, None, exc.message, exc.code)
        return report
    if not report.rows:
        report.error(
            None,
            None,
            _("The file has a header but no learners. Add one row per learner below it."),
            "file_no_rows",
        )
        return report
    _check_duplicates(report)
    _check_against_database(report)
    _check_cycles(report)
    _plan(report)
    return report


def _read_header(report: ImportReport, rows: Iterator[tuple[int, list]]) -> dict | None:
    for number, cells in rows:  # noqa: B007 (the header's row number is used below)
        if any(_cell_text(cell) for cell in cells):
            break
    else:
        raise RosterFileError(
            _("The file is empty. Use the template and add one row per learner."), "file_empty"
        )
    positions: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = column_key(cell)
        if not key:
            continue
        if key in positions:
            report.error(
                number,
                key,
                _("The column “%(column)s” appears twice. Keep one and delete the other.")
                % {"column": key},
                "column_duplicate",
            )
            continue
        positions[key] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in positions]
    if missing:
        report.error(
            None,
            None,
            _(
                "Required columns are missing: %(missing)s. The first row must name the "
                "columns; found: %(found)s. Expected: %(expected)s (download the template)."
            )
            % {
                "missing": ", ".join(missing),
                "found": ", ".join(positions) or "-",
                "expected": ", ".join(COLUMNS),
            },
            "columns_missing",
        )
    for key in positions:
        if key not in COLUMNS:
            report.warning(
                number,
                key,
                _("Unknown column “%(column)s” is ignored. Known columns: %(expected)s.")
                % {"column": key, "expected": ", ".join(COLUMNS)},
                "column_unknown",
            )
    if report.errors:
        return None
    report.columns = [column for column in COLUMNS if column in positions]
    return {column: positions[column] for column in report.columns} | {"_width": len(cells)}


def _read_rows(report, rows, positions: dict, progress: ProgressCallback | None) -> None:
    width = positions.pop("_width")
    for number, cells in rows:
        texts = [_cell_text(cell) for cell in cells]
        if not any(texts):
            continue  # spreadsheets keep blank rows between blocks of staff
        row = ImportRow(
            number=number,
            values={
                column: texts[index] if index < len(texts) else ""
                for column, index in positions.items()
            },
        )
        report.rows.append(row)
        if len(report.rows) > MAX_ROWS:
            raise RosterFileError(
                _(
                    "The file has more than %(limit)s learners. Split the roster into several "
                    "files and import them one after another."
                )
                % {"limit": MAX_ROWS},
                "file_too_many_rows",
            )
        if any(texts[width:]):
            report.error(
                row,
                None,
                _(
                    "This row has more values than the header has columns; a name or "
                    "position probably contains an unquoted comma or semicolon. Put that "
                    "value in double quotes."
                ),
                "row_too_long",
            )
        _check_row(report, row)
        if progress and len(report.rows) % 500 == 0:
            progress("read", len(report.rows), None)
    if progress:
        progress("read", len(report.rows), len(report.rows))


def _parse_nip_cell(value: str) -> tuple[str, NipParts]:
    """The NIP of a cell, cleaned and checked by the shared NIP rules."""
    # A leading apostrophe is the spreadsheet trick to keep digits as text.
    nip = value.lstrip("'").replace(" ", "").strip()
    if not nip.isascii():
        # str.isdigit() in parse_nip accepts e.g. Arabic-Indic digits, which would make a
        # NIP nobody can type at the login; the message is parse_nip's own.
        raise ValidationError(
            _("NIP may contain digits only (found “%(value)s”).") % {"value": value},
            code="nip_digits",
        )
    if _SCIENTIFIC.match(nip):
        raise ValidationError(
            _(
                "“%(value)s” is a number in scientific notation: the spreadsheet turned the "
                "NIP into a number and dropped digits. Format the column as Text and type "
                "the NIP again."
            )
            % {"value": nip},
            code="nip_scientific",
        )
    return nip, parse_nip(nip)


def _check_row(report: ImportReport, row: ImportRow) -> None:
    values = row.values
    try:
        row.nip, row.parts = _parse_nip_cell(values["nip"])
    except ValidationError as exc:
        report.error(row, "nip", exc.messages[0], exc.code or "nip_invalid")

    if not values["nama"]:
        report.error(
            row, "nama", _("The name is empty. Enter the learner's full name."), "required"
        )

    email = values["email"]
    if not email:
        report.error(
            row, "email", _("The email is empty. Each learner needs their own email."), "required"
        )
    else:
        try:
            validate_email(email)
        except ValidationError:
            report.error(
                row,
                "email",
                _("“%(value)s” is not a valid email address. Correct it (e.g. nama@kota.go.id).")
                % {"value": email},
                "email_invalid",
            )

    if "golongan" in values and values["golongan"]:
        golongan = normalise_golongan(values["golongan"])
        if golongan is None:
            report.error(
                row,
                "golongan",
                _(
                    "“%(value)s” is not a rank (golongan). Write it like III/a, IV/b or 2c; "
                    "or leave the cell empty."
                )
                % {"value": values["golongan"]},
                "golongan_invalid",
            )
        else:
            row.golongan = golongan

    if values.get("telepon") and not _PHONE.match(values["telepon"]):
        report.error(
            row,
            "telepon",
            _("“%(value)s” is not a phone number. Use digits, spaces, + and - only.")
            % {"value": values["telepon"]},
            "phone_invalid",
        )

    if values.get("nip_atasan"):
        try:
            supervisor_nip, _parts = _parse_nip_cell(values["nip_atasan"])
        except ValidationError as exc:
            report.error(
                row,
                "nip_atasan",
                _("The supervisor's NIP is not valid: %(reason)s") % {"reason": exc.messages[0]},
                "supervisor_nip_invalid",
            )
        else:
            if row.nip and supervisor_nip == row.nip:
                report.error(
                    row,
                    "nip_atasan",
                    _(
                        "A learner cannot be their own supervisor. Enter the NIP of the "
                        "direct supervisor, or leave the cell empty."
                    ),
                    "supervisor_self",
                )
            else:
                row.supervisor_nip = supervisor_nip


def normalise_golongan(value: str) -> str | None:
    """Spell a rank the way LearnerProfile.Golongan does: "III/a", "iii/a", "III-a", "3a"
    and "3 / A" all give "III/a"; None when it is not a real rank."""
    match = _GOLONGAN.match(value.strip())
    if not match:
        return None
    golongan = f"{_ROMAN[match.group(1).lower()]}/{match.group(2).lower()}"
    return golongan if golongan in _GOLONGAN_VALUES else None


def _check_duplicates(report: ImportReport) -> None:
    first_nip: dict[str, int] = {}
    first_email: dict[str, int] = {}
    for row in report.rows:
        if row.nip:
            if row.nip in first_nip:
                report.error(
                    row,
                    "nip",
                    _(
                        "NIP %(nip)s also appears in row %(first)s. Each learner may appear "
                        "only once; delete or correct one of the rows."
                    )
                    % {"nip": row.nip, "first": first_nip[row.nip]},
                    "nip_duplicate",
                )
            else:
                first_nip[row.nip] = row.number
        email = row.values["email"].lower()
        if email:
            if email in first_email:
                report.error(
                    row,
                    "email",
                    _(
                        "The email %(email)s is also used in row %(first)s. Each learner "
                        "needs their own email address."
                    )
                    % {"email": row.values["email"], "first": first_email[email]},
                    "email_duplicate",
                )
            else:
                first_email[email] = row.number


def _chunks(values: Iterable) -> Iterator[list]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, LOOKUP_CHUNK)):
        yield chunk


def _check_against_database(report: ImportReport) -> None:
    """Everything that needs the database, in a few queries per chunk of rows."""
    city = report.city
    file_rows = {row.nip: row for row in report.rows if row.nip}
    wanted = set(file_rows) | {row.supervisor_nip for row in report.rows if row.supervisor_nip}
    profiles: dict[str, LearnerProfile] = {}
    for chunk in _chunks(sorted(wanted)):
        for profile in (
            LearnerProfile.objects.filter(nip__in=chunk)
            .select_related("user", "city")
            .annotate(supervisor_nip=F("supervisor__nip"))
        ):
            profiles[profile.nip] = profile
    report._profiles = profiles

    new_nips = sorted(nip for nip in file_rows if nip not in profiles)
    taken_usernames = set()
    for chunk in _chunks(new_nips):
        taken_usernames.update(
            User.objects.filter(username__in=chunk).values_list("username", flat=True)
        )
    emails = {row.values["email"].lower() for row in report.rows if row.values["email"]}
    email_owners: dict[str, int] = {}
    for chunk in _chunks(sorted(emails)):
        email_owners.update(
            User.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=chunk)
            .values_list("email_lower", "pk")
        )

    by_code, by_name = {}, {}
    if "unit_kerja" in report.columns:
        for agency in Agency.objects.filter(city=city).only("id", "name", "code", "city_id"):
            if agency.code:
                by_code[agency.code.upper()] = agency
            by_name.setdefault(_name_key(agency.name), []).append(agency)

    for row in report.rows:
        existing = profiles.get(row.nip) if row.nip else None
        if existing is not None and existing.city_id != city.pk:
            report.error(
                row,
                "nip",
                _(
                    "NIP %(nip)s is already registered in %(other)s. A learner belongs to one "
                    "city only: ask the BKPSDM of %(other)s or a national admin to move them."
                )
                % {"nip": row.nip, "other": existing.city.name},
                "nip_other_city",
            )
            existing = None
        row.existing = existing
        if row.nip and existing is None and row.nip in taken_usernames:
            report.error(
                row,
                "nip",
                _(
                    "An account with the username %(nip)s already exists but is not a "
                    "learner. Ask a national admin to check that account."
                )
                % {"nip": row.nip},
                "nip_username_taken",
            )
        email = row.values["email"].lower()
        owner = email_owners.get(email)
        if owner is not None and (existing is None or existing.user_id != owner):
            report.error(
                row,
                "email",
                _(
                    "The email %(email)s is already used by another account. Each learner "
                    "needs their own email address; correct it or leave that account as it is."
                )
                % {"email": row.values["email"]},
                "email_taken",
            )
        if row.values.get("unit_kerja"):
            _resolve_agency(report, row, by_code, by_name)
        if row.supervisor_nip and row.supervisor_nip not in file_rows:
            supervisor = profiles.get(row.supervisor_nip)
            if supervisor is None:
                report.error(
                    row,
                    "nip_atasan",
                    _(
                        "Supervisor NIP %(nip)s is found neither in the file nor among the "
                        "learners of %(city)s. Check the NIP or add the supervisor to the file."
                    )
                    % {"nip": row.supervisor_nip, "city": city.name},
                    "supervisor_unknown",
                )
            elif supervisor.city_id != city.pk:
                report.error(
                    row,
                    "nip_atasan",
                    _(
                        "Supervisor NIP %(nip)s works for %(other)s, not %(city)s. A supervisor "
                        "must be of the same city; check the NIP."
                    )
                    % {"nip": row.supervisor_nip, "other": supervisor.city.name, "city": city.name},
                    "supervisor_other_city",
                )


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _resolve_agency(report, row: ImportRow, by_code: dict, by_name: dict) -> None:
    value = row.values["unit_kerja"]
    agency = by_code.get(value.strip().upper())
    if agency is None:
        named = by_name.get(_name_key(value), [])
        if len(named) > 1:
            report.error(
                row,
                "unit_kerja",
                _(
                    "Several agencies of %(city)s are named “%(value)s”. Use the agency's "
                    "code instead: %(codes)s."
                )
                % {
                    "city": report.city.name,
                    "value": value,
                    "codes": ", ".join(a.code or "-" for a in named),
                },
                "agency_ambiguous",
            )
            return
        agency = named[0] if named else None
    if agency is None:
        report.error(
            row,
            "unit_kerja",
            _(
                "%(city)s has no agency with the code or name “%(value)s”. Check the spelling "
                "or use the code from the list of agencies."
            )
            % {"city": report.city.name, "value": value},
            "agency_unknown",
        )
        return
    row.agency = agency


def _check_cycles(report: ImportReport) -> None:
    """Refuse supervisor chains that loop, including loops closed by rows already stored."""
    profiles: dict[str, LearnerProfile] = report._profiles
    file_rows: dict[str, ImportRow] = {}
    for row in report.rows:
        if row.nip and row.nip not in file_rows:
            file_rows[row.nip] = row
    supervisor_in_file = "nip_atasan" in report.columns

    # Supervisor chains leave the file through stored learners; fetch them level by level
    # (one query per level and chunk) rather than the whole city.
    stored_next: dict[str, str | None] = {
        nip: profile.supervisor_nip for nip, profile in profiles.items()
    }
    frontier = {nip for nip in stored_next.values() if nip and nip not in stored_next}
    while frontier:
        found = {}
        for chunk in _chunks(sorted(frontier)):
            found.update(
                LearnerProfile.objects.filter(nip__in=chunk).values_list("nip", "supervisor__nip")
            )
        for nip in frontier:
            stored_next[nip] = found.get(nip)
        frontier = {nip for nip in found.values() if nip and nip not in stored_next}

    def next_of(nip: str) -> str | None:
        row = file_rows.get(nip)
        if row is not None and (supervisor_in_file or row.existing is None):
            return row.supervisor_nip or None
        return stored_next.get(nip)

    state: dict[str, int] = {}  # 1: on the current path, 2: known not to loop
    for start in file_rows:
        path = []
        nip = start
        while nip and state.get(nip) is None:
            state[nip] = 1
            path.append(nip)
            nip = next_of(nip)
        if nip and state.get(nip) == 1:
            cycle = path[path.index(nip) :]
            members = [file_rows[member] for member in cycle if member in file_rows]
            chain = " → ".join([*cycle, cycle[0]])
            for member in members:
                report.error(
                    member,
                    "nip_atasan",
                    _(
                        "The supervisors form a loop: %(chain)s. Nobody can be their own "
                        "(indirect) supervisor; correct the NIP of one supervisor in the loop."
                    )
                    % {"chain": chain},
                    "supervisor_cycle",
                )
        for member in path:
            state[member] = 2


def _plan(report: ImportReport) -> None:
    """Decide create/update/unchanged per valid row, and check the resulting records with
    the models' own field rules (lengths, choices)."""
    if report.errors:
        return
    now = timezone.now()
    present = set(report.columns)
    for row in report.rows:
        values = row.values
        email = values["email"].strip()
        full_name = " ".join(values["nama"].split())
        target = {"full_name": full_name, "email": email}
        for column, field_name in _COLUMN_FIELDS.items():
            if column in present:
                target[field_name] = {
                    "golongan": row.golongan,
                    "jabatan": values.get("jabatan", ""),
                    "unit_kerja": row.agency,
                    "telepon": values.get("telepon", ""),
                }[column]
        if row.existing is None:
            user = User(
                username=row.nip,
                email=email,
                first_name=full_name[:150],
                password=make_password(None),
                date_joined=now,
            )
            profile = LearnerProfile(
                city=report.city,
                nip=row.nip,
                employment_type=LearnerProfile.EmploymentType.PNS,
                gender=row.parts.gender,
                birth_date=row.parts.birth_date,
                **target,
            )
            row.action = "create"
        else:
            profile = row.existing
            user = profile.user
            for field_name, value in target.items():
                # Compare the agency by id: reading profile.agency would query per row.
                current = (
                    profile.agency_id if field_name == "agency" else getattr(profile, field_name)
                )
                wanted = value.pk if field_name == "agency" and value else value
                if current != wanted:
                    setattr(profile, field_name, value)
                    row.changed_fields.add(field_name)
            current_supervisor = profile.supervisor_nip or ""
            if "nip_atasan" in present and current_supervisor != row.supervisor_nip:
                row.changed_fields.add("supervisor")
            if user.email != email or user.first_name != full_name[:150]:
                user.email, user.first_name = email, full_name[:150]
                row.changed_fields.add("user")
            row.action = "update" if row.changed_fields else "unchanged"
        row.user, row.profile = user, profile
        _check_fields(report, row)
    if report.errors:
        return
    report.created = sum(1 for row in report.rows if row.action == "create")
    report.updated = sum(1 for row in report.rows if row.action == "update")
    report.unchanged = sum(1 for row in report.rows if row.action == "unchanged")


def _check_fields(report: ImportReport, row: ImportRow) -> None:
    # Foreign keys are checked above in bulk; clean_fields would query once per row.
    checks = (
        (row.user, ["password", "groups", "user_permissions"]),
        (row.profile, ["user", "city", "agency", "supervisor"]),
    )
    reported = set()
    for instance, exclude in checks:
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                column = _FIELD_COLUMNS.get(field_name)
                if column in reported:
                    continue
                reported.add(column)
                report.error(row, column, " ".join(messages), "field_invalid")


# --- applying --------------------------------------------------------------------------


def learners_import(
    *,
    file,
    city: City,
    filename: str = "",
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportReport:
    """Validate a roster and, unless it is a dry run, upsert every row - or none.

    The checks run inside the writing transaction so that what was checked is what is
    written; the city row is locked so two imports into one city cannot interleave.
    """
    if dry_run:
        return validate_roster(file, city=city, filename=filename, dry_run=True, progress=progress)
    report = None
    try:
        with transaction.atomic():
            City.objects.select_for_update().filter(pk=city.pk).exists()
            report = validate_roster(
                file, city=city, filename=filename, dry_run=False, progress=progress
            )
            if report.ok:
                _apply(report, progress)
                _apply_enrolment_rules(report, city)
                report.applied = True
    except IntegrityError:
        # Another writer got in between the checks and the writes (e.g. the same email
        # registered a moment ago); the transaction is rolled back as a whole.
        report = report or ImportReport(city=city, filename=filename)
        report.applied = False
        report.created = report.updated = report.unchanged = 0
        report.error(
            None,
            None,
            _(
                "The learners of %(city)s changed while the file was being imported (for "
                "example, someone registered one of its emails). Run the import again."
            )
            % {"city": city.name},
            "concurrent_change",
        )
    return report


def _apply_enrolment_rules(report: ImportReport, city: City) -> None:
    """Enrol the imported learners by their city's rules, in the import's transaction."""
    # Imported lazily: lms.records builds on lms.people, not the other way round.
    from lms.records.services import apply_enrolment_rules_to

    nips = [row.nip for row in report.rows if row.action in ("create", "update")]
    if nips:
        apply_enrolment_rules_to(LearnerProfile.objects.filter(city=city, nip__in=nips))


def _apply(report: ImportReport, progress: ProgressCallback | None) -> None:
    now = timezone.now()
    total = len(report.rows)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress("write", done, total)

    created = [row for row in report.rows if row.action == "create"]
    for batch in _batches(created):
        users = [row.user for row in batch]
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        _ensure_pks(User, users, "username")
        for row in batch:
            row.profile.user = row.user
        profiles = [row.profile for row in batch]
        LearnerProfile.objects.bulk_create(profiles, batch_size=BATCH_SIZE)
        _ensure_pks(LearnerProfile, profiles, "nip")
        advance(len(batch))

    updated = [row for row in report.rows if row.action == "update"]
    profile_fields = ["full_name", "email", "updated_at"] + [
        field_name for column, field_name in _COLUMN_FIELDS.items() if column in report.columns
    ]
    for batch in _batches(updated):
        users = [row.user for row in batch if "user" in row.changed_fields]
        if users:
            _bulk_update(User, users, ["email", "first_name"])
        profiles = [row.profile for row in batch if row.changed_fields - {"user", "supervisor"}]
        for profile in profiles:
            profile.updated_at = now
        if profiles:
            _bulk_update(LearnerProfile, profiles, profile_fields)
        advance(len(batch))
    advance(total - done)

    # Second pass: every learner of the file now has an id, whatever the row order.
    if "nip_atasan" not in report.columns:
        return
    ids = {nip: profile.pk for nip, profile in report._profiles.items()}
    ids.update({row.nip: row.profile.pk for row in report.rows})
    linked = []
    for row in report.rows:
        if row.action == "create" and not row.supervisor_nip:
            continue
        if row.action != "create" and "supervisor" not in row.changed_fields:
            continue
        row.profile.supervisor_id = ids[row.supervisor_nip] if row.supervisor_nip else None
        row.profile.updated_at = now
        linked.append(row.profile)
    for batch in _batches(linked):
        _bulk_update(LearnerProfile, batch, ["supervisor", "updated_at"])


def _bulk_update(model, objects: list, field_names: list[str]) -> None:
    """Write the given fields of up to BATCH_SIZE objects in one statement.

    Django's bulk_update builds a CASE WHEN expression per object and field, which costs
    seconds of Python per thousand rows; on PostgreSQL one UPDATE ... FROM (VALUES ...)
    does the same work in milliseconds. Other backends keep bulk_update.
    """
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, field_names, batch_size=BATCH_SIZE)
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    aliases = [f"c{index}" for index in range(len(fields))]
    assignments = ", ".join(
        f"{quote(field.column)} = CAST(v.{alias} AS {field.cast_db_type(connection)})"
        for field, alias in zip(fields, aliases, strict=True)
    )
    row_sql = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    params = []
    for obj in objects:
        params.append(obj.pk)
        params.extend(
            field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields
        )
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
        f"FROM (VALUES {', '.join([row_sql] * len(objects))}) AS v(pk, {', '.join(aliases)}) "
        f"WHERE t.{quote(meta.pk.column)} = CAST(v.pk AS {meta.pk.cast_db_type(connection)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _batches(items: list) -> Iterator[list]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def _ensure_pks(model, objects: list, key: str) -> None:
    """Backends that cannot return ids from a bulk insert get them in one more query."""
    missing = [obj for obj in objects if obj.pk is None]
    if not missing:
        return
    ids = dict(
        model.objects.filter(**{f"{key}__in": [getattr(obj, key) for obj in missing]}).values_list(
            key, "pk"
        )
    )
    for obj in missing:
        obj.pk = ids[getattr(obj, key)]


# --- templates -------------------------------------------------------------------------


def template_csv() -> bytes:
    """The roster template: the headers and one example row, UTF-8 with a BOM so that
    Excel opens it with the right encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow([TEMPLATE_EXAMPLE[column] for column in COLUMNS])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "pegawai"
    sheet.append(list(COLUMNS))
    sheet.append([TEMPLATE_EXAMPLE[column] for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    # Text format keeps NIPs and phone numbers from becoming numbers that lose digits.
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(TEMPLATE_EXAMPLE[column]) + 4)
        if column in ("nip", "nip_atasan", "telepon"):
            for row in range(2, 1001):
                sheet.cell(row=row, column=index).number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
