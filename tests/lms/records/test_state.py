"""The xAPI State resource for saved H5P state (contentUserData): save and restore, the
learner from the session, access by the package's city, limits and refusals."""

import json
import urllib.parse
import uuid

import pytest
from django.test import Client
from django.utils import translation

from content.models import H5PPackage
from content.xapi import activity_iri
from lms.records.models import ActivityState
from lms.records.xapi import MAX_STATE_BYTES
from lms.records.xapi import activity_iri as records_iri

from .conftest import XAPI_HEADERS

STATE_ID = "h5p-content-user-data"
DOCUMENT = json.dumps({"answers": [1, 0], "progress": 2, "catatan": "Selesai sebagian"})


def package(city=None) -> H5PPackage:
    return H5PPackage.objects.create(
        title="Latihan", main_library="H5P.TrueFalse-1.8", city=city, storage_path="h5p/x"
    )


def url(content_id, state_id=STATE_ID, **extra) -> str:
    params = {"activityId": activity_iri(content_id), "stateId": state_id, **extra}
    return "/xapi/activities/state?" + urllib.parse.urlencode(params)


def put(client, address, body=DOCUMENT, method="put", content_type="application/json", **extra):
    return getattr(client, method)(
        address, data=body, content_type=content_type, **XAPI_HEADERS, **extra
    )


def get(client, address, **extra):
    return client.get(address, **XAPI_HEADERS, **extra)


@pytest.fixture
def jakarta_package(world):
    return package(world.jakarta)


class StateTests:
    def test_saved_state_is_restored_as_sent(self, learner_client, jakarta_package):
        address = url(jakarta_package.content_id)
        assert get(learner_client, address).status_code == 404

        response = put(learner_client, address)

        assert response.status_code == 204
        response = get(learner_client, address)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response["X-Experience-API-Version"] == "1.0.3"
        assert response.content.decode() == DOCUMENT

    def test_last_write_wins_and_delete_forgets(self, learner_client, jakarta_package):
        address = url(jakarta_package.content_id)
        put(learner_client, address)
        put(learner_client, address, body='{"progress": 3}')
        assert get(learner_client, address).content == b'{"progress": 3}'

        assert learner_client.delete(address, **XAPI_HEADERS).status_code == 204
        assert get(learner_client, address).status_code == 404
        assert learner_client.delete(address, **XAPI_HEADERS).status_code == 204

    def test_post_merges_json_objects(self, learner_client, jakarta_package):
        address = url(jakarta_package.content_id)
        put(learner_client, address, body='{"a": 1, "b": 1}')
        assert put(learner_client, address, body='{"b": 2}', method="post").status_code == 204
        assert json.loads(get(learner_client, address).content) == {"a": 1, "b": 2}

    def test_sent_twice_stored_once(self, learner_client, jakarta_package, world):
        address = url(jakarta_package.content_id)
        assert put(learner_client, address).status_code == 204
        assert put(learner_client, address).status_code == 204
        row = ActivityState.objects.get()
        assert (row.learner, row.activity_key, row.state_id, row.document) == (
            world.learner,
            jakarta_package.content_id,
            STATE_ID,
            DOCUMENT,
        )

    def test_state_ids_are_separate_documents(self, learner_client, jakarta_package):
        put(learner_client, url(jakarta_package.content_id, "a"), body="1")
        put(learner_client, url(jakarta_package.content_id, "b"), body="2")
        assert get(learner_client, url(jakarta_package.content_id, "a")).content == b"1"
        assert ActivityState.objects.count() == 2

    def test_national_package_is_playable_by_every_city(self, client, world):
        national = package(city=None)
        client.force_login(world.new_learner(city=world.sorong).user)
        assert put(client, url(national.content_id)).status_code == 204


