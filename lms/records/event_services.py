"""The records side of event attendance: the JP credit and the completion (with its
certificate) a learner earns at a workshop, seminar, magang or coaching session.

The events app (lms.events) decides who earned what - attendance share, the national JP
rules, the monthly cap; this module writes the learner's records, as the records app is
the only writer of learner JP and completions. The completion is keyed by the event's key
(CourseCompletion.course_key holds it), so the SIASN export, the learner's home and the
certificate services treat it like a completed course; no CoursePage exists for that
key, and the readers of completions fall back to the frozen title (course_title).
"""

import contextlib
import datetime
import uuid
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.people.models import LearnerProfile
from lms.records import certificates, tasks
from lms.records.models import CourseCompletion, JpCredit
from lms.records.services import jp_credit_record


def event_completion_record(
    *,
    learner: LearnerProfile,
    event_key: uuid.UUID,
    title: str,
    organiser: str,
    learning_form: str,
    jp: int,
    started_on: datetime.date,
    completed_on: datetime.date,
    criteria: dict,
) -> CourseCompletion:
    """Credit the event's JP and record its completion, exactly once per learner and event
    (a repeated call returns the completion already there), then issue its certificate
    (the number now, the PDF after commit)."""
    if jp < 1:
        raise ValidationError({"jp": _("A credit is worth at least 1 JP.")})
    with transaction.atomic():
        # jp_credit_record locks the learner, so concurrent calls queue here.
        jp_credit_record(
            learner=learner,
            source=JpCredit.Source.EVENT_ATTENDANCE,
            source_key=str(event_key),
            title=title,
            jp=jp,
            learning_form=learning_form,
            earned_on=completed_on,
        )
        completion = CourseCompletion.objects.filter(learner=learner, course_key=event_key).first()
        if completion is None:
            completion = CourseCompletion(
                learner=learner,
                city_id=learner.city_id,
                course_key=event_key,
                course_title=title[:255],
                organiser=organiser[:255],
                learning_form=learning_form,
                jp=jp,
                started_on=started_on,
                completed_on=completed_on,
                year=completed_on.year,
                completed_at=timezone.now(),
                # The "event" key tells the rollup rebuild that this completion credits
                # JP only and moves no course's "completed" counter.
                criteria={**criteria, "event": str(event_key)},
            )
            completion.full_clean(exclude=["learner", "city"])
            try:
                with transaction.atomic():
                    completion.save(force_insert=True)
            except IntegrityError:
                completion = CourseCompletion.objects.get(learner=learner, course_key=event_key)
                return completion
        # A number format that cannot number this certificate must not lose the JP; the
        # admins fix the format and run issue_certificates.
        with contextlib.suppress(ValidationError):
            certificates.certificate_issue(completion=completion)
        transaction.on_commit(partial(tasks.certificate_issue.enqueue, completion_id=completion.pk))
    return completion
