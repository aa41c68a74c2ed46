"""Reads of the privacy app: a learner's access log, and everything stored about a
learner, for the download the law gives them (UU PDP 27/2022, the right of access)."""

import csv
import datetime
import decimal
import io
import json
import tempfile
import uuid
import zipfile
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils import timezone

from lms.people.models import LearnerProfile
from lms.privacy.models import AccessLog, DeletionRequest

# --- the access log -------------------------------------------------------------------------


def access_log_of(*, learner: LearnerProfile) -> QuerySet[AccessLog]:
    """Accesses to this learner's records, newest first: their own rows, and list exports
    of their city (which may have held their records). Two indexed ranges, one query."""
    return (
        AccessLog.objects.filter(
            Q(learner=learner) | Q(learner__isnull=True, city_id=learner.city_id)
        )
        .select_related("token")
        .only(
            "at",
            "actor_label",
            "role",
            "action",
            "where",
            "count",
            "learner_id",
            "city_id",
            "token__name",
        )
        .order_by("-at", "-pk")
    )


def deletion_requests_of(*, learner: LearnerProfile) -> QuerySet[DeletionRequest]:
    return DeletionRequest.objects.filter(learner=learner).order_by("-requested_at", "-pk")


def open_deletion_request(*, learner: LearnerProfile) -> DeletionRequest | None:
    return deletion_requests_of(learner=learner).filter(status=DeletionRequest.Status.OPEN).first()


def deletion_requests_for(user) -> QuerySet[DeletionRequest]:
    """Requests of the cities the user manages (all for national admins), open first."""
    from lms.people.permissions import manageable_cities

    return (
        DeletionRequest.objects.filter(city__in=manageable_cities(user))
        .select_related("learner", "city", "decided_by")
        .order_by("status", "-requested_at", "-pk")
    )


def access_log_for(user, *, nip: str = "") -> QuerySet[AccessLog]:
    """The audit view for admins: accesses to learners of the cities the user manages
    (every city for national admins), and list exports of those cities; optionally only
    about the learner with this NIP. Newest first, learner and city joined."""
    from lms.people.permissions import manageable_cities

    cities = manageable_cities(user)
    entries = AccessLog.objects.filter(
        Q(learner__city__in=cities) | Q(learner__isnull=True, city__in=cities)
    )
    nip = (nip or "").strip().replace(" ", "")
    if nip:
        entries = entries.filter(learner__nip=nip)
    return entries.select_related("learner", "city").order_by("-at", "-pk")


# --- the learner's data, whole ---------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One table of the download: a file name, its columns, and the rows (dicts)."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict]


def _rows(queryset, columns) -> list[dict]:
    return [dict(zip(columns, values, strict=True)) for values in queryset.values_list(*columns)]


