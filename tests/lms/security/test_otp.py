"""Optional TOTP two-factor login for staff."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import PASSWORD, CityFactory, LearnerFactory, national_admin

pytestmark = pytest.mark.django_db


def code_for(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code(device) -> str:
    return f"{(int(code_for(device)) + 1) % 1_000_000:06d}"


@pytest.fixture
def admin_with_device(db):
    user = national_admin()
    device = TOTPDevice.objects.create(user=user, name="Telepon", confirmed=True)
    return user, device


def waited(device):
    """As if the few seconds' pause after a wrong code had passed."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)


def log_in(client, user):
    response = client.post(
        reverse("wagtailadmin_login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return response


class SecondFactorTests:
    def test_an_admin_with_a_device_cannot_reach_the_admin_before_a_valid_code(
        self, client, admin_with_device
    ):
        user, device = admin_with_device
        log_in(client, user)
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response.url.startswith(reverse("security:otp-verify"))
        # JSON callers get a JSON refusal.
        assert client.get("/xapi/statements", HTTP_ACCEPT="application/json").status_code == 403

        response = client.post(
            reverse("security:otp-verify"), {"token": wrong_code(device), "next": "/admin/"}
        )
        assert response.status_code == 400
        assert "wrong or has expired" in response.content.decode()
        assert client.get("/admin/").status_code == 302
        # At once, even the right code waits out the pause after a wrong one.
        response = client.post(reverse("security:otp-verify"), {"token": code_for(device)})
        assert "Wait a few seconds" in response.content.decode()

        waited(device)
        response = client.post(
            reverse("security:otp-verify"), {"token": code_for(device), "next": "/admin/"}
        )
        assert response.status_code == 302
        assert response.url == "/admin/"
        assert client.get("/admin/").status_code == 200

    def test_letters_are_refused_with_a_message(self, client, admin_with_device):
        user, _device = admin_with_device
        log_in(client, user)
        response = client.post(reverse("security:otp-verify"), {"token": "abcdef"})
        assert response.status_code == 400
        assert "only digits" in response.content.decode()

    def test_next_may_not_leave_the_site(self, client, admin_with_device):
        user, device = admin_with_device
        log_in(client, user)
        response = client.post(
            reverse("security:otp-verify"),
            {"token": code_for(device), "next": "https://evil.example.com/"},
        )
        assert response.status_code == 302
        assert response.url == "/"

    def test_an_admin_without_a_device_goes_straight_in(self, client):
        user = national_admin()
        log_in(client, user)
        assert client.get("/admin/").status_code == 200

    def test_an_unconfirmed_device_does_not_ask_for_a_code(self, client):
        user = national_admin()
        TOTPDevice.objects.create(user=user, name="Telepon", confirmed=False)
        log_in(client, user)
        assert client.get("/admin/").status_code == 200


class SetupTests:
    def test_staff_turn_it_on_with_the_qr_and_one_code(self, client):
        user = national_admin()
        client.force_login(user)
        response = client.get(reverse("security:otp-setup"))
        assert response.status_code == 200
        body = response.content.decode()
        assert 'src="data:image/svg+xml' in body
        device = TOTPDevice.objects.get(user=user)
        assert not device.confirmed

        response = client.post(reverse("security:otp-setup"), {"token": wrong_code(device)})
        assert response.status_code == 400
        device.refresh_from_db()
        assert not device.confirmed

        waited(device)
        response = client.post(reverse("security:otp-setup"), {"token": code_for(device)})
        assert response.status_code == 302
        device.refresh_from_db()
        assert device.confirmed
        # This session has already given its code.
        assert client.get("/admin/").status_code == 200

    def test_turning_it_off_needs_a_valid_code(self, client, admin_with_device):
        user, device = admin_with_device
        client.force_login(user)
        client.post(reverse("security:otp-verify"), {"token": code_for(device)})
        device.refresh_from_db()
        response = client.post(reverse("security:otp-setup"), {"token": "000000"})
        assert response.status_code == 400
        assert TOTPDevice.objects.filter(user=user).exists()
        # The same code cannot be used twice: wait for the device to accept a new one.
        device.last_t = -1
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
        device.save()
        response = client.post(reverse("security:otp-setup"), {"token": code_for(device)})
        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=user).exists()

    def test_learners_cannot_set_it_up(self, client):
        learner = LearnerFactory(city=CityFactory())
        client.force_login(learner.user)
        assert client.get(reverse("security:otp-setup")).status_code == 403
        assert not TOTPDevice.objects.exists()

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(reverse("security:otp-setup"))
        assert response.status_code == 302
        assert reverse("login") in response.url
