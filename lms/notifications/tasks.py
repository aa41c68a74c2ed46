"""Background work of notifications: sending one email, and the daily due-date reminders
(run by cron through `manage.py send_due_reminders`, or enqueued on a worker)."""

import datetime
import logging

from django.core.mail import send_mail
from django.db.models import Exists, OuterRef, Q
from django_tasks import task

from lms.security.retry import retry_transient

logger = logging.getLogger(__name__)

# Days before the due date on which a learner is reminded.
REMINDER_DAYS = (7, 1)
BATCH_SIZE = 500


@task()
def send_notification_email(*, to: str, subject: str, body: str) -> None:
    """Send one notification email (already rendered, so the worker needs no database)."""
    send_mail(subject, body, None, [to], fail_silently=False)


def due_date_reminders(today: datetime.date | None = None) -> int:
    """Remind learners whose mandatory course is due in exactly 7 or 1 day(s).

    "Today" is each learner's own date in their city's time zone (or `today` for every
    learner, for tests and catch-up runs). Completed courses, withdrawn enrolments and
    inactive learners are skipped. Safe to run more than once a day: each reminder is
    stored once (dedupe key per enrolment and day count). A fixed number of queries per
    batch of enrolments. Returns how many reminders were sent by this run.
    """
    from lms.notifications.services import due_soon_notify
    from lms.people.models import City
    from lms.records.models import CourseCompletion, Enrolment
    from lms.records.selectors import local_date

    today_by_timezone = {tz: today or local_date(tz) for tz in City.TimeZone.values}
    due = Q()
    for tz, day in today_by_timezone.items():
        due |= Q(
            learner__city__timezone=tz,
            due_date__in=[day + datetime.timedelta(days=n) for n in REMINDER_DAYS],
        )
    completed = CourseCompletion.objects.filter(
        learner_id=OuterRef("learner_id"), course_key=OuterRef("course_key")
    )
    enrolments = (
        Enrolment.objects.filter(
            due,
            is_mandatory=True,
            status=Enrolment.Status.ACTIVE,
            learner__is_active=True,
            learner__user__is_active=True,
        )
        .exclude(Exists(completed))
        .select_related("learner__user", "learner__city")
        .order_by("pk")
    )
    sent, last_pk = 0, 0
    while True:
        batch = list(enrolments.filter(pk__gt=last_pk)[:BATCH_SIZE])
        if not batch:
            break
        sent += due_soon_notify(batch, today_by_timezone=today_by_timezone)
        if len(batch) < BATCH_SIZE:
            break
        last_pk = batch[-1].pk
    logger.info("due-date reminders sent: %s", sent)
    return sent


@task()
@retry_transient
def due_date_reminders_task() -> int:
    """The reminders as a task, for deployments that schedule work on the task worker."""
    return due_date_reminders()
