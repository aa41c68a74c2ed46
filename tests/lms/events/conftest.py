"""Fixtures for events: two cities, learners, and a helper that builds an event with its
sessions the way the admin form saves it."""

import datetime

import pytest
from django.utils import timezone

from courses.models import LearningForm
from lms.events.models import Event, EventSession, Partner
from tests.factories import AgencyFactory, CityFactory, LearnerFactory

NOW = timezone.now()


def make_event(
    city,
    *,
    sessions: int = 1,
    capacity: int = 10,
    learning_form: str = LearningForm.WORKSHOP,
    first_session: datetime.datetime | None = None,
    session_minutes: int = 180,
    gap_days: int = 1,
    **fields,
) -> Event:
    start = first_session or (NOW + datetime.timedelta(days=2))
    values = {
        "title": "Lokakarya Transformasi Digital",
        "place": "Aula BKPSDM",
        "registration_opens_at": NOW - datetime.timedelta(days=1),
        "registration_closes_at": NOW + datetime.timedelta(days=1),
        "min_attendance_percent": 80,
    }
    values.update(fields)
    event = Event.objects.create(
        city=city, capacity=capacity, learning_form=learning_form, **values
    )
    for n in range(sessions):
        begins = start + datetime.timedelta(days=n * gap_days)
        EventSession.objects.create(
            event=event,
            starts_at=begins,
            ends_at=begins + datetime.timedelta(minutes=session_minutes),
        )
    return event


@pytest.fixture
def city(db):
    return CityFactory(name="Bukittinggi", slug="bukittinggi")


@pytest.fixture
def other_city(db):
    return CityFactory(name="Sorong", slug="sorong", timezone="Asia/Jayapura")


@pytest.fixture
def learner(city):
    return LearnerFactory(city=city)


@pytest.fixture
def partner(city):
    return Partner.objects.create(
        name="Universitas Andalas", kind=Partner.Kind.UNIVERSITY, city=city
    )


@pytest.fixture
def agency(city):
    return AgencyFactory(city=city)
