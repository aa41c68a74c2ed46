"""PUT / POST / GET semantics of /xapi/statements for an external client."""

import uuid

from lms.records.models import Statement
from tests.lms.lrs.conftest import agent, statement


class PostTests:
    def test_a_single_statement_is_stored_and_answered_with_its_id(self, lrs, city, writer):
        data = statement()
        response = lrs.post(data)
        assert response.status_code == 200, response.content
        assert response.json() == [data["id"]]
        row = Statement.objects.get(pk=data["id"])
        assert row.learner is None
        assert row.city_id == city.pk
        assert row.client_id == writer.client.pk
        assert row.payload["actor"] == data["actor"]
        assert row.payload["authority"]["account"]["name"] == writer.key
        assert row.payload["version"] == "1.0.3"
        assert "stored" in row.payload and "timestamp" in row.payload

    def test_an_array_is_stored_and_ids_come_back_in_order(self, lrs):
        batch = [statement() for _ in range(3)]
        response = lrs.post(batch)
        assert response.status_code == 200
        assert response.json() == [s["id"] for s in batch]
        assert Statement.objects.count() == 3

    def test_a_statement_without_id_gets_one(self, lrs):
        response = lrs.post(statement(with_id=False))
        assert response.status_code == 200
        (new_id,) = response.json()
        assert Statement.objects.filter(pk=uuid.UUID(new_id)).exists()

    def test_the_same_statement_twice_is_stored_once(self, lrs):
        data = statement()
        assert lrs.post(data).status_code == 200
        first = Statement.objects.get(pk=data["id"]).stored_at
        assert lrs.post(data).status_code == 200
        assert Statement.objects.count() == 1
        assert Statement.objects.get(pk=data["id"]).stored_at == first

    def test_the_same_id_with_other_content_is_409_and_nothing_changes(self, lrs):
        data = statement()
        assert lrs.post(data).status_code == 200
        changed = {**data, "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"}}
        response = lrs.post([statement(), changed])
        assert response.status_code == 409
        assert Statement.objects.count() == 1
        assert Statement.objects.get(pk=data["id"]).verb.endswith("experienced")

    def test_an_invalid_statement_in_a_batch_stores_nothing(self, lrs):
        bad = statement()
        del bad["verb"]
        response = lrs.post([statement(), bad])
        assert response.status_code == 400
        assert "Statement 2" in response.json()["error"]
        assert Statement.objects.count() == 0

    def test_junk_is_400(self, lrs):
        assert lrs.post(b"{not json").status_code == 400
        assert lrs.post(b"x" * (600 * 1024)).status_code == 413
        assert Statement.objects.count() == 0

    def test_other_content_types_are_400(self, lrs):
        response = lrs.post(b"actor=x", content_type="text/plain")
        assert response.status_code == 400


class PutTests:
    def test_put_stores_with_the_given_id_and_answers_204(self, lrs):
        data = statement(with_id=False)
        statement_id = str(uuid.uuid4())
        response = lrs.put(data, statement_id)
        assert response.status_code == 204, response.content
        assert Statement.objects.filter(pk=statement_id).exists()

    def test_put_without_statement_id_is_400(self, lrs):
        response = lrs.http.put(
            "/xapi/statements",
            "{}",
            content_type="application/json",
            **lrs._headers({}),
        )
        assert response.status_code == 400
        assert "statementId" in response.json()["error"]

    def test_put_with_a_different_id_in_the_body_is_400(self, lrs):
        response = lrs.put(statement(), str(uuid.uuid4()))
        assert response.status_code == 400
        assert Statement.objects.count() == 0

    def test_put_twice_equal_is_204_different_is_409(self, lrs):
        data = statement()
        assert lrs.put(data, data["id"]).status_code == 204
        assert lrs.put(data, data["id"]).status_code == 204
        changed = {**data, "object": {"id": "https://tool.example/other"}}
        assert lrs.put(changed, data["id"]).status_code == 409

    def test_put_of_an_array_is_400(self, lrs):
        data = statement()
        assert lrs.put([data], data["id"]).status_code == 400


class GetTests:
    def test_get_by_statement_id_returns_the_statement_as_stored(self, lrs):
        data = statement(timestamp="2026-12-01T08:00:00+07:00")
        lrs.post(data)
        response = lrs.get({"statementId": data["id"]})
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == data["id"]
        assert body["timestamp"] == "2026-12-01T08:00:00+07:00"
        assert body["verb"] == data["verb"]
        assert response["X-Experience-API-Consistent-Through"]
        assert response["Last-Modified"]

    def test_an_unknown_id_is_404(self, lrs):
        assert lrs.get({"statementId": str(uuid.uuid4())}).status_code == 404

    def test_statement_id_with_other_filters_is_400(self, lrs):
        response = lrs.get({"statementId": str(uuid.uuid4()), "verb": "http://x.example/v"})
        assert response.status_code == 400

    def test_a_malformed_id_is_400(self, lrs):
        assert lrs.get({"statementId": "nope"}).status_code == 400

    def test_the_list_is_newest_first_with_an_empty_more(self, lrs):
        first, second = statement(), statement()
        lrs.post(first)
        lrs.post(second)
        response = lrs.get()
        assert response.status_code == 200
        body = response.json()
        assert [s["id"] for s in body["statements"]] == [second["id"], first["id"]]
        assert body["more"] == ""
        assert response["X-Experience-API-Consistent-Through"]

    def test_ascending(self, lrs):
        first, second = statement(), statement()
        lrs.post(first)
        lrs.post(second)
        body = lrs.get({"ascending": "true"}).json()
        assert [s["id"] for s in body["statements"]] == [first["id"], second["id"]]

    def test_unknown_parameters_are_400(self, lrs):
        assert lrs.get({"colour": "red"}).status_code == 400

    def test_format_ids_keeps_only_identifiers(self, lrs):
        data = statement(
            object={
                "objectType": "Activity",
                "id": "https://tool.example/a",
                "definition": {"name": {"en-US": "A"}},
            }
        )
        lrs.post(data)
        body = lrs.get({"statementId": data["id"], "format": "ids"}).json()
        assert body["actor"] == {"objectType": "Agent", "mbox": agent()["mbox"]}
        assert body["verb"] == {"id": data["verb"]["id"]}
        assert body["object"] == {"objectType": "Activity", "id": "https://tool.example/a"}

    def test_format_canonical_keeps_one_language(self, lrs):
        data = statement()
        data["verb"]["display"] = {"en-US": "experienced", "id-ID": "mengalami"}
        lrs.post(data)
        body = lrs.get(
            {"statementId": data["id"], "format": "canonical"}, HTTP_ACCEPT_LANGUAGE="id-ID"
        ).json()
        assert body["verb"]["display"] == {"id-ID": "mengalami"}

    def test_a_bad_format_is_400(self, lrs):
        assert lrs.get({"format": "pretty"}).status_code == 400

    def test_head_answers_headers_only(self, lrs):
        response = lrs.http.head("/xapi/statements", **lrs._headers({}))
        assert response.status_code == 200
        assert response.content == b""


class QueryBudgetTests:
    def test_a_batch_costs_a_fixed_number_of_queries_whatever_its_size(
        self, lrs, django_assert_max_num_queries
    ):
        lrs.get()  # the client's row is now cached, its last use written
        for size in (5, 50):
            batch = [
                statement(
                    actor=agent(n),
                    context={"contextActivities": {"parent": [{"id": "https://t.example/c"}]}},
                )
                for n in range(size)
            ]
            with django_assert_max_num_queries(6):
                assert lrs.post(batch).status_code == 200
