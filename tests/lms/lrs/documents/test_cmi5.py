"""cmi5 launch: the launch URL, LMS.LaunchData in the State resource, the one-time fetch
URL and the auth token it gives."""

import json
import urllib.parse
import uuid

import pytest

from lms.lrs.documents import services
from lms.lrs.documents.models import LaunchSession, XapiDocument
from tests.factories import LearnerFactory

from .conftest import agent_of, call, url

pytestmark = pytest.mark.django_db

AU = "https://kursus.contoh.go.id/lms/au/1"
PUBLISHER = "https://penerbit.example/au/keamanan-siber"


def launch(learner, **extra):
    address, session = services.cmi5_launch_url(
        au_url="https://konten.contoh.go.id/au/index.html",
        learner=learner,
        activity_id=AU,
        publisher_id=PUBLISHER,
        move_on="CompletedOrPassed",
        mastery_score=0.8,
        **extra,
    )
    return urllib.parse.parse_qs(urllib.parse.urlsplit(address).query), session


def fetch_path(query) -> str:
    return urllib.parse.urlsplit(query["fetch"][0]).path


def token_of(api, query) -> str:
    return api.post(fetch_path(query)).json()["auth-token"]


class LaunchTests:
    def test_launch_url_and_launch_data(self, api, world):
        query, session = launch(world.learner)

        assert query["endpoint"][0].endswith("/xapi/")
        assert json.loads(query["actor"][0]) == {
            **agent_of(world.learner),
            "name": world.learner.full_name,
        }
        assert query["activityId"] == [AU]
        registration = query["registration"][0]
        assert str(session.registration) == registration
        row = XapiDocument.objects.get(document_id="LMS.LaunchData")
        data = json.loads(bytes(row.body))
        assert data["launchMode"] == "Normal"
        assert data["moveOn"] == "CompletedOrPassed"
        assert data["masteryScore"] == 0.8
        context = data["contextTemplate"]
        assert context["contextActivities"]["grouping"][0]["id"] == PUBLISHER
        assert str(session.pk) in context["extensions"].values()

    def test_bad_activity_id_is_refused_and_nothing_stored(self, world):
        with pytest.raises(services.DocumentError):
            services.cmi5_launch_url(
                au_url="https://konten.contoh.go.id/au",
                learner=world.learner,
                activity_id="bukan iri",
                publisher_id=PUBLISHER,
            )
        assert not LaunchSession.objects.exists()
        assert not XapiDocument.objects.exists()


class FetchTests:
    def test_token_is_returned_once(self, api, world):
        query, _ = launch(world.learner)

        first = api.post(fetch_path(query))
        second = api.post(fetch_path(query))

        assert first.status_code == 200
        assert first["Content-Type"] == "application/json"
        assert first.json()["auth-token"]
        assert second.status_code == 200
        assert second.json()["error-code"] == "1"
        assert "auth-token" not in second.json()

    def test_get_is_not_allowed(self, api, world):
        query, _ = launch(world.learner)

        assert api.get(fetch_path(query)).status_code == 405
        # The token is still there for the POST.
        assert "auth-token" in api.post(fetch_path(query)).json()

    def test_unknown_session_is_a_security_error(self, api, db):
        response = api.post(f"/xapi/cmi5/fetch/{uuid.uuid4()}")

        assert response.json()["error-code"] == "2"


class TokenTests:
    def state(self, query, **extra):
        return url(
            "activities/state",
            activityId=query["activityId"][0],
            agent=json.loads(query["actor"][0]),
            registration=query["registration"][0],
            **extra,
        )

    def test_token_reads_the_launch_data_as_basic_or_bearer(self, api, world):
        query, _ = launch(world.learner)
        token = token_of(api, query)

        for scheme in ("Basic", "Bearer"):
            response = call(
                api, "GET", self.state(query, stateId="LMS.LaunchData"), f"{scheme} {token}"
            )
            assert response.status_code == 200, scheme
            assert response.json()["launchMode"] == "Normal"

    def test_token_writes_its_own_state_without_csrf(self, api, world):
        query, _ = launch(world.learner)
        token = token_of(api, query)

        response = call(
            api, "PUT", self.state(query, stateId="suspend"), f"Basic {token}", {"p": 1}
        )

        assert response.status_code == 204
        assert XapiDocument.objects.filter(document_id="suspend").exists()

    def test_token_may_not_change_launch_data(self, api, world):
        query, _ = launch(world.learner)
        token = token_of(api, query)
        address = self.state(query, stateId="LMS.LaunchData")

        assert (
            call(api, "PUT", address, f"Basic {token}", {"launchMode": "Review"}).status_code == 403
        )
        assert call(api, "DELETE", self.state(query), f"Basic {token}").status_code == 403
        assert call(api, "GET", address, f"Basic {token}").json()["launchMode"] == "Normal"

    def test_token_is_limited_to_its_registration_and_learner(self, api, world):
        query, _ = launch(world.learner)
        token = token_of(api, query)
        other_registration = url(
            "activities/state",
            activityId=AU,
            agent=json.loads(query["actor"][0]),
            registration=uuid.uuid4(),
            stateId="LMS.LaunchData",
        )
        other_learner = url("agents/profile", agent=agent_of(world.sorong_learner), profileId="p")
        colleague = LearnerFactory(city=world.jakarta)
        same_city_learner = url("agents/profile", agent=agent_of(colleague), profileId="p")

        assert call(api, "GET", other_registration, f"Basic {token}").status_code == 403
        assert call(api, "GET", other_learner, f"Basic {token}").status_code == 403
        assert call(api, "GET", same_city_learner, f"Basic {token}").status_code == 403

    def test_wrong_token_is_401(self, api, world):
        import base64

        query, session = launch(world.learner)
        token_of(api, query)
        forged = base64.b64encode(f"cmi5-{session.pk}:tebakan".encode()).decode()

        response = call(api, "GET", self.state(query, stateId="LMS.LaunchData"), f"Basic {forged}")

        assert response.status_code == 401

    def test_token_before_fetch_does_not_exist(self, api, world):
        import base64

        query, session = launch(world.learner)
        forged = base64.b64encode(f"cmi5-{session.pk}:".encode()).decode()

        response = call(api, "GET", self.state(query, stateId="LMS.LaunchData"), f"Basic {forged}")

        assert response.status_code == 401


class TokenOnStatementsTests:
    def test_token_authenticates_on_the_statements_resource_as_the_learner(self, api, world):
        query, _ = launch(world.learner)
        token = token_of(api, query)
        mine = url("statements", agent=json.loads(query["actor"][0]))

        assert call(api, "GET", mine, f"Basic {token}").status_code == 200
        assert call(api, "GET", mine, "Basic Y21pNS14Onk=").status_code == 401
