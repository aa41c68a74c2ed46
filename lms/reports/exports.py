"""Exports for city and national admins: any dashboard table as CSV or XLSX, a city-year's
course completions in SIASN "riwayat kursus" fields (CSV, JSON), and the list of learners
below 20 JP; the large ones run in the background as an ``ExportJob``.

Two kinds of file, two sets of rules:

- Spreadsheets for people (``table_csv``, ``table_xlsx``, the "below 20 JP" list): written
  like lms.reports.quiz_exports writes quiz results, and with its helpers - UTF-8 with a
  byte-order mark, ``;`` and a decimal comma for Indonesian Excel, and text that starts
  like a formula gets a leading apostrophe (CSV injection).
- The SIASN file is for machines (an import into SIASN or a BKPSDM's own system): plain
  RFC 4180 CSV (``,``, UTF-8 without a byte-order mark, header = the SIASN field names) or
  a JSON list, ISO dates, values exactly as recorded - an apostrophe added to a course
  name would be imported as part of it. Its text comes from staff-authored course
  content and generated certificate numbers, not from what learners type.

Large files never sit in memory: rows come from the database with ``.iterator()`` (a
server-side cursor on PostgreSQL) and are written to a temporary file, which is then
stored under ``exports/`` in the default storage.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
import logging
import operator
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from functools import lru_cache, partial
from typing import IO, TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.models import LearningForm
from lms.people import permissions
from lms.people.models import Agency, City
from lms.records.models import CourseCompletion
from lms.records.selectors import local_date
from lms.reports import quiz_exports
from lms.reports.models import ExportJob

if TYPE_CHECKING:
    from lms.reports.selectors import Table

logger = logging.getLogger(__name__)

# Rows between two progress writes: often enough for a moving bar, rare enough that a
# 200,000-row export spends its time writing the file, not the job row.
PROGRESS_EVERY = 2000
ITERATOR_CHUNK = 5000
FIRST_YEAR = 2000
RECENT_JOBS = 20

# --- SIASN "riwayat kursus" ----------------------------------------------------------------

# Field names as the SIASN web service (BKN) names a course history record ("riwayat
# kursus", POST /kursus/save): namaKursus, institusiPenyelenggara, jenisKursusSertipikat,
# jumlahJam, tanggalKursus, tanggalSelesaiKursus, tahunKursus, nomorSertipikat. Source:
# the SiASN PHP SDK's README, section "Kursus" (github.com/black-coffee04/ws-siasn-php),
# and integrations that post the same payload. SIASN identifies the civil servant by its
# internal pnsOrangId, which this platform does not have; the NIP goes in ``nipBaru``,
# the name SIASN's "data utama" gives the 18-digit NIP, so an importer can look the id up.
# SIASN's ``jenisDiklatId`` is an id from its reference list (referensi jenis diklat) that
# we do not hold, so the learning form goes as text in ``jenisKursusSertipikat`` (which
# integrations fill with the form's name, e.g. "Workshop"). The service itself wants
# dates as dd-mm-yyyy; the files carry ISO dates (unambiguous), an importer converts.
SIASN_FIELDS: list[tuple[str, str]] = [
    ("nipBaru", gettext_lazy("NIP")),
    ("namaKursus", gettext_lazy("Course name")),
    ("institusiPenyelenggara", gettext_lazy("Organiser institution")),
    ("jenisKursusSertipikat", gettext_lazy("Learning form")),
    ("jumlahJam", gettext_lazy("JP (hours of learning)")),
    ("tanggalKursus", gettext_lazy("Start date")),
    ("tanggalSelesaiKursus", gettext_lazy("End date")),
    ("tahunKursus", gettext_lazy("Year")),
    ("nomorSertipikat", gettext_lazy("Certificate number")),
]
SIASN_KEYS = [key for key, _label in SIASN_FIELDS]

_SIASN_COLUMNS = (
    "id",
    "course_title",
    "organiser",
    "learning_form",
    "jp",
    "started_on",
    "completed_on",
    "year",
    "certificate_number",
)


def siasn_completions(*, city: City, year: int, agency_id: int | None = None) -> QuerySet:
    """The course completions of a city and year, in primary-key order (stable for
    ``.iterator()`` and for keyset pagination), each annotated with its learner's NIP as
    ``nip`` - one query whatever the number of rows. ``agency_id`` narrows them to the
    learners now working in that agency or a unit below it."""
    completions = CourseCompletion.objects.filter(city=city, year=year)
    if agency_id is not None:
        agency = Agency.objects.filter(pk=agency_id, city=city).only("path").first()
        if agency is None:
            return completions.none()
        completions = completions.filter(learner__agency__path__startswith=agency.path)
    return completions.only(*_SIASN_COLUMNS).annotate(nip=F("learner__nip")).order_by("pk")


@lru_cache(maxsize=1)
def _learning_form_names() -> dict[str, str]:
    # SIASN is Indonesian whatever language the admin reads the site in.
    with translation.override("id"):
        return {value: str(label) for value, label in LearningForm.choices}


def siasn_row(completion) -> dict:
    """One completion as a SIASN record: the field names of ``SIASN_FIELDS``, dates as
    ISO strings, so the same dict serves CSV, JSON and the API."""
    nip = getattr(completion, "nip", None)
    if nip is None:
        nip = completion.learner.nip
    return {
        "nipBaru": nip,
        "namaKursus": completion.course_title,
        "institusiPenyelenggara": completion.organiser,
        "jenisKursusSertipikat": _learning_form_names().get(
            completion.learning_form, completion.learning_form
        ),
        "jumlahJam": completion.jp,
        "tanggalKursus": completion.started_on.isoformat(),
        "tanggalSelesaiKursus": completion.completed_on.isoformat(),
        "tahunKursus": completion.year,
        "nomorSertipikat": completion.certificate_number,
    }


def siasn_rows(completions: QuerySet) -> Iterator[dict]:
    """The SIASN records of ``siasn_completions(...)``, streamed. Named tuples rather than
    model instances: building 200,000 CourseCompletion objects costs several times more
    than the query itself; ``siasn_row`` reads either by attribute."""
    values = completions.values_list(*_SIASN_COLUMNS, "nip", named=True)
    for completion in values.iterator(chunk_size=ITERATOR_CHUNK):
        yield siasn_row(completion)


class _Spool:
    """Text collected in memory and written to a binary file as UTF-8 every few thousand
    rows: one encode and one write per batch instead of per row."""

    def __init__(self, target: IO[bytes], every: int = 5000):
        self.target, self.every, self.pending = target, every, 0
        self.buffer = io.StringIO()
        self.write = self.buffer.write

    def row_done(self) -> None:
        self.pending += 1
        if self.pending >= self.every:
            self.flush()

    def flush(self) -> None:
        self.target.write(self.buffer.getvalue().encode("utf-8"))
        self.buffer.seek(0)
        self.buffer.truncate()
        self.pending = 0


def write_siasn_csv(rows: Iterable[dict], target: IO[bytes]) -> int:
    """Write SIASN records as CSV into a binary file; returns the number of rows."""
    spool = _Spool(target)
    writer = csv.writer(spool, lineterminator="\r\n")
    writer.writerow(SIASN_KEYS)
    in_order = operator.itemgetter(*SIASN_KEYS)
    count = 0
    for row in rows:
        writer.writerow(in_order(row))
        count += 1
        spool.row_done()
    spool.flush()
    return count


def write_siasn_json(rows: Iterable[dict], target: IO[bytes]) -> int:
    """Write SIASN records as one JSON list into a binary file. Encoded a batch at a time
    (one call of the C encoder per few thousand records is much faster than one per
    record); each batch's brackets are dropped and the batches joined into one list."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    rows = iter(rows)
    count = 0
    target.write(b"[")
    while batch := list(itertools.islice(rows, ITERATOR_CHUNK)):
        text = encode(batch)[1:-1]
        target.write(((",\n" if count else "\n") + text).encode("utf-8"))
        count += len(batch)
    target.write(b"\n]\n")
    return count


