"""Synthetic data for scale work: cities, agencies, learners and a year of learning records.

This is a records-side bulk writer for SYNTHETIC DATA ONLY (``manage.py
generate_scale_data``; the dashboard benchmark in bench/dashboard.py uses it). It bypasses
the per-event services of lms.records on purpose: replaying millions of xAPI statements
one learner lock at a time would take hours, and what scale work needs is the end state
those services would have reached. So it writes that end state directly, in batches
(COPY on PostgreSQL, bulk_create elsewhere), following the same rules the services keep:

- one ActivityProgress row per learner x activity; a course row and its lesson rows, the
  H5P and quiz rows below them; completed_at only with progress 100; a lesson is complete
  when its rule is met (viewed / H5P score >= threshold / quiz passed) and a course when
  all its required lessons are, with the criteria snapshot the services would store;
- a CourseCompletion (with a certificate in the city's number format) per completed
  course; the JP ledger split at 3 JP per day for e-learning (lms.records.services.jp_split);
- an Enrolment for every course started, and the city's mandatory courses for everyone,
  some of them overdue;

and ends with ``lms.records.rollups.rollups_rebuild``, so Rollup, RollupWeek, LearnerYear
and LearnerActivity are exact for what was written. No xAPI Statement rows are made
(nothing the dashboards read comes from them), and no notifications are sent.

The content is real: courses and lessons are Wagtail pages made through courses.services,
quizzes with questions from the demo bank, H5P lessons with the demo H5P package (when the
shared fixtures are there), all adopted by every generated city's curriculum.

Everything generated is marked by the slug prefix ``skala-`` (cities, courses); the
generator refuses to run where such data exists: generate into a fresh database.
It writes in one transaction, so a failure leaves nothing behind. The same options and
seed give the same people, records and numbers; only the page keys (Wagtail's
translation keys) and H5P content ids differ from run to run. Keep other writers away
from the database while it runs: it hands out primary keys itself.
"""

import bisect
import datetime
import itertools
import json
import math
import random
import uuid
from base64 import urlsafe_b64encode
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import services as course_services
from courses.models import CompletionRule, CoursePage, LearningForm, Provider
from lms.people import services as people_services
from lms.people.models import Agency, City, CityRole, LearnerProfile, User
from lms.records.certificates import certificate_number_render
from lms.records.models import (
    ActivityKind,
    ActivityProgress,
    Certificate,
    CertificateCounter,
    CourseCompletion,
    Enrolment,
    JpCredit,
)
from lms.records.services import jp_split

PREFIX = "skala"
DEFAULT_PASSWORD = "skala-asn-2026"
NATIONAL_ADMIN_USERNAME = f"admin-{PREFIX}-nasional"
H5P_THRESHOLD = 70
QUIZ_PASS_MARK = 60
# Limits that keep a typo from running for a day; scale work stays far below them.
MAX_CITIES = 500
MAX_AGENCIES_PER_CITY = 2000
MAX_LEARNERS = 2_000_000
MAX_COURSES = 200
MAX_PROGRESS_ROWS = 100_000_000
FIRST_YEAR = 2000
BATCH_SIZE = 5000

_OFFSETS = {
    City.TimeZone.WIB: 7,
    City.TimeZone.WITA: 8,
    City.TimeZone.WIT: 9,
}
_TIMEZONES = [City.TimeZone.WIB, City.TimeZone.WITA, City.TimeZone.WIT]

_FIRST_NAMES_TEXT = (
    "Agus Ahmad Andi Ani Arif Ayu Bambang Budi Citra Dedi Dewi Dian Eka Endang Fajar Fitri "
    "Gita Hadi Hendra Indah Intan Joko Kartika Lestari Made Maria Muhammad Nur Nyoman Putri "
    "Rahmat Ratna Rina Rudi Sari Siti Sri Teguh Wahyu Wayan Yanti Yohanes Yusuf Zainal"
)
_FIRST_NAMES = _FIRST_NAMES_TEXT.split()
_LAST_NAMES_TEXT = (
    "Hidayat Saputra Wijaya Kusuma Siregar Nasution Lubis Harahap Simanjuntak Pratama "
    "Santoso Wibowo Setiawan Gunawan Hakim Rahman Sitompul Tanjung Manurung Sembiring "
    "Pangaribuan Rumbiak Wanggai Mambrasar Kambu Lamba Daeng Pakaya Mokoginta Lawalata "
    "Pattimura Latuconsina Tuasikal Rumere Suebu Yoku Kogoya Wenda Ndruru Zebua"
)
_LAST_NAMES = _LAST_NAMES_TEXT.split()
_OPD_NAMES = (
    ("Sekretariat Daerah", Agency.Kind.SECRETARIAT),
    ("Dinas Komunikasi dan Informatika", Agency.Kind.OFFICE),
    ("Badan Kepegawaian dan Pengembangan SDM", Agency.Kind.BOARD),
    ("Dinas Pendidikan", Agency.Kind.OFFICE),
    ("Dinas Kesehatan", Agency.Kind.OFFICE),
    ("Inspektorat", Agency.Kind.INSPECTORATE),
    ("Dinas Kependudukan dan Pencatatan Sipil", Agency.Kind.OFFICE),
    ("Badan Perencanaan Pembangunan Daerah", Agency.Kind.BOARD),
    ("Dinas Pekerjaan Umum", Agency.Kind.OFFICE),
    ("Dinas Sosial", Agency.Kind.OFFICE),
    ("Kecamatan Kota", Agency.Kind.DISTRICT),
    ("Badan Pengelolaan Keuangan Daerah", Agency.Kind.BOARD),
)
_UNIT_NAMES = (
    "Bagian Umum",
    "Bidang Layanan",
    "Bidang Data dan Statistik",
    "Subbagian Keuangan",
    "Bidang Pengembangan",
    "Seksi Pelayanan",
)
_COURSE_TOPICS = (
    ("Literasi Data untuk Perencanaan", "data_management"),
    ("Keamanan Siber di Unit Kerja", "cyber_security"),
    ("Layanan Publik Berbasis Aplikasi", "e_government"),
    ("Komunikasi Digital Instansi", "digital_communication"),
    ("Naskah Dinas Elektronik", "office_software"),
    ("Kolaborasi Daring Lintas OPD", "soft_skills"),
    ("Inovasi Pelayanan Digital", "innovation"),
    ("Dasar Literasi Digital ASN", "digital_literacy"),
)
_COURSE_FORMS = [LearningForm.E_LEARNING] * 6 + [
    LearningForm.TECHNICAL_GUIDANCE,
    LearningForm.WORKSHOP,
    LearningForm.SELF_STUDY,
]
_EVENT_FORMS = (LearningForm.WORKSHOP, LearningForm.SEMINAR, LearningForm.TECHNICAL_GUIDANCE)
_STAFF_POSITIONS = ("pelaksana", "pelaksana", "fungsional")
_GOLONGAN = ("II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b")


