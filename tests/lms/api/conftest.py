"""Fixtures for the REST API: the records' `world` (Jakarta and Sorong, courses, a Jakarta
learner), the supervisors' `team`, admins, and tokens made through the token service."""

import datetime
import uuid

import pytest
from django.utils import timezone

from lms.api import tokens
from lms.records.models import CourseCompletion
from tests.factories import national_admin
from tests.lms.learning.conftest import (  # noqa: F401  (fixtures)
    _made_up_activity_keys,
    jakarta_admin,
    sorong_admin,
    team,
    world,
)

API = "/api/v1"


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def get(client, path: str, token: str | None = None, **params):
    headers = bearer(token) if token else {}
    return client.get(f"{API}{path}", params, **headers)


def post(client, path: str, data: dict, token: str | None = None):
    headers = bearer(token) if token else {}
    return client.post(f"{API}{path}", data, content_type="application/json", **headers)


def assert_error(response, status: int) -> dict:
    """Every error is JSON with a message (and, for bad values, a list of errors)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"message", "errors"}
    return body


def completion(learner, *, year: int = 2026, title: str = "Kursus Selesai", number=None):
    day = datetime.date(year, 3, 2)
    return CourseCompletion.objects.create(
        learner=learner,
        city_id=learner.city_id,
        course_key=uuid.uuid4(),
        course_title=title,
        organiser="BKPSDM Jakarta",
        learning_form="e_learning",
        jp=2,
        started_on=day - datetime.timedelta(days=3),
        completed_on=day,
        year=year,
        completed_at=timezone.make_aware(datetime.datetime(year, 3, 2, 10, 0)),
        certificate_number=number or f"SERT-{uuid.uuid4().hex[:10]}",
        criteria={},
    )


@pytest.fixture
def national(world):  # noqa: F811
    return national_admin()


@pytest.fixture
def jakarta_token(world, jakarta_admin):  # noqa: F811
    return tokens.token_create(by=jakarta_admin, name="SIMPEG Jakarta", city=world.jakarta).secret


@pytest.fixture
def jakarta_write_token(world, jakarta_admin):  # noqa: F811
    return tokens.token_create(
        by=jakarta_admin,
        name="SIMPEG Jakarta (tulis)",
        city=world.jakarta,
        can_write_enrolments=True,
    ).secret


@pytest.fixture
def sorong_token(world, sorong_admin):  # noqa: F811
    return tokens.token_create(by=sorong_admin, name="SIMPEG Sorong", city=world.sorong).secret


@pytest.fixture
def national_token(national):
    return tokens.token_create(by=national, name="Dasbor Nasional", city=None).secret
