"""Every error of the API is JSON with a message, in the caller's language, without a
traceback: 401, 403, 404, 405, 422 and unexpected failures (500)."""

import datetime

import pytest
from django.utils import timezone

from lms.api import tokens
from lms.api.models import ApiToken
from tests.lms.api.conftest import API, assert_error, bearer, get

pytestmark = pytest.mark.django_db


class AuthenticationTests:
    def test_no_credentials_is_401(self, client, world):
        response = get(client, "/courses")
        body = assert_error(response, 401)
        assert "Bearer" in body["message"]
        assert response["WWW-Authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "value",
        ["asn_0123456789_notthesecret", "nonsense", "asn__", "asn_0123456789_" + "x" * 500],
    )
    def test_an_unknown_token_is_401(self, client, world, jakarta_token, value):
        assert_error(get(client, "/courses", value), 401)

    def test_a_revoked_token_is_401_even_with_a_session(
        self, client, world, jakarta_admin, jakarta_token
    ):
        assert get(client, "/courses", jakarta_token).status_code == 200
        token = ApiToken.objects.get()
        tokens.token_revoke(by=jakarta_admin, token=token)
        assert_error(get(client, "/courses", jakarta_token), 401)
        client.force_login(jakarta_admin)  # a session does not rescue a bad bearer value
        assert_error(get(client, "/courses", jakarta_token), 401)

    def test_a_token_stops_when_its_creator_may_no_longer_manage_the_city(
        self, client, world, jakarta_admin, jakarta_token
    ):
        jakarta_admin.is_active = False
        jakarta_admin.save(update_fields=["is_active"])
        assert_error(get(client, "/courses", jakarta_token), 401)

    def test_last_used_is_written_at_most_once_a_minute(self, client, world, jakarta_token):
        token = ApiToken.objects.get()
        assert token.last_used_at is None
        get(client, "/cities", jakarta_token)
        token.refresh_from_db()
        first = token.last_used_at
        assert first is not None
        get(client, "/cities", jakarta_token)
        token.refresh_from_db()
        assert token.last_used_at == first
        earlier = timezone.now() - datetime.timedelta(minutes=2)
        ApiToken.objects.update(last_used_at=earlier)
        get(client, "/cities", jakarta_token)
        token.refresh_from_db()
        assert token.last_used_at > earlier

    def test_tokens_get_indonesian_by_default(self, id_client, world, jakarta_token):
        response = id_client.get(f"{API}/cities", **bearer(jakarta_token))
        assert response.status_code == 200
        assert response["Content-Language"] == "id"


class ErrorShapeTests:
    def test_unknown_api_address_is_a_json_404(self, client, world, jakarta_token):
        for path in ("/nope", "/courses/", "/", "/cities/jakarta/report/extra"):
            body = assert_error(get(client, path, jakarta_token), 404)
            assert "/api/docs" in body["message"]

    def test_a_wrong_method_is_a_json_405(self, client, world, jakarta_token):
        response = client.delete(f"{API}/courses", **bearer(jakarta_token))
        assert_error(response, 405)
        assert "GET" in response["Allow"]
        response = client.get(
            f"{API}/cities/jakarta/mandatory-assignments", **bearer(jakarta_token)
        )
        assert_error(response, 405)

    def test_bad_query_values_are_422_with_the_field(self, client, world, jakarta_token):
        body = assert_error(get(client, "/me/jp", jakarta_token, year="abc"), 422)
        assert body["errors"] == [{"field": "year", "message": "Write a whole number."}]
        body = assert_error(get(client, "/team", jakarta_token, year="1800"), 422)
        assert body["errors"] == [{"field": "year", "message": "Write a number of at least 2000."}]
        body = assert_error(
            get(client, "/cities/jakarta/completions", jakarta_token, year="2026x"), 422
        )
        assert body["errors"][0]["field"] == "year"

    def test_a_body_that_is_not_json_is_400(self, client, world, jakarta_write_token):
        response = client.post(
            f"{API}/cities/jakarta/mandatory-assignments",
            "{not json",
            content_type="application/json",
            **bearer(jakarta_write_token),
        )
        assert assert_error(response, 400)["message"] == (
            "The request body is not valid JSON; send a JSON object."
        )

    def test_an_unexpected_failure_is_a_json_500_without_traceback(
        self, client, world, jakarta_token, monkeypatch
    ):
        from lms.api import selectors

        def broken(caller):
            raise RuntimeError("secret internals")

        monkeypatch.setattr(selectors, "cities_for", broken)
        response = get(client, "/cities", jakarta_token)
        body = assert_error(response, 500)
        assert "secret internals" not in response.content.decode()
        assert "Traceback" not in response.content.decode()
        assert body["message"].startswith("Something went wrong")


class DocsTests:
    def test_the_schema_lists_every_endpoint(self, client, db):
        response = client.get(f"{API}/openapi.json")
        assert response.status_code == 200
        schema = response.json()
        assert set(schema["paths"]) == {
            f"{API}/courses",
            f"{API}/curricula",
            f"{API}/me/progress",
            f"{API}/me/jp",
            f"{API}/team",
            f"{API}/cities",
            f"{API}/cities/{{slug}}/report",
            f"{API}/cities/{{slug}}/completions",
            f"{API}/cities/{{slug}}/mandatory-assignments",
        }
        assert set(schema["components"]["securitySchemes"]) == {"TokenAuth", "SessionAuth"}

    def test_the_docs_page_uses_local_static_files_only(self, client, db):
        response = client.get("/api/docs")
        assert response.status_code == 200
        html = response.content.decode()
        assert "/static/ninja/swagger-ui-bundle.js" in html
        assert "cdn" not in html.lower()
        assert f"{API}/openapi.json" in html
        assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
