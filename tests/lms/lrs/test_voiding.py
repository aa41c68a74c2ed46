"""Voiding: the voided statement leaves queries and statementId, stays readable through
voidedStatementId; the voiding statement itself is an ordinary statement."""

import uuid

from lms.records.models import Statement
from tests.lms.lrs.conftest import Lrs, make_client, statement

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def voiding(target_id) -> dict:
    return statement(verb=VOIDED, object={"objectType": "StatementRef", "id": str(target_id)})


class VoidingTests:
    def test_a_voided_statement_is_hidden_but_kept(self, lrs):
        target = statement()
        lrs.post(target)
        void = voiding(target["id"])
        assert lrs.post(void).status_code == 200
        assert Statement.objects.get(pk=target["id"]).voided
        assert lrs.get({"statementId": target["id"]}).status_code == 404
        response = lrs.get({"voidedStatementId": target["id"]})
        assert response.status_code == 200
        assert response.json()["id"] == target["id"]
        listed = [s["id"] for s in lrs.get().json()["statements"]]
        assert listed == [void["id"]]

    def test_voided_statement_id_of_a_statement_that_is_not_voided_is_404(self, lrs):
        data = statement()
        lrs.post(data)
        assert lrs.get({"voidedStatementId": data["id"]}).status_code == 404

    def test_a_voiding_statement_cannot_be_voided(self, lrs):
        target = statement()
        void = voiding(target["id"])
        lrs.post([target, void])
        response = lrs.post(voiding(void["id"]))
        assert response.status_code == 400
        assert not Statement.objects.get(pk=void["id"]).voided

    def test_voiding_an_unknown_statement_is_accepted(self, lrs):
        assert lrs.post(voiding(uuid.uuid4())).status_code == 200

    def test_another_citys_statement_cannot_be_voided(self, lrs, other_city):
        theirs = Lrs(make_client(city=other_city))
        target = statement()
        theirs.post(target)
        assert lrs.post(voiding(target["id"])).status_code == 200
        assert not Statement.objects.get(pk=target["id"]).voided
        assert theirs.get({"statementId": target["id"]}).status_code == 200

    def test_a_retried_voiding_statement_changes_nothing(self, lrs):
        target = statement()
        lrs.post(target)
        void = voiding(target["id"])
        assert lrs.post(void).status_code == 200
        assert lrs.post(void).status_code == 200
        assert Statement.objects.filter(voided=True).count() == 1
