"""The H5P package screens in the Wagtail admin, narrowed per city: upload, list, choose,
edit, delete - and another city's trainer refused at each."""

import pytest
from django.urls import reverse

from content import services
from content.models import H5PPackage
from tests.content.conftest import build_zip, fixture_path, minimal_files
from tests.factories import CityFactory, city_admin, trainer

pytestmark = pytest.mark.django_db

LIST = "wagtailsnippets_content_h5ppackage:list"
ADD = "wagtailsnippets_content_h5ppackage:add"
EDIT = "wagtailsnippets_content_h5ppackage:edit"
DELETE = "wagtailsnippets_content_h5ppackage:delete"
CHOOSE = "wagtailsnippetchoosers_content_h5ppackage:choose"


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def jakarta(db):
    return CityFactory(name="Jakarta", slug="jakarta")


@pytest.fixture
def sorong(db):
    return CityFactory(name="Sorong", slug="sorong")


@pytest.fixture
def jakarta_package(fs_default_storage, jakarta):
    with open(fixture_path("true-false.h5p"), "rb") as handle:
        return services.package_import(file=handle, filename="true-false.h5p", city=jakarta)


def refused(response) -> bool:
    return response.status_code in (302, 403, 404) and "login" not in response.get("Location", "")


class UploadTests:
    def test_trainer_uploads_into_their_city(self, client, fs_default_storage, jakarta):
        user = trainer(jakarta)
        client.force_login(user)

        with open(fixture_path("true-false.h5p"), "rb") as handle:
            response = client.post(reverse(ADD), {"package_file": handle})

        assert response.status_code == 302
        package = H5PPackage.objects.get()
        assert package.city == jakarta
        assert package.collection.name == "Jakarta"
        assert package.uploaded_by == user
        assert package.title == "Hello World"

    def test_refused_upload_shows_the_reason_and_writes_nothing(
        self, client, fs_default_storage, jakarta, tmp_path
    ):
        from tests.content.conftest import stored_names

        client.force_login(trainer(jakarta))
        files = minimal_files()
        files["content/page.html"] = b"<html></html>"
        bad = tmp_path / "paket.h5p"
        bad.write_bytes(build_zip(files))

        with bad.open("rb") as handle:
            response = client.post(reverse(ADD), {"package_file": handle})

        assert response.status_code == 200
        assert b"content/page.html" in response.content
        assert not H5PPackage.objects.exists()
        assert stored_names(fs_default_storage) == []


class CityNarrowingTests:
    def test_trainer_of_the_city_sees_and_chooses_the_package(
        self, client, jakarta_package, jakarta
    ):
        client.force_login(trainer(jakarta))

        assert jakarta_package.title.encode() in client.get(reverse(LIST)).content
        assert jakarta_package.title.encode() in client.get(reverse(CHOOSE)).content

    def test_sorong_trainer_cannot_see_choose_or_edit_a_jakarta_package(
        self, client, jakarta_package, sorong
    ):
        client.force_login(trainer(sorong))

        listing = client.get(reverse(LIST))
        assert listing.status_code == 200
        assert jakarta_package.title.encode() not in listing.content
        chooser = client.get(reverse(CHOOSE))
        assert jakarta_package.title.encode() not in chooser.content
        assert refused(client.get(reverse(EDIT, args=[jakarta_package.pk])))
        assert refused(client.post(reverse(EDIT, args=[jakarta_package.pk]), {"title": "Diambil"}))
        assert refused(client.post(reverse(DELETE, args=[jakarta_package.pk])))
        jakarta_package.refresh_from_db()
        assert jakarta_package.title == "Hello World"

    def test_sorong_admin_cannot_delete_a_jakarta_package(self, client, jakarta_package, sorong):
        client.force_login(city_admin(sorong))

        assert refused(client.post(reverse(DELETE, args=[jakarta_package.pk])))
        assert H5PPackage.objects.filter(pk=jakarta_package.pk).exists()

    def test_jakarta_admin_edits_and_deletes(
        self, client, jakarta_package, jakarta, django_capture_on_commit_callbacks
    ):
        client.force_login(city_admin(jakarta))

        response = client.post(
            reverse(EDIT, args=[jakarta_package.pk]),
            {"title": "Benar atau Salah", "status": "ready"},
        )
        assert response.status_code == 302, response.content[:3000]
        jakarta_package.refresh_from_db()
        assert jakarta_package.title == "Benar atau Salah"

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse(DELETE, args=[jakarta_package.pk]))
        assert response.status_code == 302
        assert not H5PPackage.objects.exists()


class PermissionSyncTests:
    def test_existing_city_groups_catch_up(self, jakarta):
        from wagtail.models import GroupCollectionPermission

        from content.permissions import all_city_roles_sync

        GroupCollectionPermission.objects.filter(
            permission__content_type__app_label="content"
        ).delete()

        all_city_roles_sync()
        all_city_roles_sync()

        granted = GroupCollectionPermission.objects.filter(
            permission__content_type__app_label="content", collection__name="Jakarta"
        )
        assert granted.count() == 6  # city admin 4 + trainer 2, each once
