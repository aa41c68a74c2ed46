"""Writes of notifications: the in-app row behind the bell, and the email after commit.

Every sender goes through `notify` (one event) or `notify_many` (a periodic batch), so
three rules hold everywhere:

1. A `dedupe_key` makes sending idempotent: the database keeps one row per user x kind x
   key (insert-or-ignore), so a retried request or a periodic task run twice notifies once.
2. The email is sent after the surrounding transaction commits, by a django-tasks task, and
   only if the user has an email address and has not turned that kind off. A rolled-back
   event leaves neither a row nor an email.
3. Texts are rendered in the site language (settings.LANGUAGE_CODE, Indonesian) at the
   moment of the event and stored as rendered, like a letter.
"""

import datetime
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lms.notifications.models import Kind, Notification, NotificationPreference

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 300


@dataclass(frozen=True)
class Pending:
    """One notification of a batch (notify_many), before it is stored."""

    user: object  # a User, with .pk and .email loaded
    title: str
    body: str
    dedupe_key: str
    url: str = ""


def _site_language():
    return translation.override(settings.LANGUAGE_CODE)


def _date(value: datetime.date) -> str:
    # Called inside _site_language(): "3 Desember 2026", as an Indonesian letter writes it.
    return formats.date_format(value, "j F Y")


def absolute_url(url: str) -> str:
    """A link that works from an email client (site-relative links get the site's base)."""
    if url.startswith("/"):
        return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url
    return url


def person_name(user) -> str:
    """How a person is called in a message: their learner profile's full name if any."""
    try:
        return user.profile.full_name
    except (ObjectDoesNotExist, AttributeError):
        return user.get_full_name() or user.get_username()


# --- email --------------------------------------------------------------------------------


def _email_disabled_user_ids(user_ids: Iterable[int], kind: str) -> set[int]:
    return set(
        NotificationPreference.objects.filter(
            user_id__in=list(user_ids), kind=kind, email_enabled=False
        ).values_list("user_id", flat=True)
    )


def _email_text(notification: Notification) -> tuple[str, str]:
    with _site_language():
        parts = [notification.body] if notification.body else []
        if notification.url:
            parts.append(_("Open: %(url)s") % {"url": absolute_url(notification.url)})
        parts.append(
            "-- \n"
            + _(
                "You receive this email because email is on for this kind of notification. "
                "To turn it off, open %(url)s."
            )
            % {"url": absolute_url(reverse("notifications:preferences"))}
        )
    # A header cannot hold line breaks.
    return " ".join(notification.title.split()), "\n\n".join(parts)


def _enqueue_email(*, to: str, subject: str, body: str) -> None:
    from lms.notifications.tasks import send_notification_email

    send_notification_email.enqueue(to=to, subject=subject, body=body)


def _email_after_commit(notification: Notification, email: str) -> None:
    subject, body = _email_text(notification)
    transaction.on_commit(partial(_enqueue_email, to=email, subject=subject, body=body))


# --- sending ------------------------------------------------------------------------------


def notify(
    *,
    user,
    kind: str,
    title: str,
    body: str,
    url: str = "",
    dedupe_key: str | None = None,
) -> Notification | None:
    """Store an in-app notification and, after commit, email it (if the user wants that).

    Returns the new notification, or None when one with the same user, kind and
    `dedupe_key` already exists (nothing is stored or sent again).
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    with _site_language():
        title, body = str(title), str(body)
    if (
        dedupe_key is not None
        and Notification.objects.filter(user=user, kind=kind, dedupe_key=dedupe_key).exists()
    ):
        return None
    notification = Notification(
        user=user,
        kind=kind,
        title=Truncator(title).chars(200),
        body=body,
        url=url[:500],
        dedupe_key=dedupe_key,
    )
    try:
        # A savepoint: losing the race to a concurrent sender must not break the caller's
        # transaction.
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    if user.email and not _email_disabled_user_ids([user.pk], kind):
        _email_after_commit(notification, user.email)
    return notification


def notify_many(*, kind: str, items: list[Pending]) -> list[Notification]:
    """Store a batch of notifications of one kind in a fixed number of queries; returns
    the ones stored now (those whose dedupe key was already used are skipped)."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if not items:
        return []
    users = {item.user.pk: item.user for item in items}
    # Every row of this run carries the same timestamp: reading back by it tells the rows
    # inserted now from those a previous (or concurrent) run stored.
    stamp = timezone.now()
    with _site_language():
        rows = [
            Notification(
                user_id=item.user.pk,
                kind=kind,
                title=Truncator(str(item.title)).chars(200),
                body=str(item.body),
                url=item.url[:500],
                dedupe_key=item.dedupe_key,
                created_at=stamp,
            )
            for item in items
        ]
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        stored = list(
            Notification.objects.filter(
                kind=kind,
                created_at=stamp,
                user_id__in=list(users),
                dedupe_key__in={item.dedupe_key for item in items},
            )
        )
        disabled = _email_disabled_user_ids({row.user_id for row in stored}, kind)
        for row in stored:
            email = users[row.user_id].email
            if email and row.user_id not in disabled:
                _email_after_commit(row, email)
    return stored


