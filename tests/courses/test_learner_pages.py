"""Learner-facing pages: what each learner is shown, and a constant number of queries
however many lessons or courses there are."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from courses import selectors, services
from courses.models import CurriculumEntry
from tests.courses.conftest import make_course, make_lesson

# Wagtail's routing (one query per tree level), the session, the user and the userbar's
# permission check take about a dozen; the page's own reads (course, lessons, progress
# from lms.records) add a fixed few, and the header's notification bell one (issue #8).
# The same bound holds for 3 and 30 items.
MAX_QUERIES = 19


def course_with_lessons(parent, count, **kwargs):
    course = make_course(parent, **kwargs)
    lessons = [make_lesson(course, title=f"Pelajaran {i + 1}") for i in range(count)]
    return course, lessons


@pytest.mark.django_db
class QueryCountTests:
    @pytest.mark.parametrize("lesson_count", [3, 30])
    def test_course_page(
        self, client, django_assert_max_num_queries, catalogue, jakarta, provider, lesson_count
    ):
        course, _ = course_with_lessons(catalogue, lesson_count, provider=provider)
        client.force_login(jakarta.learner())
        client.get(course.url)  # warm the site-root cache, as a running server has it
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(course.url)
        assert response.status_code == 200
        assert response.content.decode().count('<a href="' + course.url) == lesson_count

    @pytest.mark.parametrize("lesson_count", [3, 30])
    def test_lesson_page(
        self, client, django_assert_max_num_queries, catalogue, jakarta, lesson_count
    ):
        _, lessons = course_with_lessons(catalogue, lesson_count)
        client.force_login(jakarta.learner())
        lesson = lessons[len(lessons) // 2]
        client.get(lesson.url)
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(lesson.url)
        assert response.status_code == 200

    @pytest.mark.parametrize("course_count", [3, 30])
    def test_curriculum_page(
        self, client, django_assert_max_num_queries, catalogue, jakarta, course_count
    ):
        for i in range(course_count):
            course = make_course(catalogue if i % 2 else jakarta.curriculum)
            if i % 3 == 0:
                services.curriculum_entry_set(
                    curriculum=jakarta.curriculum, course=course, is_mandatory=True
                )
        client.force_login(jakarta.learner())
        client.get(jakarta.curriculum.url)
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(jakarta.curriculum.url)
        assert response.status_code == 200


@pytest.mark.django_db
def test_course_and_lesson_pages_cost_the_same_for_3_and_30_lessons(client, catalogue, jakarta):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(jakarta.learner())
    counts = []
    for size in (3, 30):
        course, lessons = course_with_lessons(catalogue, size)
        for url in (course.url, lessons[1].url, course.url):
            client.get(url)
        with CaptureQueriesContext(connection) as course_queries:
            client.get(course.url)
        with CaptureQueriesContext(connection) as lesson_queries:
            client.get(lessons[1].url)
        counts.append((len(course_queries), len(lesson_queries)))
    assert counts[0] == counts[1]


@pytest.mark.django_db
class CurriculumVisibilityTests:
    def test_learner_sees_national_and_own_courses_but_not_another_citys(
        self, client, catalogue, jakarta, sorong
    ):
        national = make_course(catalogue, title="Literasi Digital")
        jakarta_own = make_course(jakarta.curriculum, title="Layanan JAKI")
        sorong_own = make_course(sorong.curriculum, title="Layanan Sorong")
        for city in (jakarta, sorong):
            services.curriculum_entry_set(
                curriculum=city.curriculum,
                course=national,
                is_mandatory=True,
                due_date=datetime.date(2027, 6, 30),
            )

        client.force_login(sorong.learner())
        with translation.override("en"):
            response = client.get(reverse("my-curriculum"), follow=True)
        html = response.content.decode()
        assert response.context["page"].specific == sorong.curriculum
        assert national.title in html
        assert sorong_own.title in html
        assert jakarta_own.title not in html

        items = selectors.curriculum_courses(jakarta.curriculum)
        assert [(i.course, i.is_mandatory) for i in items] == [
            (national, True),
            (jakarta_own, False),
        ]

    def test_mandatory_courses_with_due_dates_come_first(self, client, catalogue, jakarta):
        optional = make_course(catalogue, title="Kursus Pilihan")
        mandatory = make_course(catalogue, title="Kursus Wajib")
        services.curriculum_entry_set(curriculum=jakarta.curriculum, course=optional)
        services.curriculum_entry_set(
            curriculum=jakarta.curriculum,
            course=mandatory,
            is_mandatory=True,
            due_date=datetime.date(2027, 3, 31),
        )
        with translation.override("en"):
            response = client.get(jakarta.curriculum.url)
        assert [i.course for i in response.context["mandatory_courses"]] == [mandatory]
        assert [i.course for i in response.context["optional_courses"]] == [optional]
        html = response.content.decode()
        assert "Due 31 March 2027" in html
        assert html.index("Kursus Wajib") < html.index("Kursus Pilihan")

    def test_unpublished_courses_are_not_listed(self, client, catalogue, jakarta):
        draft = make_course(jakarta.curriculum, title="Masih Draf", publish=False)
        response = client.get(jakarta.curriculum.url)
        assert draft.title not in response.content.decode()

    def test_index_lists_only_the_learners_own_city(
        self, client, curriculum_index, jakarta, sorong
    ):
        client.force_login(jakarta.learner())
        response = client.get(curriculum_index.url)
        assert list(response.context["curricula"]) == [jakarta.curriculum]


@pytest.mark.django_db
class CurriculumEntryRulesTests:
    def test_another_citys_course_cannot_be_adopted(self, catalogue, jakarta, sorong):
        sorong_own = make_course(sorong.curriculum)
        with pytest.raises(ValidationError):
            services.curriculum_entry_set(curriculum=jakarta.curriculum, course=sorong_own)
        assert not CurriculumEntry.objects.exists()

    def test_setting_an_entry_twice_updates_it(self, catalogue, jakarta):
        course = make_course(catalogue)
        services.curriculum_entry_set(curriculum=jakarta.curriculum, course=course)
        services.curriculum_entry_set(
            curriculum=jakarta.curriculum, course=course, is_mandatory=True
        )
        assert CurriculumEntry.objects.get().is_mandatory

    def _edit(self, client, curriculum, entries):
        data = nested_form_data(
            {
                "title": curriculum.title,
                "slug": curriculum.slug,
                "intro": rich_text(""),
                "course_entries": inline_formset(entries),
                "comments": inline_formset([]),
                "action-publish": "1",
            }
        )
        return client.post(reverse("wagtailadmin_pages:edit", args=(curriculum.pk,)), data)

    def test_admin_form_refuses_another_citys_course(self, client, catalogue, jakarta, sorong):
        sorong_own = make_course(sorong.curriculum)
        client.force_login(jakarta.admin)
        response = self._edit(
            client,
            jakarta.curriculum,
            [{"course": sorong_own.pk, "is_mandatory": "on", "due_date": ""}],
        )
        assert response.status_code == 200
        assert not CurriculumEntry.objects.exists()

    def test_admin_form_refuses_a_duplicate_and_accepts_a_national_course(
        self, client, catalogue, jakarta
    ):
        national = make_course(catalogue)
        client.force_login(jakarta.admin)
        entry = {"course": national.pk, "is_mandatory": "on", "due_date": "2027-06-30"}
        response = self._edit(client, jakarta.curriculum, [entry, entry])
        assert response.status_code == 200
        assert not CurriculumEntry.objects.exists()

        response = self._edit(client, jakarta.curriculum, [entry])
        assert response.status_code == 302
        saved = CurriculumEntry.objects.get()
        assert (saved.course_id, saved.is_mandatory) == (national.pk, True)
        assert saved.due_date == datetime.date(2027, 6, 30)


@pytest.mark.django_db
class CoursePageTests:
    def test_course_page_shows_outline_jp_provider_and_a_start_button(
        self, client, catalogue, jakarta, provider
    ):
        course, lessons = course_with_lessons(catalogue, 3, provider=provider, jp_value=4)
        client.force_login(jakarta.learner())
        with translation.override("en"):
            response = client.get(course.url)
        html = response.content.decode()
        assert provider.name in html
        assert "<dd>4</dd>" in html
        assert [row.lesson for row in response.context["outline"].rows] == lessons
        # No records exist yet: nothing is faked, the button starts at the first lesson.
        outline = response.context["outline"]
        assert not outline.has_progress
        assert all(row.progress is None for row in outline.rows)
        assert "Start the course" in html
        assert f'href="{lessons[0].url}">Start the course' in html
        assert 'class="status' not in html

    def test_progress_from_records_is_shown_and_continue_skips_completed(
        self, client, catalogue, jakarta, monkeypatch
    ):
        course, lessons = course_with_lessons(catalogue, 3)
        done = selectors.LessonProgress(started=True, completed=True, score_percent=90)
        monkeypatch.setattr(
            selectors,
            "lesson_progress_for_user",
            lambda *, user, lesson_keys: {lessons[0].translation_key: done},
        )
        client.force_login(jakarta.learner())
        with translation.override("en"):
            response = client.get(course.url)
        html = response.content.decode()
        assert "Completed" in html
        assert f'href="{lessons[1].url}">Continue' in html
        assert "1 of 3 required lessons completed" in html

    def test_lesson_of_an_unpublished_course_is_not_served(self, client, catalogue):
        course, lessons = course_with_lessons(catalogue, 1)
        course.unpublish()
        assert client.get(lessons[0].url).status_code == 404

    def test_lesson_page_links_previous_and_next(self, client, catalogue):
        _, lessons = course_with_lessons(catalogue, 3)
        response = client.get(lessons[1].url)
        assert response.context["previous_lesson"] == lessons[0]
        assert response.context["next_lesson"] == lessons[2]


@pytest.mark.django_db
class CourseSearchTests:
    def test_search_finds_national_and_own_city_courses_only(
        self, client, curriculum_index, catalogue, jakarta, sorong
    ):
        national = make_course(catalogue, title="Keamanan Digital Nasional")
        jakarta_own = make_course(jakarta.curriculum, title="Keamanan Digital JAKI")
        make_course(sorong.curriculum, title="Keamanan Digital Sorong")
        client.force_login(jakarta.learner())
        response = client.get(curriculum_index.url + "cari/", {"q": "keamanan"})
        assert response.status_code == 200
        assert set(response.context["results"]) == {national, jakarta_own}

    def test_visitor_finds_national_courses_only(
        self, client, curriculum_index, catalogue, jakarta
    ):
        national = make_course(catalogue, title="Literasi Data")
        make_course(jakarta.curriculum, title="Literasi Data Jakarta")
        response = client.get(curriculum_index.url + "cari/", {"q": "literasi"})
        assert response.context["results"] == [national]

    @pytest.mark.parametrize("query", ["", "   ", "x" * 5000, "<script>", "' OR 1=1 --"])
    def test_odd_queries_never_fail(self, client, curriculum_index, catalogue, query):
        response = client.get(curriculum_index.url + "cari/", {"q": query})
        assert response.status_code == 200
