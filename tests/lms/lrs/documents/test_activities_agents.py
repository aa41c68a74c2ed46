"""/xapi/activities and /xapi/agents."""

import pytest

from .conftest import ACTIVITY, agent_of, call, url

pytestmark = pytest.mark.django_db


class ActivitiesTests:
    def test_unknown_activity_is_404(self, api, world):
        response = call(api, "GET", url("activities", activityId=ACTIVITY), world.reader)

        assert response.status_code == 404

    def test_activity_known_from_a_document(self, api, world):
        call(
            api,
            "PUT",
            url("activities/profile", activityId=ACTIVITY, profileId="p"),
            world.writer,
            {"v": 1},
        )

        response = call(api, "GET", url("activities", activityId=ACTIVITY), world.reader)

        assert response.status_code == 200
        assert response.json() == {"objectType": "Activity", "id": ACTIVITY}

    def test_bad_iri_is_400(self, api, world):
        response = call(api, "GET", url("activities", activityId="bukan iri"), world.reader)

        assert response.status_code == 400


class AgentsTests:
    def test_person_of_a_learner(self, api, world):
        response = call(api, "GET", url("agents", agent=agent_of(world.learner)), world.reader)

        assert response.status_code == 200
        person = response.json()
        assert person["objectType"] == "Person"
        assert person["name"] == [world.learner.full_name]
        assert person["account"][0]["name"] == world.learner.nip
        assert f"mailto:{world.learner.email}" in person["mbox"]

    def test_learner_of_another_city_is_refused(self, api, world):
        address = url("agents", agent=agent_of(world.sorong_learner))

        assert call(api, "GET", address, world.reader).status_code == 403

    def test_national_client_gets_the_person_of_an_outside_agent(self, api, world):
        agent = {"name": "Tamu", "mbox": "mailto:tamu@luar.example"}

        response = call(api, "GET", url("agents", agent=agent), world.national)

        assert response.json() == {
            "objectType": "Person",
            "name": ["Tamu"],
            "mbox": ["mailto:tamu@luar.example"],
        }


class ActivityDefinitionTests:
    def post_statement(self, api, auth, learner, definition=None):
        import uuid

        obj = {"objectType": "Activity", "id": ACTIVITY}
        if definition is not None:
            obj["definition"] = definition
        body = {
            "id": str(uuid.uuid4()),
            "actor": agent_of(learner),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": obj,
        }
        response = call(api, "POST", "/xapi/statements", auth, body)
        assert response.status_code == 200, response.content

    def test_definition_of_the_newest_statement_that_has_one(self, api, world):
        old = {"name": {"id-ID": "Keamanan Siber (lama)"}}
        new = {
            "name": {"id-ID": "Keamanan Siber"},
            "type": "http://adlnet.gov/expapi/activities/course",
        }
        self.post_statement(api, world.writer, world.learner, old)
        self.post_statement(api, world.writer, world.learner, new)
        self.post_statement(api, world.writer, world.learner)

        response = call(api, "GET", url("activities", activityId=ACTIVITY), world.reader)

        assert response.status_code == 200
        assert response.json() == {"objectType": "Activity", "id": ACTIVITY, "definition": new}

    def test_other_city_statements_are_not_read(self, api, world):
        self.post_statement(api, world.writer, world.learner, {"name": {"id-ID": "Rahasia"}})

        response = call(api, "GET", url("activities", activityId=ACTIVITY), world.sorong_client)

        assert response.status_code == 404
