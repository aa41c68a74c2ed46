"""Fixtures for privacy: the records' `world` and the learning tests' supervisor `team`,
and a learner with a record of every kind (to check the data download and anonymisation)."""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from lms.records.models import ActivityState, AttemptQuestion, Certificate, CourseCompletion
from tests.lms.learning.conftest import complete_course, quiz_attempt, team  # noqa: F401
from tests.lms.records.conftest import (  # noqa: F401  (fixtures)
    _made_up_activity_keys,
    jakarta_admin,
    sorong_admin,
    world,
)


@dataclass
class Filled:
    learner: object
    completion: CourseCompletion
    certificate: Certificate
    attempt: object


def fill_records(client, world, learner, supervisor=None, *, course=None) -> Filled:  # noqa: F811
    """Every kind of record for one learner: statements, progress, an activity-made
    enrolment, a completion with JP credits and its certificate, a quiz attempt with an
    answer, a saved state, feedback and notifications."""
    from lms.feedback import services as feedback_services
    from lms.records import certificates

    setup = course or world.course
    complete_course(client, setup, learner)
    client.logout()
    # logout() empties the cookie jar, the chosen language included.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    completion = CourseCompletion.objects.get(
        learner=learner, course_key=setup.course.translation_key
    )
    certificate = Certificate.objects.filter(completion=completion).first() or (
        certificates.certificate_issue(completion=completion)
    )
    attempt = quiz_attempt(learner)
    AttemptQuestion.objects.create(
        attempt=attempt,
        position=1,
        question_key=uuid.uuid4(),
        question_version=1,
        spec={"text": "?", "answers": [{"id": "a", "correct": True}]},
        max_points=1,
        response={"choice": f"jawaban-{learner.pk}"},
        answered_at=timezone.now(),
        fraction=1.0,
        points=1,
    )
    ActivityState.objects.create(
        learner=learner,
        kind="h5p",
        activity_key=setup.h5p_key,
        state_id="resume",
        content_type="application/json",
        document=f'{{"learner": {learner.pk}}}',
        updated_at=timezone.now(),
    )
    if supervisor is not None:
        feedback_services.feedback_write(
            author=supervisor.user, learner=learner, topic_kind="general", body="Bagus sekali!"
        )
    return Filled(learner, completion, certificate, attempt)
