"""Request and response shapes of the REST API (pydantic models via django-ninja).
They document the API in /api/v1/openapi.json; field descriptions are for integrators."""

import datetime
import uuid
from typing import Any

from ninja import Field, Schema


class ErrorItem(Schema):
    field: str | None = Field(None, description="The parameter or field at fault, if any.")
    message: str


class ErrorOut(Schema):
    message: str
    errors: list[ErrorItem] | None = None


class CourseOut(Schema):
    key: uuid.UUID = Field(description="Stable course key (the page's translation key).")
    title: str
    url: str | None
    jp: int = Field(description="Jam pelajaran credited on completion.")
    learning_form: str
    learning_form_label: str
    organiser: str
    city: str | None = Field(description="Slug of the city that owns the course; null = national.")


class CurriculumCourseOut(Schema):
    course_key: uuid.UUID
    title: str
    is_mandatory: bool
    due_date: datetime.date | None


class CurriculumOut(Schema):
    city: str
    city_name: str
    title: str
    url: str | None
    courses: list[CurriculumCourseOut]


class CityOut(Schema):
    slug: str
    name: str
    bkpsdm_name: str
    timezone: str


class MyCourseOut(Schema):
    course_key: uuid.UUID
    title: str
    enrolment_status: str | None
    is_mandatory: bool
    due_date: datetime.date | None
    overdue: bool
    percent: int
    started_at: datetime.datetime | None
    last_activity_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    jp: int | None = Field(description="JP credited for the completed course.")
    certificate_number: str | None


class JpCreditOut(Schema):
    credited_on: datetime.date
    jp: int
    learning_form: str
    title: str
    part: int
    parts: int


class MyJpOut(Schema):
    year: int
    total: int
    minimum: int
    met: bool
    missing: int
    credits: list[JpCreditOut]


class TeamMemberOut(Schema):
    nip: str
    full_name: str
    agency: str | None
    is_direct: bool
    mandatory_total: int
    mandatory_completed: int
    mandatory_percent: int
    overdue: int
    jp_this_year: int
    jp_missing: int
    last_activity_at: datetime.datetime | None


class TableColumnOut(Schema):
    key: str
    label: str


class TableOut(Schema):
    key: str
    title: str
    columns: list[TableColumnOut]
    rows: list[dict[str, Any]]


class WeekOut(Schema):
    week: datetime.date
    started: int
    completed: int
    jp: int


class ReportFiltersOut(Schema):
    year: int
    agency: int | None
    course: uuid.UUID | None
    learning_form: str | None


class CityReportOut(Schema):
    city: str
    filters: ReportFiltersOut
    learners: int
    active_7: int
    active_30: int
    started: int
    completed: int
    completion_rate: float | None
    met_minimum: int
    met_minimum_share: float | None
    below_minimum: int
    average_score: float | None
    pass_rate: float | None
    overdue: int
    weeks: list[WeekOut]
    tables: list[TableOut]


class SiasnCompletionOut(Schema):
    """One completed course in the SIASN "riwayat kursus" fields (lms.reports.exports)."""

    nipBaru: str = Field(description="The learner's NIP.")
    namaKursus: str = Field(description="Course name.")
    institusiPenyelenggara: str = Field(description="Organiser institution.")
    jenisKursusSertipikat: str = Field(description="Learning form.")
    jumlahJam: int = Field(description="JP (hours of learning).")
    tanggalKursus: datetime.date = Field(description="Start date.")
    tanggalSelesaiKursus: datetime.date = Field(description="End date.")
    tahunKursus: int = Field(description="Year.")
    nomorSertipikat: str = Field(description="Certificate number (may be empty).")


class MandatoryAssignIn(Schema):
    course_key: uuid.UUID
    nips: list[str] = Field(min_length=1, max_length=1000)
    due_date: datetime.date | None = None


class MandatoryAssignOut(Schema):
    course_key: uuid.UUID
    assigned: int
    nips: list[str]
