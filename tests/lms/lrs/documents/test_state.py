"""The State resource for Basic-auth clients: PUT/POST/GET/DELETE, id lists with since,
registrations, scope by city, read-only clients and bad input."""

import datetime
import uuid

import pytest
from django.utils import timezone

from lms.lrs.documents.models import XapiDocument

from .conftest import ACTIVITY, agent_of, call, url

pytestmark = pytest.mark.django_db


def state_url(world, learner=None, **extra):
    return url(
        "activities/state", activityId=ACTIVITY, agent=agent_of(learner or world.learner), **extra
    )


class StateCrudTests:
    def test_put_get_delete(self, api, world):
        address = state_url(world, stateId="bookmark")

        assert call(api, "GET", address, world.writer).status_code == 404
        response = call(api, "PUT", address, world.writer, {"halaman": 4})
        assert response.status_code == 204

        response = call(api, "GET", address, world.writer)
        assert response.status_code == 200
        assert response.json() == {"halaman": 4}
        assert response["Content-Type"] == "application/json"
        assert response["ETag"].startswith('"') and len(response["ETag"]) == 42
        assert response["Last-Modified"].endswith("GMT")
        # The reader of the same city sees it too.
        assert call(api, "GET", address, world.reader).status_code == 200

        assert call(api, "DELETE", address, world.writer).status_code == 204
        assert call(api, "GET", address, world.writer).status_code == 404

    def test_put_twice_keeps_one_document_last_write_wins(self, api, world):
        address = state_url(world, stateId="bookmark")

        call(api, "PUT", address, world.writer, {"halaman": 1})
        call(api, "PUT", address, world.writer, {"halaman": 2})

        assert XapiDocument.objects.count() == 1
        assert call(api, "GET", address, world.writer).json() == {"halaman": 2}

    def test_non_json_documents_keep_their_content_type(self, api, world):
        address = state_url(world, stateId="catatan")

        call(api, "PUT", address, world.writer, "teks biasa", content_type="text/plain")

        response = call(api, "GET", address, world.writer)
        assert response.content == b"teks biasa"
        assert response["Content-Type"] == "text/plain"

    def test_the_learner_named_by_email_shares_the_account_documents(self, api, world):
        call(api, "PUT", state_url(world, stateId="a"), world.writer, {"x": 1})
        by_email = url(
            "activities/state",
            activityId=ACTIVITY,
            agent={"mbox": f"mailto:{world.learner.email}"},
            stateId="a",
        )

        assert call(api, "GET", by_email, world.writer).json() == {"x": 1}


class StateListTests:
    def test_ids_and_since(self, api, world):
        call(api, "PUT", state_url(world, stateId="lama"), world.writer, {"a": 1})
        XapiDocument.objects.update(updated_at=timezone.now() - datetime.timedelta(days=2))
        call(api, "PUT", state_url(world, stateId="baru"), world.writer, {"b": 1})

        assert call(api, "GET", state_url(world), world.writer).json() == ["lama", "baru"]
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        assert call(api, "GET", state_url(world, since=since), world.writer).json() == ["baru"]

    def test_bad_since_is_400(self, api, world):
        response = call(api, "GET", state_url(world, since="kemarin"), world.writer)

        assert response.status_code == 400
        assert "since" in response.json()["error"]

    def test_registrations_are_separate_and_delete_all_takes_every_registration(self, api, world):
        first, second = uuid.uuid4(), uuid.uuid4()
        call(api, "PUT", state_url(world, stateId="s", registration=first), world.writer, {"r": 1})
        call(api, "PUT", state_url(world, stateId="s", registration=second), world.writer, {"r": 2})
        call(api, "PUT", state_url(world, stateId="t", registration=second), world.writer, {"r": 3})

        got = call(api, "GET", state_url(world, stateId="s", registration=first), world.writer)
        assert got.json() == {"r": 1}
        listed = call(api, "GET", state_url(world, registration=second), world.writer)
        assert sorted(listed.json()) == ["s", "t"]
        # Without stateId, DELETE takes the registration's documents only ...
        assert (
            call(api, "DELETE", state_url(world, registration=first), world.writer).status_code
            == 204
        )
        assert XapiDocument.objects.count() == 2
        # ... and without a registration, every registration's.
        assert call(api, "DELETE", state_url(world), world.writer).status_code == 204
        assert XapiDocument.objects.count() == 0


class StateMergeTests:
    def test_post_merges_json_objects(self, api, world):
        address = state_url(world, stateId="skor")
        call(api, "PUT", address, world.writer, {"a": 1, "b": 1})

        response = call(api, "POST", address, world.writer, {"b": 2, "c": 3})

        assert response.status_code == 204
        assert call(api, "GET", address, world.writer).json() == {"a": 1, "b": 2, "c": 3}

    def test_post_without_a_stored_document_stores_it(self, api, world):
        address = state_url(world, stateId="skor")

        assert call(api, "POST", address, world.writer, {"a": 1}).status_code == 204
        assert call(api, "GET", address, world.writer).json() == {"a": 1}

    def test_post_onto_a_non_object_is_400_and_changes_nothing(self, api, world):
        address = state_url(world, stateId="skor")
        call(api, "PUT", address, world.writer, [1, 2])

        response = call(api, "POST", address, world.writer, {"a": 1})

        assert response.status_code == 400
        assert "JSON object" in response.json()["error"]
        assert call(api, "GET", address, world.writer).json() == [1, 2]

    def test_posting_a_non_object_is_400(self, api, world):
        address = state_url(world, stateId="skor")
        call(api, "PUT", address, world.writer, {"a": 1})

        response = call(api, "POST", address, world.writer, "x", content_type="text/plain")

        assert response.status_code == 400
        assert call(api, "GET", address, world.writer).json() == {"a": 1}


