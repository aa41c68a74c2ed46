"""Fixtures for the learner home and team pages: the records' `world` (two cities,
courses with lessons, a Jakarta learner), a supervisor tree, and builders that write
record rows directly where a test needs many of them quickly."""

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from lms.people.models import LearnerProfile
from lms.records.models import (
    ActivityKind,
    ActivityProgress,
    AttemptState,
    Enrolment,
    QuizAttempt,
)
from tests.factories import LearnerFactory
from tests.lms.records.conftest import (  # noqa: F401  (fixtures)
    _made_up_activity_keys,
    jakarta_admin,
    sorong_admin,
    world,
)


@dataclass
class Team:
    head: LearnerProfile
    budi: LearnerProfile
    ani: LearnerProfile
    cici: LearnerProfile
    dedi: LearnerProfile
    eko: LearnerProfile
    fajar: LearnerProfile
    sorong_boss: LearnerProfile
    sorong_staff: LearnerProfile


@pytest.fixture
def team(world):  # noqa: F811  (the imported fixture, requested by name)
    """Jakarta: a head (kepala) over two supervisors; Budi supervises Ani and Cici, and Cici
    supervises Dedi (Budi's indirect staff); a peer supervisor Eko has Fajar. Sorong has
    its own supervisor and staff member."""
    head = LearnerFactory(city=world.jakarta, full_name="Kepala Dinas")
    budi = LearnerFactory(city=world.jakarta, full_name="Budi Atasan", supervisor=head)
    ani = LearnerFactory(
        city=world.jakarta, full_name="Ani Staf", supervisor=budi, jabatan_name="Analis"
    )
    cici = LearnerFactory(city=world.jakarta, full_name="Cici Staf", supervisor=budi)
    dedi = LearnerFactory(city=world.jakarta, full_name="Dedi Tidak Langsung", supervisor=cici)
    eko = LearnerFactory(city=world.jakarta, full_name="Eko Rekan", supervisor=head)
    fajar = LearnerFactory(city=world.jakarta, full_name="Fajar Staf Rekan", supervisor=eko)
    sorong_boss = LearnerFactory(city=world.sorong, full_name="Atasan Sorong")
    sorong_staff = LearnerFactory(
        city=world.sorong, full_name="Staf Sorong", supervisor=sorong_boss
    )
    return Team(head, budi, ani, cici, dedi, eko, fajar, sorong_boss, sorong_staff)


def complete_course(client, setup, learner):
    """Complete every lesson of a course as the learner would: lessons viewed and the H5P
    activity through the statement endpoint, the quiz through the server-graded path."""
    from types import SimpleNamespace

    from lms.records import services
    from tests.lms.records.conftest import h5p, post, view

    client.force_login(learner.user)
    for statement in [*(view(lesson) for lesson in setup.lessons), h5p(setup, 0.9)]:
        response = post(client, statement)
        assert response.status_code == 200, response.content
    attempt = SimpleNamespace(
        id=uuid.uuid4(),
        grade_version=1,
        quiz_key=setup.quiz_key,
        lesson_key=setup.quiz_lesson.translation_key,
        course_key=setup.course.translation_key,
        learner_id=learner.pk,
    )
    services.quiz_result_record(attempt=attempt, quiz_grade_percent=100, passed=True)


def login(client, profile):
    client.force_login(profile.user)
    return client


def enrol(learner, course_key, *, mandatory=False, due_date=None, status="active"):
    return Enrolment.objects.create(
        learner=learner,
        course_key=course_key,
        source=Enrolment.Source.ASSIGNMENT if mandatory else Enrolment.Source.SELF,
        is_mandatory=mandatory,
        due_date=due_date,
        status=status,
        enrolled_at=timezone.now(),
        withdrawn_at=timezone.now() if status == "withdrawn" else None,
    )


def progress(learner, course_key, *, percent=0, completed=False, at=None, lesson_key=None):
    """A course progress row (and one lesson row), as the recording path leaves them."""
    at = at or timezone.now()
    rows = [
        ActivityProgress.objects.create(
            learner=learner,
            kind=ActivityKind.COURSE,
            activity_key=course_key,
            course_key=course_key,
            progress=100 if completed else percent,
            started_at=at,
            last_activity_at=at,
            completed_at=at if completed else None,
        )
    ]
    if lesson_key is not None:
        rows.append(
            ActivityProgress.objects.create(
                learner=learner,
                kind=ActivityKind.LESSON,
                activity_key=lesson_key,
                lesson_key=lesson_key,
                course_key=course_key,
                progress=100,
                started_at=at,
                last_activity_at=at,
                completed_at=at,
            )
        )
    return rows


def quiz_attempt(learner, *, quiz_key=None, score=80.0, passed=True, at=None, number=1):
    at = at or timezone.now()
    return QuizAttempt.objects.create(
        learner=learner,
        quiz_key=quiz_key or uuid.uuid4(),
        lesson_key=uuid.uuid4(),
        course_key=uuid.uuid4(),
        number=number,
        state=AttemptState.SUBMITTED,
        seed=1,
        rules={},
        pass_mark_percent=Decimal("70"),
        started_at=at - datetime.timedelta(minutes=10),
        submitted_at=at,
        max_points=Decimal("10"),
        points=Decimal(str(score / 10)),
        score_percent=score,
        passed=passed,
    )
