"""Who may read and write: Basic credentials per client (city-scoped, read and/or write),
the session of the platform's own users, CSRF for sessions only, the admin command."""

import base64
import hashlib
import json
import uuid

import pytest
from django.core.management import call_command
from django.test import Client

from lms.lrs.models import XapiClient
from lms.records.models import Statement
from tests.factories import LearnerFactory, city_admin, national_admin
from tests.lms.lrs.conftest import VERSION, Lrs, make_client, statement


class BasicAuthTests:
    def test_no_credentials_is_401_with_a_challenge(self, writer):
        response = Lrs(None).get()
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="xapi"'

    def test_the_platforms_pages_get_no_challenge(self, writer):
        # Their fetch() sends the CSRF header; a challenge would open a password dialog.
        response = Lrs(None).get(HTTP_X_CSRFTOKEN="x")
        assert response.status_code == 401
        assert "WWW-Authenticate" not in response

    def test_a_wrong_secret_is_401(self, writer):
        writer.secret = "wrong"
        assert Lrs(writer).get().status_code == 401
        assert Lrs(writer).post(statement()).status_code == 401
        assert Statement.objects.count() == 0

    def test_an_unknown_key_or_a_malformed_header_is_401(self, lrs):
        lrs.credentials.key = "lrs_unknown"
        assert lrs.get().status_code == 401
        assert lrs.get(HTTP_AUTHORIZATION="Basic !!!").status_code == 401
        assert lrs.get(HTTP_AUTHORIZATION="Bearer x").status_code == 401

    def test_an_inactive_client_is_401(self, lrs, writer):
        writer.client.active = False
        writer.client.save()
        assert lrs.get().status_code == 401

    def test_a_read_only_client_cannot_write(self, city):
        reader = Lrs(make_client(city=city, read=True, write=False))
        response = reader.post(statement())
        assert response.status_code == 403
        assert Statement.objects.count() == 0
        assert reader.get().status_code == 200

    def test_a_write_only_client_cannot_read(self, city):
        writer = Lrs(make_client(city=city, read=False, write=True))
        assert writer.post(statement()).status_code == 200
        assert writer.get().status_code == 403

    def test_the_secret_is_kept_as_a_sha256_digest_only(self, writer):
        client = XapiClient.objects.get(pk=writer.client.pk)
        assert client.secret_hash == hashlib.sha256(writer.secret.encode()).hexdigest()
        assert writer.secret not in json.dumps(list(XapiClient.objects.values()), default=str)

    def test_basic_requests_need_no_csrf_token(self, writer):
        http = Client(enforce_csrf_checks=True)
        response = http.post(
            "/xapi/statements",
            json.dumps(statement()),
            content_type="application/json",
            HTTP_AUTHORIZATION=writer.header,
            **VERSION,
        )
        assert response.status_code == 200


class CityScopeTests:
    def test_another_citys_client_cannot_read_this_citys_statements(self, lrs, other_city):
        data = statement()
        lrs.post(data)
        theirs = Lrs(make_client(city=other_city))
        assert theirs.get({"statementId": data["id"]}).status_code == 404
        assert theirs.get().json()["statements"] == []

    def test_a_national_client_reads_every_city(self, lrs, other_city):
        data = statement()
        lrs.post(data)
        Lrs(make_client(city=other_city)).post(statement())
        national = Lrs(make_client(city=None))
        assert national.get({"statementId": data["id"]}).status_code == 200
        assert len(national.get().json()["statements"]) == 2

    def test_a_city_client_does_not_map_actors_to_another_citys_learners(self, lrs, other_city):
        learner = LearnerFactory(city=other_city)
        data = statement(actor={"mbox": f"mailto:{learner.user.email}"})
        assert lrs.post(data).status_code == 200
        row = Statement.objects.get(pk=data["id"])
        assert row.learner is None
        assert row.city_id == lrs.credentials.client.city_id


class SessionTests:
    def _session(self, user) -> Client:
        http = Client()
        http.force_login(user)
        return http

    def test_a_learner_reads_only_their_own_statements(self, lrs, city):
        learner = LearnerFactory(city=city)
        mine = statement(actor={"mbox": f"mailto:{learner.user.email}"})
        lrs.post([mine, statement()])
        http = self._session(learner.user)
        response = http.get("/xapi/statements", **VERSION)
        assert response.status_code == 200
        assert [s["id"] for s in response.json()["statements"]] == [mine["id"]]
        other = LearnerFactory(city=city)
        response = self._session(other.user).get("/xapi/statements", **VERSION)
        assert response.json()["statements"] == []

    def test_a_city_admin_reads_their_city_only(self, lrs, city, other_city):
        data = statement()
        lrs.post(data)
        assert (
            self._session(city_admin(city))
            .get("/xapi/statements", {"statementId": data["id"]}, **VERSION)
            .status_code
            == 200
        )
        assert (
            self._session(city_admin(other_city))
            .get("/xapi/statements", {"statementId": data["id"]}, **VERSION)
            .status_code
            == 404
        )
        assert (
            self._session(national_admin())
            .get("/xapi/statements", {"statementId": data["id"]}, **VERSION)
            .status_code
            == 200
        )

    def test_a_session_post_needs_the_csrf_token(self, city):
        learner = LearnerFactory(city=city)
        http = Client(enforce_csrf_checks=True)
        http.force_login(learner.user)
        response = http.post("/xapi/statements", "[]", content_type="application/json", **VERSION)
        assert response.status_code == 403
        assert "CSRF" in response.json()["error"]

    def test_staff_without_a_learner_profile_cannot_write(self, city):
        http = self._session(city_admin(city))
        response = http.post(
            "/xapi/statements", json.dumps(statement()), content_type="application/json", **VERSION
        )
        assert response.status_code == 403


class CreateClientCommandTests:
    def test_prints_key_and_secret_once_and_stores_the_digest(self, city, capsys):
        call_command("create_xapi_client", "Articulate", "--city", city.slug, "--write")
        out = capsys.readouterr().out
        key = out.split("Key: ")[1].split()[0]
        secret = out.split("Secret: ")[1].split()[0]
        client = XapiClient.objects.get(key=key)
        assert client.city == city and client.can_write and not client.can_read
        assert client.check_secret(secret)
        header = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        response = Client().post(
            "/xapi/statements",
            json.dumps(statement()),
            content_type="application/json",
            HTTP_AUTHORIZATION=header,
            **VERSION,
        )
        assert response.status_code == 200

    def test_no_scope_flag_means_read_only_and_no_city_means_national(self, db, capsys):
        call_command("create_xapi_client", "Gudang data")
        client = XapiClient.objects.get()
        assert client.can_read and not client.can_write and client.city is None

    def test_an_unknown_city_is_an_error(self, db):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError):
            call_command("create_xapi_client", "X", "--city", "atlantis")
        assert not XapiClient.objects.exists()


def test_statement_ids_of_uuid_case_are_kept(lrs):
    data = statement()
    data["id"] = str(uuid.uuid4()).upper()
    response = lrs.post(data)
    assert response.status_code == 200
