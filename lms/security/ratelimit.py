"""Rate limits from settings, counted in the cache (Redis when several app servers run).

SECURITY_RATE_LIMITS maps a rule name to the URL names it guards, the methods it counts,
a rate "N/seconds" and what it counts by ("ip", or "user" with the IP for anonymous
requests). Fixed windows: simple, one cache key per caller and window, and good enough to
stop password guessing and a runaway client. A refused request gets 429, an Indonesian
message (JSON for API clients) and Retry-After.

Separately, SECURITY_LOGIN_FAILURES_PER_IP locks an address out of the login forms after
that many failed logins (whatever the accounts): django-axes locks single accounts, this
stops one address guessing across many. Offices share an address behind NAT, so its
allowance is larger than an account's.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from lms.security.clientip import client_ip
from lms.security.responses import json_error, wants_json

LOGIN_URL_NAMES = ("login", "wagtailadmin_login", "admin:login")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """'20/300' (20 per 300 s); also '20/m', '20/h', '20/d'."""
        count, _sep, period = str(text).partition("/")
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        seconds = units[period] if period in units else int(period or 60)
        return cls(count=int(count), seconds=max(1, seconds))


def _window(rate: Rate) -> tuple[int, int]:
    """The current window's number and the seconds until it ends."""
    now = time.time()
    index = int(now // rate.seconds)
    return index, max(1, int((index + 1) * rate.seconds - now))


def hit(name: str, who: str, rate: Rate, backend=None) -> tuple[bool, int]:
    """Count one request; (allowed, seconds until the window ends)."""
    backend = backend if backend is not None else caches["default"]
    index, left = _window(rate)
    key = f"security:rl:{name}:{who}:{index}"
    count = _redis_count(backend, key, rate.seconds + 1)
    if count is None:
        count = _portable_count(backend, key, rate.seconds + 1)
    return count <= rate.count, left


def _redis_count(backend, key: str, timeout: int) -> int | None:
    """On Redis: create the window's counter with its expiry if missing and increment it,
    in one round trip (SET NX EX and INCR in a pipeline). Django's cache API would take
    two or three (its incr asks EXISTS first), and every statement POST is counted.
    None for other cache backends."""
    from django.core.cache.backends.redis import RedisCache

    if not isinstance(backend, RedisCache):
        return None
    full_key = backend.make_and_validate_key(key)
    # RedisCache._cache (its client wrapper) is not documented, but it is how Django's
    # own RedisCache methods reach the server that holds a key.
    pipe = backend._cache.get_client(full_key, write=True).pipeline(transaction=False)
    pipe.set(full_key, 0, ex=timeout, nx=True)
    pipe.incr(full_key)
    _created, count = pipe.execute()
    return int(count)


def _portable_count(backend, key: str, timeout: int) -> int:
    # incr first: the window's key exists for every request but the first.
    try:
        return backend.incr(key)
    except ValueError:  # the window's first request
        if backend.add(key, 1, timeout=timeout):
            return 1
        try:  # another process created it meanwhile
            return backend.incr(key)
        except ValueError:  # and it expired at once: start the window again
            backend.set(key, 1, timeout=timeout)
            return 1


def peek(name: str, who: str, rate: Rate) -> tuple[int, int]:
    index, left = _window(rate)
    return cache.get(f"security:rl:{name}:{who}:{index}", 0), left


def record_login_failure(request) -> None:
    rate = Rate.parse(settings.SECURITY_LOGIN_FAILURES_PER_IP)
    hit("login-failures", client_ip(request), rate)


def rate_limited_response(request, retry_after: int):
    message = _("Too many requests. Wait %(seconds)s seconds, then try again.") % {
        "seconds": retry_after
    }
    if wants_json(request):
        return json_error(message, status=429, code="rate_limited", retry_after=retry_after)
    response = TemplateResponse(
        request,
        "security/rate_limited.html",
        {"message": message, "retry_after": retry_after},
        status=429,
    )
    response.render()
    response["Retry-After"] = str(retry_after)
    return response


class RateLimitMiddleware:
    """Applies SECURITY_RATE_LIMITS to the views they name (after URL resolution)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(settings, "SECURITY_RATE_LIMITS_ENABLED", True):
            return None
        match = getattr(request, "resolver_match", None)
        view_name = match.view_name if match else ""
        if not view_name:
            return None
        ip = client_ip(request)
        if view_name in LOGIN_URL_NAMES and request.method == "POST":
            failures, left = peek(
                "login-failures", ip, Rate.parse(settings.SECURITY_LOGIN_FAILURES_PER_IP)
            )
            if failures >= Rate.parse(settings.SECURITY_LOGIN_FAILURES_PER_IP).count:
                return rate_limited_response(request, left)
        for name, rule in settings.SECURITY_RATE_LIMITS.items():
            if view_name not in rule["urls"] or request.method not in rule["methods"]:
                continue
            user = getattr(request, "user", None)
            signed_in = user is not None and user.is_authenticated
            if rule.get("sessions_only") and not signed_in:
                # Admin-issued LRS clients (HTTP Basic, long random secrets that cannot be
                # guessed) sync in bulk from one address; the limit protects the
                # platform from a learner's browser, not from its own integrations.
                continue
            who = f"user:{user.pk}" if rule.get("key") == "user" and signed_in else f"ip:{ip}"
            allowed, left = hit(name, who, Rate.parse(rule["rate"]))
            if not allowed:
                return rate_limited_response(request, left)
        return None
