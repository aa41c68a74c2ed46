"""Which H5P statements may grade an activity (content.xapi, used by lms.records)."""

import pytest

from content.xapi import activity_iri, content_id_from_iri, is_root_result_statement, is_sub_content

CONTENT_ID = "7f1c2e0a-3b4d-4c5e-8f90-1a2b3c4d5e6f"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
INTERACTED = "http://adlnet.gov/expapi/verbs/interacted"


def statement(verb=ANSWERED, object_id=None, parent=False) -> dict:
    result = {
        "verb": {"id": verb},
        "object": {"id": object_id or activity_iri(CONTENT_ID)},
        "result": {"score": {"raw": 1, "max": 1, "scaled": 1}, "success": True},
        "context": {
            "contextActivities": {
                "category": [{"id": "http://h5p.org/libraries/H5P.TrueFalse-1.6"}]
            }
        },
    }
    if parent:
        result["context"]["contextActivities"]["parent"] = [{"id": activity_iri(CONTENT_ID)}]
    return result


class RootResultTests:
    @pytest.mark.parametrize("verb", [ANSWERED, COMPLETED])
    def test_root_answered_or_completed_grades(self, verb):
        assert is_root_result_statement(statement(verb))

    @pytest.mark.parametrize(
        "verb", [ATTEMPTED, INTERACTED, "http://adlnet.gov/expapi/verbs/progressed"]
    )
    def test_other_verbs_do_not_grade(self, verb):
        assert not is_root_result_statement(statement(verb))

    def test_child_with_a_parent_does_not_grade(self):
        child = statement(object_id=activity_iri(CONTENT_ID) + "?subContentId=abc", parent=True)
        assert is_sub_content(child)
        assert not is_root_result_statement(child)

    def test_sub_content_without_a_parent_is_a_child_too(self):
        # Course Presentation and Interactive Video send these for their slide elements.
        orphan = statement(verb=ATTEMPTED, object_id=activity_iri(CONTENT_ID) + "?subContentId=9f2")
        assert is_sub_content(orphan)
        answered = statement(object_id=activity_iri(CONTENT_ID) + "?foo=1&subContentId=9f2")
        assert not is_root_result_statement(answered)

    @pytest.mark.parametrize(
        "broken", [None, {}, {"verb": "x"}, {"verb": {"id": ANSWERED}}, {"object": []}]
    )
    def test_malformed_statements_never_grade(self, broken):
        assert not is_root_result_statement(broken)


class ActivityIriTests:
    def test_round_trip(self, settings):
        settings.WAGTAILADMIN_BASE_URL = "https://belajar.example.go.id/"
        iri = activity_iri(CONTENT_ID)
        assert iri == f"https://belajar.example.go.id/xapi/activities/h5p/{CONTENT_ID}"
        assert content_id_from_iri(iri) == CONTENT_ID
        assert content_id_from_iri(iri + "?subContentId=abc") == CONTENT_ID

    @pytest.mark.parametrize(
        "iri",
        [
            "",
            None,
            "https://x/xapi/activities/h5p/not-a-uuid",
            "urn:x",
            f"https://x/xapi/activities/lesson/{CONTENT_ID}",
        ],
    )
    def test_other_iris(self, iri):
        assert content_id_from_iri(iri) is None
