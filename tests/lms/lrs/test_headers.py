"""Versions and headers: X-Experience-API-Version required and always answered,
Content-Type always set, CORS for configured origins, the alternate request syntax."""

import json
import uuid
from urllib.parse import urlencode

import pytest

from lms.records.models import Statement
from tests.lms.lrs.conftest import statement


class VersionTests:
    def test_a_missing_version_is_400(self, lrs):
        response = lrs.get(HTTP_X_EXPERIENCE_API_VERSION="")
        assert response.status_code == 400
        assert "X-Experience-API-Version" in response.json()["error"]

    @pytest.mark.parametrize("version", ["0.95", "1.1.0", "2.0.0", "1.0.x"])
    def test_an_unsupported_version_is_400(self, lrs, version):
        response = lrs.post(statement(), HTTP_X_EXPERIENCE_API_VERSION=version)
        assert response.status_code == 400
        assert Statement.objects.count() == 0

    @pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.1", "1.0.3"])
    def test_every_1_0_version_is_accepted(self, lrs, version):
        assert lrs.get(HTTP_X_EXPERIENCE_API_VERSION=version).status_code == 200

    def test_every_answer_carries_the_version_and_a_content_type(self, lrs):
        data = statement()
        answers = [
            lrs.post(data),
            lrs.put(statement(with_id=False), str(uuid.uuid4())),
            lrs.get(),
            lrs.get({"statementId": str(uuid.uuid4())}),
            lrs.get(HTTP_X_EXPERIENCE_API_VERSION=""),
            lrs.http.delete("/xapi/statements", **lrs._headers({})),
        ]
        assert [a.status_code for a in answers] == [200, 204, 200, 404, 400, 405]
        for answer in answers:
            assert answer["X-Experience-API-Version"] == "1.0.3"
            assert answer["Content-Type"]


class CorsTests:
    def test_preflight_for_a_configured_origin(self, lrs, settings):
        settings.XAPI_CORS_ORIGINS = ["https://tool.example"]
        response = lrs.http.options(
            "/xapi/statements",
            HTTP_ORIGIN="https://tool.example",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        )
        assert response.status_code == 204
        assert response["Access-Control-Allow-Origin"] == "https://tool.example"
        assert "Authorization" in response["Access-Control-Allow-Headers"]
        assert "X-Experience-API-Version" in response["Access-Control-Allow-Headers"]

    def test_answers_name_a_configured_origin_only(self, lrs, settings):
        settings.XAPI_CORS_ORIGINS = ["https://tool.example"]
        allowed = lrs.get(HTTP_ORIGIN="https://tool.example")
        assert allowed["Access-Control-Allow-Origin"] == "https://tool.example"
        assert "X-Experience-API-Consistent-Through" in allowed["Access-Control-Expose-Headers"]
        other = lrs.get(HTTP_ORIGIN="https://evil.example")
        assert "Access-Control-Allow-Origin" not in other


class AlternateSyntaxTests:
    def _post(self, lrs, method, form, query=None):
        path = "/xapi/statements?" + urlencode({"method": method, **(query or {})})
        return lrs.http.post(
            path, urlencode(form), content_type="application/x-www-form-urlencoded"
        )

    def test_put_through_post_with_headers_in_the_form(self, lrs):
        data = statement(with_id=False)
        statement_id = str(uuid.uuid4())
        response = self._post(
            lrs,
            "PUT",
            {
                "statementId": statement_id,
                "content": json.dumps(data),
                "Authorization": lrs.credentials.header,
                "X-Experience-API-Version": "1.0.3",
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 204, response.content
        assert Statement.objects.filter(pk=statement_id).exists()

    def test_get_through_post(self, lrs):
        data = statement()
        lrs.post(data)
        response = self._post(
            lrs,
            "GET",
            {
                "statementId": data["id"],
                "Authorization": lrs.credentials.header,
                "X-Experience-API-Version": "1.0.3",
            },
        )
        assert response.status_code == 200
        assert response.json()["id"] == data["id"]

    def test_other_query_parameters_are_400(self, lrs):
        response = self._post(
            lrs,
            "GET",
            {"Authorization": lrs.credentials.header, "X-Experience-API-Version": "1.0.3"},
            query={"limit": "1"},
        )
        assert response.status_code == 400

    def test_an_unknown_method_is_400(self, lrs):
        response = self._post(lrs, "PATCH", {"X-Experience-API-Version": "1.0.3"})
        assert response.status_code == 400

    def test_credentials_are_still_required(self, lrs):
        response = self._post(lrs, "GET", {"X-Experience-API-Version": "1.0.3"})
        assert response.status_code == 401
