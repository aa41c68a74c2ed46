"""Statement validation (xAPI 1.0.3 Data part): bad input is 400 with the path of the
problem, and nothing is stored; every conformant form is accepted."""

import copy
import uuid

import pytest

from lms.records.models import Statement
from tests.lms.lrs.conftest import agent, statement


def _with(path: str, value):
    data = statement()
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    if value is _DELETE:
        target.pop(keys[-1], None)
    else:
        target[keys[-1]] = value
    return data


_DELETE = object()

BAD = [
    ("actor", _DELETE, "actor"),
    ("verb", _DELETE, "verb"),
    ("object", _DELETE, "object"),
    ("id", "not-a-uuid", "id"),
    ("id", f"{{{uuid.uuid4()}}}", "id"),
    ("colour", "red", "unknown"),
    ("verb.id", "experienced", "verb.id"),
    ("verb.display", {"not a tag!": "x"}, "language tag"),
    ("verb.display", {"en-US": 3}, "verb.display.en-US"),
    ("actor", {"name": "no identifier"}, "exactly one identifier"),
    ("actor", {"mbox": "orang@luar.example"}, "mailto"),
    ("actor", {"mbox": "mailto:a@b.example", "openid": "https://id.example/a"}, "exactly one"),
    ("actor", {"mbox_sha1sum": "abc"}, "SHA-1"),
    ("actor", {"account": {"homePage": "https://x.example"}}, "account.name"),
    ("actor", {"account": {"homePage": "not an iri", "name": "a"}}, "homePage"),
    ("actor", {"objectType": "Group"}, "anonymous Group"),
    (
        "actor",
        {"objectType": "Group", "member": [{"objectType": "Group", "member": [agent()]}]},
        "members must be Agents",
    ),
    ("actor", {"objectType": "Person", "mbox": "mailto:a@b.example"}, "objectType"),
    ("actor.name", None, "null"),
    ("object", {"objectType": "Agent"}, "identifier"),
    ("object", {"objectType": "StatementRef", "id": "x"}, "UUID"),
    ("object", {"objectType": "Thing", "id": "https://x.example"}, "objectType"),
    ("object", {"id": "https://x.example", "definition": {"type": "nope"}}, "type"),
    (
        "object",
        {"id": "https://x.example", "definition": {"interactionType": "essay"}},
        "interactionType",
    ),
    ("result", {"score": {"scaled": 1.5}}, "between -1 and 1"),
    ("result", {"score": {"raw": 11, "max": 10}}, "greater than max"),
    ("result", {"score": {"raw": -1, "min": 0}}, "less than min"),
    ("result", {"score": {"min": 5, "max": 5}}, "less than max"),
    ("result", {"score": {"raw": "10"}}, "number"),
    ("result", {"success": "yes"}, "true or false"),
    ("result", {"duration": "1 minute"}, "duration"),
    ("result", {"extensions": {"colour": 1}}, "IRI"),
    ("context", {"registration": "abc"}, "registration"),
    ("context", {"team": agent()}, "Group"),
    ("context", {"language": "not a language"}, "language"),
    ("context", {"contextActivities": {"parent": {"objectType": "Activity"}}}, "id: is required"),
    ("context", {"contextActivities": {"uncle": []}}, "unknown"),
    ("timestamp", "yesterday", "timestamp"),
    ("timestamp", "2026-12-07T08:00:00-00:00", "timestamp"),
    ("version", "2.0.0", "version"),
    ("attachments", [{"usageType": "https://x.example/u"}], "required"),
]


class ValidationTests:
    @pytest.mark.parametrize(("path", "value", "hint"), BAD, ids=[b[0] + "-" + b[2] for b in BAD])
    def test_a_malformed_statement_is_400_and_nothing_is_stored(self, lrs, path, value, hint):
        response = lrs.post(_with(path, value))
        assert response.status_code == 400, response.content
        assert hint.lower() in response.json()["error"].lower()
        assert Statement.objects.count() == 0

    def test_revision_and_platform_need_an_activity_object(self, lrs):
        data = statement(object=agent(2), context={"platform": "Moodle"})
        data["object"]["objectType"] = "Agent"
        response = lrs.post(data)
        assert response.status_code == 400
        assert "platform" in response.json()["error"]

    def test_a_substatement_cannot_nest_another(self, lrs):
        inner = statement(with_id=False)
        inner["objectType"] = "SubStatement"
        outer_inner = copy.deepcopy(inner)
        outer_inner["object"] = copy.deepcopy(inner)
        response = lrs.post(statement(object=outer_inner))
        assert response.status_code == 400

    def test_a_voiding_statement_needs_a_statement_ref(self, lrs):
        response = lrs.post(statement(verb="http://adlnet.gov/expapi/verbs/voided"))
        assert response.status_code == 400

    def test_not_a_statement_is_400(self, lrs):
        assert lrs.post([1, 2]).status_code == 400
        assert lrs.post([]).status_code == 400


GOOD_ACTORS = [
    {"mbox": "mailto:orang@luar.example"},
    {"mbox_sha1sum": "a" * 40},
    {"openid": "https://id.example/orang"},
    {"account": {"homePage": "https://tool.example", "name": "u-1"}, "name": "Orang"},
    {"objectType": "Group", "member": [agent(1), agent(2)]},
    {"objectType": "Group", "mbox": "mailto:tim@luar.example", "member": [agent(1)]},
]


class AcceptedFormsTests:
    @pytest.mark.parametrize("actor", GOOD_ACTORS)
    def test_every_actor_form_is_accepted(self, lrs, actor):
        assert lrs.post(statement(actor=actor)).status_code == 200

    def test_a_full_statement_is_accepted_and_kept_as_sent(self, lrs):
        data = statement(
            object={
                "objectType": "Activity",
                "id": "https://tool.example/q1",
                "definition": {
                    "name": {"id-ID": "Soal 1", "en-US": "Question 1"},
                    "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                    "interactionType": "choice",
                    "correctResponsesPattern": ["a"],
                    "choices": [{"id": "a", "description": {"id-ID": "A"}}],
                },
            },
            result={
                "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
                "success": True,
                "completion": True,
                "response": "a",
                "duration": "PT1M30.5S",
                "extensions": {"https://tool.example/ext": {"any": [1, None]}},
            },
            context={
                "registration": str(uuid.uuid4()),
                "instructor": agent(9),
                "team": {"objectType": "Group", "member": [agent(3)]},
                "contextActivities": {
                    "parent": {"id": "https://tool.example/course"},
                    "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                },
                "revision": "2",
                "platform": "Articulate",
                "language": "id-ID",
                "statement": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
            },
            timestamp="2026-12-07T08:00:00.123+07:00",
        )
        response = lrs.post(data)
        assert response.status_code == 200, response.content
        stored = Statement.objects.get(pk=data["id"])
        assert stored.payload["context"] == data["context"]
        assert stored.payload["result"] == data["result"]
        assert stored.score_percent == 50
        assert str(stored.registration) == data["context"]["registration"]

    def test_agent_statement_ref_and_substatement_objects(self, lrs):
        as_agent = statement(object={**agent(5), "objectType": "Agent"})
        ref = statement(object={"objectType": "StatementRef", "id": str(uuid.uuid4())})
        sub = statement(
            object={
                "objectType": "SubStatement",
                "actor": agent(6),
                "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
                "object": {"id": "https://tool.example/sub"},
            }
        )
        assert lrs.post([as_agent, ref, sub]).status_code == 200
        assert Statement.objects.count() == 3