class ScaleOptionsError(ValueError):
    """The options cannot give a data set; ``messages`` says why, one line each."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class ScaleOptions:
    cities: int = 3
    agencies_per_city: int = 6
    learners: int = 200
    courses: int = 4
    progress_rows: int = 2000
    year: int | None = None  # None: this year
    seed: int = 1
    password: str = DEFAULT_PASSWORD


@dataclass
class ScaleReport:
    year: int
    cities: int = 0
    agencies: int = 0
    learners: int = 0
    supervisors: int = 0
    courses: int = 0
    progress_rows: int = 0
    completions: int = 0
    jp_credits: int = 0
    enrolments: int = 0
    overdue_candidates: int = 0
    certificates: int = 0
    rollups: object = None
    logins: list[tuple[str, str]] = field(default_factory=list)
    password: str = ""


def h5p_fixture() -> Path | None:
    """The demo H5P package the generated H5P lessons use, if the shared fixtures exist."""
    from content.demo import demo_fixtures_dir

    path = demo_fixtures_dir() / "true-false.h5p"
    return path if path.is_file() else None


def activities_per_course(*, with_h5p: bool) -> int:
    # The course row; lessons "read", "practise" (+ its H5P), "quiz" (+ its quiz).
    return 6 if with_h5p else 4


def options_errors(options: ScaleOptions, *, today: datetime.date, with_h5p: bool) -> list[str]:
    """Every reason the options cannot work, in the words of the command's options."""
    errors = []
    bounds = (
        ("--cities", options.cities, 1, MAX_CITIES),
        ("--agencies-per-city", options.agencies_per_city, 1, MAX_AGENCIES_PER_CITY),
        ("--learners", options.learners, 0, MAX_LEARNERS),
        ("--courses", options.courses, 1, MAX_COURSES),
        ("--progress-rows", options.progress_rows, 0, MAX_PROGRESS_ROWS),
    )
    for name, value, low, high in bounds:
        if not low <= value <= high:
            errors.append(
                _("%(option)s must be a whole number from %(low)d to %(high)d; it is %(value)d.")
                % {"option": name, "low": low, "high": high, "value": value}
            )
    year = options.year if options.year is not None else today.year
    if not FIRST_YEAR <= year <= today.year:
        errors.append(
            _(
                "--year %(year)d is not a year records can be generated for: choose one from "
                "%(first)d to %(last)d (records cannot be in the future)."
            )
            % {"year": year, "first": FIRST_YEAR, "last": today.year}
        )
    elif year == today.year and today == datetime.date(year, 1, 1):
        errors.append(
            _("--year %(year)d has no past day yet; choose an earlier year.") % {"year": year}
        )
    if options.learners >= 0 and options.courses >= 1 and options.progress_rows >= 0:
        per_learner = options.courses * activities_per_course(with_h5p=with_h5p)
        capacity = options.learners * per_learner
        if options.progress_rows > capacity:
            errors.append(
                _(
                    "--progress-rows %(rows)d is more than %(learners)d learners x "
                    "%(activities)d activities (%(courses)d courses) allow: at most "
                    "%(capacity)d. Ask for fewer rows, or more learners or courses."
                )
                % {
                    "rows": options.progress_rows,
                    "learners": options.learners,
                    "activities": per_learner,
                    "courses": options.courses,
                    "capacity": capacity,
                }
            )
    if len(options.password or "") < 8:
        errors.append(_("--password must be at least 8 characters long."))
    return errors


def scale_data_exists() -> bool:
    """Whether this database already holds generated cities or courses."""
    return (
        City.objects.filter(slug__startswith=f"{PREFIX}-").exists()
        or CoursePage.objects.filter(slug__startswith=f"{PREFIX}-kursus-").exists()
        or User.objects.filter(username=NATIONAL_ADMIN_USERNAME).exists()
    )


# --- batched writing ----------------------------------------------------------------------


