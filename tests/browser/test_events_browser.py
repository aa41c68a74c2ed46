"""Events in a browser, on a phone: a learner finds a workshop in the event list, registers,
checks in with the session code the organiser shows, and sees the JP on Beranda."""

import datetime

import pytest
from django.utils import timezone

from courses.models import LearningForm
from lms.events import services
from lms.events.models import Event, EventSession
from tests.factories import CityFactory, LearnerFactory

PASSWORD = "rahasia-acara-1"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def workshop(live_server):
    city = CityFactory(name="Kota Bukittinggi", slug="bukittinggi")
    learner = LearnerFactory(city=city, full_name="Nurul Hidayat", password=PASSWORD)
    now = timezone.now()
    event = Event.objects.create(
        city=city,
        title="Lokakarya Layanan Publik Digital",
        learning_form=LearningForm.WORKSHOP,
        place="Aula BKPSDM",
        capacity=20,
        registration_opens_at=now - datetime.timedelta(days=1),
        registration_closes_at=now + datetime.timedelta(days=1),
    )
    # A three-hour session (4 JP) starting now, so its code is current.
    session = EventSession.objects.create(
        event=event, starts_at=now, ends_at=now + datetime.timedelta(hours=3)
    )
    return {"learner": learner, "event": event, "session": session}


class EventWalkTests:
    def test_learner_registers_checks_in_and_sees_the_jp_on_home(
        self, workshop, live_server, browser, results_dir
    ):
        learner, event = workshop["learner"], workshop["event"]
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="id-ID"
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/akun/masuk/")
        page.locator("#id_username").fill(learner.nip)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url("**/beranda/")

        page.goto("/acara/")
        page.get_by_role("link", name=event.title).click()
        page.wait_for_url(f"**/acara/{event.key}/")
        page.locator(f'form[action="/acara/{event.key}/daftar/"] button').click()
        page.locator(".messages").wait_for()
        assert page.locator(".event-status").get_attribute("data-status") == "confirmed"
        page.screenshot(path=results_dir / "acara-360.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

        # The organiser shows the session's code; the learner types it in.
        code = services.checkin_code(workshop["session"])
        page.locator(f'a[href="/acara/{event.key}/hadir/"]').click()
        page.locator("#id_code").fill("kode-salah")
        page.locator("form button[type=submit]").last.click()
        assert page.locator("#code-errors").is_visible()
        page.locator("#id_code").fill(code)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(f"**/acara/{event.key}/")
        assert page.locator(".event-credited").get_attribute("data-jp") == "4"

        page.goto("/beranda/")
        assert page.locator(".jp-total strong").inner_text().startswith("4 ")
        assert event.title in page.locator("#completed-heading + ul").inner_text()
        page.screenshot(path=results_dir / "beranda-acara-360.png", full_page=True)
        context.close()
