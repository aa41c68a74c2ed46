"""GET /xapi/statements filters and StatementRefs (xAPI 1.0.3, Communication 2.1.3): a
statement targeting a matching statement is returned too, one level deep; since and until
hold to the targeting statement."""

import datetime
import json

from django.utils import timezone

from lms.records.models import Statement
from tests.lms.lrs.conftest import Lrs, agent, make_client, statement

ATTEMPTED = "http://adlnet.gov/expapi/verbs/attempted"
COMMENTED = "http://adlnet.gov/expapi/verbs/commented"
ACTIVITY = "https://tool.example/activities/ujian"


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {s["id"] for s in response.json()["statements"]}


def ref(target: dict, **extra) -> dict:
    return statement(
        actor=agent(9),
        verb=COMMENTED,
        object={"objectType": "StatementRef", "id": target["id"]},
        **extra,
    )


class StatementRefFilterTests:
    def test_a_statement_targeting_a_match_is_returned_one_level_deep(self, lrs):
        target = statement(actor=agent(1), verb=ATTEMPTED, activity=ACTIVITY)
        comment = ref(target)
        reply = ref(comment)  # targets the comment, which matches only through its target
        unrelated = statement(actor=agent(2))
        assert lrs.post([target, comment, reply, unrelated]).status_code == 200

        expected = {target["id"], comment["id"]}
        assert ids(lrs.get({"verb": ATTEMPTED})) == expected
        assert ids(lrs.get({"activity": ACTIVITY})) == expected
        assert ids(lrs.get({"agent": json.dumps(agent(1))})) == expected
        # The targeting statement's own properties still match as usual.
        assert ids(lrs.get({"verb": COMMENTED})) == {comment["id"], reply["id"]}
        # Without a property filter every statement is returned anyway, once.
        everything = lrs.get({}).json()["statements"]
        assert len(everything) == 4

    def test_the_target_id_is_found_in_any_letter_case(self, lrs):
        target = statement(verb=ATTEMPTED)
        shouting = statement(
            actor=agent(9),
            verb=COMMENTED,
            object={"objectType": "StatementRef", "id": target["id"].upper()},
        )
        assert lrs.post([target, shouting]).status_code == 200

        assert ids(lrs.get({"verb": ATTEMPTED})) == {target["id"], shouting["id"]}

    def test_since_and_until_hold_to_the_targeting_statement(self, lrs):
        target = statement(verb=ATTEMPTED)
        lrs.post(target)
        an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
        Statement.objects.filter(pk=target["id"]).update(stored_at=an_hour_ago)
        comment = ref(target)
        lrs.post(comment)
        half_an_hour_ago = (an_hour_ago + datetime.timedelta(minutes=30)).isoformat()

        assert ids(lrs.get({"verb": ATTEMPTED, "since": half_an_hour_ago})) == {comment["id"]}
        assert ids(lrs.get({"verb": ATTEMPTED, "until": half_an_hour_ago})) == {target["id"]}

    def test_a_voided_target_matches_nothing(self, lrs):
        target = statement(verb=ATTEMPTED)
        comment = ref(target)
        lrs.post([target, comment])
        voiding = statement(
            actor=agent(1),
            verb="http://adlnet.gov/expapi/verbs/voided",
            object={"objectType": "StatementRef", "id": target["id"]},
        )
        assert lrs.post(voiding).status_code == 200

        assert ids(lrs.get({"verb": ATTEMPTED})) == set()

    def test_another_citys_targeting_statement_is_not_returned(self, lrs, other_city):
        target = statement(verb=ATTEMPTED)
        lrs.post(target)
        sorong = Lrs(make_client(city=other_city))
        assert sorong.post(ref(target)).status_code == 200

        assert ids(lrs.get({"verb": ATTEMPTED})) == {target["id"]}
        assert ids(sorong.get({"verb": ATTEMPTED})) == set()

    def test_paging_walks_targets_and_targeting_statements(self, lrs):
        targets = [statement(verb=ATTEMPTED) for _ in range(3)]
        comments = [ref(target) for target in targets]
        lrs.post(targets + comments)

        seen = []
        response = lrs.get({"verb": ATTEMPTED, "limit": 4})
        seen += [s["id"] for s in response.json()["statements"]]
        more = response.json()["more"]
        assert more
        response = lrs.http.get(more, **lrs._headers({}))
        seen += [s["id"] for s in response.json()["statements"]]

        assert sorted(seen) == sorted(s["id"] for s in targets + comments)
        assert response.json()["more"] == ""

    def test_a_filtered_page_costs_few_queries(self, lrs, django_assert_max_num_queries):
        lrs.post([statement(verb=ATTEMPTED) for _ in range(5)])
        with django_assert_max_num_queries(6):
            assert len(ids(lrs.get({"verb": ATTEMPTED}))) == 5
