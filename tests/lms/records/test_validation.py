"""Malformed statements are refused with 400, a clear message, and nothing stored."""

import json
import uuid

import pytest
from django.utils import translation

from lms.records import xapi
from lms.records.models import ActivityProgress, Statement

from .conftest import XAPI_HEADERS, h5p, post, statement, view

pytestmark = pytest.mark.django_db


def refused(response, *words):
    assert response.status_code == 400, response.content
    message = response.json()["error"]
    for word in words:
        assert word in message, message
    assert not Statement.objects.exists()
    assert not ActivityProgress.objects.exists()
    return message


class MalformedStatementTests:
    def test_missing_verb(self, learner_client, world):
        payload = view(world.course.viewed)
        del payload["verb"]
        refused(post(learner_client, payload), "no verb")

    def test_bad_uuid(self, learner_client, world):
        payload = view(world.course.viewed)
        payload["id"] = "not-a-uuid"
        refused(post(learner_client, payload), "UUID")

    def test_missing_id(self, learner_client, world):
        payload = view(world.course.viewed)
        del payload["id"]
        refused(post(learner_client, payload), "no id")

    def test_score_above_max(self, learner_client, world):
        payload = h5p(world.course, 0.5)
        payload["result"]["score"] = {"raw": 12, "min": 0, "max": 10}
        refused(post(learner_client, payload), "greater than result.score.max")

    def test_scaled_out_of_range(self, learner_client, world):
        payload = h5p(world.course, 0.5)
        payload["result"]["score"] = {"scaled": 1.5}
        refused(post(learner_client, payload), "between -1 and 1")

    @pytest.mark.parametrize(
        ("path", "value", "words"),
        [
            (("result", "score", "raw"), "7", "must be a number"),
            (("result", "score", "raw"), True, "must be a number"),
            (("result", "success"), "yes", "true or false"),
            (("result", "duration"), 30, "ISO 8601"),
            (("verb",), "completed", "verb must be an object"),
            (("object",), ["x"], "object must be an activity"),
            (("context",), "lesson", "context must be an object"),
        ],
    )
    def test_wrong_types(self, learner_client, world, path, value, words):
        payload = h5p(world.course, 0.5)
        target = payload
        for name in path[:-1]:
            target = target[name]
        target[path[-1]] = value
        refused(post(learner_client, payload), words)

    def test_unknown_property(self, learner_client, world):
        payload = dict(view(world.course.viewed), attachments=[])
        refused(post(learner_client, payload), "attachments")

    def test_object_outside_our_iri_scheme(self, learner_client, world):
        payload = view(world.course.viewed)
        payload["object"]["id"] = "http://example.com/activity/1"
        refused(post(learner_client, payload), "not an activity of this platform")

    def test_h5p_without_its_lesson(self, learner_client, world):
        payload = statement("h5p", world.course.h5p_key, verb="answered")
        refused(post(learner_client, payload), "must name its lesson")

    def test_one_bad_statement_refuses_the_whole_batch_and_names_it(self, learner_client, world):
        bad = view(world.course.viewed)
        del bad["verb"]
        message = refused(post(learner_client, [view(world.course.viewed), bad]), "Statement 2")
        assert post(learner_client, [view(world.course.viewed), bad]).json()["statement"] == 1
        assert "no verb" in message

    def test_a_megabyte_of_junk(self, learner_client):
        junk = b"\x00\xff" * (512 * 1024)
        response = learner_client.post(
            "/xapi/statements", data=junk, content_type="application/json", **XAPI_HEADERS
        )
        refused(response, "too large")

    def test_junk_that_is_not_json(self, learner_client):
        response = learner_client.post(
            "/xapi/statements",
            data=b"{{{ not json",
            content_type="application/json",
            **XAPI_HEADERS,
        )
        refused(response, "not valid JSON")

    def test_empty_array_and_too_many(self, learner_client, world):
        refused(post(learner_client, []), "non-empty array")
        many = [view(world.course.viewed) for _ in range(xapi.MAX_STATEMENTS + 1)]
        refused(post(learner_client, many), "Too many statements")

    def test_form_encoded_body(self, learner_client, world):
        response = learner_client.post("/xapi/statements", data={"a": "b"}, **XAPI_HEADERS)
        refused(response, "JSON")

    def test_messages_are_translated(self, world):
        payload = view(world.course.viewed)
        del payload["verb"]
        with translation.override("id"), pytest.raises(xapi.StatementError) as indonesian:
            xapi.parse_statements([payload])
        with translation.override("en"), pytest.raises(xapi.StatementError) as english:
            xapi.parse_statements([payload])
        assert english.value.message == "The statement has no verb."
        assert indonesian.value.message  # the Indonesian catalogue may or may not be merged yet


class IriSchemeTests:
    def test_parse_activity_iri(self):
        key = uuid.uuid4()
        assert xapi.parse_activity_iri(f"https://lms.example/xapi/activities/h5p/{key}") == (
            "h5p",
            key,
            False,
        )
        assert xapi.parse_activity_iri(
            f"https://lms.example/xapi/activities/h5p/{key}?subContentId=1"
        ) == ("h5p", key, True)
        assert xapi.parse_activity_iri(f"ftp://x/xapi/activities/h5p/{key}") is None
        assert xapi.parse_activity_iri("https://x/xapi/activities/course/abc") is None
        assert (
            xapi.parse_activity_iri(f"https://x/xapi/activities/quiz/{key}?subContentId=1") is None
        )

    def test_durations(self):
        assert xapi.parse_duration("PT1M30S") == 90
        assert xapi.parse_duration("PT0.5S") == 0
        assert xapi.parse_duration("P2D") == 24 * 3600  # capped at one day
        for bad in ("P", "PT", "1M", "P1Y", "PT-1S"):
            with pytest.raises(xapi.StatementError):
                xapi.parse_duration(bad)

    def test_score_from_raw_and_max(self):
        parsed = xapi.parse_statement(
            json.loads(
                json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "verb": {"id": xapi.ADL + "answered"},
                        "object": {"id": f"http://x/xapi/activities/lesson/{uuid.uuid4()}"},
                        "result": {"score": {"raw": 3, "min": 1, "max": 5}},
                    }
                )
            )
        )
        assert parsed.score_percent == 50
