"""Course authoring end to end, in a real browser: a trainer writes a lesson in the Wagtail
admin and submits it; the city admin approves (which publishes it); a learner of that city
sees it; a learner of another city does not see that city's own course."""

import re
from urllib.parse import urlparse

import pytest
from django.conf import settings

from courses import services
from courses.models import LessonPage
from tests.factories import PASSWORD, CityFactory, LearnerFactory, city_admin, trainer

# The live server needs committed data; the serialized rollback brings back what migrations
# created (Wagtail's root page and default site) after each test's flush.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
LESSON_TITLE = "Menindaklanjuti Laporan Banjir"
LESSON_TEXT = "Periksa titik lokasi laporan sebelum menugaskan petugas lapangan."


@pytest.fixture
def world():
    index = services.curriculum_index_install(title="Kurikulum ASN Digital")
    services.national_catalogue_install(index=index, title="Katalog Nasional")
    jakarta = CityFactory(name="Jakarta", slug="jakarta")
    sorong = CityFactory(name="Sorong", slug="sorong")
    jakarta_page = services.city_curriculum_create(
        index=index, city=jakarta, title="Kurikulum Digital Jakarta"
    )
    services.city_curriculum_create(index=index, city=sorong, title="Kurikulum Digital Sorong")
    course = services.course_create(
        parent=jakarta_page,
        title="Melayani Warga Lewat JAKI",
        slug="melayani-warga-lewat-jaki",
        summary="Menindaklanjuti laporan warga dari aplikasi JAKI.",
        jp_value=2,
        competency_area="e_government",
        estimated_duration=5400,
    )
    return {
        "course": course,
        "trainer": trainer(jakarta),
        "admin": city_admin(jakarta),
        "jakarta_learner": LearnerFactory(city=jakarta),
        "sorong_learner": LearnerFactory(city=sorong),
    }


@pytest.fixture
def admin_browser(browser, live_server):
    """Opens a desktop-sized admin session in English (the language cookie), one browser
    context per staff user so that their sessions never mix."""
    contexts = []

    def _open(username: str):
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP_VIEWPORT)
        contexts.append(context)
        host = urlparse(live_server.url).hostname
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "domain": host, "path": "/"}]
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/admin/login/")
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/admin/$"))
        return page

    yield _open
    for context in contexts:
        context.close()


def learner_log_in(page, nip: str) -> None:
    page.goto("/akun/masuk/")
    page.locator("#id_username").fill(nip)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(?!akun/masuk/)"))


class AuthoringTests:
    def test_trainer_writes_admin_publishes_learner_of_the_city_reads(
        self, admin_browser, phone_page, world, results_dir
    ):
        course = world["course"]

        # The trainer writes the lesson and submits it for approval.
        page = admin_browser(world["trainer"].username)
        page.goto(f"/admin/pages/add/courses/lessonpage/{course.pk}/")
        page.locator("#id_title").fill(LESSON_TITLE)
        page.get_by_role("button", name="Insert a block").first.click()
        page.get_by_role("option", name="Text").first.click()
        editor = page.locator("[data-contentpath='body'] [contenteditable=true]").first
        editor.click()
        editor.type(LESSON_TEXT)
        # Draftail copies its content into the block's hidden input a moment after typing.
        page.wait_for_function(
            "text => [...document.querySelectorAll('input[name^=body-][name$=-value]')]"
            ".some(input => input.value.includes(text))",
            arg=LESSON_TEXT[:20],
        )
        page.screenshot(path=results_dir / "authoring-1-trainer-draft.png", full_page=True)
        page.locator("footer .dropdown-toggle, [data-w-dropdown-target=toggle]").last.click()
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile(r"^Submit to ")).click()
        page.screenshot(path=results_dir / "authoring-1b-trainer-submitted.png", full_page=True)

        lesson = LessonPage.objects.get(title=LESSON_TITLE)
        assert not lesson.live
        assert lesson.current_workflow_state is not None

        # The city admin approves, which publishes.
        page = admin_browser(world["admin"].username)
        page.goto(f"/admin/pages/{lesson.pk}/edit/")
        page.locator("footer .dropdown-toggle, [data-w-dropdown-target=toggle]").last.click()
        page.screenshot(path=results_dir / "authoring-2a-admin-review.png", full_page=True)
        with page.expect_navigation():
            page.get_by_role("button", name="Approve and Publish", exact=True).click()
        page.screenshot(path=results_dir / "authoring-2-admin-approved.png", full_page=True)
        lesson.refresh_from_db()
        assert lesson.live

        # A learner of Jakarta finds the lesson in the course and reads it, on a phone.
        learner = world["jakarta_learner"]
        learner_log_in(phone_page, learner.nip)
        phone_page.goto("/kurikulum-saya/")
        phone_page.get_by_role("link", name=course.title).click()
        phone_page.wait_for_url(re.compile(re.escape(urlparse(course.get_url()).path) + "$"))
        link = phone_page.get_by_role("link", name=LESSON_TITLE)
        assert link.is_visible()
        link.click()
        assert phone_page.get_by_role("heading", level=1).inner_text().strip() == LESSON_TITLE
        assert LESSON_TEXT in phone_page.locator("main").inner_text()
        phone_page.screenshot(path=results_dir / "authoring-3-learner-lesson.png", full_page=True)

    def test_learner_of_another_city_does_not_see_that_citys_course(
        self, phone_page, world, live_server
    ):
        learner = world["sorong_learner"]
        learner_log_in(phone_page, learner.nip)
        phone_page.goto("/kurikulum-saya/")
        main = phone_page.locator("main")
        assert main.get_by_role("heading", level=1).inner_text().strip() == (
            "Kurikulum Digital Sorong"
        )
        assert world["course"].title not in main.inner_text()
