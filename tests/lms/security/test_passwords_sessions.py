"""Strong passwords, session cookie flags, and the production settings."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from lms.people.models import User
from tests.factories import PASSWORD, CityFactory, LearnerFactory

pytestmark = pytest.mark.django_db


def errors_for(password, user=None) -> list[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        return [e.code for e in exc.error_list]
    return []


class PasswordValidatorTests:
    def test_nine_characters_are_too_short(self):
        assert "password_too_short" in errors_for("Kb7#qw9Lz")

    def test_ten_mixed_characters_pass(self):
        assert errors_for("Kb7#qw9Lzx") == []

    def test_common_passwords_are_refused(self):
        assert "password_too_common" in errors_for("password123")

    def test_all_digit_passwords_are_refused(self):
        assert "password_entirely_numeric" in errors_for("7391028465")

    def test_a_password_like_the_username_is_refused(self):
        user = User(username="budisantoso", email="budi.santoso@example.go.id")
        assert "password_too_similar" in errors_for("budisantoso1", user)

    def test_messages_are_in_indonesian(self):
        with translation.override("id"):
            try:
                validate_password("abc")
            except ValidationError as exc:
                text = " ".join(exc.messages)
        assert "terlalu pendek" in text


class SessionCookieTests:
    def test_the_session_cookie_is_httponly_and_samesite_lax(self, client):
        learner = LearnerFactory(city=CityFactory())
        response = client.post(reverse("login"), {"username": learner.nip, "password": PASSWORD})
        cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
        assert 0 < int(cookie["max-age"]) <= 12 * 3600


class ProductionSettingsTests:
    def test_production_sends_hsts_and_secure_cookies(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "lms.settings.production",
            "DJANGO_SECRET_KEY": "p" * 30 + "roduction-secret-key-for-the-test-0123456789",
            "DJANGO_ALLOWED_HOSTS": "lms.example.go.id",
        }
        code = (
            "import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps({k: getattr(s, k) for k in ("
            "'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
            "'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'X_FRAME_OPTIONS', "
            "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY')}))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=django_settings.BASE_DIR,
        )
        values = json.loads(out.stdout.strip().splitlines()[-1])
        assert values["SECURE_HSTS_SECONDS"] >= 31536000
        assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
        assert values["SESSION_COOKIE_HTTPONLY"]
        assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert values["X_FRAME_OPTIONS"] == "SAMEORIGIN"
        assert values["SECURE_CONTENT_TYPE_NOSNIFF"]
        assert values["SECURE_REFERRER_POLICY"] == "same-origin"
