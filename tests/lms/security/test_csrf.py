"""Every view refuses a state-changing request without a CSRF token.

The test walks the whole URL resolver, builds a URL for each pattern and POSTs to it as a
logged-in superuser without a token. Views that Django's CSRF middleware checks must answer
403. The documented exemptions check the token themselves for cookie-authenticated
requests (and skip it only for header-authenticated API clients, where no cookie is
involved); a cookie-authenticated POST without a token must not succeed there either.
"""

import re
import uuid

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

# Views exempt from Django's CSRF middleware, and why that is safe.
DOCUMENTED_EXEMPTIONS = {
    # xAPI LRS: Basic-authenticated clients need no token; session-authenticated writes are
    # checked by lms.lrs.http (X-CSRFToken), see docs there.
    "lms.lrs.": "xAPI resources: CSRF checked for session requests by lms.lrs.http",
    # REST API: bearer tokens, no cookie; session callers are checked by lms.api.auth.
    "ninja.": "REST API /api/v1/: token auth; CSRF checked for session callers",
    # Wagtail's admin API (DRF): SessionAuthentication enforces CSRF itself.
    "wagtail.admin.api.": "Wagtail admin API (DRF SessionAuthentication checks CSRF)",
    "wagtail.documents.api.": "Wagtail admin API (DRF SessionAuthentication checks CSRF)",
    "wagtail.images.api.": "Wagtail admin API (DRF SessionAuthentication checks CSRF)",
}

# Exempt views that answer 200 even to a refused POST, and why that is not a state change
# reachable by a cross-site form.
ANSWERS_200_BY_SPEC = {
    # cmi5 8.2: the AU POSTs cross-origin without cookies; the unguessable launch session id
    # is the credential, and every answer (errors too) is 200 with JSON.
    "lms.lrs.documents.views.cmi5_fetch",
}

_SAMPLES = {"int": "1", "uuid": str(uuid.UUID(int=1)), "path": "a/b.js", "slug": "x", "str": "x"}


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def concrete(route: str) -> str:
    route = route.replace("^", "").replace("$", "").replace("\\Z", "")
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _SAMPLES.get(m.group(1) or "str", "x"), route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)  # regex groups: a digit fits most
    route = route.replace("\\.", ".").replace("?", "")
    return "/" + route


def targets():
    seen = set()
    for route, pattern in walk(get_resolver().url_patterns):
        url = concrete(route)
        try:
            match = resolve(url)
        except Resolver404:
            continue
        if match.func is not pattern.callback or url in seen:
            continue  # an earlier pattern serves this URL; it is tested under its own route
        seen.add(url)
        yield url, pattern.callback


def exemption_for(callback) -> str | None:
    module = getattr(callback, "__module__", "") or ""
    for prefix, reason in DOCUMENTED_EXEMPTIONS.items():
        if module.startswith(prefix):
            return reason
    return None


class CsrfEverywhereTests:
    def test_every_post_without_a_token_is_refused(self):
        admin = StaffUserFactory()
        admin.is_superuser = True
        admin.is_staff = True
        admin.save()
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        client.force_login(admin)
        client.cookies["csrftoken"] = "a" * 32  # a cookie, but no matching token sent

        checked, undocumented, accepted = 0, [], []
        for url, callback in targets():
            exempt = getattr(callback, "csrf_exempt", False)
            if exempt and exemption_for(callback) is None:
                undocumented.append(url)
                continue
            response = client.post(url, {"x": "1"})
            checked += 1
            if not exempt and response.status_code != 403:
                accepted.append((url, response.status_code))
            name = f"{callback.__module__}.{getattr(callback, '__name__', '')}"
            if exempt and response.status_code < 400 and name not in ANSWERS_200_BY_SPEC:
                accepted.append((url, response.status_code))
        assert not undocumented, f"csrf_exempt views without a documented reason: {undocumented}"
        assert not accepted, f"POST without a CSRF token was not refused: {accepted}"
        assert checked > 300  # the walk reached the admin, the site and the APIs