def learner_data_sections(*, learner: LearnerProfile) -> list[Section]:
    """Every record stored about the learner, one section per kind, each read in one
    query: profile and login, enrolments and their history, progress, statements, quiz
    attempts and answers, completions, JP credits, certificates, feedback, notifications,
    saved activity states, the access log and their deletion requests."""
    from lms.feedback.models import FeedbackMessage, FeedbackThread
    from lms.notifications.models import Notification, NotificationPreference
    from lms.records import models as records

    profile_columns = (
        "id",
        "nip",
        "full_name",
        "employment_type",
        "gender",
        "birth_date",
        "golongan",
        "jabatan_type",
        "jabatan_name",
        "email",
        "phone",
        "is_active",
        "created_at",
        "updated_at",
        "city__name",
        "agency__name",
        "supervisor__full_name",
        "user__username",
        "user__email",
        "user__date_joined",
        "user__last_login",
    )
    spec = [
        ("profile", LearnerProfile.objects.filter(pk=learner.pk), profile_columns),
        (
            "enrolments",
            records.Enrolment.objects.filter(learner=learner).order_by("pk"),
            (
                "id",
                "course_key",
                "source",
                "status",
                "is_mandatory",
                "due_date",
                "enrolled_at",
                "withdrawn_at",
            ),
        ),
        (
            "enrolment_changes",
            records.EnrolmentChange.objects.filter(enrolment__learner=learner).order_by("pk"),
            ("id", "enrolment_id", "action", "source", "at"),
        ),
        (
            "progress",
            records.ActivityProgress.objects.filter(learner=learner).order_by("pk"),
            (
                "id",
                "kind",
                "activity_key",
                "lesson_key",
                "course_key",
                "progress",
                "best_score",
                "last_score",
                "time_spent_seconds",
                "statement_count",
                "started_at",
                "last_activity_at",
                "viewed_at",
                "passed_at",
                "completed_at",
            ),
        ),
        (
            "statements",
            records.Statement.objects.filter(learner=learner).order_by("stored_at", "pk"),
            (
                "id",
                "verb",
                "object_iri",
                "kind",
                "activity_key",
                "score_percent",
                "success",
                "duration_seconds",
                "timestamp",
                "stored_at",
                "payload",
            ),
        ),
        (
            "quiz_attempts",
            records.QuizAttempt.objects.filter(learner=learner).order_by("started_at", "pk"),
            (
                "id",
                "quiz_key",
                "course_key",
                "number",
                "state",
                "closed_by",
                "started_at",
                "deadline_at",
                "submitted_at",
                "max_points",
                "points",
                "score_percent",
                "passed",
            ),
        ),
        (
            "quiz_responses",
            # The learner's answers and their grades; the question's answer key (spec)
            # stays on the server, as during the attempt.
            records.AttemptQuestion.objects.filter(attempt__learner=learner).order_by(
                "attempt__started_at", "attempt_id", "position"
            ),
            (
                "id",
                "attempt_id",
                "position",
                "question_key",
                "response",
                "answered_at",
                "max_points",
                "fraction",
                "points",
            ),
        ),
        (
            "completions",
            records.CourseCompletion.objects.filter(learner=learner).order_by("completed_at", "pk"),
            (
                "id",
                "course_key",
                "course_title",
                "organiser",
                "learning_form",
                "jp",
                "started_on",
                "completed_on",
                "year",
                "completed_at",
                "certificate_number",
                "city__name",
            ),
        ),
        (
            "jp_credits",
            records.JpCredit.objects.filter(learner=learner).order_by("credited_on", "pk"),
            (
                "id",
                "year",
                "credited_on",
                "earned_on",
                "jp",
                "learning_form",
                "source",
                "source_key",
                "title",
                "part",
                "parts",
                "completion_id",
            ),
        ),
        (
            "certificates",
            records.Certificate.objects.filter(completion__learner=learner).order_by("pk"),
            (
                "id",
                "number",
                "completion_id",
                "completion__course_title",
                "year",
                "issued_at",
                "verification_code",
                "revoked_at",
                "revoked_reason",
            ),
        ),
        (
            "feedback_threads",
            FeedbackThread.objects.filter(learner=learner).order_by("pk"),
            ("id", "topic_kind", "topic_key", "topic_title", "created_at", "last_message_at"),
        ),
        (
            "feedback_messages",
            FeedbackMessage.objects.filter(thread__learner=learner).order_by("created_at", "pk"),
            ("id", "thread_id", "author__first_name", "body", "created_at"),
        ),
        (
            "notifications",
            Notification.objects.filter(user_id=learner.user_id).order_by("created_at", "pk"),
            ("id", "kind", "title", "body", "url", "created_at", "read_at"),
        ),
        (
            "notification_preferences",
            NotificationPreference.objects.filter(user_id=learner.user_id).order_by("pk"),
            ("id", "kind", "email_enabled"),
        ),
        (
            "activity_states",
            records.ActivityState.objects.filter(learner=learner).order_by("pk"),
            ("id", "kind", "activity_key", "state_id", "content_type", "document", "updated_at"),
        ),
        (
            "access_log",
            access_log_of(learner=learner).filter(learner=learner),
            ("id", "at", "actor_label", "role", "action", "where"),
        ),
        (
            "deletion_requests",
            deletion_requests_of(learner=learner),
            ("id", "status", "reason", "requested_at", "decided_at", "decision_note"),
        ),
    ]
    spec += _lrs_spec(learner)
    return [Section(name, tuple(columns), _rows(qs, columns)) for name, qs, columns in spec]


def _lrs_spec(learner: LearnerProfile) -> list:
    """The xAPI documents and cmi5 launches of the learner, when the LRS is installed
    (the documents' bodies are the activities' own data and stay out; their ids, sizes
    and dates are listed)."""
    from django.apps import apps

    if not apps.is_installed("lms.lrs.documents"):
        return []
    from lms.lrs.documents.models import LaunchSession, XapiDocument

    return [
        (
            "xapi_documents",
            XapiDocument.objects.filter(learner=learner).order_by("pk"),
            (
                "id",
                "kind",
                "document_id",
                "activity_id",
                "registration",
                "content_type",
                "size",
                "updated_at",
            ),
        ),
        (
            "cmi5_launches",
            LaunchSession.objects.filter(learner=learner).order_by("created_at", "pk"),
            ("id", "activity_id", "registration", "launch_mode", "move_on", "created_at"),
        ),
    ]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (datetime.date, uuid.UUID, decimal.Decimal)):
        return str(value)
    return str(value)


def learner_data_zip(*, learner: LearnerProfile):
    """The learner's data as a ZIP: ``data.json`` (every section) and one CSV per section,
    in a temporary file (spooled to disk past a few MB); returns it positioned at 0."""
    sections = learner_data_sections(learner=learner)
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned open
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        document = {
            "exported_at": timezone.now(),
            "learner_id": learner.pk,
            **{section.name: section.rows for section in sections},
        }
        archive.writestr(
            "data.json",
            json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        )
        for section in sections:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(section.columns)
            for row in section.rows:
                writer.writerow([_cell(row[column]) for column in section.columns])
            # A BOM lets spreadsheet programs read the UTF-8 names right.
            archive.writestr(f"csv/{section.name}.csv", "\ufeff" + buffer.getvalue())
    target.seek(0)
    return target