SIASN_WRITERS: dict[str, Callable[[Iterable[dict], IO[bytes]], int]] = {
    "csv": write_siasn_csv,
    "json": write_siasn_json,
}


# --- tables for spreadsheets ---------------------------------------------------------------


def _csv_cell(value) -> str:
    if isinstance(value, str):
        return quiz_exports.safe_text(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if value is not None and not isinstance(value, int | float | Decimal | datetime.datetime):
        value = str(value)  # lazy translations, UUIDs
        return quiz_exports.safe_text(value)
    # Shared with the quiz exports: decimal comma, yes/no, local date-times.
    return quiz_exports._csv_value(value)


def _xlsx_cell(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, int | float | datetime.date):
        return value
    return quiz_exports.safe_text(str(value))


def write_table_csv(columns: list[tuple[str, str]], rows: Iterable[dict], target: IO[bytes]) -> int:
    """Write dict rows under the columns' labels as CSV for Indonesian Excel."""
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    text.write("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    writer = csv.writer(text, delimiter=quiz_exports.CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([str(label) for _key, label in columns])
    keys = [key for key, _label in columns]
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key in keys])
        count += 1
    text.flush()
    text.detach()
    return count


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in a sheet name (and more than 31 of any).
    return re.sub(r"[\[\]:*?/\\]", " ", str(title)).strip()[:31] or "Data"


