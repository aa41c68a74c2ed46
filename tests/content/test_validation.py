"""The streaming validator: real hub packages pass; hostile and broken ones are refused,
each with its own rule (error code) and a message naming the file."""

import json
import stat
import zipfile

import pytest
from django.utils import translation

from content.validation import PackageRefused, validate_package
from tests.content.conftest import (
    FIXTURE_NAMES,
    PNG_BYTES,
    build_zip,
    fixture_path,
    minimal_files,
)


def refusal(data: bytes, **kwargs) -> PackageRefused:
    import io

    with pytest.raises(PackageRefused) as caught:
        validate_package(io.BytesIO(data), **kwargs)
    return caught.value


def english(error: PackageRefused) -> str:
    with translation.override("en"):
        return error.text


def with_files(**changes) -> dict:
    files = minimal_files()
    for name, data in changes.items():
        if data is None:
            files.pop(name)
        else:
            files[name] = data
    return files


def symlink_entry(archive: zipfile.ZipFile):
    info = zipfile.ZipInfo("content/link.json")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, "/etc/passwd")


class FixturePackageTests:
    @pytest.mark.parametrize("name", FIXTURE_NAMES)
    def test_every_fixture_validates(self, name):
        with open(fixture_path(name), "rb") as handle:
            package = validate_package(handle)

        assert package.title
        assert package.main_library.folder in package.libraries
        assert any(inner == "content.json" for _member, inner in package.content_members)

    def test_there_are_fixtures(self):
        assert {"true-false.h5p", "multi-choice.h5p", "course-presentation.h5p"} <= set(
            FIXTURE_NAMES
        )


class MinimalPackageTests:
    def test_minimal_package_is_valid(self, minimal_package):
        import io

        package = validate_package(io.BytesIO(minimal_package))

        assert package.title == "Kuis Demo"
        assert package.main_library.folder == "H5P.Demo-1.0"
        assert package.libraries["H5P.Demo-1.0"].patch == 3

    def test_versions_as_integers_and_ignored_files(self):
        import io

        files = minimal_files()
        h5p = json.loads(files["h5p.json"])
        h5p["preloadedDependencies"][0].update(majorVersion=1, minorVersion=0)
        files["h5p.json"] = json.dumps(h5p).encode()
        files["__MACOSX/._h5p.json"] = b"\x00\x05\x16\x07"
        files["content/.DS_Store"] = b"\x00\x00\x00\x01Bud1"
        files["H5P.Demo-1.0/README.md"] = b"# Demo"

        package = validate_package(io.BytesIO(build_zip(files)))

        assert "content/.DS_Store" not in {m for m, _inner in package.content_members}

    def test_directory_entries_are_allowed(self):
        import io

        def dirs(archive):
            archive.writestr(zipfile.ZipInfo("content/images/"), b"")

        validate_package(io.BytesIO(build_zip(minimal_files(), extra=dirs)))

    def test_dependency_already_installed(self):
        from content.validation import LibraryInfo, LibraryRef

        files = with_files()
        h5p = json.loads(files["h5p.json"])
        h5p["preloadedDependencies"].append(
            {"machineName": "FontAwesome", "majorVersion": 4, "minorVersion": 5}
        )
        files["h5p.json"] = json.dumps(h5p).encode()
        ref = LibraryRef("FontAwesome", 4, 5)
        installed = {ref.folder: LibraryInfo(ref, 1, "FA", False, (1, 0), [], [], [], {})}
        import io

        validate_package(io.BytesIO(build_zip(files)), installed=installed)
        assert refusal(build_zip(files)).code == "missing_library"


