"""GET /xapi/statements filters: agent, verb, activity, registration, related_activities,
related_agents, since, until, limit."""

import json
import uuid
from datetime import timedelta

from django.utils import timezone

from lms.records.models import Statement
from tests.factories import LearnerFactory
from tests.lms.lrs.conftest import agent, statement


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {s["id"] for s in response.json()["statements"]}


class FilterTests:
    def test_agent_matches_actor_and_object(self, lrs):
        mine = statement(actor=agent(1))
        about_me = statement(actor=agent(2), object={**agent(1), "objectType": "Agent"})
        other = statement(actor=agent(3))
        lrs.post([mine, about_me, other])
        found = ids(lrs.get({"agent": json.dumps(agent(1))}))
        assert found == {mine["id"], about_me["id"]}

    def test_agent_must_be_a_valid_agent(self, lrs):
        assert lrs.get({"agent": "not json"}).status_code == 400
        assert lrs.get({"agent": json.dumps({"name": "x"})}).status_code == 400

    def test_verb_and_activity(self, lrs):
        a = statement(verb="http://adlnet.gov/expapi/verbs/attempted")
        b = statement(activity="https://tool.example/activities/b")
        lrs.post([a, b])
        assert ids(lrs.get({"verb": "http://adlnet.gov/expapi/verbs/attempted"})) == {a["id"]}
        assert ids(lrs.get({"activity": "https://tool.example/activities/b"})) == {b["id"]}

    def test_related_activities_search_the_context(self, lrs):
        parent = "https://tool.example/course"
        child = statement(context={"contextActivities": {"parent": [{"id": parent}]}})
        direct = statement(activity=parent)
        lrs.post([child, direct])
        assert ids(lrs.get({"activity": parent})) == {direct["id"]}
        related = ids(lrs.get({"activity": parent, "related_activities": "true"}))
        assert related == {child["id"], direct["id"]}

    def test_related_agents_search_instructor_and_team(self, lrs):
        taught = statement(actor=agent(1), context={"instructor": agent(7)})
        lrs.post([taught, statement(actor=agent(2))])
        query = {"agent": json.dumps(agent(7))}
        assert ids(lrs.get(query)) == set()
        assert ids(lrs.get({**query, "related_agents": "true"})) == {taught["id"]}

    def test_related_agents_finds_the_authority(self, lrs, writer):
        data = statement()
        lrs.post(data)
        authority = lrs.get({"statementId": data["id"]}).json()["authority"]
        found = ids(lrs.get({"agent": json.dumps(authority), "related_agents": "true"}))
        assert found == {data["id"]}

    def test_registration(self, lrs):
        registration = str(uuid.uuid4())
        inside = statement(context={"registration": registration})
        lrs.post([inside, statement()])
        assert ids(lrs.get({"registration": registration})) == {inside["id"]}
        assert lrs.get({"registration": "x"}).status_code == 400

    def test_since_and_until_are_about_stored(self, lrs):
        early = statement(timestamp="2030-01-01T00:00:00Z")
        late = statement(timestamp="2000-01-01T00:00:00Z")
        lrs.post([early, late])
        now = timezone.now()
        Statement.objects.filter(pk=early["id"]).update(stored_at=now - timedelta(hours=2))
        middle = (now - timedelta(hours=1)).isoformat()
        assert ids(lrs.get({"since": middle})) == {late["id"]}
        assert ids(lrs.get({"until": middle})) == {early["id"]}
        assert lrs.get({"since": "last week"}).status_code == 400

    def test_limit(self, lrs):
        lrs.post([statement() for _ in range(5)])
        response = lrs.get({"limit": "2"})
        assert len(response.json()["statements"]) == 2
        assert response.json()["more"]
        assert len(lrs.get({"limit": "0"}).json()["statements"]) == 5
        assert lrs.get({"limit": "-1"}).status_code == 400

    def test_an_agent_naming_a_platform_learner_finds_their_statements(self, lrs, city, settings):
        learner = LearnerFactory(city=city)
        by_email = statement(actor={"mbox": f"mailto:{learner.user.email.upper()}"})
        lrs.post(by_email)
        account = {
            "account": {"homePage": settings.WAGTAILADMIN_BASE_URL, "name": learner.nip},
        }
        assert ids(lrs.get({"agent": json.dumps(account)})) == {by_email["id"]}

    def test_filtered_list_uses_a_fixed_number_of_queries(self, lrs, django_assert_max_num_queries):
        lrs.post([statement() for _ in range(20)])
        with django_assert_max_num_queries(4):
            response = lrs.get({"verb": "http://adlnet.gov/expapi/verbs/experienced"})
        assert len(response.json()["statements"]) == 20