def _columns(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# COPY's text format: these characters are written as escapes inside a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class _CopyText:
    """Turns rows into COPY text lines. Faster than psycopg's write_row for millions of
    rows: the types here are few and known (JSON values are shared objects, encoded once)."""

    def __init__(self):
        self.json_cache: dict[int, tuple[object, str]] = {}

    def value(self, value) -> str:
        if value is None:
            return "\\N"
        kind = type(value)
        if kind is bool:
            return "t" if value else "f"
        if kind is int or kind is float:
            return repr(value)
        if kind is datetime.datetime or kind is datetime.date or kind is uuid.UUID:
            return str(value)
        if kind is dict or kind is list:
            cached = self.json_cache.get(id(value))
            if cached is None or cached[0] is not value:
                # The object is kept with its text, so its id cannot be reused meanwhile.
                cached = (value, json.dumps(value).translate(_COPY_ESCAPES))
                self.json_cache[id(value)] = cached
            return cached[1]
        return str(value).translate(_COPY_ESCAPES)

    def line(self, row: tuple) -> str:
        return "\t".join([self.value(v) for v in row])


class _Writer:
    """Collects rows (tuples in ``columns`` order, every concrete column given) and writes
    them in batches: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self, model, columns: tuple[str, ...], *, on_write=None):
        attnames = {f.attname for f in model._meta.concrete_fields}
        missing = attnames - set(columns)
        unknown = set(columns) - attnames
        if missing or unknown:
            raise AssertionError(f"{model.__name__}: missing {missing}, unknown {unknown}")
        self.model = model
        self.columns = columns
        self.rows: list[tuple] = []
        self.written = 0
        self.on_write = on_write
        self.text = _CopyText()

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        if connection.vendor == "postgresql":
            qn = connection.ops.quote_name
            sql = (
                f"COPY {qn(self.model._meta.db_table)} "
                f"({', '.join(qn(c) for c in self.columns)}) FROM STDIN"
            )
            line = self.text.line
            data = "\n".join([line(row) for row in rows]) + "\n"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                copy.write(data)
        else:
            self.model.objects.bulk_create(
                [self.model(**dict(zip(self.columns, row, strict=True))) for row in rows],
                batch_size=500,
            )
        self.written += len(rows)
        if self.on_write is not None:
            self.on_write(self.model, len(rows))


def _next_id(model) -> int:
    top = model.objects.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def _reset_sequences(model_list) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- the calendar -------------------------------------------------------------------------


class _Calendar:
    """Learning days of the year, weekdays and the weeks before due dates weighing more;
    turns a city's local date and time into an aware UTC datetime."""

    def __init__(self, *, year: int, today: datetime.date, due_dates: list[datetime.date]):
        self.year = year
        # Up to the year's last minute, or yesterday's, in the easternmost time zone: every
        # city's local date of anything generated stays in the year and before today. (A
        # day, not "now", so that a seed gives the same records all day.)
        wit = datetime.timezone(datetime.timedelta(hours=9))
        end_of_year = datetime.datetime(year, 12, 31, 23, 59, tzinfo=wit)
        end_of_yesterday = datetime.datetime(
            today.year, today.month, today.day, tzinfo=wit
        ) - datetime.timedelta(minutes=1)
        self.end = min(end_of_year, end_of_yesterday).astimezone(datetime.UTC)
        # The year's first minute in the westernmost time zone (WIB).
        self.begin = datetime.datetime(
            year, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=7))
        ).astimezone(datetime.UTC)
        first = datetime.date(year, 1, 1)
        last = min(datetime.date(year, 12, 31), today - datetime.timedelta(days=1))
        last = max(first, last)
        self.days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        weights = []
        for day in self.days:
            weight = 1.0 if day.weekday() < 5 else 0.35
            for due in due_dates:
                if datetime.timedelta(0) <= due - day <= datetime.timedelta(days=21):
                    weight *= 1.8
            weights.append(weight)
        self.cumulative = list(itertools.accumulate(weights))

    def day(self, rng: random.Random) -> datetime.date:
        index = bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])
        return self.days[min(index, len(self.days) - 1)]

    def moment(self, rng: random.Random, offset_hours: int) -> datetime.datetime:
        """A local time between 07:00 and 22:00 on a learning day, as UTC."""
        day = self.day(rng)
        local = datetime.datetime(day.year, day.month, day.day, 7, tzinfo=datetime.UTC)
        local += datetime.timedelta(seconds=rng.randrange(15 * 3600))
        return self.clip(local - datetime.timedelta(hours=offset_hours))

    def clip(self, moment: datetime.datetime) -> datetime.datetime:
        return min(moment, self.end)


def _local_date(moment: datetime.datetime, offset_hours: int) -> datetime.date:
    return (moment + datetime.timedelta(hours=offset_hours)).date()


# --- content ------------------------------------------------------------------------------


@dataclass
class _Element:
    kind: str
    key: uuid.UUID
    lesson: int | None  # index of the lesson the row belongs to (None: the course row)


@dataclass
class _Course:
    key: uuid.UUID
    title: str
    jp: int
    learning_form: str
    organiser: str
    elements: list[_Element]
    lesson_rules: list[str]
    lesson_child: list[int | None]  # element index of each lesson's H5P/quiz row
    lesson_snapshots: list[dict]
    completion_criteria: dict
    mandatory_due: datetime.date | None = None


def _paragraph(text: str) -> dict:
    return {"type": "paragraph", "value": f"<p>{text}</p>"}


