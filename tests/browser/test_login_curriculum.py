"""The whole stack in one walk: a demo learner logs in on a phone-sized screen and lands on
their own city's curriculum, in Indonesian."""

import io
import re
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.core.management import call_command, get_commands, load_command_class

from lms.people.models import LearnerProfile

DEMO_PASSWORD = "demo-asn"
CITY_SLUG = "sorong"
PHONE_WIDTH = 360

# The live server needs committed data; the serialized rollback brings back what migrations
# created (Wagtail's root page and default site) after each test's flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _load_demo_data() -> None:
    """The demo as `make demo` builds it; a minimal stand-in while the command is missing."""
    commands = get_commands()
    if "load_demo_data" in commands:
        command = load_command_class(commands["load_demo_data"], "load_demo_data")
        parser = command.create_parser("manage.py", "load_demo_data")
        accepted = {action.dest for action in parser._actions}
        options = {"force": True, "no_progress": True}
        call_command(
            "load_demo_data",
            verbosity=0,
            stdout=io.StringIO(),
            **{name: value for name, value in options.items() if name in accepted},
        )
        return

    from courses.models import CityCurriculumPage
    from courses.services import curriculum_index_install
    from tests.factories import CityFactory, LearnerFactory

    index = curriculum_index_install(title="Kurikulum ASN Digital")
    city = CityFactory(name="Kota Sorong", slug=CITY_SLUG, bkpsdm_name="BKPSDM Kota Sorong")
    page = CityCurriculumPage(title="Kurikulum Digital Kota Sorong", slug=CITY_SLUG, city=city)
    index.add_child(instance=page)
    page.save_revision().publish()
    LearnerFactory(city=city, password=DEMO_PASSWORD)


@dataclass(frozen=True)
class DemoLearner:
    """What the walk needs, read before the browser starts (see the browser fixture)."""

    nip: str
    curriculum_title: str
    curriculum_path: str


@pytest.fixture
def demo_learner(live_server) -> DemoLearner:
    # live_server first: it must start (and share the test database) before the browser.
    _load_demo_data()
    learner = (
        LearnerProfile.objects.filter(city__slug=CITY_SLUG)
        .select_related("user", "city__curriculum_page")
        .order_by("pk")
        .first()
    )
    assert learner is not None, f"the demo data has no learner in {CITY_SLUG}"
    curriculum = learner.city.curriculum_page
    return DemoLearner(
        nip=learner.nip,
        curriculum_title=curriculum.title,
        curriculum_path=urlparse(curriculum.get_url()).path,
    )


def _log_in(page, username: str, password: str) -> None:
    page.goto("/akun/masuk/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]", has_text="Masuk").click()


class LoginCurriculumTests:
    # demo_learner comes before phone_page: data first, then the browser.
    def test_learner_lands_on_their_home_then_their_city_curriculum_in_indonesian(
        self, demo_learner, phone_page, results_dir
    ):
        page = phone_page
        broken = []
        page.on(
            "response",
            lambda response: (
                broken.append(f"{response.status} {response.url}")
                if response.status >= 400
                else None
            ),
        )

        _log_in(page, demo_learner.nip, DEMO_PASSWORD)

        # Log-in lands on the learner's home (Beranda); the menu leads to the curriculum.
        page.wait_for_url("**/beranda/")
        assert page.get_by_role("heading", level=1).is_visible()
        page.screenshot(path=results_dir / "login-home-360x740.png")
        page.goto("/kurikulum-saya/")
        page.wait_for_url(re.compile(re.escape(demo_learner.curriculum_path) + "$"))
        assert page.locator("html").get_attribute("lang") == "id"
        heading = page.get_by_role("heading", level=1)
        assert heading.inner_text().strip() == demo_learner.curriculum_title
        # "Log out" in Indonesian: the interface speaks Bahasa Indonesia.
        logout = page.get_by_role("button", name="Keluar")
        assert logout.is_visible()
        # Every page, stylesheet and script of the walk loaded (a missing site.css would
        # leave a phone with an unstyled page).
        assert broken == []
        # Nothing wider than a 360 px phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
        # What the learner sees first on the phone, and the whole page (looked at by eye).
        page.screenshot(path=results_dir / "login-curriculum-360x740.png")
        page.screenshot(path=results_dir / "login-curriculum-360-full.png", full_page=True)

    def test_wrong_password_stays_on_the_login_page_with_a_message(self, demo_learner, phone_page):
        page = phone_page

        _log_in(page, demo_learner.nip, "bukan-sandinya")

        # The form posts to the page's own address: wait for the answer's message, as
        # the URL alone does not change (is_visible() does not wait, and a busy machine
        # may still be showing the page before the submit).
        alert = page.get_by_role("alert").first
        alert.wait_for(state="visible", timeout=15_000)
        assert urlparse(page.url).path == "/akun/masuk/"
        assert alert.is_visible()
        assert page.locator("html").get_attribute("lang") == "id"