class StateAccessTests:
    def test_other_city_client_is_refused(self, api, world):
        address = state_url(world, stateId="bookmark")
        call(api, "PUT", address, world.writer, {"halaman": 4})

        assert call(api, "GET", address, world.sorong_client).status_code == 403
        response = call(api, "PUT", address, world.sorong_client, {"halaman": 9})
        assert response.status_code == 403
        assert call(api, "GET", address, world.writer).json() == {"halaman": 4}

    def test_city_client_cannot_reach_agents_unknown_to_the_platform(self, api, world):
        address = url(
            "activities/state",
            activityId=ACTIVITY,
            agent={"mbox": "mailto:orang@luar.example"},
            stateId="s",
        )

        assert call(api, "PUT", address, world.writer, {"a": 1}).status_code == 403
        # A national client may keep documents of such agents.
        assert call(api, "PUT", address, world.national, {"a": 1}).status_code == 204
        assert call(api, "GET", address, world.national).json() == {"a": 1}

    def test_read_only_client_cannot_write(self, api, world):
        address = state_url(world, stateId="bookmark")

        for method in ("PUT", "POST", "DELETE"):
            response = call(api, method, address, world.reader, {"a": 1})
            assert response.status_code == 403, method
        assert not XapiDocument.objects.exists()

    def test_wrong_secret_is_401(self, api, world):
        from .conftest import basic

        response = call(api, "GET", state_url(world), basic("lrs_nope", "salah"))

        assert response.status_code == 401


class StateBadInputTests:
    @pytest.mark.parametrize(
        ("params", "problem"),
        [
            ({"agent": "{not json"}, "Agent as JSON"),
            ({"agent": '{"name": "Tanpa identitas"}'}, "exactly one identifier"),
            ({"agent": '{"mbox": "budi@contoh.go.id"}'}, "mailto:"),
            ({"activityId": "bukan iri"}, "absolute IRI"),
            ({"registration": "bukan-uuid"}, "UUID"),
            ({"activityId": ""}, "activityId parameter is required"),
            ({"stateId": "x" * 300}, "at most 255"),
        ],
    )
    def test_bad_parameters_are_400_and_nothing_is_stored(self, api, world, params, problem):
        import json
        import urllib.parse

        query = {
            "activityId": ACTIVITY,
            "agent": json.dumps(agent_of(world.learner)),
            "stateId": "s",
            **params,
        }
        address = "/xapi/activities/state?" + urllib.parse.urlencode(query)

        response = call(api, "PUT", address, world.writer, {"a": 1})

        assert response.status_code == 400
        assert problem in response.json()["error"]
        assert not XapiDocument.objects.exists()

    def test_invalid_json_sent_as_json_is_400(self, api, world):
        response = call(api, "PUT", state_url(world, stateId="s"), world.writer, "{rusak")

        assert response.status_code == 400
        assert not XapiDocument.objects.exists()

    def test_too_large_document_is_413(self, api, world, settings):
        settings.LRS_DOCUMENT_MAX_BYTES = 100
        body = {"teks": "x" * 200}

        response = call(api, "PUT", state_url(world, stateId="s"), world.writer, body)

        assert response.status_code == 413
        assert not XapiDocument.objects.exists()

    def test_large_document_goes_to_file_storage(self, api, world, settings, tmp_path):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(tmp_path)},
            },
        }
        body = {"teks": "x" * (70 * 1024)}
        address = state_url(world, stateId="besar")

        assert call(api, "PUT", address, world.writer, body).status_code == 204

        row = XapiDocument.objects.get()
        assert row.body is None and row.file.name
        assert call(api, "GET", address, world.writer).json() == body
        call(api, "PUT", address, world.writer, {"kecil": True})
        row.refresh_from_db()
        assert not row.file and bytes(row.body) == b'{"kecil": true}'


class StateHeadAndPreconditionTests:
    def test_head_answers_the_etag(self, api, world):
        address = state_url(world, stateId="s")
        call(api, "PUT", address, world.writer, {"a": 1})

        response = call(api, "HEAD", address, world.writer)

        assert response.status_code == 200
        assert response["ETag"] == f'"{XapiDocument.objects.get().etag}"'

    def test_state_honours_if_match_when_sent(self, api, world):
        address = state_url(world, stateId="s")
        call(api, "PUT", address, world.writer, {"a": 1})

        stale = call(api, "PUT", address, world.writer, {"a": 2}, HTTP_IF_MATCH='"beda"')

        assert stale.status_code == 412
        assert call(api, "GET", address, world.writer).json() == {"a": 1}


class AdminListTests:
    def test_admin_lists_documents_without_n_plus_one(
        self, api, world, admin_client, django_assert_max_num_queries
    ):
        for n in range(5):
            call(api, "PUT", state_url(world, stateId=f"s{n}"), world.writer, {"n": n})

        with django_assert_max_num_queries(12):
            response = admin_client.get("/django-admin/lrs_documents/xapidocument/")

        assert response.status_code == 200
        assert b"s4" in response.content