def _build_courses(
    *, options: ScaleOptions, rng: random.Random, h5p_path: Path | None, say
) -> list[CoursePage]:
    from courses.demo import CATALOGUE_INTRO, CATALOGUE_TITLE, PROVIDERS
    from courses.demo_quizzes import QUESTIONS, question_create
    from courses.quiz_models import QuestionCategory, Quiz, QuizSlot

    index = course_services.curriculum_index_install(title="Kurikulum ASN Digital")
    catalogue = course_services.national_catalogue_install(
        index=index, title=CATALOGUE_TITLE, intro=CATALOGUE_INTRO
    )
    providers = []
    for name, kind, website in PROVIDERS.values():
        provider, _created = Provider.objects.get_or_create(
            name=name, defaults={"kind": kind, "website": website}
        )
        providers.append(provider)
    questions = [q for q in QUESTIONS if q.kind in {"multichoice", "truefalse"}][:3] or list(
        QUESTIONS[:3]
    )
    package = None
    pages = []
    for n in range(1, options.courses + 1):
        topic, competency = _COURSE_TOPICS[(n - 1) % len(_COURSE_TOPICS)]
        jp = rng.choice((2, 2, 3, 3, 4, 4, 5, 6, 8))
        course = course_services.course_create(
            parent=catalogue,
            title=f"{topic} {n:03d}",
            slug=f"{PREFIX}-kursus-{n:03d}",
            summary=f"Kursus sintetis untuk uji skala: {topic.lower()}.",
            jp_value=jp,
            competency_area=competency,
            estimated_duration=jp * 45 * 60,
            learning_form=rng.choice(_COURSE_FORMS),
            provider=rng.choice(providers),
        )
        course_services.lesson_create(
            course=course,
            title="Membaca: Konsep Dasar",
            slug="membaca",
            body=[_paragraph("Bacalah materi ini untuk memahami konsep dasarnya.")],
        )
        if h5p_path is not None:
            from content import services as content_services

            with h5p_path.open("rb") as handle:
                package = content_services.package_import(file=handle, filename=h5p_path.name)
            course_services.lesson_create(
                course=course,
                title="Latihan Interaktif",
                slug="latihan",
                body=[
                    _paragraph("Kerjakan latihan berikut sampai skor Anda cukup."),
                    {
                        "type": "h5p",
                        "value": {"key": str(package.content_id), "title": "Latihan"},
                    },
                ],
                completion_rule=CompletionRule.H5P_SCORE,
                completion_threshold=H5P_THRESHOLD,
            )
        category = QuestionCategory.objects.create(
            course=course, name="Bank Soal Skala", description="Soal untuk uji skala."
        )
        quiz = Quiz.objects.create(
            course=course,
            key=uuid.UUID(int=rng.getrandbits(128), version=4),
            title=f"Kuis Akhir {n:03d}",
            pass_mark_percent=Decimal(QUIZ_PASS_MARK),
        )
        QuizSlot.objects.bulk_create(
            QuizSlot(quiz=quiz, question=question_create(category, item), sort_order=order)
            for order, item in enumerate(questions)
        )
        course_services.lesson_create(
            course=course,
            title="Kuis Akhir",
            slug="kuis",
            body=[
                _paragraph("Uji pemahaman Anda. Pelajaran ini selesai bila Anda lulus kuis."),
                {"type": "quiz", "value": {"key": str(quiz.key), "title": quiz.title}},
            ],
            completion_rule=CompletionRule.QUIZ_PASSED,
        )
        pages.append(course)
        say(f"  + {course.title} ({jp} JP, {course.learning_form})")
    return pages


def _course_specs(pages: list[CoursePage], mandatory_dues: list[datetime.date]) -> list[_Course]:
    from lms.records.selectors import content_for_courses

    infos = content_for_courses(course_keys=[page.translation_key for page in pages])
    specs = []
    for position, page in enumerate(pages):
        info = infos[page.translation_key]
        elements = [_Element(ActivityKind.COURSE, info.key, None)]
        rules, children, snapshots = [], [], []
        for number, lesson in enumerate(info.lessons):
            elements.append(_Element(ActivityKind.LESSON, lesson.key, number))
            child = None
            if lesson.criteria.rule in (CompletionRule.H5P_SCORE, CompletionRule.QUIZ_PASSED):
                kind = (
                    ActivityKind.H5P
                    if lesson.criteria.rule == CompletionRule.H5P_SCORE
                    else ActivityKind.QUIZ
                )
                (key,) = lesson.criteria_keys
                child = len(elements)
                elements.append(_Element(kind, key, number))
            rules.append(lesson.criteria.rule)
            children.append(child)
            snapshots.append(lesson.criteria_snapshot())
        specs.append(
            _Course(
                key=info.key,
                title=info.title[:255],
                jp=info.jp,
                learning_form=info.learning_form,
                organiser=info.organiser[:255],
                elements=elements,
                lesson_rules=rules,
                lesson_child=children,
                lesson_snapshots=snapshots,
                completion_criteria={"lessons": snapshots},
                mandatory_due=mandatory_dues[position] if position < len(mandatory_dues) else None,
            )
        )
    return specs


# --- people -------------------------------------------------------------------------------


