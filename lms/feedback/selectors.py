"""Reads of supervisor feedback: a learner's threads, a supervisor's threads, one thread.

Each list is one query whatever its length: the last message of every thread comes from
correlated subqueries, not from one query per thread.
"""

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from lms.feedback.models import FeedbackMessage, FeedbackThread
from lms.feedback.services import may_read_thread, supervises
from lms.people.models import LearnerProfile
from lms.people.permissions import roles_of
from lms.people.selectors import staff_pk_subquery


def _with_last_message(threads: QuerySet[FeedbackThread]) -> QuerySet[FeedbackThread]:
    last = FeedbackMessage.objects.filter(thread_id=OuterRef("pk")).order_by("-created_at", "-pk")
    return threads.annotate(
        last_body=Subquery(last.values("body")[:1]),
        last_author_id=Subquery(last.values("author_id")[:1]),
        last_author_name=Subquery(last.values("author__profile__full_name")[:1]),
    )


def threads_for_learner(profile: LearnerProfile, limit: int = 10) -> list[FeedbackThread]:
    """The learner's threads, most recently active first, each with `last_body`,
    `last_author_name` and `unread` (a message from someone else after they last looked)."""
    threads = list(_with_last_message(FeedbackThread.objects.filter(learner_id=profile.pk))[:limit])
    for thread in threads:
        thread.unread = thread.last_author_id != profile.user_id and (
            thread.learner_read_at is None or thread.learner_read_at < thread.last_message_at
        )
    return threads


def threads_for_supervisor(user, limit: int = 20) -> list[FeedbackThread]:
    """Threads the user wrote in about people they still supervise, most recent first,
    each with the learner and `awaiting_reply` (the learner wrote last)."""
    profile_id = roles_of(user).profile_id
    if profile_id is None:
        return []
    wrote = FeedbackMessage.objects.filter(thread_id=OuterRef("pk"), author_id=user.pk)
    threads = list(
        _with_last_message(
            FeedbackThread.objects.filter(
                Exists(wrote), learner_id__in=staff_pk_subquery(profile_id)
            )
        ).select_related("learner")[:limit]
    )
    for thread in threads:
        thread.awaiting_reply = thread.last_author_id == thread.learner.user_id
    return threads


def thread_with_messages(thread_id: int, user) -> FeedbackThread | None:
    """The thread with its messages in `message_list` (authors loaded), or None if it does
    not exist or the user may not read it (the learner and their supervisors may)."""
    thread = FeedbackThread.objects.select_related("learner").filter(pk=thread_id).first()
    if thread is None or not may_read_thread(user, thread):
        return None
    thread.message_list = list(
        FeedbackMessage.objects.filter(thread_id=thread.pk).select_related("author__profile")
    )
    thread.viewer_is_learner = roles_of(user).profile_id == thread.learner_id
    return thread


def may_write_feedback(user, learner: LearnerProfile) -> bool:
    """For templates of other pages (the team page): show "write feedback" and "remind"."""
    return supervises(user, learner)