# --- what others call ---------------------------------------------------------------------


def _courses_by_key(keys: Iterable[uuid.UUID]) -> dict[uuid.UUID, object]:
    """Course pages by translation key, in one query (the first page of each key)."""
    from courses.models import CoursePage

    pages = {}
    for page in CoursePage.objects.filter(translation_key__in=set(keys)).order_by("pk"):
        pages.setdefault(page.translation_key, page)
    return pages


def _page_url(page) -> str:
    if page is None:
        return ""
    return page.get_url() or ""


def _learner_home_url() -> str:
    try:
        return reverse("my-curriculum")
    except NoReverseMatch:
        return "/"


def _mandatory_pending(enrolment, *, user, page) -> Pending:
    """The message for one assignment (called inside _site_language())."""
    course = page.title if page else _("a course")
    if enrolment.due_date:
        body = _(
            "Your BKPSDM made “%(course)s” mandatory for you. Please finish it by %(date)s."
        ) % {"course": course, "date": _date(enrolment.due_date)}
    else:
        body = _(
            "Your BKPSDM made “%(course)s” mandatory for you. Please start it soon from "
            "your curriculum page."
        ) % {"course": course}
    due = enrolment.due_date.isoformat() if enrolment.due_date else "none"
    return Pending(
        user=user,
        title=_("New mandatory course: %(course)s") % {"course": course},
        body=body,
        url=_page_url(page) or _learner_home_url(),
        # A new due date is news; the same assignment saved again is not.
        dedupe_key=f"mandatory:{enrolment.pk}:{due}",
    )


def notify_mandatory_assigned(enrolment) -> Notification | None:
    """Tell a learner that a course was made mandatory for them (once per due date).

    Safe to call inside the assigning transaction: the email waits for the commit.
    """
    page = _courses_by_key([enrolment.course_key]).get(enrolment.course_key)
    with _site_language():
        pending = _mandatory_pending(enrolment, user=enrolment.learner.user, page=page)
    return notify(
        user=pending.user,
        kind=Kind.MANDATORY_ASSIGNED,
        title=pending.title,
        body=pending.body,
        url=pending.url,
        dedupe_key=pending.dedupe_key,
    )


def notify_mandatory_assigned_many(enrolments: list) -> int:
    """`notify_mandatory_assigned` for a whole assignment (a city admin's list, an
    enrolment rule) in a fixed number of queries; returns how many were sent now."""
    from lms.people.models import LearnerProfile

    enrolments = list(enrolments)
    if not enrolments:
        return 0
    learners = LearnerProfile.objects.select_related("user").in_bulk(
        {e.learner_id for e in enrolments}
    )
    pages = _courses_by_key(e.course_key for e in enrolments)
    with _site_language():
        items = [
            _mandatory_pending(e, user=learners[e.learner_id].user, page=pages.get(e.course_key))
            for e in enrolments
        ]
    return len(notify_many(kind=Kind.MANDATORY_ASSIGNED, items=items))


def due_soon_notify(enrolments: list, *, today_by_timezone: dict[str, datetime.date]) -> int:
    """Remind learners of mandatory courses due soon; returns how many were sent now.

    `enrolments` come with learner, learner.user and learner.city loaded; the days left
    count from the learner's own day (their city's time zone).
    """
    pages = _courses_by_key(e.course_key for e in enrolments)
    items = []
    with _site_language():
        for enrolment in enrolments:
            learner = enrolment.learner
            today = today_by_timezone[learner.city.timezone]
            days = (enrolment.due_date - today).days
            page = pages.get(enrolment.course_key)
            course = page.title if page else _("your mandatory course")
            items.append(
                Pending(
                    user=learner.user,
                    title=ngettext(
                        "“%(course)s” is due in %(days)s day",
                        "“%(course)s” is due in %(days)s days",
                        days,
                    )
                    % {"course": course, "days": days},
                    body=_(
                        "Your mandatory course “%(course)s” is due on %(date)s. Finish it "
                        "before then so that it counts toward your JP for this year."
                    )
                    % {"course": course, "date": _date(enrolment.due_date)},
                    url=_page_url(page) or _learner_home_url(),
                    dedupe_key=f"due:{enrolment.pk}:{days}",
                )
            )
    return len(notify_many(kind=Kind.DUE_SOON, items=items))


