"""The database or S3 unreachable mid-request: a 503 page or JSON, never a traceback,
and nothing half-written."""

import socket

import pytest
from botocore.config import Config
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from lms.records import certificates
from lms.records.models import ActivityProgress, Certificate, Statement
from tests.factories import CityFactory, LearnerFactory
from tests.lms.records.conftest import XAPI_HEADERS, view
from tests.lms.records.test_certificates import make_completion

pytestmark = pytest.mark.django_db


class DatabaseGoesAway:
    """An execute wrapper: the first `allowed` queries run, then the database is gone
    (or only queries matching `when` fail)."""

    def __init__(self, allowed=0, when=None):
        self.allowed = allowed
        self.when = when
        self.seen = 0

    def __call__(self, execute, sql, params, many, context):
        self.seen += 1
        failing = self.when(sql) if self.when else self.seen > self.allowed
        if failing:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


def assert_no_traceback(body: str):
    assert "Traceback" not in body
    assert "OperationalError" not in body
    assert "server closed the connection" not in body


class DatabaseOutageTests:
    def test_db_down_mid_request_gets_the_indonesian_503_page(self, id_client):
        learner = LearnerFactory(city=CityFactory())
        id_client.force_login(learner.user)
        # The session is read (one query), then the database goes away.
        with connection.execute_wrapper(DatabaseGoesAway(allowed=1)):
            response = id_client.get(reverse("learning:home"))
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        body = response.content.decode()
        assert_no_traceback(body)
        assert 'lang="id"' in body
        assert response["Content-Type"].startswith("text/html")

    def test_db_down_before_any_view_still_gets_503_not_500(self, settings):
        """A failure in middleware (reading the session) reaches handler500, which answers
        503 for outages too."""
        learner = LearnerFactory(city=CityFactory())
        client = Client(raise_request_exception=False)
        client.force_login(learner.user)
        with connection.execute_wrapper(DatabaseGoesAway(allowed=0)):
            response = client.get(reverse("learning:home"))
        assert response.status_code == 503
        assert_no_traceback(response.content.decode())

    def test_json_callers_get_a_json_503(self, learner_client, world):
        with connection.execute_wrapper(DatabaseGoesAway(allowed=1)):
            response = learner_client.post(
                "/xapi/statements",
                view(world.course.viewed),
                content_type="application/json",
                **XAPI_HEADERS,
            )
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"
        assert response["Retry-After"] == "30"

    def test_api_paths_and_accept_json_get_json(self, client):
        learner = LearnerFactory(city=CityFactory())
        client.force_login(learner.user)
        with connection.execute_wrapper(DatabaseGoesAway(allowed=1)):
            response = client.get(reverse("learning:home"), HTTP_ACCEPT="application/json")
        assert response.status_code == 503
        assert response.json()["code"] == "service_unavailable"

    def test_a_statement_whose_rollup_write_fails_leaves_nothing_written(
        self, learner_client, world
    ):
        def rollup_write(sql):
            lowered = sql.lower()
            return "records_rollup" in lowered and lowered.startswith(("insert", "update"))

        wrapper = DatabaseGoesAway(when=rollup_write)
        with connection.execute_wrapper(wrapper):
            response = learner_client.post(
                "/xapi/statements",
                view(world.course.viewed),
                content_type="application/json",
                **XAPI_HEADERS,
            )
        assert response.status_code == 503
        assert Statement.objects.count() == 0
        assert ActivityProgress.objects.count() == 0
        # Sent again once the database is back: stored once.
        payload = view(world.course.viewed)
        for _ in range(2):
            response = learner_client.post(
                "/xapi/statements", payload, content_type="application/json", **XAPI_HEADERS
            )
            assert response.status_code == 200
        assert Statement.objects.count() == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dead_s3(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "asn-lms-mati",
                "endpoint_url": f"http://127.0.0.1:{closed_port()}",
                "access_key": "uji",
                "secret_key": "uji-rahasia",
                "region_name": "us-east-1",
                "client_config": Config(
                    connect_timeout=0.5, read_timeout=0.5, retries={"max_attempts": 0}
                ),
            },
        },
    }
    return settings


class StorageOutageTests:
    def test_storage_down_gets_503_and_the_certificate_keeps_no_broken_file(
        self, id_client, dead_s3
    ):
        learner = LearnerFactory(city=CityFactory())
        certificate = certificates.certificate_issue(completion=make_completion(learner))
        Certificate.objects.filter(pk=certificate.pk).update(pdf="")
        id_client.force_login(learner.user)
        response = id_client.get(reverse("certificates:download", args=[certificate.pk]))
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert_no_traceback(response.content.decode())
        assert "EndpointConnectionError" not in response.content.decode()
        assert Certificate.objects.get(pk=certificate.pk).pdf == ""
