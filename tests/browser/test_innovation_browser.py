"""A judge scores a proposal on a phone; the public leaderboard stays closed until the city
admin publishes the results in the Wagtail admin, and then shows the proposal and its
score."""

import re
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.conf import settings

PASSWORD = "rahasia-uji-123"
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@dataclass(frozen=True)
class Setup:
    judge_nip: str
    admin_username: str
    competition_id: int
    proposal_id: int


@pytest.fixture
def judging_setup(live_server) -> Setup:
    # live_server first: it must start (and share the test database) before the browser.
    from tests.factories import AgencyFactory, CityFactory, LearnerFactory, city_admin
    from tests.lms.innovation.factories import make_competition, make_proposal, set_phase

    city = CityFactory(name="Kota Bukittinggi", slug="bukittinggi")
    dinkes = AgencyFactory(city=city, name="Dinas Kesehatan", code="DINKES")
    kominfo = AgencyFactory(city=city, name="Dinas Kominfo", code="KOMINFO")
    admin = city_admin(city)
    lead = LearnerFactory(city=city, agency=dinkes, password=PASSWORD, full_name="Rina Marlina")
    judge = LearnerFactory(city=city, agency=kominfo, password=PASSWORD, full_name="Juri Satu")
    competition = make_competition(city, judges=[judge.user], admin=admin)
    proposal = make_proposal(competition, lead, title="Antrean puskesmas daring")
    set_phase(competition, "judging")
    return Setup(
        judge_nip=judge.nip,
        admin_username=admin.username,
        competition_id=competition.pk,
        proposal_id=proposal.pk,
    )


class InnovationJudgingTests:
    def test_judge_scores_and_the_leaderboard_shows_it_only_after_publishing(
        self, judging_setup, browser, live_server, phone_page
    ):
        setup = judging_setup
        page = phone_page
        page.goto("/akun/masuk/")
        page.locator("#id_username").fill(setup.judge_nip)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/(?!akun/masuk/)"))

        page.goto("/inovasi/penilaian/")
        page.get_by_role("link", name="Antrean puskesmas daring").click()
        page.wait_for_url(re.compile(rf"/inovasi/penilaian/{setup.proposal_id}/$"))
        number_inputs = page.locator("main form input[type=number]")
        assert number_inputs.count() == 3
        for index, value in enumerate(["8", "7", "4"]):
            number_inputs.nth(index).fill(value)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/inovasi/penilaian/$"))
        # The judge's own total (30x0.8 + 50x0.7 + 20x0.8), in Indonesian number format.
        assert "75,00" in page.locator("main").inner_text()

        # Not published yet: the leaderboard is closed, and the proposal is not listed.
        response = page.goto(f"/inovasi/hasil/{setup.competition_id}/")
        assert response.status == 404
        assert page.locator(".results-pending").is_visible()
        assert "Antrean puskesmas daring" not in page.locator("main").inner_text()

        # The city admin publishes the results in the Wagtail admin.
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP_VIEWPORT)
        context.add_cookies(
            [
                {
                    "name": settings.LANGUAGE_COOKIE_NAME,
                    "value": "en",
                    "domain": urlparse(live_server.url).hostname,
                    "path": "/",
                }
            ]
        )
        context.set_default_timeout(15_000)
        admin = context.new_page()
        admin.goto("/admin/login/")
        admin.locator("#id_username").fill(setup.admin_username)
        admin.locator("#id_password").fill(PASSWORD)
        admin.locator("form button[type=submit]").click()
        admin.wait_for_url(re.compile(r"/admin/$"))
        admin.goto(f"/admin/inovasi/{setup.competition_id}/")
        admin.locator("#publish-results").click()
        admin.wait_for_selector("text=The results are published")
        context.close()

        response = page.goto(f"/inovasi/hasil/{setup.competition_id}/")
        assert response.status == 200
        board = page.locator("table.leaderboard")
        row = board.locator("tbody tr").first
        assert "Antrean puskesmas daring" in row.inner_text()
        assert "75,00" in row.inner_text()
        assert "Rina Marlina" in row.inner_text()
