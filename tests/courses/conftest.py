"""Course fixtures, built through courses.services like the admin and the demo data."""

import itertools
from dataclasses import dataclass

import pytest
from django.conf import settings

from courses import services
from courses.models import CityCurriculumPage, CoursePage, Provider
from lms.people.models import City
from tests.factories import CityFactory, LearnerFactory, city_admin, trainer

_seq = itertools.count(1)


def paragraph(text: str) -> dict:
    return {"type": "paragraph", "value": f"<p>{text}</p>"}


def make_course(parent, *, title: str | None = None, publish: bool = True, **kwargs) -> CoursePage:
    n = next(_seq)
    defaults = {
        "title": title or f"Kursus Uji {n}",
        "slug": f"kursus-uji-{n}",
        "summary": "Ringkasan kursus uji.",
        "jp_value": 2,
        "competency_area": "digital_literacy",
        "estimated_duration": 5400,
    }
    defaults.update(kwargs)
    return services.course_create(parent=parent, publish=publish, **defaults)


def make_lesson(course, *, title: str | None = None, publish: bool = True, **kwargs):
    n = next(_seq)
    defaults = {
        "title": title or f"Pelajaran Uji {n}",
        "slug": f"pelajaran-uji-{n}",
        "body": [paragraph("Isi pelajaran.")],
    }
    defaults.update(kwargs)
    return services.lesson_create(course=course, publish=publish, **defaults)


def assert_refused(response) -> None:
    """Wagtail refuses with 403, or by redirecting to the admin home with a message; a
    redirect to the login page would mean the user was not logged in at all."""
    assert response.status_code in (302, 403), response.status_code
    if response.status_code == 302:
        assert "login" not in response.url


@dataclass
class CitySetup:
    city: City
    curriculum: CityCurriculumPage
    admin: object
    trainer: object

    def learner(self):
        return LearnerFactory(city=self.city).user


@pytest.fixture
def client(client):
    """Pages in English, so tests read the msgids (Indonesian is the site's default)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def catalogue(curriculum_index):
    return services.national_catalogue_install(
        index=curriculum_index, title="Katalog Nasional", intro=""
    )


@pytest.fixture
def make_city(curriculum_index):
    def _make(name: str) -> CitySetup:
        city = CityFactory(name=name, slug=name.lower().replace(" ", "-"))
        curriculum = services.city_curriculum_create(
            index=curriculum_index, city=city, title=f"Kurikulum {name}"
        )
        return CitySetup(
            city=city, curriculum=curriculum, admin=city_admin(city), trainer=trainer(city)
        )

    return _make


@pytest.fixture
def jakarta(make_city):
    return make_city("Jakarta")


@pytest.fixture
def sorong(make_city):
    return make_city("Sorong")


@pytest.fixture
def provider(db):
    return Provider.objects.create(name="Universitas Uji", kind=Provider.Kind.UNIVERSITY)