def _certificate_url(certificate) -> str:
    get_absolute_url = getattr(certificate, "get_absolute_url", None)
    if callable(get_absolute_url):
        try:
            return get_absolute_url()
        except NoReverseMatch:
            pass
    for kwargs in ({"args": [certificate.pk]}, {"kwargs": {"number": certificate.number}}):
        try:
            return reverse("certificates:download", **kwargs)
        except NoReverseMatch:
            continue
    return ""


def notify_certificate_issued(certificate) -> Notification | None:
    """Tell a learner their certificate is ready (once per certificate)."""
    completion = certificate.completion
    with _site_language():
        title = _("Your certificate for “%(course)s” is ready") % {
            "course": completion.course_title
        }
        body = _(
            "Congratulations! You completed “%(course)s” on %(date)s and were credited "
            "%(jp)s JP. Your certificate number %(number)s is ready: download it and keep "
            "it for your records."
        ) % {
            "number": certificate.number,
            "course": completion.course_title,
            "date": completion.completed_on.strftime("%d-%m-%Y"),
            "jp": completion.jp,
        }
    return notify(
        user=completion.learner.user,
        kind=Kind.CERTIFICATE_ISSUED,
        title=title,
        body=body,
        url=_certificate_url(certificate),
        dedupe_key=f"certificate:{certificate.pk}",
    )


def notify_feedback(message) -> list[Notification]:
    """Tell the other side of a feedback thread about a new message.

    A supervisor's message goes to the learner (kind "feedback"); the learner's reply goes
    to the supervisors who wrote in the thread and still supervise them ("feedback_reply").
    """
    from lms.people.models import User
    from lms.people.selectors import supervisor_chain_pk_subquery

    thread = message.thread
    learner = thread.learner
    author = message.author
    url = reverse("feedback:thread", args=[thread.pk])
    excerpt = Truncator(message.body).chars(EXCERPT_CHARS)
    with _site_language():
        topic = thread.topic_title or _("general feedback")
        if author.pk != learner.user_id:
            recipients = [learner.user]
            kind = Kind.FEEDBACK
            title = _("%(name)s wrote feedback on “%(topic)s”") % {
                "name": person_name(author),
                "topic": topic,
            }
        else:
            recipients = list(
                User.objects.filter(
                    pk__in=thread.messages.exclude(author_id=author.pk).values("author_id"),
                    is_active=True,
                    profile__pk__in=supervisor_chain_pk_subquery(learner.pk),
                )
            )
            kind = Kind.FEEDBACK_REPLY
            title = _("%(name)s replied about “%(topic)s”") % {
                "name": learner.full_name,
                "topic": topic,
            }
    sent = []
    for recipient in recipients:
        notification = notify(
            user=recipient,
            kind=kind,
            title=title,
            body=excerpt,
            url=url,
            dedupe_key=f"feedback:{message.pk}",
        )
        if notification is not None:
            sent.append(notification)
    return sent


def notify_nudge(*, supervisor, learner, message: str = "") -> Notification | None:
    """Remind a learner to keep learning, on behalf of their supervisor.

    Once per supervisor x learner x day (the learner's day): returns None for a second
    reminder the same day. Who may nudge whom is checked by lms.feedback.services.nudge.
    """
    from lms.records.selectors import local_date

    supervisor_user = getattr(supervisor, "user", supervisor)
    day = local_date(learner.city.timezone)
    with _site_language():
        title = _("%(name)s reminds you to continue learning") % {
            "name": person_name(supervisor_user)
        }
        body = message.strip() or _(
            "Your supervisor asks you to continue your courses, starting with the mandatory "
            "ones that are due soonest."
        )
    return notify(
        user=learner.user,
        kind=Kind.NUDGE,
        title=title,
        body=body,
        url=_learner_home_url(),
        dedupe_key=f"nudge:{supervisor_user.pk}:{day.isoformat()}",
    )


# --- reading state and preferences --------------------------------------------------------


def notification_open(*, user, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read; None if it is not theirs (or missing)."""
    notification = Notification.objects.filter(pk=notification_id, user_id=user.pk).first()
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preferences_save(*, user, email_enabled: dict[str, bool]) -> None:
    """Set the user's email choice per kind (kinds not given keep their setting)."""
    unknown = set(email_enabled) - set(Kind.values)
    if unknown:
        raise ValidationError(_("Unknown notification kind: %(kinds)s") % {"kinds": unknown})
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user_id=user.pk, kind=kind, email_enabled=bool(enabled))
            for kind, enabled in email_enabled.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["email_enabled"],
    )