@dataclass
class _Person:
    pk: int
    city: int  # index into the cities list
    agency_id: int | None
    supervisor_pk: int | None = None


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, exactly (largest remainders)."""
    whole = sum(weights) or 1.0
    shares = [total * w / whole for w in weights]
    counts = [math.floor(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _nip(
    rng: random.Random, taken: set[str], today: datetime.date
) -> tuple[str, str, datetime.date]:
    from lms.people.nip import make_nip

    while True:
        birth = datetime.date(1966, 1, 1) + datetime.timedelta(days=rng.randrange(36 * 365))
        start_year = min(birth.year + rng.randint(21, 35), today.year - 1)
        gender = rng.choice("12")
        nip = make_nip(birth, start_year, rng.randint(1, 12), gender, rng.randint(1, 999))
        if nip not in taken:
            taken.add(nip)
            return nip, gender, birth


# --- the generator ------------------------------------------------------------------------


class _Generator:
    def __init__(self, options: ScaleOptions, *, progress, say):
        self.options = options
        self.rng = random.Random(options.seed)
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.year = options.year if options.year is not None else self.today.year
        self.progress = progress
        self.say = say
        self.report = ScaleReport(year=self.year, password=options.password)

    # -- structure: content, cities, agencies, staff --------------------------------------

    def structure(self, h5p_path: Path | None):
        rng = self.rng
        self.say(_("Courses (national catalogue):"))
        pages = _build_courses(options=self.options, rng=rng, h5p_path=h5p_path, say=self.say)
        mandatory_dues = [
            datetime.date(self.year, 3, 31),
            datetime.date(self.year, 6, 30),
            datetime.date(self.year, 9, 30),
        ][: max(1, min(3, len(pages) // 3))]
        self.courses = _course_specs(pages, mandatory_dues)
        self.report.courses = len(self.courses)
        self.calendar = _Calendar(year=self.year, today=self.today, due_dates=mandatory_dues)

        index = course_services.curriculum_index_install(title="Kurikulum ASN Digital")
        password_hash = make_password(self.options.password)
        national = people_services.staff_user_create(
            username=NATIONAL_ADMIN_USERNAME,
            email=f"{NATIONAL_ADMIN_USERNAME}@{PREFIX}.example.go.id",
            password=None,
            first_name="Admin",
            last_name="Nasional Skala",
        )
        User.objects.filter(pk=national.pk).update(password=password_hash)
        people_services.role_assign(user=national, role=CityRole.Role.NATIONAL_ADMIN)
        self.report.logins.append((NATIONAL_ADMIN_USERNAME, "national_admin"))

        self.cities: list[City] = []
        self.city_agencies: list[list[int]] = []
        bar = self.progress(_("Cities"), self.options.cities)
        for n in range(1, self.options.cities + 1):
            zone = _TIMEZONES[(n - 1) % len(_TIMEZONES)]
            city = people_services.city_create(
                name=f"Kota Skala {n:03d}",
                slug=f"{PREFIX}-{n:03d}",
                bkpsdm_name=f"BKPSDM Kota Skala {n:03d}",
                timezone=zone,
            )
            curriculum = course_services.city_curriculum_create(
                index=index, city=city, title=f"Kurikulum Kota Skala {n:03d}"
            )
            course_services.curriculum_entries_set(
                curriculum=curriculum,
                entries=[
                    course_services.EntrySpec(
                        course=page,
                        is_mandatory=spec.mandatory_due is not None,
                        due_date=spec.mandatory_due,
                    )
                    for page, spec in zip(pages, self.courses, strict=True)
                ],
            )
            self.cities.append(city)
            self.city_agencies.append(self._agencies(city))
            username = f"admin-{city.slug}"
            admin = people_services.staff_user_create(
                username=username,
                email=f"{username}@{PREFIX}.example.go.id",
                password=None,
                first_name="Admin",
                last_name=city.name,
            )
            User.objects.filter(pk=admin.pk).update(password=password_hash)
            people_services.role_assign(user=admin, role=CityRole.Role.CITY_ADMIN, city=city)
            self.report.logins.append((username, "city_admin"))
            bar.update(1)
        bar.close()
        self.report.cities = len(self.cities)

    def _agencies(self, city: City) -> list[int]:
        count = self.options.agencies_per_city
        tops = max(1, math.ceil(count / 3))
        made = []
        parents = []
        for n in range(tops):
            name, kind = _OPD_NAMES[n % len(_OPD_NAMES)]
            if n >= len(_OPD_NAMES):
                name = f"{name} {n // len(_OPD_NAMES) + 1}"
            agency = people_services.agency_create(
                city=city, name=name, code=f"OPD{n + 1:03d}", kind=kind
            )
            parents.append(agency)
            made.append(agency.pk)
        for n in range(count - tops):
            parent = parents[n % len(parents)]
            unit = _UNIT_NAMES[(n // len(parents)) % len(_UNIT_NAMES)]
            # Agency objects go stale once a sibling is added (treebeard counts children
            # on the parent row); read the parent again before adding below it.
            parent = Agency.objects.get(pk=parent.pk)
            agency = people_services.agency_create(
                city=city,
                name=f"{unit} {n + 1}",
                code=f"UNIT{n + 1:03d}",
                kind=Agency.Kind.DIVISION,
                parent=parent,
            )
            made.append(agency.pk)
        self.report.agencies += len(made)
        return made

    # -- learners --------------------------------------------------------------------------

    def people(self) -> list[_Person]:
        rng = self.rng
        total = self.options.learners
        city_counts = _split(total, [1 / (n + 1) ** 0.7 for n in range(len(self.cities))])
        taken = set(LearnerProfile.objects.values_list("nip", flat=True))
        taken |= set(
            User.objects.filter(username__regex=r"^[0-9]{18}$").values_list("username", flat=True)
        )
        user_id, profile_id = _next_id(User), _next_id(LearnerProfile)
        users = _Writer(
            User,
            _columns(
                "id password last_login is_superuser username first_name last_name email "
                "is_staff is_active date_joined"
            ),
        )
        profiles = _Writer(
            LearnerProfile,
            _columns(
                "id user_id city_id agency_id nip full_name employment_type gender birth_date "
                "golongan jabatan_type jabatan_name supervisor_id email phone is_active "
                "created_at updated_at"
            ),
        )
        people: list[_Person] = []
        joined = datetime.datetime(self.year, 1, 1, tzinfo=datetime.UTC) - datetime.timedelta(
            days=30
        )
        bar = self.progress(_("Learners"), total)
        for city_index, (city, count) in enumerate(zip(self.cities, city_counts, strict=True)):
            agencies = self.city_agencies[city_index]
            agency_weights = list(
                itertools.accumulate(rng.gammavariate(2.0, 1.0) for _ in agencies)
            )
            by_agency: dict[int | None, list[_Person]] = defaultdict(list)
            city_people = []
            for _n in range(count):
                if rng.random() < 0.02:
                    agency_id = None
                else:
                    pick = rng.random() * agency_weights[-1]
                    agency_id = agencies[bisect.bisect_left(agency_weights, pick)]
                person = _Person(pk=profile_id, city=city_index, agency_id=agency_id)
                profile_id += 1
                by_agency[agency_id].append(person)
                city_people.append(person)
            # Each agency: a head, one supervisor per dozen staff reporting to the head,
            # everyone else reporting to one of them; heads of units report to the head
            # of their OPD.
            heads = {}
            roles = {}
            for agency_id, members in by_agency.items():
                head, rest = members[0], members[1:]
                heads[agency_id] = head
                roles[head.pk] = "administrator"
                supervisors = rest[: math.ceil(len(rest) / 12)] if rest else []
                for person in supervisors:
                    person.supervisor_pk = head.pk
                    roles[person.pk] = "pengawas"
                for person in rest[len(supervisors) :]:
                    person.supervisor_pk = (rng.choice(supervisors) if supervisors else head).pk
            if by_agency:
                parents = dict(
                    Agency.objects.filter(pk__in=[a for a in heads if a]).values_list("pk", "path")
                )
                by_path = {path: pk for pk, path in parents.items()}
                for agency_id, head in heads.items():
                    if agency_id is None:
                        continue
                    parent_pk = by_path.get(parents[agency_id][: -Agency.steplen])
                    if parent_pk is not None and parent_pk in heads:
                        head.supervisor_pk = heads[parent_pk].pk
            self.report.supervisors += len({p.supervisor_pk for p in city_people} - {None})
            for person in city_people:
                nip, gender, birth = _nip(rng, taken, self.today)
                name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
                users.add(
                    (
                        user_id,
                        f"!{rng.getrandbits(128):032x}",
                        None,
                        False,
                        nip,
                        name[:150],
                        "",
                        "",
                        False,
                        True,
                        joined,
                    )
                )
                jabatan = roles.get(person.pk) or rng.choice(
                    ("pelaksana", "pelaksana", "fungsional")
                )
                profiles.add(
                    (
                        person.pk,
                        user_id,
                        city.pk,
                        person.agency_id,
                        nip,
                        name,
                        "pppk" if rng.random() < 0.1 else "pns",
                        gender,
                        birth,
                        rng.choice(_GOLONGAN),
                        jabatan,
                        "",
                        person.supervisor_pk,
                        "",
                        "",
                        rng.random() >= 0.01,
                        joined,
                        joined,
                    )
                )
                user_id += 1
                people.append(person)
                bar.update(1)
        # Users first: the profiles refer to them.
        users.flush()
        profiles.flush()
        bar.close()
        self.report.learners = len(people)
        return people

    # -- records ---------------------------------------------------------------------------

    def _budgets(self) -> list[int]:
        """Progress rows per learner: about one in ten never started, the rest spread
        unevenly (a few very active learners, many light ones); exactly the total."""
        rng = self.rng
        total, count = self.options.progress_rows, self.options.learners
        cap = sum(len(c.elements) for c in self.courses)
        weights = [0.0 if rng.random() < 0.1 else rng.gammavariate(1.5, 1.0) for _ in range(count)]
        whole = sum(weights) or 1.0
        budgets = [min(cap, int(total * w / whole)) for w in weights]
        deficit = total - sum(budgets)
        order = sorted(range(count), key=lambda i: -weights[i])
        while deficit > 0:
            for i in order:
                if budgets[i] < cap:
                    budgets[i] += 1
                    deficit -= 1
                    if deficit == 0:
                        break
        return budgets

    def _plan(self, budget: int) -> list[tuple[int, int]]:
        """(course index, rows) pairs using exactly ``budget`` rows; mandatory courses
        tend to come first."""
        rng = self.rng
        order = sorted(
            range(len(self.courses)),
            key=lambda i: rng.random() * (0.3 if self.courses[i].mandatory_due else 1.0),
        )
        plan = []
        remaining = budget
        for index in order:
            if remaining == 0:
                break
            size = len(self.courses[index].elements)
            if remaining >= size and rng.random() < 0.65:
                depth = size
            elif remaining >= 2:
                depth = rng.randint(2, min(size, remaining))
            else:
                depth = remaining
            plan.append([index, depth])
            remaining -= depth
        for item in plan:
            if remaining == 0:
                break
            room = len(self.courses[item[0]].elements) - item[1]
            take = min(room, remaining)
            item[1] += take
            remaining -= take
        assert remaining == 0
        return [(index, depth) for index, depth in plan]

    def records(self, people: list[_Person]) -> None:
        rng = self.rng
        counts: dict[str, int] = defaultdict(int)
        bar = self.progress(_("Progress rows"), self.options.progress_rows)

        def on_write(model, n):
            counts[model.__name__] += n
            if model is ActivityProgress:
                bar.update(n)

        progress = _Writer(
            ActivityProgress,
            _columns(
                "id learner_id kind activity_key lesson_key course_key progress best_score "
                "last_score time_spent_seconds statement_count started_at last_activity_at "
                "viewed_at passed_at completed_at criteria"
            ),
            on_write=on_write,
        )
        completions = _Writer(
            CourseCompletion,
            _columns(
                "id learner_id city_id course_key course_title organiser learning_form jp "
                "started_on completed_on year completed_at certificate_number criteria"
            ),
            on_write=on_write,
        )
        credits = _Writer(
            JpCredit,
            _columns(
                "id learner_id year credited_on earned_on jp learning_form source source_key "
                "title part parts completion_id created_at"
            ),
            on_write=on_write,
        )
        certificates = _Writer(
            Certificate,
            _columns(
                "id completion_id city_id year sequence number verification_code issued_at pdf "
                "revoked_at revoked_reason revoked_by_id"
            ),
            on_write=on_write,
        )
        enrolments = _Writer(
            Enrolment,
            _columns(
                # counted_*: filled by the rollup rebuild that follows (RollupDue).
                "id learner_id course_key source rule_id status is_mandatory due_date "
                "enrolled_at withdrawn_at counted_city_id counted_agency_id counted_due"
            ),
            on_write=on_write,
        )
        ids = {
            model: _next_id(model)
            for model in (ActivityProgress, CourseCompletion, JpCredit, Certificate, Enrolment)
        }
        sequences: dict[int, int] = defaultdict(int)
        mandatory = [i for i, c in enumerate(self.courses) if c.mandatory_due]
        budgets = self._budgets()
        for person, budget in zip(people, budgets, strict=True):
            city = self.cities[person.city]
            offset = _OFFSETS[city.timezone]
            started: dict[int, datetime.datetime] = {}
            done: list[tuple[datetime.datetime, int, int, datetime.datetime]] = []
            for course_index, depth in self._plan(budget):
                course = self.courses[course_index]
                start, finished_at = self._course_rows(person, course, depth, offset, progress, ids)
                started[course_index] = start
                if finished_at is not None:
                    done.append((finished_at, course_index, ids[CourseCompletion], start))
                    ids[CourseCompletion] += 1
            used_by_day: dict[datetime.date, int] = defaultdict(int)
            for finished_at, course_index, completion_id, start in sorted(done):
                course = self.courses[course_index]
                completed_on = _local_date(finished_at, offset)
                sequences[city.pk] += 1
                number = certificate_number_render(
                    number_format=city.certificate_number_format,
                    seq=sequences[city.pk],
                    year=completed_on.year,
                    city_slug=city.slug,
                    course_title=course.title,
                )
                completions.add(
                    (
                        completion_id,
                        person.pk,
                        city.pk,
                        course.key,
                        course.title,
                        course.organiser,
                        course.learning_form,
                        course.jp,
                        _local_date(start, offset),
                        completed_on,
                        completed_on.year,
                        finished_at,
                        number,
                        course.completion_criteria,
                    )
                )
                issued = finished_at + datetime.timedelta(minutes=1)
                certificates.add(
                    (
                        ids[Certificate],
                        completion_id,
                        city.pk,
                        completed_on.year,
                        sequences[city.pk],
                        number,
                        urlsafe_b64encode(rng.randbytes(16)).decode().rstrip("="),
                        issued,
                        "",
                        None,
                        "",
                        None,
                    )
                )
                ids[Certificate] += 1
                parts = jp_split(
                    jp=course.jp,
                    learning_form=course.learning_form,
                    earned_on=completed_on,
                    used_by_day=used_by_day,
                )
                for number_, (day, amount) in enumerate(parts, start=1):
                    if course.learning_form == LearningForm.E_LEARNING:
                        used_by_day[day] += amount
                    credits.add(
                        (
                            ids[JpCredit],
                            person.pk,
                            day.year,
                            day,
                            completed_on,
                            amount,
                            course.learning_form,
                            JpCredit.Source.COURSE_COMPLETION,
                            str(course.key),
                            course.title,
                            number_,
                            len(parts),
                            completion_id,
                            issued,
                        )
                    )
                    ids[JpCredit] += 1
            if budget and rng.random() < 0.2:
                # A classroom event attended this year (credited from outside a course).
                form = rng.choice(_EVENT_FORMS)
                day = self.calendar.day(rng)
                event = rng.randint(1, 40)
                credits.add(
                    (
                        ids[JpCredit],
                        person.pk,
                        day.year,
                        day,
                        day,
                        rng.choice((4, 6, 8, 12, 16)),
                        form,
                        JpCredit.Source.EVENT_ATTENDANCE,
                        f"{PREFIX}-acara-{city.slug}-{event:02d}",
                        f"Workshop Transformasi Digital {event:02d}",
                        1,
                        1,
                        None,
                        datetime.datetime(day.year, day.month, day.day, 10, tzinfo=datetime.UTC),
                    )
                )
                ids[JpCredit] += 1
            assigned = datetime.datetime(self.year, 1, 2, 1, tzinfo=datetime.UTC)
            for course_index in sorted(set(started) | set(mandatory)):
                course = self.courses[course_index]
                when = started.get(course_index)
                is_mandatory = course.mandatory_due is not None
                if is_mandatory:
                    when = min(when, assigned) if when else assigned
                enrolments.add(
                    (
                        ids[Enrolment],
                        person.pk,
                        course.key,
                        Enrolment.Source.ASSIGNMENT if is_mandatory else Enrolment.Source.ACTIVITY,
                        None,
                        Enrolment.Status.ACTIVE,
                        is_mandatory,
                        course.mandatory_due,
                        when,
                        None,
                        None,
                        None,
                        None,
                    )
                )
                ids[Enrolment] += 1
                if is_mandatory and course_index not in {d[1] for d in done}:
                    self.report.overdue_candidates += course.mandatory_due < self.today
        for writer in (progress, completions, certificates, credits, enrolments):
            writer.flush()
        bar.close()
        CertificateCounter.objects.bulk_create(
            CertificateCounter(city_id=city_pk, year=self.year, last=last)
            for city_pk, last in sequences.items()
        )
        self.report.progress_rows = counts["ActivityProgress"]
        self.report.completions = counts["CourseCompletion"]
        self.report.jp_credits = counts["JpCredit"]
        self.report.enrolments = counts["Enrolment"]
        self.report.certificates = counts["Certificate"]

    def _course_rows(self, person, course: _Course, depth: int, offset: int, writer, ids):
        """Write the first ``depth`` rows of a course for a learner; return when the course
        was started and, if the learner completed it, when."""
        rng = self.rng
        clip = self.calendar.clip
        size = len(course.elements)
        completed = depth == size and rng.random() < 0.85
        # When each row was started and (if finished) completed, in element order, as
        # seconds after the course's start; then a start that leaves room for them all
        # before the end of the period (no pile-up of rows at its last minute).
        start_offsets, end_offsets = [], []
        seconds = 0
        for index in range(depth):
            if index > 0:
                if course.elements[index].kind == ActivityKind.LESSON:
                    seconds += rng.randint(600, 4 * 86400)
                else:
                    seconds += rng.randint(30, 600)
            start_offsets.append(seconds)
            end_offsets.append(seconds + rng.randint(180, 1800))
        span = datetime.timedelta(seconds=max(end_offsets, default=0))
        start = self.calendar.moment(rng, offset)
        if start + span > self.calendar.end:
            start = self.calendar.end - span - datetime.timedelta(seconds=rng.randrange(6 * 3600))
            start = max(start, self.calendar.begin)
        starts = [clip(start + datetime.timedelta(seconds=s)) for s in start_offsets]
        ends = [clip(start + datetime.timedelta(seconds=s)) for s in end_offsets]
        # Every row before the last is finished; the last one is where the learner is now
        # (a course taken to its last row and not completed: the quiz is not passed yet).
        finished = [True] * depth
        if not completed and depth:
            finished[-1] = False if depth == size else rng.random() < 0.5
        rows: dict[int, list] = {}
        # Activity rows (H5P, quiz) first: the lesson rows depend on them.
        child_state: dict[int, tuple] = {}
        for index in range(depth):
            element = course.elements[index]
            if element.kind not in (ActivityKind.H5P, ActivityKind.QUIZ):
                continue
            pass_at = H5P_THRESHOLD if element.kind == ActivityKind.H5P else QUIZ_PASS_MARK
            if finished[index]:
                best = round(rng.uniform(pass_at, 100), 1)
                state = (100, best, ends[index], ends[index])
            elif rng.random() < 0.65:
                best = round(rng.uniform(0, pass_at - 0.1), 1)
                state = (100, best, None, ends[index])
            else:
                state = (rng.randint(10, 90), None, None, None)
            progress_value, best, passed_at, completed_at = state
            last = best if best is None or rng.random() < 0.7 else round(rng.uniform(0, best), 1)
            seconds = rng.randint(30, 900)
            child_state[index] = (
                best,
                passed_at is not None,
                seconds,
                completed_at or starts[index],
            )
            rows[index] = [
                element.kind,
                element.key,
                course.elements[index - 1].key,
                progress_value,
                best,
                last,
                seconds,
                rng.randint(1, 6),
                starts[index],
                completed_at or starts[index],
                None,
                passed_at,
                completed_at,
                None,
            ]
        lessons_done = 0
        course_end = start
        for number, rule in enumerate(course.lesson_rules):
            index = 1 + number + sum(1 for c in course.lesson_child[:number] if c is not None)
            if index >= depth:
                break
            child = course.lesson_child[number]
            seconds = rng.randint(60, 1500)
            best = None
            last_activity = starts[index]
            if rule == CompletionRule.VIEWED:
                done, done_at = True, starts[index]
            elif child is not None and child < depth:
                best_child, passed, child_seconds, child_last = child_state[child]
                seconds += child_seconds
                best = None if best_child is None else round(best_child, 2)
                done, done_at = passed, child_last
                last_activity = max(last_activity, child_last)
            else:
                done, done_at = False, None
            if done:
                lessons_done += 1
                course_end = max(course_end, done_at)
            rows[index] = [
                ActivityKind.LESSON,
                course.elements[index].key,
                course.elements[index].key,
                100 if done else rng.randint(5, 90),
                best,
                best,
                seconds,
                rng.randint(1, 4),
                starts[index],
                last_activity,
                starts[index],
                None,
                done_at if done else None,
                course.lesson_snapshots[number] if done else None,
            ]
        course_complete = lessons_done == len(course.lesson_rules)
        total_seconds = sum(
            row[6] for i, row in rows.items() if course.elements[i].kind == ActivityKind.LESSON
        )
        last_activity = max((row[9] for row in rows.values()), default=start)
        rows[0] = [
            ActivityKind.COURSE,
            course.key,
            None,
            100 if course_complete else 99 * lessons_done // len(course.lesson_rules),
            None,
            None,
            total_seconds,
            0,
            start,
            max(last_activity, start),
            None,
            None,
            course_end if course_complete else None,
            course.lesson_snapshots if course_complete else None,
        ]
        for index in sorted(rows):
            row = rows[index]
            writer.add(
                (
                    ids[ActivityProgress],
                    person.pk,
                    row[0],
                    row[1],
                    row[2],
                    course.key,
                    *row[3:],
                )
            )
            ids[ActivityProgress] += 1
        return start, (course_end if course_complete else None)


def scale_data_generate(
    *,
    options: ScaleOptions,
    progress: Callable[[str, int], object] | None = None,
    say: Callable[[str], None] | None = None,
) -> ScaleReport:
    """Generate the data set (see the module docstring). Raises ScaleOptionsError, before
    writing anything, for options that cannot work or a database that already has
    generated data. ``progress(description, total)`` returns a bar with ``update(n)`` and
    ``close()`` (tqdm fits)."""
    from lms.records.rollups import rollups_rebuild

    h5p_path = h5p_fixture()
    errors = options_errors(options, today=timezone.localdate(), with_h5p=h5p_path is not None)
    if errors:
        raise ScaleOptionsError(errors)
    if scale_data_exists():
        raise ScaleOptionsError(
            [
                _(
                    "This database already has generated data (cities or courses whose slug "
                    "starts with “%(prefix)s-”). Generate into a fresh database."
                )
                % {"prefix": PREFIX}
            ]
        )
    progress = progress or (lambda description, total: _NoBar())
    say = say or (lambda message: None)
    generator = _Generator(options, progress=progress, say=say)
    with transaction.atomic():
        generator.structure(h5p_path)
        people = generator.people()
        generator.records(people)
        _reset_sequences(
            [
                User,
                LearnerProfile,
                ActivityProgress,
                CourseCompletion,
                JpCredit,
                Certificate,
                Enrolment,
            ]
        )
        bar = progress(_("Rollups"), 0)

        def on_progress(done: int, total: int) -> None:
            if getattr(bar, "total", None) != total and hasattr(bar, "reset"):
                bar.reset(total=total)
            if hasattr(bar, "n"):
                bar.update(done - bar.n)

        generator.report.rollups = rollups_rebuild(progress=on_progress)
        bar.close()
    if connection.vendor == "postgresql":
        # Fresh statistics, so the first dashboards are planned for the real row counts.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return generator.report


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass
