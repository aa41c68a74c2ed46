"""Fixtures for the LRS statements resource: cities, xAPI clients with their Basic
credentials, and helpers to build and send statements."""

import base64
import itertools
import json
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client

from lms.lrs.auth import clear_client_cache
from lms.lrs.models import XapiClient
from tests.factories import CityFactory

VERSION = {"HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}
_n = itertools.count(1)


@dataclass
class Credentials:
    client: XapiClient
    key: str
    secret: str

    @property
    def header(self) -> str:
        raw = f"{self.key}:{self.secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def make_client(*, city=None, read=True, write=True, name=None) -> Credentials:
    key, secret = XapiClient.new_credentials()
    client = XapiClient(
        name=name or f"Klien {next(_n)}", key=key, city=city, can_read=read, can_write=write
    )
    client.set_secret(secret)
    client.save()
    return Credentials(client, key, secret)


class Lrs:
    """A test client speaking xAPI with one set of credentials."""

    def __init__(self, credentials: Credentials | None):
        self.http = Client()
        # Messages are compared with their English msgids (the site answers Indonesian
        # first to a client that chose no language).
        self.http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        self.credentials = credentials

    def _headers(self, extra):
        headers = dict(VERSION)
        if self.credentials is not None:
            headers["HTTP_AUTHORIZATION"] = self.credentials.header
        headers.update(extra)
        return headers

    def post(self, data, *, path="/xapi/statements", content_type="application/json", **extra):
        body = data if isinstance(data, bytes | str) else json.dumps(data)
        return self.http.post(path, body, content_type=content_type, **self._headers(extra))

    def put(self, data, statement_id, **extra):
        body = data if isinstance(data, bytes | str) else json.dumps(data)
        return self.http.put(
            f"/xapi/statements?statementId={statement_id}",
            body,
            content_type=extra.pop("content_type", "application/json"),
            **self._headers(extra),
        )

    def get(self, params=None, *, path="/xapi/statements", **extra):
        return self.http.get(path, params or {}, **self._headers(extra))


@pytest.fixture(autouse=True)
def _fresh_client_cache():
    clear_client_cache()
    yield
    clear_client_cache()


@pytest.fixture
def city(db):
    return CityFactory(name="Kota Bukittinggi", slug="bukittinggi")


@pytest.fixture
def other_city(db):
    return CityFactory(name="Kota Sorong", slug="sorong")


@pytest.fixture
def writer(city):
    return make_client(city=city, read=True, write=True)


@pytest.fixture
def lrs(writer):
    return Lrs(writer)


def agent(n: int | str = 1) -> dict:
    return {"objectType": "Agent", "name": f"Pegawai {n}", "mbox": f"mailto:orang{n}@luar.example"}


def statement(
    *,
    actor=None,
    verb="http://adlnet.gov/expapi/verbs/experienced",
    activity="https://tool.example/activities/a1",
    with_id=True,
    **extra,
) -> dict:
    data = {
        "actor": actor or agent(),
        "verb": {"id": verb, "display": {"en-US": "experienced"}},
        "object": {"objectType": "Activity", "id": activity},
        **extra,
    }
    if with_id:
        data = {"id": str(uuid.uuid4()), **data}
    return data