class HostilePackageTests:
    def test_not_a_zip(self):
        error = refusal(b"<html>bukan zip</html>")
        assert error.code == "not_a_zip"
        assert "not an H5P package" in english(error)

    def test_zip_slip(self):
        error = refusal(build_zip(with_files(**{"content/../../evil.json": b"{}"})))
        assert error.code == "path_traversal"
        assert "content/../../evil.json" in english(error)

    def test_dot_dot_inside_an_ignored_folder_is_still_refused(self):
        error = refusal(build_zip(with_files(**{"__MACOSX/../../evil.json": b"{}"})))
        assert error.code == "path_traversal"

    def test_absolute_path(self):
        error = refusal(build_zip(with_files(**{"/etc/cron.d/evil.json": b"{}"})))
        assert error.code == "absolute_path"
        assert "/etc/cron.d/evil.json" in english(error)

    def test_backslash(self):
        error = refusal(build_zip(with_files(**{"content\\evil.json": b"{}"})))
        assert error.code == "backslash"

    def test_symlink(self):
        error = refusal(build_zip(minimal_files(), extra=symlink_entry))
        assert error.code == "symlink"
        assert "content/link.json" in english(error)

    def test_duplicate_names(self):
        def duplicate(archive):
            archive.writestr("content/images/gambar.png", PNG_BYTES)

        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = build_zip(minimal_files(), extra=duplicate)
        error = refusal(data)
        assert error.code == "duplicate_name"

    def test_zip_bomb(self, settings):
        bomb = b"\x00" * (30 * 1024 * 1024)
        error = refusal(build_zip(with_files(**{"content/video.mp4": bomb})))
        assert error.code == "compression_ratio"
        assert "content/video.mp4" in english(error)

    def test_bomb_with_forged_header_is_counted_while_streaming(self, settings):
        settings.H5P_MAX_FILE_BYTES = 1024 * 1024
        settings.H5P_MAX_COMPRESSION_RATIO = 10_000
        error = refusal(build_zip(with_files(**{"content/video.mp4": b"\x00" * (2 * 1024 * 1024)})))
        assert error.code == "file_too_large"

    def test_total_size(self, settings):
        # The zip is small (~1.5 KB); what it unpacks to is not.
        settings.H5P_MAX_TOTAL_BYTES = 4096
        error = refusal(build_zip(with_files(**{"content/notes.txt": b"a" * 8192})))
        assert error.code == "package_too_large"

    def test_too_many_files(self, settings):
        settings.H5P_MAX_ENTRIES = 20
        files = minimal_files()
        files.update({f"content/f{i}.txt": b"x" for i in range(30)})
        error = refusal(build_zip(files))
        assert error.code == "too_many_files"
        assert "at most 20" in english(error)

    @pytest.mark.parametrize(
        "name", ["content/shell.php", "content/setup.exe", "content/page.html"]
    )
    def test_disallowed_content_extensions(self, name):
        error = refusal(build_zip(with_files(**{name: b"<?php system($_GET['c']);"})))
        assert error.code == "disallowed_extension"
        assert name in english(error)

    def test_svg_is_refused_in_content_but_allowed_in_libraries(self):
        svg = b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"
        assert refusal(build_zip(with_files(**{"content/gambar.svg": svg}))).code == (
            "disallowed_extension"
        )
        import io

        validate_package(io.BytesIO(build_zip(with_files(**{"H5P.Demo-1.0/icon.svg": svg}))))

    @pytest.mark.parametrize(
        "payload",
        [
            b"<html><script>alert(1)</script></html>",
            PNG_BYTES + b"<script>alert(1)</script>",
            PNG_BYTES + b"<svg onload=alert(1)>",
        ],
    )
    def test_html_in_a_png(self, payload):
        error = refusal(build_zip(with_files(**{"content/images/gambar.png": payload})))
        assert error.code == "content_mismatch"
        assert "content/images/gambar.png" in english(error)

    def test_html_in_a_text_file(self):
        error = refusal(build_zip(with_files(**{"content/notes.txt": b"<!DOCTYPE html><p>"})))
        assert error.code == "content_mismatch"

    def test_missing_h5p_json(self):
        error = refusal(build_zip(with_files(**{"h5p.json": None})))
        assert error.code == "missing_h5p_json"
        assert "h5p.json" in english(error)

    def test_missing_content_json(self):
        error = refusal(build_zip(with_files(**{"content/content.json": None})))
        assert error.code == "missing_content_json"

    @pytest.mark.parametrize(
        "name", ["h5p.json", "content/content.json", "H5P.Demo-1.0/library.json"]
    )
    def test_broken_json(self, name):
        error = refusal(build_zip(with_files(**{name: b'{"title": "rusak",'})))
        assert error.code == "invalid_json"
        assert name in english(error)

    @pytest.mark.parametrize("key", ["title", "language", "mainLibrary", "embedTypes"])
    def test_h5p_json_fields(self, key):
        files = minimal_files()
        h5p = json.loads(files["h5p.json"])
        del h5p[key]
        files["h5p.json"] = json.dumps(h5p).encode()
        error = refusal(build_zip(files))
        assert error.code == "invalid_h5p_json"
        assert key in english(error)

    def test_bad_version_string(self):
        files = minimal_files()
        h5p = json.loads(files["h5p.json"])
        h5p["preloadedDependencies"][0]["majorVersion"] = "1.x"
        files["h5p.json"] = json.dumps(h5p).encode()
        assert refusal(build_zip(files)).code == "bad_version"

    def test_missing_library(self):
        files = with_files()
        for name in list(files):
            if name.startswith("H5P.Demo-1.0/"):
                files.pop(name)
        error = refusal(build_zip(files))
        assert error.code == "missing_library"
        assert "H5P.Demo-1.0" in english(error)

    def test_missing_transitive_library(self):
        files = minimal_files()
        library = json.loads(files["H5P.Demo-1.0/library.json"])
        library["preloadedDependencies"] = [
            {"machineName": "H5P.Question", "majorVersion": 1, "minorVersion": 5}
        ]
        files["H5P.Demo-1.0/library.json"] = json.dumps(library).encode()
        error = refusal(build_zip(files))
        assert error.code == "missing_library"
        assert "H5P.Question-1.5" in english(error)

    def test_mismatched_folder_name(self):
        files = {
            (name.replace("H5P.Demo-1.0/", "H5P.Demo-1.1/")): data
            for name, data in minimal_files().items()
        }
        error = refusal(build_zip(files))
        assert error.code == "library_folder_mismatch"
        assert "H5P.Demo-1.1" in english(error)

    def test_folder_that_is_no_library(self):
        error = refusal(build_zip(with_files(**{"scripts/evil.js": b"x"})))
        assert error.code == "bad_library_folder"

    def test_missing_preloaded_js(self):
        error = refusal(build_zip(with_files(**{"H5P.Demo-1.0/demo.js": None})))
        assert error.code == "missing_library_file"
        assert "H5P.Demo-1.0/demo.js" in english(error)

    def test_core_api_too_new(self):
        files = minimal_files()
        library = json.loads(files["H5P.Demo-1.0/library.json"])
        library["coreApi"] = {"majorVersion": 1, "minorVersion": 99}
        files["H5P.Demo-1.0/library.json"] = json.dumps(library).encode()
        error = refusal(build_zip(files))
        assert error.code == "core_api_too_new"
        assert "1.99" in english(error)


class UploadSizeTests:
    def test_oversized_upload_is_refused_before_reading_it(self, settings, minimal_package):
        settings.H5P_MAX_TOTAL_BYTES = 100
        error = refusal(minimal_package)
        assert error.code == "upload_too_large"
        assert "larger than" in english(error)
