"""A Jakarta office with a two-level team, a second team, and a Sorong team, for the
notification and feedback tests (tests/lms/feedback imports these fixtures)."""

import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from tests.factories import CityFactory, LearnerFactory, city_admin, national_admin


@dataclass
class Team:
    jakarta: object
    sorong: object
    head: object  # supervises `boss`: an indirect supervisor of `staff`
    boss: object  # the direct supervisor of `staff` and `colleague`
    staff: object
    colleague: object  # same team as `staff`: a peer
    other_boss: object  # supervises another team in Jakarta
    other_staff: object
    sorong_boss: object
    sorong_staff: object
    jakarta_admin: object
    sorong_admin: object
    national_admin: object


@pytest.fixture
def team(db) -> Team:
    jakarta = CityFactory(name="Jakarta", slug="jakarta")
    sorong = CityFactory(name="Sorong", slug="sorong", timezone="Asia/Jayapura")
    head = LearnerFactory(city=jakarta, full_name="Kepala Dinas")
    boss = LearnerFactory(city=jakarta, supervisor=head, full_name="Atasan Langsung")
    other_boss = LearnerFactory(city=jakarta, supervisor=head, full_name="Atasan Lain")
    sorong_boss = LearnerFactory(city=sorong, full_name="Atasan Sorong")
    return Team(
        jakarta=jakarta,
        sorong=sorong,
        head=head,
        boss=boss,
        staff=LearnerFactory(city=jakarta, supervisor=boss, full_name="Staf Satu"),
        colleague=LearnerFactory(city=jakarta, supervisor=boss, full_name="Staf Dua"),
        other_boss=other_boss,
        other_staff=LearnerFactory(city=jakarta, supervisor=other_boss, full_name="Staf Lain"),
        sorong_boss=sorong_boss,
        sorong_staff=LearnerFactory(city=sorong, supervisor=sorong_boss, full_name="Staf Sorong"),
        jakarta_admin=city_admin(jakarta),
        sorong_admin=city_admin(sorong),
        national_admin=national_admin(),
    )


def quiz_attempt(learner):
    """A submitted quiz attempt of this learner (only the fields feedback refers to)."""
    from lms.records.models import QuizAttempt

    now = timezone.now()
    return QuizAttempt.objects.create(
        learner=learner,
        quiz_key=uuid.uuid4(),
        lesson_key=uuid.uuid4(),
        course_key=uuid.uuid4(),
        number=1,
        state="submitted",
        seed=1,
        rules={},
        pass_mark_percent=70,
        started_at=now,
        submitted_at=now,
        max_points=10,
        points=8,
        score_percent=80,
        passed=True,
    )


@pytest.fixture
def catalogue(curriculum_index):
    from courses import services as course_services

    return course_services.national_catalogue_install(index=curriculum_index, title="Katalog")
