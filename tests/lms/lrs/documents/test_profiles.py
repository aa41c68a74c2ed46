"""Activity Profile and Agent Profile resources: ETag concurrency (412 / 409 /
If-None-Match: *), POST merge, id lists, city scope."""

import pytest

from lms.lrs.documents.models import XapiDocument

from .conftest import ACTIVITY, agent_of, call, url

pytestmark = pytest.mark.django_db


def activity_profile(profile_id=None):
    params = {"activityId": ACTIVITY}
    if profile_id:
        params["profileId"] = profile_id
    return url("activities/profile", **params)


class ProfileConcurrencyTests:
    def test_put_on_an_existing_profile_needs_a_precondition(self, api, world):
        address = activity_profile("pengaturan")
        assert call(api, "PUT", address, world.writer, {"v": 1}).status_code == 204

        response = call(api, "PUT", address, world.writer, {"v": 2})

        assert response.status_code == 409
        assert "If-Match" in response.json()["error"]
        assert call(api, "GET", address, world.writer).json() == {"v": 1}

    def test_if_match_with_the_current_etag_replaces(self, api, world):
        address = activity_profile("pengaturan")
        call(api, "PUT", address, world.writer, {"v": 1})
        etag = call(api, "GET", address, world.writer)["ETag"]

        response = call(api, "PUT", address, world.writer, {"v": 2}, HTTP_IF_MATCH=etag)

        assert response.status_code == 204
        assert call(api, "GET", address, world.writer).json() == {"v": 2}
        # The old ETag is stale now.
        stale = call(api, "PUT", address, world.writer, {"v": 3}, HTTP_IF_MATCH=etag)
        assert stale.status_code == 412
        assert call(api, "GET", address, world.writer).json() == {"v": 2}

    def test_if_match_on_a_missing_profile_is_412(self, api, world):
        address = activity_profile("baru")

        response = call(api, "PUT", address, world.writer, {"v": 1}, HTTP_IF_MATCH='"abc"')

        assert response.status_code == 412
        assert not XapiDocument.objects.exists()

    def test_if_none_match_star_creates_only_once(self, api, world):
        address = activity_profile("baru")

        first = call(api, "PUT", address, world.writer, {"v": 1}, HTTP_IF_NONE_MATCH="*")
        second = call(api, "PUT", address, world.writer, {"v": 2}, HTTP_IF_NONE_MATCH="*")

        assert first.status_code == 204
        assert second.status_code == 412
        assert call(api, "GET", address, world.writer).json() == {"v": 1}

    def test_delete_with_a_stale_etag_is_412(self, api, world):
        address = activity_profile("p")
        call(api, "PUT", address, world.writer, {"v": 1})

        response = call(api, "DELETE", address, world.writer, HTTP_IF_MATCH='"0000"')

        assert response.status_code == 412
        assert XapiDocument.objects.count() == 1

    def test_post_merges_without_a_precondition(self, api, world):
        address = url("agents/profile", agent=agent_of(world.learner), profileId="pref")
        call(api, "PUT", address, world.writer, {"languagePreference": "id-ID"})

        response = call(api, "POST", address, world.writer, {"audioPreference": "on"})

        assert response.status_code == 204
        assert call(api, "GET", address, world.writer).json() == {
            "languagePreference": "id-ID",
            "audioPreference": "on",
        }


class ProfileListTests:
    def test_activity_profile_ids(self, api, world):
        call(api, "PUT", activity_profile("a"), world.writer, {"v": 1})
        call(api, "PUT", activity_profile("b"), world.writer, {"v": 1})

        assert call(api, "GET", activity_profile(), world.writer).json() == ["a", "b"]

    def test_agent_profile_ids(self, api, world):
        base = {"agent": agent_of(world.learner)}
        call(api, "PUT", url("agents/profile", profileId="x", **base), world.writer, {"v": 1})

        assert call(api, "GET", url("agents/profile", **base), world.writer).json() == ["x"]


class ProfileAccessTests:
    def test_activity_profiles_are_per_city(self, api, world):
        call(api, "PUT", activity_profile("p"), world.writer, {"kota": "Jakarta"})

        assert call(api, "GET", activity_profile("p"), world.sorong_client).status_code == 404
        assert call(api, "GET", activity_profile(), world.sorong_client).json() == []

    def test_agent_profile_of_another_city_is_refused(self, api, world):
        address = url("agents/profile", agent=agent_of(world.sorong_learner), profileId="p")

        assert call(api, "PUT", address, world.writer, {"v": 1}).status_code == 403
        assert call(api, "GET", address, world.writer).status_code == 403
        assert not XapiDocument.objects.exists()

    def test_read_only_client_cannot_write_profiles(self, api, world):
        response = call(api, "PUT", activity_profile("p"), world.reader, {"v": 1})

        assert response.status_code == 403
        assert not XapiDocument.objects.exists()

    def test_bad_agent_is_400(self, api, world):
        address = "/xapi/agents/profile?agent=%7Bbroken&profileId=p"

        response = call(api, "PUT", address, world.writer, {"v": 1})

        assert response.status_code == 400
        assert "agent" in response.json()["error"]
        assert not XapiDocument.objects.exists()
