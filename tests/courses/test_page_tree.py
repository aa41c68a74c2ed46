"""The page tree: which page types may live where, and who may add pages where."""

import pytest
from django.urls import reverse
from wagtail.models import Page

from courses.models import (
    CityCurriculumPage,
    CoursePage,
    CurriculumIndexPage,
    LessonPage,
    NationalCataloguePage,
)
from tests.courses.conftest import assert_refused, make_course, make_lesson


@pytest.mark.django_db
class PageTreeRulesTests:
    def test_index_holds_only_the_catalogue_and_city_curricula(self, curriculum_index):
        assert set(curriculum_index.specific_class.allowed_subpage_models()) == {
            NationalCataloguePage,
            CityCurriculumPage,
        }

    def test_courses_live_under_the_catalogue_or_a_city_curriculum_only(
        self, curriculum_index, catalogue, jakarta
    ):
        course = make_course(catalogue)
        lesson = make_lesson(course)
        assert CoursePage.can_create_at(catalogue)
        assert CoursePage.can_create_at(jakarta.curriculum)
        assert not CoursePage.can_create_at(curriculum_index)
        assert not CoursePage.can_create_at(course)
        assert not CoursePage.can_create_at(lesson)

    def test_lessons_live_under_courses_only(self, catalogue, jakarta):
        course = make_course(catalogue)
        assert LessonPage.can_create_at(course)
        for parent in (catalogue, jakarta.curriculum, make_lesson(course)):
            assert not LessonPage.can_create_at(parent)
        assert LessonPage.allowed_subpage_models() == []

    def test_one_index_and_one_catalogue(self, curriculum_index, catalogue):
        root = Page.get_first_root_node()
        assert not CurriculumIndexPage.can_create_at(root)
        assert not NationalCataloguePage.can_create_at(curriculum_index)

    def test_curriculum_pages_live_only_under_the_index(self, curriculum_index, catalogue):
        assert CityCurriculumPage.can_create_at(curriculum_index)
        assert not CityCurriculumPage.can_create_at(catalogue)
        assert not CityCurriculumPage.can_create_at(Page.get_first_root_node())


@pytest.mark.django_db
class AdminAddPermissionTests:
    def _add_url(self, model, parent):
        return reverse(
            "wagtailadmin_pages:add",
            args=(model._meta.app_label, model._meta.model_name, parent.pk),
        )

    def test_trainer_may_add_a_course_in_their_city(self, client, jakarta):
        client.force_login(jakarta.trainer)
        response = client.get(self._add_url(CoursePage, jakarta.curriculum))
        assert response.status_code == 200

    def test_trainer_of_another_city_is_refused(self, client, jakarta, sorong):
        client.force_login(sorong.trainer)
        response = client.get(self._add_url(CoursePage, jakarta.curriculum))
        assert_refused(response)
        assert CoursePage.objects.count() == 0

    def test_city_admin_of_another_city_is_refused(self, client, jakarta, sorong):
        client.force_login(sorong.admin)
        response = client.get(self._add_url(CoursePage, jakarta.curriculum))
        assert_refused(response)

    def test_city_staff_cannot_add_national_courses(self, client, catalogue, jakarta):
        client.force_login(jakarta.admin)
        response = client.get(self._add_url(CoursePage, catalogue))
        assert_refused(response)

    def test_wrong_page_type_under_a_parent_is_refused(self, admin_client, catalogue):
        course = make_course(catalogue)
        response = admin_client.get(self._add_url(CoursePage, course))
        assert_refused(response)


@pytest.mark.django_db
class AdminFormsRenderTests:
    def test_add_and_edit_forms_open_for_every_page_type(self, admin_client, catalogue, jakarta):
        course = make_course(catalogue)
        lesson = make_lesson(course)
        add = [
            ("coursepage", catalogue),
            ("coursepage", jakarta.curriculum),
            ("lessonpage", course),
        ]
        for model_name, parent in add:
            url = reverse("wagtailadmin_pages:add", args=("courses", model_name, parent.pk))
            assert admin_client.get(url).status_code == 200, url
        for page in (catalogue, jakarta.curriculum, course, lesson):
            url = reverse("wagtailadmin_pages:edit", args=(page.pk,))
            assert admin_client.get(url).status_code == 200, url

    def test_curriculum_created_in_the_admin_gets_the_city_workflow(
        self, admin_client, curriculum_index
    ):
        from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

        from tests.factories import CityFactory

        city = CityFactory(name="Palu", slug="palu")
        data = nested_form_data(
            {
                "title": "Kurikulum Palu",
                "slug": "palu",
                "city": city.pk,
                "intro": rich_text(""),
                "course_entries": inline_formset([]),
                "comments": inline_formset([]),
                "action-publish": "1",
            }
        )
        url = reverse(
            "wagtailadmin_pages:add",
            args=("courses", "citycurriculumpage", curriculum_index.pk),
        )
        response = admin_client.post(url, data)
        assert response.status_code == 302
        page = CityCurriculumPage.objects.get(city=city)
        task = page.get_workflow().tasks.get().specific
        assert list(task.groups.values_list("city_role__role", flat=True)) == ["city_admin"]
