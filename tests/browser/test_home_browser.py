"""Beranda and Tim Saya in a browser: a learner finishes a course; their supervisor reloads
the team page and sees it, writes feedback there; the learner sees it on their home."""

import pytest

from courses import services as course_services
from lms.records import services as record_services
from lms.records import xapi
from tests.courses.conftest import make_course, make_lesson
from tests.factories import CityFactory, LearnerFactory
from tests.lms.records.conftest import view

PASSWORD = "rahasia-beranda-1"
FEEDBACK = "Selamat, kursusnya sudah selesai. Lanjutkan ke kursus wajib berikutnya."

# The live server needs committed data; the serialized rollback brings back what migrations
# created (Wagtail's root page and default site) after each test's flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def walk(live_server):
    # live_server first: it must start (and share the test database) before the browser.
    index = course_services.curriculum_index_install(title="Kurikulum ASN Digital")
    city = CityFactory(name="Kota Palu", slug="palu")
    curriculum = course_services.city_curriculum_create(
        index=index, city=city, title="Kurikulum Digital Kota Palu"
    )
    course = make_course(curriculum, title="Tanda Tangan Elektronik", jp_value=2)
    lessons = [make_lesson(course, title=f"Bagian {n}") for n in (1, 2)]
    boss = LearnerFactory(city=city, full_name="Rahmat Atasan", password=PASSWORD)
    learner = LearnerFactory(
        city=city, full_name="Sari Pegawai", supervisor=boss, password=PASSWORD
    )
    return {"course": course, "lessons": lessons, "boss": boss, "learner": learner}


def _log_in(page, username: str) -> None:
    page.goto("/akun/masuk/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    # Everyone lands on their home page after logging in.
    page.wait_for_url("**/beranda/")


def _new_page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 360, "height": 740}, locale="id-ID"
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


class HomeAndTeamWalkTests:
    def test_supervisor_sees_a_finished_course_and_the_learner_sees_the_feedback(
        self, walk, live_server, browser, results_dir
    ):
        learner, boss = walk["learner"], walk["boss"]
        boss_context, boss_page = _new_page(browser, live_server)
        _log_in(boss_page, boss.nip)
        boss_page.locator('a[href="/tim-saya/"]').first.click()
        person = boss_page.locator(f'[data-profile="{learner.pk}"]')
        assert person.locator(".team-jp").get_attribute("data-jp") == "0"
        assert person.locator(".team-activity").get_attribute("data-active") == "0"

        # The learner finishes the course (both lessons read), through the records' own path.
        record_services.statements_record(
            user=learner.user,
            statements=[xapi.parse_statement(view(lesson)) for lesson in walk["lessons"]],
        )

        boss_page.reload()
        person = boss_page.locator(f'[data-profile="{learner.pk}"]')
        assert person.locator(".team-jp").get_attribute("data-jp") == "2"
        assert person.locator(".team-activity").get_attribute("data-active") == "1"
        boss_page.screenshot(path=results_dir / "tim-saya-360.png", full_page=True)

        person.locator("details.team-feedback summary").click()
        person.locator("textarea[name=body]").fill(FEEDBACK)
        person.locator("details.team-feedback button[type=submit]").click()
        boss_page.wait_for_url("**/umpan-balik/**")
        boss_context.close()

        learner_context, learner_page = _new_page(browser, live_server)
        _log_in(learner_page, learner.nip)
        feedback = learner_page.locator("ul.feedback")
        assert FEEDBACK in feedback.inner_text()
        completed = learner_page.locator("#completed-heading + ul")
        assert walk["course"].title in completed.inner_text()
        learner_page.screenshot(path=results_dir / "beranda-360.png", full_page=True)
        assert learner_page.evaluate("document.documentElement.scrollWidth") <= 360
        learner_context.close()
