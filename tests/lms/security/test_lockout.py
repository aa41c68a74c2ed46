"""Account lockout (django-axes behind lms.people's NIP-or-email login)."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import PASSWORD, CityFactory, LearnerFactory, national_admin

pytestmark = pytest.mark.django_db

NIP = "198609262015051001"


@pytest.fixture
def learner(db):
    return LearnerFactory(city=CityFactory(), nip=NIP, email="budi@example.go.id")


def log_in(client, username, password="salah-sekali-123"):
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


class LockoutTests:
    def test_five_wrong_passwords_only_show_the_form_error(self, client, learner):
        for _ in range(5):
            response = log_in(client, NIP)
            assert response.status_code == 200
            assert "wrong" in response.content.decode()
        assert log_in(client, NIP, PASSWORD).status_code == 302
        assert logged_in(client)

    def test_the_sixth_wrong_password_locks_the_account_for_the_configured_time(
        self, client, learner, settings
    ):
        settings.AXES_COOLOFF_TIME = 0.5  # hours: 30 minutes
        for _ in range(5):
            assert log_in(client, NIP).status_code == 200
        response = log_in(client, NIP)
        assert response.status_code == 429
        assert response["Retry-After"] == "1800"
        assert "data-lockout" in response.content.decode()
        # While locked even the right password is refused, by every alias of the account.
        for alias in (NIP, "19860926 201505 1 001", "BUDI@example.go.id"):
            assert log_in(client, alias, PASSWORD).status_code == 429
            assert not logged_in(client)
        # 29 minutes later: still locked; 31 minutes later: open again.
        AccessAttempt.objects.update(
            attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=29)
        )
        assert log_in(client, NIP, PASSWORD).status_code == 429
        AccessAttempt.objects.update(
            attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31)
        )
        assert log_in(client, NIP, PASSWORD).status_code == 302
        assert logged_in(client)

    def test_wrong_passwords_under_different_aliases_count_together(self, client, learner):
        aliases = [NIP, "budi@example.go.id", "19860926 201505 1 001"]
        for i in range(5):
            assert log_in(client, aliases[i % 3]).status_code == 200
        assert log_in(client, "BUDI@EXAMPLE.GO.ID").status_code == 429

    def test_the_lockout_page_is_indonesian_and_says_when_and_whom_to_call(
        self, id_client, learner
    ):
        for _ in range(6):
            response = log_in(id_client, NIP)
        body = response.content.decode()
        assert response.status_code == 429
        assert "BKPSDM" in body
        assert "30" in body  # minutes, the default cool-off
        assert 'lang="id"' in body

    def test_another_account_is_not_locked(self, client, learner):
        other = LearnerFactory(city=learner.city)
        for _ in range(6):
            log_in(client, NIP)
        assert log_in(client, other.nip, PASSWORD).status_code == 302

    def test_a_right_password_resets_the_count(self, client, learner):
        for _ in range(5):
            log_in(client, NIP)
        assert log_in(client, NIP, PASSWORD).status_code == 302
        client.logout()
        for _ in range(5):
            assert log_in(client, NIP).status_code == 200

    def test_the_wagtail_admin_login_is_protected_too(self, client):
        staff = national_admin()
        url = reverse("wagtailadmin_login")
        for _ in range(5):
            response = client.post(url, {"username": staff.username, "password": "salah-123456"})
            assert response.status_code == 200
        response = client.post(url, {"username": staff.username, "password": "salah-123456"})
        assert response.status_code == 429
        response = client.post(url, {"username": staff.username, "password": PASSWORD})
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session

    def test_json_clients_get_a_json_lockout(self, client, learner):
        for _ in range(5):
            log_in(client, NIP)
        response = client.post(
            reverse("login"),
            {"username": NIP, "password": "salah"},
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 429
        assert response.json()["code"] == "locked_out"
