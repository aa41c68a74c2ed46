"""Side effects of recording, run after the transaction commits (django-tasks: inline by
default, a worker at scale). They read records and write only certificates; a failure here
never undoes a record."""

import logging
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django_tasks import task

from lms.security.retry import retry_transient

logger = logging.getLogger(__name__)


@task()
@retry_transient
def course_completed_notify(completion_id: int) -> None:
    """Give a new completion its certificate number, then issue the certificate (the PDF)
    in the background. The learner hears about it once, from the notifications app when
    the certificate is ready (in-app, and by email unless they turned that off)."""
    from lms.records.models import CourseCompletion

    completion = CourseCompletion.objects.select_related("learner").filter(pk=completion_id).first()
    if completion is None:
        return
    _certificate_number_assign(completion)
    logger.info(
        "course completed: learner %s, course %s, certificate %s",
        completion.learner_id,
        completion.course_key,
        completion.certificate_number,
    )


# --- certificates --------------------------------------------------------------------------


def _certificate_number_assign(completion) -> None:
    """Issue the certificate (cheap: a number) before the email, so the email carries its
    real number; the PDF is rendered by the certificate_issue task, after commit."""
    from lms.records import certificates

    try:
        certificate = certificates.certificate_issue(completion=completion)
    except ValidationError:
        # A city's number format that cannot number this certificate must not cost the
        # learner the email; the admins fix the format and run issue_certificates.
        logger.exception("certificate not issued for completion %s", completion.pk)
    else:
        completion.certificate_number = certificate.number
    transaction.on_commit(partial(certificate_issue.enqueue, completion_id=completion.pk))


def _notify_certificate_issued(certificate) -> None:
    """Hook for the notifications app, when it is installed."""
    try:
        from lms.notifications.services import notify_certificate_issued
    except ImportError:
        return
    notify_certificate_issued(certificate)


@task()
@retry_transient
def certificate_issue(completion_id: int) -> None:
    """Issue a completion's certificate (idempotent), render its PDF once, and tell the
    notifications app the first time the PDF is ready."""
    from lms.records import certificates
    from lms.records.models import CourseCompletion

    completion = CourseCompletion.objects.filter(pk=completion_id).first()
    if completion is None:
        return
    certificate = certificates.certificate_issue(completion=completion)
    if certificate.pdf:
        return
    certificate = certificates.certificate_pdf_ensure(certificate=certificate)
    logger.info("certificate issued: %s (completion %s)", certificate.number, completion_id)
    _notify_certificate_issued(certificate)


# --- quizzes ------------------------------------------------------------------------------


@task()
@retry_transient
def quiz_attempts_close_overdue() -> int:
    """Close and grade quiz attempts whose time ran out while nobody touched them (the
    learner closed the page). Run it every minute (cron: `manage.py shell -c` or a worker's
    scheduler); safe to run twice at once."""
    from lms.records.quiz_services import attempts_close_overdue

    closed = attempts_close_overdue()
    if closed:
        logger.info("quiz attempts closed at their deadline: %s", closed)
    return closed
