"""The lesson's H5P block: chosen with the content app's package chooser, stored as the
package's content id (as before the chooser), and only packages of the editor's city."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, streamfield

from content import services as content_services
from content.models import H5PPackage
from courses.blocks import BaseStreamBlock
from courses.models import LessonPage
from tests.content.conftest import (
    fixture_path,
    fs_default_storage,  # noqa: F401 - a fixture
)
from tests.courses.conftest import make_course, make_lesson
from tests.courses.test_learner_pages import MAX_QUERIES
from tests.courses.test_workflow import add_lesson_url, lesson_form

pytestmark = pytest.mark.django_db

CHOOSE = "wagtailsnippetchoosers_content_h5ppackage:choose"


def import_package(city, title: str) -> H5PPackage:
    with open(fixture_path("true-false.h5p"), "rb") as handle:
        package = content_services.package_import(file=handle, filename="true-false.h5p", city=city)
    return content_services.package_update(package=package, title=title)


def h5p(key, title="Latihan interaktif"):
    return {"type": "h5p", "value": {"key": str(key), "title": title}}


def h5p_form(key, title="Latihan interaktif", **extra) -> dict:
    body = nested_form_data({"body": streamfield([("h5p", {"key": str(key), "title": title})])})
    return {**body, **extra}


def key_errors(response) -> list[str]:
    """Messages on the key field of the first block of the body, as the editor shows them."""
    body_error = response.context["form"].errors.as_data()["body"][0]
    struct_error = body_error.block_errors[0]
    return struct_error.block_errors["key"].messages


@pytest.fixture
def jakarta_package(fs_default_storage, jakarta):  # noqa: F811
    return import_package(jakarta.city, "Latihan Jakarta")


@pytest.fixture
def sorong_package(fs_default_storage, sorong):  # noqa: F811
    return import_package(sorong.city, "Latihan Sorong")


@pytest.fixture
def jakarta_course(jakarta):
    return make_course(jakarta.curriculum, title="Layanan JAKI")


@pytest.fixture
def sorong_course(sorong):
    return make_course(sorong.curriculum, title="Layanan Sorong")


class StoredValueTests:
    def test_a_lesson_written_with_a_uuid_string_loads_and_renders(
        self, client, jakarta, jakarta_course, jakarta_package
    ):
        key = str(jakarta_package.content_id)
        lesson = make_lesson(jakarta_course, body=[h5p(key.upper())])

        assert lesson.body.raw_data[0]["value"] == {"key": key, "title": "Latihan interaktif"}
        assert lesson.body[0].value["key"] == key
        client.force_login(jakarta.learner())
        html = client.get(lesson.url).content.decode()
        assert f'data-h5p-content-id="{key}"' in html

    def test_the_block_value_is_the_key_string_not_a_model_instance(self, jakarta_package):
        block = BaseStreamBlock().child_blocks["h5p"]
        key = str(jakarta_package.content_id)
        value = block.to_python({"key": key, "title": "Latihan"})

        assert value["key"] == key
        assert block.get_prep_value(block.clean(value)) == {"key": key, "title": "Latihan"}

    def test_editor_shows_the_stored_package_in_the_chooser(
        self, client, jakarta, jakarta_course, jakarta_package
    ):
        lesson = make_lesson(jakarta_course, body=[h5p(jakarta_package.content_id)])
        client.force_login(jakarta.trainer)

        response = client.get(reverse("wagtailadmin_pages:edit", args=[lesson.pk]))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Latihan Jakarta" in html
        assert reverse(CHOOSE) in html

    def test_chooser_widget_state_names_the_package_by_content_id(self, jakarta_package):
        key_block = BaseStreamBlock().child_blocks["h5p"].child_blocks["key"]
        state = key_block.get_form_state(str(jakarta_package.content_id))

        assert state["id"] == str(jakarta_package.content_id)
        assert state["string"] == "Latihan Jakarta"
        assert key_block.field.widget.get_chooser_modal_url() == reverse(CHOOSE)


class ChooseInAdminTests:
    def test_chosen_package_is_stored_as_its_content_id(
        self, client, jakarta, jakarta_course, jakarta_package
    ):
        client.force_login(jakarta.trainer)
        # The chooser modal hands the widget the package's primary key.
        data = lesson_form("Pelajaran H5P", "pelajaran-h5p", **h5p_form(jakarta_package.pk))

        response = client.post(add_lesson_url(jakarta_course), data)

        assert response.status_code == 302, response.content.decode()[:2000]
        lesson = LessonPage.objects.get(slug="pelajaran-h5p")
        assert lesson.body.raw_data[0]["value"] == {
            "key": str(jakarta_package.content_id),
            "title": "Latihan interaktif",
        }
        assert lesson.activity_keys("h5p") == (str(jakarta_package.content_id),)

    def test_a_posted_content_id_is_accepted_as_well(
        self, client, jakarta, jakarta_course, jakarta_package
    ):
        client.force_login(jakarta.trainer)
        key = str(jakarta_package.content_id)
        data = lesson_form("Pelajaran H5P", "pelajaran-h5p", **h5p_form(key))

        response = client.post(add_lesson_url(jakarta_course), data)

        assert response.status_code == 302
        assert LessonPage.objects.get(slug="pelajaran-h5p").body.raw_data[0]["value"]["key"] == key

    def test_sorong_trainer_does_not_see_a_jakarta_package_in_the_chooser(
        self, client, sorong, jakarta_package, sorong_package
    ):
        client.force_login(sorong.trainer)

        html = client.get(reverse(CHOOSE)).content.decode()

        assert "Latihan Sorong" in html
        assert "Latihan Jakarta" not in html

    @pytest.mark.parametrize("posted", ["pk", "content_id"])
    def test_other_city_package_is_refused_with_a_clear_message(
        self, client, sorong, sorong_course, jakarta_package, posted
    ):
        client.force_login(sorong.trainer)
        data = lesson_form(
            "Pelajaran Curian", "pelajaran-curian", **h5p_form(getattr(jakarta_package, posted))
        )

        response = client.post(add_lesson_url(sorong_course), data)

        assert response.status_code == 200
        assert not LessonPage.objects.filter(slug="pelajaran-curian").exists()
        assert key_errors(response) == [
            "You may not choose this H5P package: it is not in your city's library. "
            "Choose one from the list the chooser shows you."
        ]

    def test_other_city_package_is_refused_when_editing_too(
        self, client, sorong, sorong_course, sorong_package, jakarta_package
    ):
        lesson = make_lesson(sorong_course, body=[h5p(sorong_package.content_id)])
        client.force_login(sorong.trainer)
        data = lesson_form(lesson.title, lesson.slug, **h5p_form(jakarta_package.content_id))

        response = client.post(reverse("wagtailadmin_pages:edit", args=[lesson.pk]), data)

        assert response.status_code == 200
        assert key_errors(response)
        lesson.refresh_from_db()
        assert lesson.get_latest_revision_as_object().activity_keys("h5p") == (
            str(sorong_package.content_id),
        )

    def test_a_package_already_in_the_lesson_may_stay(
        self, client, sorong, sorong_course, jakarta_package
    ):
        # Placed by someone with wider rights; the trainer may still edit the lesson's text.
        lesson = make_lesson(sorong_course, body=[h5p(jakarta_package.content_id)])
        client.force_login(sorong.trainer)
        data = lesson_form(
            "Judul Baru", lesson.slug, **h5p_form(jakarta_package.content_id, title="Baru")
        )

        response = client.post(reverse("wagtailadmin_pages:edit", args=[lesson.pk]), data)

        assert response.status_code == 302, response.content.decode()[:2000]
        revised = LessonPage.objects.get(pk=lesson.pk).get_latest_revision_as_object()
        assert revised.body.raw_data[0]["value"]["title"] == "Baru"

    @pytest.mark.parametrize("key", ["b3445c86-ebb1-4fb5-ade1-a8398215eda9", "999999"])
    def test_unknown_package_is_refused(self, client, jakarta, jakarta_course, key):
        client.force_login(jakarta.trainer)
        data = lesson_form("Pelajaran H5P", "pelajaran-h5p", **h5p_form(key))

        response = client.post(add_lesson_url(jakarta_course), data)

        assert response.status_code == 200
        assert not LessonPage.objects.filter(slug="pelajaran-h5p").exists()
        assert key_errors(response)

    def test_disabled_package_is_refused(self, client, jakarta, jakarta_course, jakarta_package):
        content_services.package_update(package=jakarta_package, status="disabled")
        client.force_login(jakarta.trainer)
        data = lesson_form("Pelajaran H5P", "pelajaran-h5p", **h5p_form(jakarta_package.content_id))

        response = client.post(add_lesson_url(jakarta_course), data)

        assert response.status_code == 200
        assert key_errors(response)

    def test_the_block_still_needs_a_package(self, client, jakarta, jakarta_course):
        client.force_login(jakarta.trainer)
        # A draft may leave it empty (Wagtail defers "required"); submitting may not.
        data = lesson_form(
            "Pelajaran H5P", "pelajaran-h5p", **h5p_form(""), **{"action-submit": "1"}
        )

        response = client.post(add_lesson_url(jakarta_course), data)

        assert response.status_code == 200
        assert not LessonPage.objects.filter(slug="pelajaran-h5p").exists()


class LearnerQueryTests:
    def test_lesson_page_costs_the_same_with_one_or_three_packages(
        self,
        client,
        jakarta,
        jakarta_course,
        fs_default_storage,  # noqa: F811
    ):
        packages = [import_package(jakarta.city, f"Latihan {n}") for n in range(3)]
        small = make_lesson(jakarta_course, body=[h5p(packages[0].content_id)])
        large = make_lesson(jakarta_course, body=[h5p(p.content_id) for p in packages])
        client.force_login(jakarta.learner())
        counts = []
        for lesson, players in ((small, 1), (large, 3)):
            client.get(lesson.url)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(lesson.url)
            assert response.content.decode().count("data-h5p-content-id") == players
            counts.append(len(queries))
        assert counts[0] == counts[1] <= MAX_QUERIES
