"""The admins' audit view of the access log: their own cities only, by NIP, a constant
number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.privacy.services import access_log_record
from tests.factories import CityFactory, LearnerFactory, city_admin, national_admin

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities(db):
    jakarta, sorong = CityFactory(name="Jakarta"), CityFactory(name="Sorong")
    return jakarta, sorong


def log(actor, learners):
    access_log_record(actor=actor, learners=learners, where="test")


class AdminAccessLogTests:
    def test_a_city_admin_sees_their_learners_only(self, client, cities):
        jakarta, sorong = cities
        ani = LearnerFactory(city=jakarta, full_name="Ani Jakarta")
        oki = LearnerFactory(city=sorong, full_name="Oki Sorong")
        boss = national_admin()
        log(boss, [ani, oki])
        access_log_record(actor=boss, city=sorong, action="export", count=5, where="x")
        client.force_login(city_admin(jakarta))
        response = client.get(reverse("privacy_access_log"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Ani Jakarta" in html and ani.nip in html
        assert "Oki Sorong" not in html and oki.nip not in html
        assert "List of Sorong" not in html

    def test_filter_by_nip_and_constant_queries(self, client, cities):
        jakarta, _sorong = cities
        admin = city_admin(jakarta)
        people = [LearnerFactory(city=jakarta) for _n in range(3)]
        log(national_admin(), people[:1])
        client.force_login(admin)
        url = reverse("privacy_access_log")
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        log(national_admin(), people * 10)
        with CaptureQueriesContext(connection) as many:
            assert client.get(url).status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries)
        html = client.get(url, {"nip": people[1].nip}).content.decode()
        assert people[1].nip in html and people[0].nip not in html

    def test_learners_and_trainers_are_refused(self, client, cities):
        from tests.factories import trainer

        jakarta, _sorong = cities
        for user in (LearnerFactory(city=jakarta).user, trainer(jakarta)):
            client.force_login(user)
            response = client.get(reverse("privacy_access_log"))
            # Wagtail answers a refusal with a redirect to the admin home (or the login).
            assert response.status_code in (302, 403)
            assert response.status_code == 403 or not response.url.startswith("/admin/privasi")
