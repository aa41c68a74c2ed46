"""Writes of supervisor feedback and reminders ("nudges").

Who may do what, checked here for every caller (views, the team page, tests):

- a supervisor of the learner, direct or indirect (the supervisor chain of
  lms.people.selectors, in the learner's city), may start a thread, write and nudge;
- the learner may read and reply to their own threads, never start one about themself;
- anyone else is refused: another learner, a supervisor of a different team, and admins
  (city or national). Admins see records through their own screens; feedback is a
  conversation between a person and their supervisors, so they are not part of it.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.feedback.models import BODY_MAX_CHARS, FeedbackMessage, FeedbackThread
from lms.notifications import services as notification_services
from lms.people.models import LearnerProfile
from lms.people.permissions import roles_of
from lms.people.selectors import supervisor_chain_pk_subquery

NUDGE_MAX_CHARS = 500


class FeedbackRefused(PermissionDenied):
    """The user may not do this with this learner's feedback (403)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def supervises(user, learner: LearnerProfile) -> bool:
    """Whether the user is the learner's supervisor, directly or further up (one query)."""
    roles = roles_of(user)
    if roles.profile_id is None or roles.profile_id == learner.pk:
        return False
    if roles.profile_city_id != learner.city_id:
        # supervisor_set keeps supervisors in their staff's city.
        return False
    return (
        LearnerProfile.objects.filter(pk=roles.profile_id)
        .filter(pk__in=supervisor_chain_pk_subquery(learner.pk))
        .exists()
    )


def is_thread_learner(user, thread: FeedbackThread) -> bool:
    return roles_of(user).profile_id == thread.learner_id


def may_read_thread(user, thread: FeedbackThread) -> bool:
    return is_thread_learner(user, thread) or supervises(user, thread.learner)


def _clean_body(body, *, max_chars: int = BODY_MAX_CHARS, field: str = "body") -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError(
            {field: ValidationError(_("Write a message before sending."), code="empty")}
        )
    if len(body) > max_chars:
        raise ValidationError(
            {
                field: ValidationError(
                    _(
                        "The message is too long: %(count)s characters. Shorten it to "
                        "%(max)s characters at most."
                    )
                    % {"count": len(body), "max": max_chars},
                    code="too_long",
                )
            }
        )
    return body


def _clean_topic(
    *, learner: LearnerProfile, topic_kind, topic_key, topic_title
) -> tuple[str, uuid.UUID | None, str]:
    if topic_kind not in FeedbackThread.TopicKind.values:
        raise ValidationError(
            {
                "topic_kind": ValidationError(
                    _("Choose what the feedback is about: in general, a course or a quiz result."),
                    code="topic_kind",
                )
            }
        )
    title = (topic_title or "").strip()[:255]
    if topic_kind == FeedbackThread.TopicKind.GENERAL:
        return topic_kind, None, title
    try:
        key = topic_key if isinstance(topic_key, uuid.UUID) else uuid.UUID(str(topic_key or ""))
    except ValueError:
        raise ValidationError(
            {
                "topic_key": ValidationError(
                    _("The course or quiz result is not recognised. Open it again and retry."),
                    code="topic_key",
                )
            }
        ) from None
    if topic_kind == FeedbackThread.TopicKind.QUIZ_ATTEMPT:
        from lms.records.models import QuizAttempt

        # A thread may only be about the learner's own attempt.
        if not QuizAttempt.objects.filter(pk=key, learner_id=learner.pk).exists():
            raise ValidationError(
                {
                    "topic_key": ValidationError(
                        _("This quiz result does not belong to this person."),
                        code="topic_key",
                    )
                }
            )
    return topic_kind, key, title


def _thread_for(
    *, learner: LearnerProfile, topic_kind: str, topic_key, topic_title: str, by
) -> FeedbackThread:
    lookup = {"learner": learner, "topic_kind": topic_kind, "topic_key": topic_key}
    thread = FeedbackThread.objects.filter(**lookup).first()
    if thread is not None:
        return thread
    try:
        with transaction.atomic():
            return FeedbackThread.objects.create(**lookup, topic_title=topic_title, created_by=by)
    except IntegrityError:
        # Started meanwhile by another supervisor (or a double click): join it.
        return FeedbackThread.objects.get(**lookup)


def _message_add(*, thread: FeedbackThread, author, body: str) -> FeedbackMessage:
    now = timezone.now()
    message = FeedbackMessage.objects.create(
        thread=thread, author=author, body=body, created_at=now
    )
    thread.last_message_at = now
    fields = ["last_message_at"]
    if author.pk == thread.learner.user_id:
        thread.learner_read_at = now
        fields.append("learner_read_at")
    thread.save(update_fields=fields)
    notification_services.notify_feedback(message)
    return message


@transaction.atomic
def feedback_write(
    *,
    author,
    learner: LearnerProfile,
    topic_kind: str,
    topic_key=None,
    topic_title: str = "",
    body: str,
) -> FeedbackMessage:
    """A supervisor writes feedback to one of their staff, starting the thread on this
    topic or joining it; the learner is notified."""
    if not supervises(author, learner):
        raise FeedbackRefused(_("Only this person's supervisors can write feedback to them."))
    topic_kind, topic_key, topic_title = _clean_topic(
        learner=learner, topic_kind=topic_kind, topic_key=topic_key, topic_title=topic_title
    )
    body = _clean_body(body)
    thread = _thread_for(
        learner=learner,
        topic_kind=topic_kind,
        topic_key=topic_key,
        topic_title=topic_title,
        by=author,
    )
    thread.learner = learner
    return _message_add(thread=thread, author=author, body=body)


@transaction.atomic
def feedback_reply(*, author, thread: FeedbackThread, body: str) -> FeedbackMessage:
    """The learner or one of their supervisors answers in a thread; the other side is
    notified."""
    thread = FeedbackThread.objects.select_related("learner").get(pk=thread.pk)
    if not may_read_thread(author, thread):
        raise FeedbackRefused(_("You may not write in this conversation."))
    body = _clean_body(body)
    return _message_add(thread=thread, author=author, body=body)


def thread_mark_read(*, user, thread: FeedbackThread) -> None:
    """The learner opened the thread: its messages so far are read."""
    if is_thread_learner(user, thread):
        FeedbackThread.objects.filter(pk=thread.pk).update(learner_read_at=timezone.now())


def nudge(*, supervisor, learner: LearnerProfile, message: str = ""):
    """Remind one of the supervisor's staff to keep learning (a notification, kind nudge).

    Returns the notification, or None when this supervisor already reminded this person
    today (nothing is sent again).
    """
    if not supervises(supervisor, learner):
        raise FeedbackRefused(_("You can only remind people on your own team."))
    message = (message or "").strip()
    if message:
        message = _clean_body(message, max_chars=NUDGE_MAX_CHARS, field="message")
    return notification_services.notify_nudge(
        supervisor=supervisor, learner=learner, message=message
    )
