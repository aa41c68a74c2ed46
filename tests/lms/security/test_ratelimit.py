"""Rate limits on login, password reset and the statement endpoint; per-address lockout."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from lms.security.clientip import client_ip
from lms.security.ratelimit import Rate
from tests.factories import PASSWORD, CityFactory, LearnerFactory
from tests.lms.records.conftest import XAPI_HEADERS, view

pytestmark = pytest.mark.django_db


def limit(settings, name, rate):
    settings.SECURITY_RATE_LIMITS = {
        **settings.SECURITY_RATE_LIMITS,
        name: {**settings.SECURITY_RATE_LIMITS[name], "rate": rate},
    }


class RateTests:
    @pytest.mark.parametrize(
        ("text", "count", "seconds"),
        [("20/300", 20, 300), ("5/m", 5, 60), ("1/h", 1, 3600), ("3/d", 3, 86400)],
    )
    def test_parse(self, text, count, seconds):
        assert Rate.parse(text) == Rate(count, seconds)


class ClientIpTests:
    def test_forwarded_for_is_ignored_without_a_trusted_proxy(self, settings):
        settings.SECURITY_TRUSTED_PROXY_COUNT = 0
        request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
        assert client_ip(request) == "10.0.0.1"

    def test_behind_one_proxy_the_last_forwarded_address_counts(self, settings):
        settings.SECURITY_TRUSTED_PROXY_COUNT = 1
        request = RequestFactory().get(
            "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4"
        )
        assert client_ip(request) == "1.2.3.4"  # 6.6.6.6 was written by the client


class LoginRateLimitTests:
    def test_too_many_login_posts_get_429_with_retry_after(self, client, rate_limits_on):
        limit(rate_limits_on, "login", "3/300")
        learner = LearnerFactory(city=CityFactory())
        for _ in range(3):
            response = client.post(reverse("login"), {"username": "x", "password": "y"})
            assert response.status_code == 200
        response = client.post(reverse("login"), {"username": learner.nip, "password": PASSWORD})
        assert response.status_code == 429
        assert 0 < int(response["Retry-After"]) <= 300
        assert "_auth_user_id" not in client.session

    def test_the_429_page_is_indonesian(self, id_client, rate_limits_on):
        limit(rate_limits_on, "login", "1/300")
        id_client.post(reverse("login"), {"username": "x", "password": "y"})
        response = id_client.post(reverse("login"), {"username": "x", "password": "y"})
        assert response.status_code == 429
        assert 'lang="id"' in response.content.decode()

    def test_get_of_the_login_page_is_not_counted(self, client, rate_limits_on):
        limit(rate_limits_on, "login", "1/300")
        for _ in range(3):
            assert client.get(reverse("login")).status_code == 200

    def test_limits_off_in_settings_means_no_limit(self, client, settings):
        settings.SECURITY_RATE_LIMITS_ENABLED = False
        limit(settings, "login", "1/300")
        for _ in range(3):
            assert (
                client.post(reverse("login"), {"username": "x", "password": "y"}).status_code == 200
            )

    def test_one_address_guessing_many_accounts_is_locked_out(self, client, rate_limits_on):
        rate_limits_on.SECURITY_LOGIN_FAILURES_PER_IP = "3/900"
        city = CityFactory()
        learners = [LearnerFactory(city=city) for _ in range(4)]
        for learner in learners[:3]:
            response = client.post(reverse("login"), {"username": learner.nip, "password": "x"})
            assert response.status_code == 200
        response = client.post(
            reverse("login"), {"username": learners[3].nip, "password": PASSWORD}
        )
        assert response.status_code == 429
        # Another address is not affected.
        response = client.post(
            reverse("login"),
            {"username": learners[3].nip, "password": PASSWORD},
            REMOTE_ADDR="192.0.2.7",
        )
        assert response.status_code == 302


class PasswordResetRateLimitTests:
    def test_too_many_reset_requests_get_429(self, client, rate_limits_on):
        limit(rate_limits_on, "password_reset", "2/900")
        url = reverse("password_reset")
        for _ in range(2):
            assert client.post(url, {"email": "a@example.go.id"}).status_code == 302
        response = client.post(url, {"email": "a@example.go.id"})
        assert response.status_code == 429
        assert "Retry-After" in response


class StatementRateLimitTests:
    def test_the_statement_endpoint_answers_json_429_per_learner(
        self, learner_client, world, rate_limits_on, client
    ):
        limit(rate_limits_on, "statements", "2/60")
        url = "/xapi/statements"
        for _ in range(2):
            response = learner_client.post(
                url, view(world.course.viewed), content_type="application/json", **XAPI_HEADERS
            )
            assert response.status_code == 200, response.content
        response = learner_client.post(
            url, view(world.course.viewed), content_type="application/json", **XAPI_HEADERS
        )
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert int(response["Retry-After"]) <= 60
        # Another learner (same address) has an allowance of their own.
        other = world.new_learner()
        learner_client.logout()
        learner_client.force_login(other.user)
        response = learner_client.post(
            url, view(world.course.viewed), content_type="application/json", **XAPI_HEADERS
        )
        assert response.status_code == 200

    def test_an_lrs_client_is_not_held_to_a_learners_allowance(self, rate_limits_on):
        # Admin-issued clients sync many batches from one address; their secrets cannot be
        # guessed, so the browser's per-learner limit does not apply to them.
        from tests.lms.lrs.conftest import Lrs, make_client, statement

        limit(rate_limits_on, "statements", "2/60")
        lrs = Lrs(make_client(city=CityFactory()))
        for _ in range(4):
            assert lrs.post([statement()]).status_code == 200


def _redis_or_skip():
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("No Redis on 127.0.0.1:6379 (production's cache); the portable path is tested")


class CountingTests:
    """hit() counts exactly one per request in a fixed window and refuses past the rate,
    on the local-memory cache of development and on Redis (one round trip there)."""

    def _backends(self):
        from django.core.cache.backends.locmem import LocMemCache

        yield "locmem", LocMemCache("ratelimit-test", {})
        _redis_or_skip()
        from django.core.cache.backends.redis import RedisCache

        redis = RedisCache("redis://127.0.0.1:6379/13", {"KEY_PREFIX": "ratelimit-test"})
        redis.clear()
        yield "redis", redis

    def test_counts_each_request_once_and_refuses_past_the_rate(self):
        from lms.security import ratelimit

        for label, backend in self._backends():
            rate = Rate(3, 60)
            answers = [ratelimit.hit("t", "ip:1", rate, backend=backend)[0] for _ in range(5)]
            assert answers == [True, True, True, False, False], label
            # Another caller has a window of their own.
            assert ratelimit.hit("t", "ip:2", rate, backend=backend)[0], label
            index, _left = ratelimit._window(rate)
            assert backend.get(f"security:rl:t:ip:1:{index}") == 5, label

    def test_redis_counter_expires_with_its_window(self):
        from lms.security import ratelimit

        _redis_or_skip()
        from django.core.cache.backends.redis import RedisCache

        redis = RedisCache("redis://127.0.0.1:6379/13", {"KEY_PREFIX": "ratelimit-test"})
        redis.clear()
        ratelimit.hit("t", "ip:9", Rate(3, 60), backend=redis)
        index, _left = ratelimit._window(Rate(3, 60))
        key = redis.make_and_validate_key(f"security:rl:t:ip:9:{index}")
        ttl = redis._cache.get_client(key).ttl(key)
        assert 0 < ttl <= 61
