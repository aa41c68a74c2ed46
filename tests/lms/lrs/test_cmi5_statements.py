"""Statements an assignable unit sends with its cmi5 auth token: the client write path,
held to its launch's learner, registration and activity."""

import base64
import datetime
import json
import urllib.parse
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from lms.lrs.documents import services as documents
from lms.lrs.documents.models import LaunchSession
from lms.records import xapi
from lms.records.models import ActivityProgress, Statement
from tests.lms.lrs.conftest import Lrs, make_client
from tests.lms.records import conftest as records

# The learning-records world (cities, curricula, courses, a Jakarta learner) as fixtures.
world = records.world
_made_up_activity_keys = records._made_up_activity_keys

AU = "https://konten.contoh.go.id/au/keamanan-siber"
PUBLISHER = "https://penerbit.example/au/keamanan-siber"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"


class Launch:
    """One launched AU with its fetched token, speaking to /xapi/statements."""

    def __init__(self, learner, activity_id=AU, *, fetch=True):
        address, self.session = documents.cmi5_launch_url(
            au_url="https://konten.contoh.go.id/au/index.html",
            learner=learner,
            activity_id=activity_id,
            publisher_id=PUBLISHER,
        )
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)
        self.actor = json.loads(query["actor"][0])
        self.registration = query["registration"][0]
        self.activity_id = query["activityId"][0]
        # CSRF checks on: the token, not a cookie, authenticates.
        self.http = Client(enforce_csrf_checks=True)
        self.http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        if fetch:
            fetch_path = urllib.parse.urlsplit(query["fetch"][0]).path
            self.token = self.http.post(fetch_path).json()["auth-token"]
        else:
            secret = base64.b64encode(f"cmi5-{self.session.pk}:".encode()).decode()
            self.token = secret

    def statement(self, verb="initialized", *, obj=None, **extra) -> dict:
        data = {
            "id": str(uuid.uuid4()),
            "actor": self.actor,
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en": verb}},
            "object": obj or {"objectType": "Activity", "id": self.activity_id},
            "context": {
                "registration": self.registration,
                "contextActivities": {
                    "grouping": [{"id": PUBLISHER}],
                    "category": [{"id": CMI5_CATEGORY}],
                },
                "extensions": {
                    "https://w3id.org/xapi/cmi5/context/extensions/sessionid": str(self.session.pk)
                },
            },
            "timestamp": "2026-12-07T08:00:00Z",
        }
        data.update(extra)
        return data

    def headers(self):
        return {
            "HTTP_AUTHORIZATION": f"Basic {self.token}",
            "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3",
        }

    def post(self, data):
        return self.http.post(
            "/xapi/statements", json.dumps(data), content_type="application/json", **self.headers()
        )

    def put(self, data, statement_id):
        return self.http.put(
            f"/xapi/statements?statementId={statement_id}",
            json.dumps(data),
            content_type="application/json",
            **self.headers(),
        )


@pytest.fixture
def launch(world):
    return Launch(world.learner)


class Cmi5StatementTests:
    def test_the_au_stores_statements_about_its_activity_the_city_client_reads_them(
        self, world, launch
    ):
        first = launch.statement("initialized")
        part = launch.statement("answered", obj={"objectType": "Activity", "id": AU + "/soal-1"})

        response = launch.post([first, part])

        assert response.status_code == 200, response.content
        assert response.json() == [first["id"], part["id"]]
        rows = Statement.objects.filter(pk__in=[first["id"], part["id"]])
        assert {row.learner_id for row in rows} == {world.learner.pk}
        assert {row.city_id for row in rows} == {world.jakarta.pk}
        assert {row.registration for row in rows} == {uuid.UUID(launch.registration)}
        jakarta = Lrs(make_client(city=world.jakarta, write=False))
        sorong = Lrs(make_client(city=world.sorong, write=False))
        read = jakarta.get({"statementId": first["id"]})
        assert read.status_code == 200
        assert read.json()["object"]["id"] == AU
        assert read.json()["actor"] == launch.actor
        assert sorong.get({"statementId": first["id"]}).status_code == 404
        by_registration = jakarta.get({"registration": launch.registration})
        assert {s["id"] for s in by_registration.json()["statements"]} == {
            first["id"],
            part["id"],
        }

    def test_put_and_a_statement_without_actor_is_the_launchs_learner(self, launch):
        data = launch.statement("terminated")
        del data["actor"]

        response = launch.put(data, data["id"])

        assert response.status_code == 204, response.content
        row = Statement.objects.get(pk=data["id"])
        assert row.payload["actor"]["account"]["name"] == launch.session.learner.nip
        assert row.learner_id == launch.session.learner_id

    def test_an_au_mapped_to_a_platform_lesson_records_progress(self, world):
        lesson = world.course.viewed
        mapped = Launch(world.learner, xapi.activity_iri("lesson", lesson.translation_key))

        response = mapped.post(mapped.statement("completed", result={"completion": True}))

        assert response.status_code == 200, response.content
        progress = ActivityProgress.objects.get(
            learner=world.learner, activity_key=lesson.translation_key
        )
        assert progress.completed_at is not None


class Cmi5StatementRefusalTests:
    def assert_refused(self, response, status):
        assert response.status_code == status, response.content
        assert response.json()["error"]
        assert not Statement.objects.exists()

    def test_another_learners_actor_is_403(self, world, launch):
        colleague = world.new_learner()
        other = launch.statement(
            actor={
                "objectType": "Agent",
                "account": {"homePage": settings.WAGTAILADMIN_BASE_URL, "name": colleague.nip},
            }
        )

        # One bad statement refuses the whole batch.
        self.assert_refused(launch.post([launch.statement(), other]), 403)

    def test_another_registration_is_403_and_none_is_400(self, launch):
        wrong = launch.statement()
        wrong["context"]["registration"] = str(uuid.uuid4())
        missing = launch.statement()
        del missing["context"]["registration"]

        self.assert_refused(launch.post(wrong), 403)
        response = launch.post(missing)
        self.assert_refused(response, 400)
        assert "registration" in response.json()["error"]

    def test_another_activity_and_voiding_are_403(self, launch):
        elsewhere = launch.statement(obj={"objectType": "Activity", "id": AU + "-lain"})
        kept = launch.statement()
        assert launch.post(kept).status_code == 200
        voiding = launch.statement("voided", obj={"objectType": "StatementRef", "id": kept["id"]})

        assert launch.post(elsewhere).status_code == 403
        assert launch.post(voiding).status_code == 403
        assert list(Statement.objects.values_list("pk", flat=True)) == [uuid.UUID(kept["id"])]
        assert not Statement.objects.get().voided

    def test_a_token_not_fetched_or_expired_is_401(self, world):
        unfetched = Launch(world.learner, fetch=False)
        self.assert_refused(unfetched.post(unfetched.statement()), 401)

        expired = Launch(world.learner)
        LaunchSession.objects.filter(pk=expired.session.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )
        self.assert_refused(expired.post(expired.statement()), 401)

    def test_a_malformed_statement_is_400(self, launch):
        data = launch.statement()
        data["verb"] = {"id": "bukan iri"}

        self.assert_refused(launch.post(data), 400)
