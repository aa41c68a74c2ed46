"""Answers survive a failed send: the H5P statement endpoint is blocked (as when the
network drops or the server answers 503), the statement waits in the browser with a
notice, and once the endpoint answers again it is delivered exactly once."""

import json

import pytest

from tests.browser.test_h5p_player import _ensure_relay, _make_lesson, _open_lesson

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OUTBOX = "asn-lms:xapi-outbox"


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="id-ID"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def outbox(page) -> list[dict]:
    return json.loads(page.evaluate(f"() => localStorage.getItem('{OUTBOX}') || '[]'"))


class StatementResendTests:
    def test_a_blocked_statement_is_kept_and_delivered_once_later(self, live_server, page):
        from lms.records.models import Statement

        lesson = _make_lesson("true-false.h5p")
        problems = _open_lesson(page, lesson)
        attempts = []

        def refuse(route):
            attempts.append(route.request.method)
            route.abort("internetdisconnected")

        page.route("**/xapi/statements", refuse)
        frame = page.frame_locator(".h5p-mount iframe")
        frame.locator(".h5p-true-false-answer").first.click()
        frame.locator(".h5p-question-check-answer").first.click()

        notice = page.locator("[data-kept-notice]")
        notice.wait_for(state="visible")
        assert "Jawaban disimpan di perangkat ini dan akan dikirim ulang" in notice.inner_text()
        kept = [s for s in outbox(page) if s["verb"]["id"].endswith("/answered")]
        assert len(kept) == 1
        statement_id = kept[0]["id"]
        assert attempts
        assert not Statement.objects.filter(id=statement_id).exists()

        # The endpoint is back; the next page load sends what was kept.
        page.unroute("**/xapi/statements")
        with page.expect_response(
            lambda r: (
                r.url.endswith("/xapi/statements") and statement_id in (r.request.post_data or "")
            )
        ) as delivered:
            page.reload()
            _ensure_relay(page, lesson)
        assert delivered.value.status == 200
        page.wait_for_function(f"() => (localStorage.getItem('{OUTBOX}') || '[]') === '[]'")
        assert not page.locator("[data-kept-notice]").is_visible()
        # Delivered once, however often the browser tried; a resend is stored once.
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        assert Statement.objects.filter(id=statement_id).count() == 1
        assert problems == []
