"""Fixtures for the xAPI document resources: two cities with a learner each, Basic-auth
clients (city read+write, city read-only, other city, national) and request helpers."""

import base64
import json
import urllib.parse
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client

from lms.lrs.models import XapiClient
from tests.factories import CityFactory, LearnerFactory

VERSION = {"HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}
ACTIVITY = "https://kursus.contoh.go.id/au/keamanan-siber"


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def make_client(name: str, *, city=None, read=True, write=True) -> str:
    """An XapiClient; returns its Authorization header value."""
    key, secret = XapiClient.new_credentials()
    client = XapiClient(name=name, key=key, city=city, can_read=read, can_write=write)
    client.set_secret(secret)
    client.save()
    return basic(key, secret)


def agent_of(profile) -> dict:
    from django.conf import settings

    home = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return {"objectType": "Agent", "account": {"homePage": home, "name": profile.nip}}


def url(path: str, **params) -> str:
    query = {
        name: json.dumps(value) if isinstance(value, dict) else str(value)
        for name, value in params.items()
    }
    return f"/xapi/{path}?" + urllib.parse.urlencode(query)


@dataclass
class World:
    jakarta: object
    sorong: object
    learner: object  # of Jakarta
    sorong_learner: object
    writer: str  # Jakarta client, read + write
    reader: str  # Jakarta client, read only
    sorong_client: str
    national: str


@pytest.fixture
def world(db):
    jakarta = CityFactory(name="Jakarta", slug="jakarta")
    sorong = CityFactory(name="Sorong", slug="sorong")
    return World(
        jakarta=jakarta,
        sorong=sorong,
        learner=LearnerFactory(city=jakarta),
        sorong_learner=LearnerFactory(city=sorong),
        writer=make_client("Authoring tool", city=jakarta),
        reader=make_client("Dashboard", city=jakarta, write=False),
        sorong_client=make_client("Sorong tool", city=sorong),
        national=make_client("National", city=None),
    )


@pytest.fixture
def api():
    """A test client without a session (CSRF checks on, as in production). Messages are
    compared with their English msgids: the site answers Indonesian first to a client
    that chose no language."""
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def call(api, method: str, address: str, auth: str | None, body=None, content_type=None, **extra):
    headers = dict(VERSION)
    if auth:
        headers["HTTP_AUTHORIZATION"] = auth
    headers.update(extra)
    kwargs = {}
    if body is not None:
        kwargs["data"] = json.dumps(body) if isinstance(body, (dict, list)) else body
        kwargs["content_type"] = content_type or "application/json"
    elif content_type:
        kwargs["content_type"] = content_type
    return getattr(api, method.lower())(address, **kwargs, **headers)