def write_table_xlsx(
    columns: list[tuple[str, str]], rows: Iterable[dict], target, *, title: str
) -> int:
    """Write dict rows as an XLSX sheet (openpyxl write-only: no rows kept in memory)."""
    keys = [key for key, _label in columns]
    count = 0

    def cells() -> Iterator[list]:
        nonlocal count
        for row in rows:
            count += 1
            yield [_xlsx_cell(row.get(key)) for key in keys]

    quiz_exports.write_xlsx(
        quiz_exports.Table(
            title=_sheet_title(title),
            headers=[str(label) for _key, label in columns],
            rows=cells(),
        ),
        target,
    )
    return count


def table_csv(table: Table) -> bytes:
    """A dashboard table as CSV bytes (small tables: built in memory)."""
    buffer = io.BytesIO()
    write_table_csv(table.columns, table.rows, buffer)
    return buffer.getvalue()


def table_xlsx(table: Table) -> bytes:
    """A dashboard table as XLSX bytes."""
    buffer = io.BytesIO()
    write_table_xlsx(table.columns, table.rows, buffer, title=table.title)
    return buffer.getvalue()


# --- learners below 20 JP ------------------------------------------------------------------

BELOW_MINIMUM_COLUMNS: list[tuple[str, str]] = [
    ("nip", gettext_lazy("NIP")),
    ("full_name", gettext_lazy("Name")),
    ("agency", gettext_lazy("Agency")),
    ("jp", gettext_lazy("JP this year")),
]


def below_minimum_learners(*, city: City, year: int, agency_id: int | None = None) -> QuerySet:
    from lms.reports.selectors import learners_below_minimum

    return learners_below_minimum(city=city, year=year, agency_id=agency_id)


def below_minimum_rows(learners: QuerySet) -> Iterator[dict]:
    for nip, full_name, agency, jp in learners.values_list(
        "nip", "full_name", "agency__name", "jp"
    ).iterator(chunk_size=ITERATOR_CHUNK):
        yield {"nip": nip, "full_name": full_name, "agency": agency or "", "jp": jp or 0}


# --- who may export ------------------------------------------------------------------------


