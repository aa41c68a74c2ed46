"""Paging through ``more``: every statement once, stable while new ones arrive, the
cursor cannot be forged."""

from tests.lms.lrs.conftest import statement


def follow(lrs, response):
    body = response.json()
    seen = [s["id"] for s in body["statements"]]
    while body["more"]:
        response = lrs.get(
            path=body["more"].split("?")[0], params={"more": body["more"].split("more=", 1)[1]}
        )
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [s["id"] for s in body["statements"]]
    return seen


class PagingTests:
    def test_more_walks_every_statement_once_in_order(self, lrs):
        batch = [statement() for _ in range(7)]
        lrs.post(batch)
        seen = follow(lrs, lrs.get({"limit": "3"}))
        assert sorted(seen) == sorted(s["id"] for s in batch)
        assert len(seen) == 7

    def test_the_more_link_is_a_relative_url_that_keeps_the_filters(self, lrs):
        lrs.post([statement() for _ in range(3)])
        lrs.post([statement(activity="https://tool.example/x") for _ in range(3)])
        first = lrs.get({"activity": "https://tool.example/x", "limit": "2"}).json()
        assert first["more"].startswith("/xapi/statements?more=")
        response = lrs.http.get(first["more"], **lrs._headers({}))
        rest = response.json()["statements"]
        assert len(rest) == 1
        assert rest[0]["object"]["id"] == "https://tool.example/x"

    def test_statements_stored_after_the_first_page_do_not_shift_the_pages(self, lrs):
        old = [statement() for _ in range(4)]
        lrs.post(old)
        first = lrs.get({"limit": "2"})
        lrs.post([statement() for _ in range(3)])
        body = first.json()
        seen = [s["id"] for s in body["statements"]]
        response = lrs.http.get(body["more"], **lrs._headers({}))
        seen += [s["id"] for s in response.json()["statements"]]
        assert sorted(seen) == sorted(s["id"] for s in old)

    def test_ascending_pages(self, lrs):
        batch = [statement() for _ in range(5)]
        for item in batch:
            lrs.post(item)
        seen = follow(lrs, lrs.get({"limit": "2", "ascending": "true"}))
        assert seen == [s["id"] for s in batch]

    def test_a_forged_more_is_400(self, lrs):
        assert lrs.get({"more": "abc"}).status_code == 400

    def test_more_with_other_parameters_is_400(self, lrs):
        lrs.post([statement() for _ in range(3)])
        token = lrs.get({"limit": "1"}).json()["more"].split("more=", 1)[1]
        assert lrs.get({"more": token, "limit": "5"}).status_code == 400
