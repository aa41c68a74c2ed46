"""``manage.py import_h5p`` and the demo loader."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from content.demo import load_demo_h5p
from content.models import H5PPackage
from tests.content.conftest import build_zip, fixture_path, minimal_files
from tests.factories import CityFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    with translation.override("en"):
        try:
            call_command("import_h5p", *args, stdout=out)
        except CommandError as exc:
            return out.getvalue(), exc
    return out.getvalue(), None


class ImportCommandTests:
    def test_imports_each_file_into_the_city(self, fs_default_storage):
        city = CityFactory(slug="palu")

        out, error = run(
            str(fixture_path("true-false.h5p")),
            str(fixture_path("multi-choice.h5p")),
            "--city",
            "palu",
        )

        assert error is None
        lines = out.strip().splitlines()
        assert len(lines) == 2
        assert all(line.startswith("imported ") for line in lines)
        assert H5PPackage.objects.filter(city=city).count() == 2

    def test_refused_file_gives_its_reason_and_a_failing_status(self, fs_default_storage, tmp_path):
        bad = tmp_path / "berbahaya.h5p"
        files = minimal_files()
        files["content/shell.php"] = b"<?php"
        bad.write_bytes(build_zip(files))

        out, error = run(
            str(fixture_path("true-false.h5p")), str(bad), str(tmp_path / "missing.h5p")
        )

        assert error is not None
        assert "2 of 3 files were refused" in str(error)
        lines = out.strip().splitlines()
        assert lines[0].startswith("imported ")
        assert lines[1].startswith(f"refused  {bad}:")
        assert "content/shell.php" in lines[1]
        assert lines[2].startswith("refused ")
        assert H5PPackage.objects.count() == 1

    def test_unknown_city(self, fs_default_storage):
        out, error = run(str(fixture_path("true-false.h5p")), "--city", "atlantis")
        assert error is not None
        assert "atlantis" in str(error)


class DemoTests:
    def test_demo_packages_are_imported_once(self, fs_default_storage):
        city = CityFactory()

        first = load_demo_h5p(city=city)
        again = load_demo_h5p(city=city)

        assert set(first) == {"true-false.h5p", "multi-choice.h5p"}
        assert {p.pk for p in first.values()} == {p.pk for p in again.values()}
        assert first["true-false.h5p"].main_library.startswith("H5P.TrueFalse")
        assert H5PPackage.objects.filter(city=city).count() == 2