def may_use_exports(user) -> bool:
    """National admins and city admins: the people who see learners' data city-wide."""
    roles = permissions.roles_of(user)
    return roles.national or bool(roles.admin_city_ids)


def may_export(user, city: City | int) -> bool:
    return permissions.can_manage_city(user, city)


def export_job_for(*, user, pk) -> ExportJob | None:
    """The job, if the user may see it: national admins and the admins of the job's city
    (so also its requester, while they still are). Anyone else gets None (a 404: another
    city's export is not even revealed to exist)."""
    job = ExportJob.objects.select_related("city").filter(pk=pk).first()
    if job is None or not may_export(user, job.city_id):
        return None
    return job


def export_jobs_of(*, user, limit: int = RECENT_JOBS) -> list[ExportJob]:
    """The user's own recent exports, newest first (one query)."""
    return list(ExportJob.objects.filter(requested_by=user).select_related("city")[:limit])


def exportable_cities(user) -> QuerySet[City]:
    return permissions.manageable_cities(user).order_by("name")


# --- starting an export --------------------------------------------------------------------

FORMATS_BY_KIND: dict[str, tuple[str, ...]] = {
    ExportJob.Kind.SIASN: (ExportJob.Format.CSV, ExportJob.Format.JSON),
    ExportJob.Kind.BELOW_MINIMUM: (ExportJob.Format.CSV, ExportJob.Format.XLSX),
}


def city_today(city: City) -> datetime.date:
    return local_date(city.timezone)


def _clean_year(value, city: City) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(_("Enter the year as four digits, for example 2026.")) from None
    this_year = city_today(city).year
    if not FIRST_YEAR <= year <= this_year:
        raise ValidationError(
            _("Choose a year from %(first)s to %(last)s.")
            % {"first": FIRST_YEAR, "last": this_year}
        )
    return year


def _clean_agency(value, city: City) -> int | None:
    if value in (None, ""):
        return None
    try:
        agency_id = int(str(value).strip())
    except (TypeError, ValueError):
        agency_id = None
    if agency_id is None or not Agency.objects.filter(pk=agency_id, city=city).exists():
        raise ValidationError(_("Choose one of this city's agencies, or leave it empty."))
    return agency_id


@transaction.atomic
def export_start(*, user, kind: str, city: City | None, params: dict) -> ExportJob:
    """Queue an export and start it in the background once this transaction commits.

    ``params``: ``format`` (csv|json for "siasn", csv|xlsx for "below_minimum"), ``year``
    and optionally ``agency_id`` (an agency of the city: its subtree). Raises
    ValidationError (a dict by field where it can) and creates nothing when anything is
    wrong, including a city the user does not manage. The same export asked again while
    the first is still waiting or running gives back the first (a double click is one job).
    """
    if city is None:
        raise ValidationError({"city": _("Choose a city.")})
    if not may_export(user, city):
        raise ValidationError(_("You can export only the data of the cities you manage."))
    params = dict(params or {})
    errors: dict[str, str] = {}
    if kind not in FORMATS_BY_KIND:
        errors["kind"] = _("Choose what to export.")
    elif params.get("format") not in FORMATS_BY_KIND[kind]:
        errors["format"] = _("This export comes as %(formats)s; choose one of them.") % {
            "formats": " / ".join(fmt.upper() for fmt in FORMATS_BY_KIND[kind])
        }
    cleaned = {}
    for field, clean, key in (
        ("year", _clean_year, "year"),
        ("agency", _clean_agency, "agency_id"),
    ):
        try:
            cleaned[key] = clean(params.get(key), city)
        except ValidationError as exc:
            errors[field] = exc.messages[0]
    if errors:
        raise ValidationError(errors)

    running = (
        ExportJob.objects.filter(
            requested_by=user,
            kind=kind,
            format=params["format"],
            city=city,
            params=cleaned,
            status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING],
        )
        .order_by("-created_at")
        .first()
    )
    if running is not None:
        return running
    job = ExportJob(
        kind=kind, format=params["format"], city=city, params=cleaned, requested_by=user
    )
    job.full_clean()
    job.save()
    from lms.reports.tasks import export_run

    transaction.on_commit(partial(export_run.enqueue, job_id=str(job.pk)))
    return job


