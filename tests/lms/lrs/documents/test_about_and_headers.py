"""/xapi/about, the version header, CORS preflight and the alternate request syntax on the
document resources."""

import json
import urllib.parse

import pytest
from django.test import override_settings

from lms.lrs.documents.models import XapiDocument

from .conftest import ACTIVITY, agent_of, call, url

pytestmark = pytest.mark.django_db


class AboutTests:
    def test_about_lists_versions_without_version_header_or_credentials(self, api):
        response = api.get("/xapi/about")

        assert response.status_code == 200
        body = response.json()
        assert body["version"][0] == "1.0.3"
        assert "1.0.2" in body["version"]
        assert body["extensions"] == {}
        assert response["X-Experience-API-Version"] == "1.0.3"

    def test_about_refuses_writes(self, api):
        assert api.post("/xapi/about").status_code == 405


class VersionHeaderTests:
    def test_documents_need_the_version_header(self, api, world):
        address = url("activities/state", activityId=ACTIVITY, agent=agent_of(world.learner))

        response = api.get(address, HTTP_AUTHORIZATION=world.writer)

        assert response.status_code == 400
        assert "X-Experience-API-Version" in response.json()["error"]

    def test_another_version_is_refused(self, api, world):
        address = url("agents/profile", agent=agent_of(world.learner))

        response = call(api, "GET", address, world.writer, HTTP_X_EXPERIENCE_API_VERSION="0.95")

        assert response.status_code == 400


class CorsTests:
    @override_settings(XAPI_CORS_ORIGINS=["https://konten.contoh.go.id"])
    def test_preflight_of_a_configured_origin(self, api):
        response = api.options(
            "/xapi/activities/state",
            HTTP_ORIGIN="https://konten.contoh.go.id",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
        )

        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == "https://konten.contoh.go.id"
        assert "PUT" in response["Access-Control-Allow-Methods"]
        assert "If-Match" in response["Access-Control-Allow-Headers"]

    @override_settings(XAPI_CORS_ORIGINS=["https://konten.contoh.go.id"])
    def test_other_origins_get_no_cors_headers(self, api):
        response = api.options("/xapi/agents/profile", HTTP_ORIGIN="https://jahat.example")

        assert "Access-Control-Allow-Origin" not in response


class AlternateSyntaxTests:
    def test_put_and_get_through_form_posts(self, api, world):
        params = {
            "activityId": ACTIVITY,
            "agent": json.dumps(agent_of(world.learner)),
            "stateId": "bookmark",
        }
        form = {
            **params,
            "Authorization": world.writer,
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
            "content": json.dumps({"halaman": 3}),
        }

        response = api.post(
            "/xapi/activities/state?method=PUT",
            data=urllib.parse.urlencode(form),
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 204, response.content
        row = XapiDocument.objects.get()
        assert row.content_type == "application/json"
        form = {**params, "Authorization": world.writer, "X-Experience-API-Version": "1.0.3"}
        response = api.post(
            "/xapi/activities/state?method=GET",
            data=urllib.parse.urlencode(form),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        assert response.json() == {"halaman": 3}
        assert response["ETag"] == f'"{row.etag}"'
