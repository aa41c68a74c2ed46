"""Answers survive a failed send: the H5P statement endpoint is blocked (as when the
network drops or the server answers 503), the statement waits in the browser with a
notice, and once the endpoint answers again it is delivered exactly once."""

import json

import pytest

from tests.browser import test_quiz_browser
from tests.browser.test_h5p_player import _ensure_relay, _make_lesson, _open_lesson
from tests.browser.test_quiz_browser import _log_in

# The quiz browser test's lesson fixture, shared.
quiz_lesson = test_quiz_browser.quiz_lesson

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


class QuizAnswerResendTests:
    def test_an_answer_the_server_could_not_take_is_kept_and_saved_on_the_next_load(
        self, quiz_lesson, live_server, page
    ):
        lesson = quiz_lesson
        problems = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        _log_in(page, lesson.nip)
        page.goto(lesson.url)
        with page.expect_navigation():
            page.locator(".block-quiz a.button").click()
        with page.expect_navigation():
            page.locator("[data-quiz-start]").click()
        answer_path = page.get_attribute("[data-quiz-attempt]", "data-answer-url")
        outbox_key = "asn-lms:quiz-outbox:" + answer_path

        # The database is down: every save answers 503.
        page.route(
            lambda url: url.endswith(answer_path),
            lambda route: route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": "down", "code": "service_unavailable"}',
                headers={"Retry-After": "30"},
            ),
        )
        question = page.locator("[data-question='1']")
        question.locator("label.quiz-option", has_text="Benar").click()
        question.locator(".quiz-status.error").wait_for()
        notice = page.locator("[data-kept-notice]")
        notice.wait_for(state="visible")
        assert "Jawaban disimpan di perangkat ini dan akan dikirim ulang" in notice.inner_text()
        kept = json.loads(page.evaluate(f"() => localStorage.getItem('{outbox_key}')"))
        assert list(kept["answers"]) == ["1"]

        # Back up. The next load puts the answer back into the form and saves it.
        page.unroute_all()
        page.reload()
        page.locator("[data-question='1'] .quiz-status.ok").wait_for()
        page.wait_for_function(f"() => localStorage.getItem('{outbox_key}') === null")
        assert not notice.is_visible()
        # Now from the server, not the device: the answer is there after another reload.
        page.reload()
        checked = page.locator("[data-question='1'] input[type=radio]:checked")
        assert checked.count() == 1
        assert "Benar" in checked.locator("xpath=..").inner_text()
        assert problems == []
