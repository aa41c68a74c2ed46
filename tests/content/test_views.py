"""The player page and the signed file URLs: who may load what, and with which headers."""

import json
import re
import urllib.request

import pytest
from django.core import signing
from django.urls import reverse

from content import selectors, services
from tests.content.conftest import fixture_path
from tests.factories import CityFactory, LearnerFactory, trainer

pytestmark = pytest.mark.django_db


def import_fixture(name="true-false.h5p", **kwargs):
    with open(fixture_path(name), "rb") as handle:
        return services.package_import(file=handle, filename=name, **kwargs)


@pytest.fixture
def jakarta(db):
    return CityFactory(name="Jakarta", slug="jakarta")


@pytest.fixture
def sorong(db):
    return CityFactory(name="Sorong", slug="sorong")


@pytest.fixture
def jakarta_package(fs_default_storage, jakarta):
    return import_fixture(city=jakarta)


def player_url(package):
    return reverse("content:player", kwargs={"content_id": package.content_id})


def player_config(response) -> dict:
    match = re.search(
        rb'<script id="h5p-config" type="application/json">(.*?)</script>', response.content
    )
    return json.loads(match.group(1))


class PlayerPageTests:
    def test_learner_of_the_city_gets_the_player_with_strict_headers(self, client, jakarta_package):
        learner = LearnerFactory(city=jakarta_package.city)
        client.force_login(learner.user)

        response = client.get(player_url(jakarta_package))

        assert response.status_code == 200
        csp = response["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors http://testserver" in csp
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "X-Frame-Options" not in response
        config = player_config(response)
        assert config["h5pJsonPath"].startswith("http://testserver/h5p/files/")
        assert config["xAPIObjectIRI"].endswith(
            f"/xapi/activities/h5p/{jakarta_package.content_id}"
        )
        assert b"<script>" not in response.content  # no inline script

    def test_anonymous_is_refused(self, client, jakarta_package):
        assert client.get(player_url(jakarta_package)).status_code == 403

    def test_learner_of_another_city_is_refused(self, client, jakarta_package, sorong):
        client.force_login(LearnerFactory(city=sorong).user)

        assert client.get(player_url(jakarta_package)).status_code == 403

    def test_national_package_plays_everywhere(self, client, fs_default_storage, sorong):
        package = import_fixture()
        client.force_login(LearnerFactory(city=sorong).user)

        assert client.get(player_url(package)).status_code == 200

    def test_unknown_package(self, client, jakarta):
        client.force_login(LearnerFactory(city=jakarta).user)

        url = reverse(
            "content:player", kwargs={"content_id": "7f1c2e0a-3b4d-4c5e-8f90-1a2b3c4d5e6f"}
        )
        assert client.get(url).status_code == 404

    def test_content_origin_redirect_and_launch_token(self, client, jakarta_package, settings):
        settings.H5P_CONTENT_ORIGIN = "http://h5p.example.test"
        learner = LearnerFactory(city=jakarta_package.city)
        client.force_login(learner.user)

        response = client.get(player_url(jakarta_package))

        assert response.status_code == 302
        assert response.url.startswith(
            f"http://h5p.example.test{player_url(jakarta_package)}?launch="
        )
        client.logout()
        launched = client.get(response.url.replace("http://h5p.example.test", ""))
        assert launched.status_code == 200
        assert player_config(launched)["librariesPath"].startswith("http://h5p.example.test/")
        forged = client.get(player_url(jakarta_package) + "?launch=forged")
        assert forged.status_code == 403


class SignedFileTests:
    @pytest.fixture
    def base(self, client, jakarta_package):
        client.force_login(LearnerFactory(city=jakarta_package.city).user)
        config = player_config(client.get(player_url(jakarta_package)))
        client.logout()  # the player's requests carry no cookies
        return config

    def get(self, client, url):
        return client.get(url.replace("http://testserver", ""), HTTP_ORIGIN="null")

    def test_h5p_json_content_and_libraries_are_served_with_cors(self, client, base):
        h5p = self.get(client, base["h5pJsonPath"] + "/h5p.json")
        assert h5p.status_code == 200
        assert h5p["Access-Control-Allow-Origin"] == "*"
        assert h5p["X-Content-Type-Options"] == "nosniff"
        assert h5p["Content-Type"] == "application/json"
        assert json.loads(b"".join(h5p.streaming_content))["mainLibrary"] == "H5P.TrueFalse"

        content = self.get(client, base["contentJsonPath"] + "/content.json")
        assert content.status_code == 200

        library = self.get(client, base["librariesPath"] + "/H5P.TrueFalse-1.6/library.json")
        assert library.status_code == 200
        script = self.get(
            client, base["librariesPath"] + "/H5P.TrueFalse-1.6/scripts/h5p-true-false.js"
        )
        assert script.status_code == 200
        assert script["Content-Type"].startswith("text/javascript")

    def test_forged_or_expired_token_is_refused(self, client, base, settings):
        forged = base["h5pJsonPath"].replace("/files/", "/files/x")
        assert self.get(client, forged + "/h5p.json").status_code == 403
        settings.H5P_FILE_URL_MAX_AGE = -1
        assert self.get(client, base["h5pJsonPath"] + "/h5p.json").status_code == 403

    def test_traversal_and_unknown_libraries_are_404(self, client, base):
        assert self.get(client, base["contentJsonPath"] + "/../h5p.json").status_code == 404
        assert (
            self.get(client, base["contentJsonPath"] + "/%2e%2e/%2e%2e/x.json").status_code == 404
        )
        assert (
            self.get(client, base["librariesPath"] + "/H5P.Other-1.0/library.json").status_code
            == 404
        )
        assert (
            self.get(client, base["librariesPath"] + "/H5P.TrueFalse-1.6/x.php").status_code == 404
        )

    def test_token_of_one_package_does_not_open_another(self, client, base, fs_default_storage):
        other = import_fixture("multi-choice.h5p")
        token = base["h5pJsonPath"].split("/files/")[1].split("/")[0]
        url = base["librariesPath"].replace(token, token) + "/H5P.MultiChoice-1.14/library.json"
        assert self.get(client, url).status_code == 404
        assert other.libraries.filter(machine_name="H5P.MultiChoice").exists()

    def test_s3_content_redirects_to_presigned_url(self, client, s3_default_storage, jakarta):
        package = import_fixture("multi-choice.h5p", city=jakarta)
        learner = LearnerFactory(city=jakarta)
        token = selectors.file_token(package=package, user=learner.user)
        base = reverse("content:files-root", kwargs={"token": token})

        image_name = next(
            name.rsplit("/content/", 1)[1]
            for name in _s3_names(s3_default_storage, package.storage_path)
            if name.endswith(".jpg")
        )
        response = client.get(f"{base}content/{image_name}")

        assert response.status_code == 302, response
        assert "Signature=" in response.url or "X-Amz-Signature=" in response.url
        with urllib.request.urlopen(response.url, timeout=10) as served:  # noqa: S310 (moto)
            assert served.read(3) == b"\xff\xd8\xff"
        library = client.get(f"{base}libraries/H5P.MultiChoice-1.14/library.json")
        assert library.status_code == 200
        assert json.loads(b"".join(library.streaming_content))["machineName"] == "H5P.MultiChoice"


def _s3_names(storage, folder):
    return [obj.key for obj in storage.bucket.objects.filter(Prefix=folder + "/content/")]


class TokenTests:
    def test_token_is_signed_with_its_own_salt(self, jakarta_package):
        learner = LearnerFactory(city=jakarta_package.city)
        token = selectors.file_token(package=jakarta_package, user=learner.user)
        with pytest.raises(signing.BadSignature):
            signing.TimestampSigner().unsign(token)
        assert selectors.package_from_file_token(token) == jakarta_package


class CatalogueTests:
    def test_lessons_resolve_ready_packages(self, jakarta_package):
        from courses.activities import ActivityKind, resolve_activities

        key = str(jakarta_package.content_id)
        resolved = resolve_activities(ActivityKind.H5P, [key, "not-a-uuid"])

        assert list(resolved) == [key]
        assert resolved[key].launch_url == player_url(jakarta_package)
        assert resolved[key].title == "Hello World"

    def test_disabled_package_does_not_resolve(self, jakarta_package):
        from courses.activities import ActivityKind, resolve_activities

        services.package_update(package=jakarta_package, status="disabled")

        assert resolve_activities(ActivityKind.H5P, [str(jakarta_package.content_id)]) == {}


class TrainerVisibilityTests:
    def test_sorong_trainer_cannot_play_a_jakarta_package(self, client, jakarta_package, sorong):
        client.force_login(trainer(sorong))

        assert client.get(player_url(jakarta_package)).status_code == 403


class LessonAssetsTagTests:
    def test_tag_renders_the_relay_script_with_its_endpoints(self, settings):
        import uuid

        from django.template import Context, Template

        settings.WAGTAILADMIN_BASE_URL = "https://belajar.example.go.id"
        lesson_key = uuid.uuid4()

        class FakeLesson:
            translation_key = lesson_key

        html = Template("{% load h5p_tags %}{% h5p_lesson_assets %}").render(
            Context({"page": FakeLesson()})
        )

        assert "content/h5p-lesson.js" in html
        assert 'data-statements-url="/xapi/statements"' in html
        assert 'data-state-url="/xapi/activities/state"' in html
        assert (
            f'data-lesson-iri="https://belajar.example.go.id/xapi/activities/lesson/{lesson_key}"'
            in html
        )
        assert "data-content-origin" not in html
