"""The demo courses: real-sounding content, per-city curricula, and safe to load twice."""

import io

import pytest
from wagtail.models import Page, Revision

from courses import selectors
from courses.demo import load_demo_courses
from courses.models import CoursePage, LessonPage, NationalCataloguePage

CITIES = ("Jakarta", "Semarang", "Palu", "Sorong", "Bukittinggi", "Kota Contoh")


@pytest.fixture
def city_pages(make_city):
    return {setup.city.slug: setup.curriculum for setup in map(make_city, CITIES)}


@pytest.mark.django_db
class DemoCoursesTests:
    def test_builds_catalogue_and_city_curricula(self, curriculum_index, city_pages):
        out = io.StringIO()
        load_demo_courses(index=curriculum_index, city_pages=city_pages, stdout=out)

        catalogue = NationalCataloguePage.objects.get()
        national = CoursePage.objects.live().child_of(catalogue)
        assert national.count() == 8
        assert "Literasi Digital Sektor Pemerintahan" in out.getvalue()
        for course in CoursePage.objects.all():
            lessons = LessonPage.objects.live().child_of(course)
            assert 2 <= lessons.count() <= 4, course.title
            assert 2 <= course.jp_value <= 6, course.title
            assert course.provider is not None
            for lesson in lessons:
                paragraphs = [b for b in lesson.body if b.block_type == "paragraph"]
                assert len(paragraphs) >= 2, lesson.title

        for page in city_pages.values():
            items = selectors.curriculum_courses(page)
            assert 6 <= len(items) <= 10, page.title
            assert any(item.is_mandatory and item.due_date for item in items)

    def test_city_specific_courses_stay_in_their_city(self, curriculum_index, city_pages):
        load_demo_courses(index=curriculum_index, city_pages=city_pages)
        titles = {
            slug: {item.course.title for item in selectors.curriculum_courses(page)}
            for slug, page in city_pages.items()
        }
        assert "Melayani Warga Lewat JAKI" in titles["jakarta"]
        assert "Melayani Warga Lewat JAKI" not in titles["semarang"]
        assert "Layanan Adminduk Daring dengan SI D'nOK" in titles["semarang"]
        assert "Dukcapil Online untuk Warga Palu" in titles["palu"]
        assert "Dukcapil Online untuk Warga Palu" not in titles["sorong"]
        shared = "Keamanan Digital: Melindungi Perangkat dan Akun Dinas"
        assert all(shared in city_titles for city_titles in titles.values())
        assert CoursePage.objects.filter(title=shared).count() == 1

    def test_running_twice_changes_nothing(self, curriculum_index, city_pages):
        load_demo_courses(index=curriculum_index, city_pages=city_pages)
        pages, revisions = Page.objects.count(), Revision.objects.count()
        load_demo_courses(index=curriculum_index, city_pages=city_pages)
        assert (Page.objects.count(), Revision.objects.count()) == (pages, revisions)

    def test_pages_render(self, client, curriculum_index, city_pages):
        load_demo_courses(index=curriculum_index, city_pages=city_pages)
        jakarta = city_pages["jakarta"]
        course = CoursePage.objects.get(slug="melayani-warga-lewat-jaki")
        lesson = LessonPage.objects.child_of(course).first()
        for page in (
            curriculum_index,
            NationalCataloguePage.objects.get(),
            jakarta,
            course,
            lesson,
        ):
            assert client.get(page.url).status_code == 200, page.url


@pytest.mark.django_db
def test_lesson_page_weight_is_under_150_kb(client, curriculum_index, city_pages):
    """A lesson's own HTML, CSS and JS (before any H5P content) stays under 150 KB."""
    import re
    from pathlib import Path

    from django.contrib.staticfiles import finders

    load_demo_courses(index=curriculum_index, city_pages=city_pages)
    client.force_login(_learner(city_pages["jakarta"]))
    lessons = LessonPage.objects.live()
    heaviest = 0
    for lesson in lessons:
        html = client.get(lesson.url).content
        assets = re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
        size = len(html) + sum(
            Path(finders.find(asset.decode())).stat().st_size for asset in assets
        )
        heaviest = max(heaviest, size)
    assert 0 < heaviest <= 150 * 1024


def _learner(curriculum):
    from tests.factories import LearnerFactory

    return LearnerFactory(city=curriculum.city).user
