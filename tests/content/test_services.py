"""Importing, replacing and deleting packages, on the filesystem and on S3 over HTTP."""

import io
import json
import urllib.request

import pytest
from django.db import transaction

from content import services
from content.models import H5PLibrary, H5PPackage
from content.validation import PackageRefused
from tests.content.conftest import (
    FIXTURE_NAMES,
    build_zip,
    fixture_path,
    minimal_files,
    stored_names,
)
from tests.factories import CityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on_commit callbacks as a real commit would (the test's transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def import_fixture(name: str, **kwargs) -> H5PPackage:
    with open(fixture_path(name), "rb") as handle:
        return services.package_import(file=handle, filename=name, **kwargs)


class FixtureImportTests:
    @pytest.mark.parametrize("name", FIXTURE_NAMES)
    def test_fixture_validates_and_extracts(self, any_storage, name):
        city = CityFactory()

        package = import_fixture(name, city=city)

        assert package.storage_path.startswith(f"h5p/content/{package.content_id}/")
        assert package.collection.name == city.name
        with any_storage.open(f"{package.storage_path}/h5p.json") as handle:
            h5p = json.load(handle)
        assert h5p["mainLibrary"] == package.main_library.rsplit("-", 1)[0]
        assert any_storage.exists(f"{package.storage_path}/content/content.json")
        main = package.libraries.get(machine_name=h5p["mainLibrary"])
        assert any_storage.exists(f"{main.storage_path}/library.json")
        stored = stored_names(any_storage)
        assert len(stored) == package.file_count

    def test_s3_files_are_served_over_http(self, s3_default_storage):
        package = import_fixture("true-false.h5p")

        url = s3_default_storage.url(f"{package.storage_path}/content/content.json")

        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local moto)
            assert json.load(response)

    def test_libraries_are_shared_between_packages(self, fs_default_storage):
        first = import_fixture("true-false.h5p")
        library_count = H5PLibrary.objects.count()

        second = import_fixture("true-false.h5p")

        assert H5PLibrary.objects.count() == library_count
        assert set(first.libraries.all()) == set(second.libraries.all())
        assert first.content_id != second.content_id


class LibraryPatchTests:
    def _package(self, patch: int) -> bytes:
        files = minimal_files()
        library = json.loads(files["H5P.Demo-1.0/library.json"])
        library["patchVersion"] = patch
        files["H5P.Demo-1.0/library.json"] = json.dumps(library).encode()
        files["H5P.Demo-1.0/demo.js"] = f"/* patch {patch} */".encode()
        return build_zip(files)

    def test_newer_patch_replaces_older_and_old_files_go(self, fs_default_storage, commit):
        services.package_import(file=io.BytesIO(self._package(3)))
        old = H5PLibrary.objects.get(machine_name="H5P.Demo")

        with commit():
            services.package_import(file=io.BytesIO(self._package(5)))

        new = H5PLibrary.objects.get(machine_name="H5P.Demo")
        assert new.pk == old.pk
        assert new.patch_version == 5
        assert not fs_default_storage.exists(f"{old.storage_path}/demo.js")
        with fs_default_storage.open(f"{new.storage_path}/demo.js") as handle:
            assert handle.read() == b"/* patch 5 */"

    def test_older_patch_keeps_the_installed_one(self, fs_default_storage):
        services.package_import(file=io.BytesIO(self._package(5)))

        services.package_import(file=io.BytesIO(self._package(2)))

        assert H5PLibrary.objects.get(machine_name="H5P.Demo").patch_version == 5
        assert len([n for n in stored_names(fs_default_storage) if n.endswith("demo.js")]) == 1


class RefusedImportTests:
    def test_refused_package_writes_nothing(self, any_storage):
        files = minimal_files()
        files["content/shell.php"] = b"<?php"

        with pytest.raises(PackageRefused):
            services.package_import(file=io.BytesIO(build_zip(files)))

        assert stored_names(any_storage) == []
        assert not H5PPackage.objects.exists()
        assert not H5PLibrary.objects.exists()

    def test_failed_transaction_removes_written_files(self, fs_default_storage, monkeypatch):
        def broken(**kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(services, "_record", broken)

        with pytest.raises(RuntimeError):
            services.package_import(file=io.BytesIO(build_zip(minimal_files())))

        assert stored_names(fs_default_storage) == []


class DeleteAndReplaceTests:
    def test_delete_cleans_up_after_commit(self, any_storage, commit):
        package = import_fixture("true-false.h5p")
        folder = package.storage_path

        with commit():
            services.package_delete(package=package)
            # Still there until the transaction commits: a rollback must find the files.
            assert any_storage.exists(f"{folder}/h5p.json")

        assert not any_storage.exists(f"{folder}/h5p.json")
        assert not H5PPackage.objects.exists()

    def test_delete_rolled_back_keeps_files(self, fs_default_storage):
        package = import_fixture("true-false.h5p")

        with pytest.raises(RuntimeError), transaction.atomic():
            services.package_delete(package=package)
            raise RuntimeError("rollback")

        assert fs_default_storage.exists(f"{package.storage_path}/h5p.json")
        assert H5PPackage.objects.filter(pk=package.pk).exists()

    def test_replace_keeps_content_id_and_removes_old_files(self, fs_default_storage, commit):
        package = import_fixture("true-false.h5p")
        old_folder = package.storage_path

        with commit(), open(fixture_path("multi-choice.h5p"), "rb") as handle:
            replaced = services.package_import(file=handle, replace=package)

        assert replaced.pk == package.pk
        assert replaced.content_id == package.content_id
        assert replaced.main_library.startswith("H5P.MultiChoice")
        assert not fs_default_storage.exists(f"{old_folder}/h5p.json")
        assert fs_default_storage.exists(f"{replaced.storage_path}/h5p.json")