# --- running an export ---------------------------------------------------------------------


def export_file_name(job: ExportJob) -> str:
    """The name the download gets (the stored file has a random one)."""
    year = job.params.get("year")
    stem = {
        ExportJob.Kind.SIASN: "siasn-riwayat-kursus",
        ExportJob.Kind.BELOW_MINIMUM: "di-bawah-20-jp",
    }.get(job.kind, job.kind)
    agency = job.params.get("agency_id")
    suffix = f"-unit{agency}" if agency else ""
    return f"{stem}-{job.city.slug}-{year}{suffix}.{job.format}"


def _progress_saver(job: ExportJob) -> Callable[[int], None]:
    def save(rows_done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows_done)

    return save


def _counted(rows: Iterable, progress: Callable[[int], None], every: int) -> Iterator:
    for done, row in enumerate(rows, start=1):
        yield row
        if done % every == 0:
            progress(done)


def export_write(job: ExportJob, target: IO[bytes], *, progress=None) -> int:
    """Write the job's file into ``target``; returns the number of rows. ``progress``
    (rows written so far) is called every ``PROGRESS_EVERY`` rows."""
    year, agency_id = job.params["year"], job.params.get("agency_id")
    progress = progress or (lambda done: None)
    if job.kind == ExportJob.Kind.SIASN:
        completions = siasn_completions(city=job.city, year=year, agency_id=agency_id)
        ExportJob.objects.filter(pk=job.pk).update(rows_total=completions.count())
        rows = _counted(siasn_rows(completions), progress, PROGRESS_EVERY)
        return SIASN_WRITERS[job.format](rows, target)
    if job.kind == ExportJob.Kind.BELOW_MINIMUM:
        learners = below_minimum_learners(city=job.city, year=year, agency_id=agency_id)
        ExportJob.objects.filter(pk=job.pk).update(rows_total=learners.count())
        rows = _counted(below_minimum_rows(learners), progress, PROGRESS_EVERY)
        if job.format == ExportJob.Format.XLSX:
            with translation.override("id"):
                title = _("Below 20 JP %(year)s") % {"year": year}
            return write_table_xlsx(BELOW_MINIMUM_COLUMNS, rows, target, title=title)
        return write_table_csv(BELOW_MINIMUM_COLUMNS, rows, target)
    raise ValueError(f"unknown export kind {job.kind!r}")


def export_job_run(*, job_id) -> ExportJob | None:
    """Run a queued export: write it to a temporary file, store the file, mark the job
    done; on any error mark it failed with the message and keep no file. A job that is
    not queued (already run, or taken by another worker) is left alone."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("city").get(pk=job_id)
    try:
        # Spreadsheet headers and sheet names in the site's first language.
        with translation.override("id"), tempfile.TemporaryFile() as spool:
            rows = export_write(job, spool, progress=_progress_saver(job))
            spool.seek(0)
            job.file.save(export_file_name(job), File(spool), save=False)
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        if job.file:
            try:
                job.file.delete(save=False)
            except Exception:
                logger.exception("export %s: could not delete the partial file", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            file="",
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
    else:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE,
            file=job.file.name,
            rows_done=rows,
            rows_total=rows,
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    return job


# --- cleaning up ---------------------------------------------------------------------------


def exports_delete_old(*, before: datetime.datetime) -> int:
    """Delete the exports created before ``before``, files first (personal data is kept
    no longer than needed, UU PDP 27/2022); returns how many. A job still "running" that
    old was interrupted long ago, and goes too."""
    deleted = 0
    for job in ExportJob.objects.filter(created_at__lt=before).iterator(chunk_size=500):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        deleted += 1
    return deleted