class StateAccessTests:
    def test_other_learner_cannot_read_it(self, learner_client, client, world, jakarta_package):
        address = url(jakarta_package.content_id)
        put(learner_client, address)
        other = Client()
        other.force_login(world.new_learner().user)

        assert get(other, address).status_code == 404
        assert put(other, address, body='{"mine": true}').status_code == 204
        assert get(learner_client, address).content.decode() == DOCUMENT

    def test_other_citys_package_is_refused(self, client, world):
        sorong_package = package(world.sorong)
        client.force_login(world.learner.user)
        address = url(sorong_package.content_id)

        with translation.override("en"):
            response = put(client, address)
        assert response.status_code == 403
        assert "not available to you" in response.json()["error"]
        assert get(client, address).status_code == 403
        assert client.delete(address, **XAPI_HEADERS).status_code == 403
        assert not ActivityState.objects.exists()

    def test_unknown_or_disabled_package_is_refused(self, learner_client, jakarta_package):
        jakarta_package.status = H5PPackage.Status.DISABLED
        jakarta_package.save()
        assert put(learner_client, url(jakarta_package.content_id)).status_code == 403
        assert put(learner_client, url(uuid.uuid4())).status_code == 403
        assert not ActivityState.objects.exists()

    def test_not_logged_in_is_401(self, client, jakarta_package):
        address = url(jakarta_package.content_id)
        assert put(client, address).status_code == 401
        assert get(client, address).status_code == 401
        assert not ActivityState.objects.exists()

    def test_user_without_learner_profile_is_refused(self, client, jakarta_package):
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.create_user("tamu", password="x"))
        assert put(client, url(jakarta_package.content_id)).status_code == 403

    def test_csrf_header_is_required(self, world, jakarta_package):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world.learner.user)
        assert put(client, url(jakarta_package.content_id)).status_code == 403
        assert not ActivityState.objects.exists()

    def test_agent_must_be_the_session_learner(self, learner_client, world, jakarta_package):
        from django.conf import settings

        home = settings.WAGTAILADMIN_BASE_URL
        own = {"objectType": "Agent", "account": {"homePage": home, "name": world.learner.nip}}
        other = {"account": {"homePage": home, "name": world.new_learner().nip}}
        address = url(jakarta_package.content_id, agent=json.dumps(own))
        assert put(learner_client, address).status_code == 204
        assert get(learner_client, url(jakarta_package.content_id)).status_code == 200
        address = url(jakarta_package.content_id, agent=json.dumps(other))
        assert get(learner_client, address).status_code == 403
        assert put(learner_client, address, body="{}").status_code == 403
        assert ActivityState.objects.get().document == DOCUMENT


class StateValidationTests:
    def test_oversize_is_413(self, learner_client, jakarta_package):
        body = json.dumps({"data": "x" * MAX_STATE_BYTES})
        with translation.override("en"):
            response = put(learner_client, url(jakarta_package.content_id), body=body)
        assert response.status_code == 413
        assert "too large" in response.json()["error"]
        assert not ActivityState.objects.exists()

    def test_just_under_the_limit_is_stored(self, learner_client, jakarta_package):
        body = json.dumps("x" * (MAX_STATE_BYTES - 2))
        assert len(body) == MAX_STATE_BYTES
        assert put(learner_client, url(jakarta_package.content_id), body=body).status_code == 204

    @pytest.mark.parametrize(
        "body,content_type,problem",
        [
            ("{not json", "application/json", "not valid JSON"),
            (b"\xff\xfe", "application/json", "not valid JSON"),
            ("state", "text/plain", "Content-Type: application/json"),
        ],
    )
    def test_malformed_document_is_400(
        self, learner_client, jakarta_package, body, content_type, problem
    ):
        with translation.override("en"):
            response = put(
                learner_client,
                url(jakarta_package.content_id),
                body=body,
                content_type=content_type,
            )
        assert response.status_code == 400
        assert problem in response.json()["error"]
        assert not ActivityState.objects.exists()

    def test_malformed_address_is_400(self, learner_client, jakarta_package, world):
        content_id = jakarta_package.content_id
        cases = [
            ("/xapi/activities/state?stateId=x", "activityId"),
            (url(content_id, state_id=""), "stateId"),
            (url(content_id, state_id="x" * 256), "stateId"),
            (url(content_id, agent="not json"), "agent"),
            (url(content_id, registration=str(uuid.uuid4())), "registration"),
            (
                "/xapi/activities/state?"
                + urllib.parse.urlencode(
                    {
                        "activityId": records_iri("lesson", world.course.viewed.translation_key),
                        "stateId": STATE_ID,
                    }
                ),
                "H5P activities only",
            ),
            (
                "/xapi/activities/state?"
                + urllib.parse.urlencode({"activityId": "not an iri", "stateId": STATE_ID}),
                "H5P activities only",
            ),
        ]
        for address, problem in cases:
            with translation.override("en"):
                response = put(learner_client, address)
            assert response.status_code == 400, address
            assert problem in response.json()["error"], address
        assert not ActivityState.objects.exists()

    def test_version_header_is_required(self, learner_client, jakarta_package):
        response = learner_client.put(
            url(jakarta_package.content_id), data=DOCUMENT, content_type="application/json"
        )
        assert response.status_code == 400
        assert not ActivityState.objects.exists()

    def test_other_methods_are_405(self, learner_client, jakarta_package):
        response = learner_client.patch(url(jakarta_package.content_id), **XAPI_HEADERS)
        assert response.status_code == 405
