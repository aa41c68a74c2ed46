"""Streaming validation of H5P packages (.h5p zip files) before anything is written.

There is no usable H5P library on PyPI, so the rules of H5P core (h5p-php-library's
H5PValidator) are re-implemented here, stricter where the browser player runs the code:

- The archive is read through its central directory and each member is streamed in small
  chunks: the whole archive, or a whole member, is never held in memory. Only the JSON
  files H5P needs to parse (h5p.json, content/content.json, */library.json) are read
  whole, and only up to ``H5P_MAX_JSON_BYTES``.
- Sizes are counted from the bytes actually inflated, never from the zip headers, so a
  forged header cannot slip a zip bomb past the limits.
- Every refusal is a ``PackageRefused`` (a ValidationError) with a code, the file it is
  about and a message for the uploader saying what to do next.

The result, a ``ValidatedPackage``, is everything the import service needs to extract the
package: which members are content, which are libraries, and what the JSON said.
"""

import json
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# H5P core's default allowlists (H5PCore::$defaultContentWhitelist and
# H5PCore::$defaultLibraryWhitelistExtras).
DEFAULT_CONTENT_EXTENSIONS = frozenset(
    [
        "json",
        "png",
        "jpg",
        "jpeg",
        "gif",
        "bmp",
        "tif",
        "tiff",
        "eot",
        "ttf",
        "woff",
        "woff2",
        "otf",
        "webm",
        "mp4",
        "ogg",
        "mp3",
        "m4a",
        "wav",
        "txt",
        "pdf",
        "rtf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "odt",
        "ods",
        "odp",
        "csv",
        "diff",
        "patch",
        "swf",
        "md",
        "textile",
        "vtt",
        "webvtt",
        "gltf",
        "glb",
    ]
)
DEFAULT_LIBRARY_EXTRA_EXTENSIONS = frozenset(["js", "css", "svg", "xml"])

# Hub packages reach ~1,700 files, ~10 MB unpacked and a per-file ratio of ~12; these sit
# well above that, and far below what would hurt a server (see the H5P issue).
DEFAULT_LIMITS = {
    "H5P_MAX_ENTRIES": 10_000,
    "H5P_MAX_FILE_BYTES": 200 * 1024 * 1024,
    "H5P_MAX_TOTAL_BYTES": 500 * 1024 * 1024,
    "H5P_MAX_COMPRESSION_RATIO": 100,
    "H5P_MAX_JSON_BYTES": 16 * 1024 * 1024,
}
# Small members compress absurdly well (a JSON file of spaces) without being a threat;
# the ratio rule looks only at members that inflate beyond this.
RATIO_MIN_BYTES = 1024 * 1024

# h5p-standalone 3.8 bundles H5P core 1.26 (its frame bundle ships H5P.Tooltip, new in 1.26).
DEFAULT_CORE_API = (1, 26)

CHUNK_SIZE = 64 * 1024

LIBRARY_FOLDER_RE = re.compile(r"^(?P<name>[A-Za-z][\w.\-]*)-(?P<major>\d+)\.(?P<minor>\d+)$")
MACHINE_NAME_RE = re.compile(r"^[A-Za-z][\w.\-]*$")
# Names are written to S3 and to disk as they are, and the player asks for them by URL:
# anything outside this set is refused rather than rewritten (which would break references).
SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9._\-/ ()+,~@]+$")


def _setting(name: str, default):
    return getattr(settings, name, default)


def content_extensions() -> frozenset[str]:
    return frozenset(_setting("H5P_CONTENT_EXTENSIONS", DEFAULT_CONTENT_EXTENSIONS))


def library_extensions() -> frozenset[str]:
    extra = _setting("H5P_LIBRARY_EXTRA_EXTENSIONS", DEFAULT_LIBRARY_EXTRA_EXTENSIONS)
    return content_extensions() | frozenset(extra)


def limit(name: str) -> int:
    return int(_setting(name, DEFAULT_LIMITS[name]))


def core_api() -> tuple[int, int]:
    major, minor = _setting("H5P_CORE_API", DEFAULT_CORE_API)
    return int(major), int(minor)


class PackageRefused(ValidationError):
    """A package that must not be imported; ``code`` names the rule, ``path`` the file."""

    def __init__(self, message, *, code: str, path: str = "", params: dict | None = None):
        params = {"file": path, **(params or {})}
        super().__init__(message, code=code, params=params)
        self.path = path

    @property
    def text(self) -> str:
        return str(self.message % self.params) if self.params else str(self.message)


@dataclass(frozen=True)
class LibraryRef:
    machine_name: str
    major: int
    minor: int

    @property
    def folder(self) -> str:
        return f"{self.machine_name}-{self.major}.{self.minor}"


@dataclass
class LibraryInfo:
    ref: LibraryRef
    patch: int
    title: str
    runnable: bool
    core_api: tuple[int, int]
    preloaded_js: list[str]
    preloaded_css: list[str]
    dependencies: list[LibraryRef]
    metadata: dict
    # Zip member names of this library's files, and their paths inside the library folder.
    members: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ValidatedPackage:
    title: str
    language: str
    main_library: LibraryRef
    h5p_json: dict
    preloaded: list[LibraryRef]
    libraries: dict[str, LibraryInfo]
    # (zip member name, path inside content/) of every content file, content.json included.
    content_members: list[tuple[str, str]]
    total_bytes: int
    file_count: int

    def dependency_closure(self, installed: dict[str, "LibraryInfo"]) -> list[LibraryRef]:
        """Every library the package's preloaded dependencies reach, each once."""
        known = {**installed, **self.libraries}
        seen: dict[str, LibraryRef] = {}
        stack = list(self.preloaded)
        while stack:
            ref = stack.pop()
            if ref.folder in seen:
                continue
            seen[ref.folder] = ref
            info = known.get(ref.folder)
            if info is not None:
                stack.extend(info.dependencies)
        return list(seen.values())


# --- content sniffing ---------------------------------------------------------------------

_MAGIC = {
    "png": [(0, b"\x89PNG\r\n\x1a\n")],
    "jpg": [(0, b"\xff\xd8\xff")],
    "jpeg": [(0, b"\xff\xd8\xff")],
    "gif": [(0, b"GIF87a"), (0, b"GIF89a")],
    "bmp": [(0, b"BM")],
    "tif": [(0, b"II*\x00"), (0, b"MM\x00*")],
    "tiff": [(0, b"II*\x00"), (0, b"MM\x00*")],
    "webm": [(0, b"\x1a\x45\xdf\xa3")],
    "mp4": [(4, b"ftyp")],
    "m4a": [(4, b"ftyp")],
    "ogg": [(0, b"OggS")],
    "mp3": [(0, b"ID3"), (0, b"\xff\xfb"), (0, b"\xff\xf3"), (0, b"\xff\xf2"), (0, b"\xff\xfa")],
    "wav": [(0, b"RIFF")],
    "pdf": [(0, b"%PDF-")],
    "woff": [(0, b"wOFF")],
    "woff2": [(0, b"wOF2")],
    "ttf": [(0, b"\x00\x01\x00\x00"), (0, b"true"), (0, b"OTTO")],
    "otf": [(0, b"OTTO"), (0, b"\x00\x01\x00\x00")],
    "docx": [(0, b"PK\x03\x04")],
    "xlsx": [(0, b"PK\x03\x04")],
    "pptx": [(0, b"PK\x03\x04")],
    "odt": [(0, b"PK\x03\x04")],
    "ods": [(0, b"PK\x03\x04")],
    "odp": [(0, b"PK\x03\x04")],
    "doc": [(0, b"\xd0\xcf\x11\xe0")],
    "xls": [(0, b"\xd0\xcf\x11\xe0")],
    "ppt": [(0, b"\xd0\xcf\x11\xe0")],
    "rtf": [(0, b"{\\rtf")],
    "swf": [(0, b"FWS"), (0, b"CWS"), (0, b"ZWS")],
    "glb": [(0, b"glTF")],
}
# Markup that makes a browser (or an old one sniffing) treat bytes as a page or a script.
_IMAGE_EXTENSIONS = frozenset(["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff"])
_MARKUP_RE = re.compile(rb"<(?:script|svg|html|iframe|body|object|embed|!doctype)", re.IGNORECASE)
_MARKUP_OVERLAP = 16
# Text formats must be text: a NUL byte or HTML at the start means something else in disguise.
_TEXT_EXTENSIONS = frozenset(
    ["json", "txt", "csv", "diff", "patch", "md", "textile", "vtt", "webvtt", "gltf"]
)
_HTML_START_RE = re.compile(rb"^\s*<(?:!doctype|html|script|svg|body|iframe)", re.IGNORECASE)


def _magic_matches(extension: str, head: bytes) -> bool:
    signatures = _MAGIC.get(extension)
    if signatures is None:
        return True
    if extension == "wav":
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if extension == "mp3" and len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return True
    return any(head[offset : offset + len(sig)] == sig for offset, sig in signatures)


# --- the validator ------------------------------------------------------------------------


def _refuse(message, code: str, path: str = "", **params):
    raise PackageRefused(message, code=code, path=path, params=params)


def _version(value, *, path: str, key: str) -> int:
    """H5P writes versions as integers or as strings of digits; both are accepted."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    _refuse(
        _(
            "“%(file)s”: “%(key)s” must be a whole number (found “%(value)s”). Export the "
            "package again from the H5P editor."
        ),
        "bad_version",
        path,
        key=key,
        value=str(value)[:40],
    )


def _dependency_list(value, *, path: str, key: str) -> list[LibraryRef]:
    if value is None:
        return []
    if not isinstance(value, list):
        _refuse(
            _(
                "“%(file)s”: “%(key)s” must be a list of libraries. Export the package again from "
                "the H5P editor."
            ),
            "bad_dependencies",
            path,
            key=key,
        )
    refs = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("machineName"), str):
            _refuse(
                _(
                    "“%(file)s”: every entry of “%(key)s” needs machineName, majorVersion and "
                    "minorVersion. Export the package again from the H5P editor."
                ),
                "bad_dependencies",
                path,
                key=key,
            )
        name = item["machineName"]
        if not MACHINE_NAME_RE.match(name):
            _refuse(
                _(
                    "“%(file)s”: “%(name)s” is not a valid library name. Export the package again "
                    "from the H5P editor."
                ),
                "bad_dependencies",
                path,
                name=name[:80],
            )
        refs.append(
            LibraryRef(
                name,
                _version(item.get("majorVersion"), path=path, key="majorVersion"),
                _version(item.get("minorVersion"), path=path, key="minorVersion"),
            )
        )
    return refs


class _Reader:
    """Streams zip members, counting the bytes actually inflated against the limits."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.total = 0
        self.max_file = limit("H5P_MAX_FILE_BYTES")
        self.max_total = limit("H5P_MAX_TOTAL_BYTES")
        self.max_ratio = limit("H5P_MAX_COMPRESSION_RATIO")

    def chunks(self, info: zipfile.ZipInfo) -> Iterable[bytes]:
        size = 0
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(CHUNK_SIZE):
                    size += len(chunk)
                    self.total += len(chunk)
                    self._check(info, size)
                    yield chunk
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
            if isinstance(exc, PackageRefused):
                raise
            _refuse(
                _("“%(file)s” is damaged inside the zip archive. Export the package again."),
                "corrupt_member",
                info.filename,
            )
        except NotImplementedError:
            _refuse(
                _(
                    "“%(file)s” is compressed with a method H5P does not use. Export the "
                    "package again from the H5P editor."
                ),
                "unsupported_compression",
                info.filename,
            )

    def _check(self, info: zipfile.ZipInfo, size: int) -> None:
        if size > self.max_file:
            _refuse(
                _(
                    "“%(file)s” is larger than %(limit)s MB once unpacked. Make the file "
                    "smaller or split the activity."
                ),
                "file_too_large",
                info.filename,
                limit=self.max_file // (1024 * 1024),
            )
        if self.total > self.max_total:
            _refuse(
                _(
                    "The package is larger than %(limit)s MB once unpacked (reached at "
                    "“%(file)s”). Split the activity into smaller packages."
                ),
                "package_too_large",
                info.filename,
                limit=self.max_total // (1024 * 1024),
            )
        if size > RATIO_MIN_BYTES and size > self.max_ratio * max(info.compress_size, 1):
            _refuse(
                _(
                    "“%(file)s” unpacks to more than %(ratio)s times its packed size, which "
                    "is how zip bombs work. The package was refused."
                ),
                "compression_ratio",
                info.filename,
                ratio=self.max_ratio,
            )

    def read_json(self, info: zipfile.ZipInfo):
        max_json = limit("H5P_MAX_JSON_BYTES")
        parts, size = [], 0
        for chunk in self.chunks(info):
            size += len(chunk)
            if size > max_json:
                _refuse(
                    _(
                        "“%(file)s” is larger than %(limit)s MB; H5P JSON files are much "
                        "smaller. Export the package again from the H5P editor."
                    ),
                    "json_too_large",
                    info.filename,
                    limit=max_json // (1024 * 1024),
                )
            parts.append(chunk)
        try:
            return json.loads(b"".join(parts).decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            _refuse(
                _("“%(file)s” is not valid JSON. Export the package again from the H5P editor."),
                "invalid_json",
                info.filename,
            )

    def drain(self, info: zipfile.ZipInfo, *, extension: str, sniff: bool) -> None:
        """Read a member to its end (sizes, CRC); for content files also check its bytes."""
        head = b""
        tail = b""
        for chunk in self.chunks(info):
            if not sniff:
                continue
            if len(head) < 64:
                head += chunk[: 64 - len(head)]
            if extension in _IMAGE_EXTENSIONS:
                window = tail + chunk
                if _MARKUP_RE.search(window):
                    self._mismatch(info, extension)
                tail = window[-_MARKUP_OVERLAP:]
        if not sniff:
            return
        if extension in _TEXT_EXTENSIONS:
            if b"\x00" in head or _HTML_START_RE.match(head):
                self._mismatch(info, extension)
        elif not _magic_matches(extension, head):
            self._mismatch(info, extension)

    def _mismatch(self, info, extension):
        _refuse(
            _(
                "“%(file)s” does not contain what a .%(extension)s file contains (it may hide "
                "a web page or a script). Save the file again in its real format."
            ),
            "content_mismatch",
            info.filename,
            extension=extension,
        )


def _check_name(info: zipfile.ZipInfo) -> list[str] | None:
    """The path segments of a member, None when H5P ignores it; refuses unsafe paths."""
    name = info.filename
    if "\\" in name:
        _refuse(
            _("“%(file)s” uses backslashes in its path. Create the zip file with another tool."),
            "backslash",
            name,
        )
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        _refuse(
            _("“%(file)s” has an absolute path. A package may only contain relative paths."),
            "absolute_path",
            name,
        )
    segments = name.rstrip("/").split("/")
    if any(segment == ".." for segment in segments):
        _refuse(
            _("“%(file)s” points outside the package (“..”). The package was refused for safety."),
            "path_traversal",
            name,
        )
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        _refuse(
            _("“%(file)s” is a symbolic link. Packages may only contain ordinary files."),
            "symlink",
            name,
        )
    # H5P core skips files and folders starting with . or _ (__MACOSX/, .DS_Store).
    if any(segment.startswith((".", "_")) for segment in segments):
        return None
    if any(segment == "" for segment in segments) or not SAFE_NAME_RE.match(name):
        _refuse(
            _(
                "“%(file)s” has characters H5P file names do not use. Rename the file using "
                "letters, digits, dashes and dots."
            ),
            "bad_name",
            name,
        )
    return segments


def _extension(segments: list[str]) -> str:
    suffix = PurePosixPath(segments[-1]).suffix
    return suffix[1:].lower() if suffix else ""


def validate_package(fileobj, *, installed: dict[str, LibraryInfo] | None = None):
    """Validate an .h5p file (a binary, seekable file object) and describe what it holds.

    ``installed`` maps library folder names (``H5P.Foo-1.2``) to libraries already on the
    platform, which satisfy dependencies the package does not ship. Raises PackageRefused.
    """
    installed = installed or {}
    try:
        size = fileobj.seek(0, 2)
        fileobj.seek(0)
    except (AttributeError, OSError):
        size = 0
    if size > limit("H5P_MAX_TOTAL_BYTES"):
        _refuse(
            _("The file is larger than %(limit)s MB. Split the activity into smaller packages."),
            "upload_too_large",
            limit=limit("H5P_MAX_TOTAL_BYTES") // (1024 * 1024),
        )
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        _refuse(
            _(
                "The file is not an H5P package (not a valid zip archive). Export the activity "
                "again from the H5P editor as an .h5p file."
            ),
            "not_a_zip",
        )
    with archive:
        return _validate(archive, installed)


def _validate(archive: zipfile.ZipFile, installed: dict[str, LibraryInfo]) -> ValidatedPackage:
    infos = archive.infolist()
    max_entries = limit("H5P_MAX_ENTRIES")
    if len(infos) > max_entries:
        _refuse(
            _(
                "The package holds %(count)s files; at most %(limit)s are allowed. Split the "
                "activity into smaller packages."
            ),
            "too_many_files",
            count=len(infos),
            limit=max_entries,
        )

    # Pass 1, headers only: names, duplicates, allowlists, the package's shape.
    seen: set[str] = set()
    h5p_info = content_json_info = None
    content_members: list[tuple[str, zipfile.ZipInfo, str]] = []
    library_members: dict[str, list[tuple[zipfile.ZipInfo, str]]] = {}
    content_ext, library_ext = content_extensions(), library_extensions()
    for info in infos:
        segments = _check_name(info)
        key = info.filename.rstrip("/").lower()
        if key in seen:
            _refuse(
                _("“%(file)s” appears twice in the zip archive. Export the package again."),
                "duplicate_name",
                info.filename,
            )
        seen.add(key)
        if segments is None or info.is_dir():
            continue
        top = segments[0]
        extension = _extension(segments)
        if len(segments) == 1:
            if top == "h5p.json":
                h5p_info = info
            elif extension not in content_ext:
                _disallowed(info, extension, content_ext)
            # H5P core ignores other files at the top level; so do we (they are not stored).
            continue
        if top == "content":
            if extension not in content_ext:
                _disallowed(info, extension, content_ext)
            inner = "/".join(segments[1:])
            if inner == "content.json":
                content_json_info = info
            content_members.append((inner, info, extension))
            continue
        if not LIBRARY_FOLDER_RE.match(top):
            _refuse(
                _(
                    "The folder “%(folder)s” is neither content/ nor a library folder named "
                    "like H5P.Example-1.2. Export the package again from the H5P editor."
                ),
                "bad_library_folder",
                info.filename,
                folder=top,
            )
        if extension not in library_ext:
            _disallowed(info, extension, library_ext)
        library_members.setdefault(top, []).append((info, "/".join(segments[1:])))

    if h5p_info is None:
        _refuse(
            _(
                "h5p.json is missing, so this is not an H5P package. Export the activity "
                "again from the H5P editor as an .h5p file."
            ),
            "missing_h5p_json",
            "h5p.json",
        )
    if content_json_info is None:
        _refuse(
            _("content/content.json is missing. Export the package again from the H5P editor."),
            "missing_content_json",
            "content/content.json",
        )

    reader = _Reader(archive)

    # Pass 2, contents: JSON parsed, every other member streamed through to its end.
    h5p_json = reader.read_json(h5p_info)
    title, language, main, preloaded = _check_h5p_json(h5p_json)
    reader.read_json(content_json_info)

    libraries: dict[str, LibraryInfo] = {}
    for folder, members in library_members.items():
        library_json = next((info for info, inner in members if inner == "library.json"), None)
        if library_json is None:
            _refuse(
                _(
                    "The library folder “%(folder)s” has no library.json. Export the package "
                    "again from the H5P editor."
                ),
                "missing_library_json",
                f"{folder}/library.json",
                folder=folder,
            )
        info = _check_library_json(reader.read_json(library_json), folder)
        inner_names = {inner for _info, inner in members}
        for asset in info.preloaded_js + info.preloaded_css:
            if asset not in inner_names:
                _refuse(
                    _(
                        "“%(file)s” is listed in %(folder)s/library.json but is missing from "
                        "the package. Export the package again from the H5P editor."
                    ),
                    "missing_library_file",
                    f"{folder}/{asset}",
                    folder=folder,
                )
        info.members = [(member.filename, inner) for member, inner in members]
        libraries[folder] = info
        for member, inner in members:
            if inner != "library.json":
                reader.drain(member, extension=_extension(inner.split("/")), sniff=False)

    for _inner, member, extension in content_members:
        if member is not content_json_info:
            reader.drain(member, extension=extension, sniff=True)

    _check_dependencies(preloaded, main, libraries, installed)

    return ValidatedPackage(
        title=title,
        language=language,
        main_library=main,
        h5p_json=h5p_json,
        preloaded=preloaded,
        libraries=libraries,
        content_members=[(member.filename, inner) for inner, member, _ext in content_members],
        total_bytes=reader.total,
        file_count=len(content_members) + sum(len(m) for m in library_members.values()) + 1,
    )


def _disallowed(info: zipfile.ZipInfo, extension: str, allowed: frozenset[str]) -> None:
    _refuse(
        _(
            "“%(file)s” has a file type that H5P packages may not contain (.%(extension)s). "
            "Remove the file, or use one of: %(allowed)s."
        ),
        "disallowed_extension",
        info.filename,
        extension=extension or "-",
        allowed=", ".join(sorted(allowed)),
    )


def _check_h5p_json(data) -> tuple[str, str, LibraryRef, list[LibraryRef]]:
    path = "h5p.json"
    if not isinstance(data, dict):
        _refuse(
            _("h5p.json must hold a JSON object. Export the package again from the H5P editor."),
            "invalid_h5p_json",
            path,
        )
    for key in ("title", "language", "mainLibrary"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            _refuse(
                _("h5p.json has no valid “%(key)s”. Export the package again from the H5P editor."),
                "invalid_h5p_json",
                path,
                key=key,
            )
    embed_types = data.get("embedTypes")
    if (
        not isinstance(embed_types, list)
        or not embed_types
        or not set(embed_types) <= {"div", "iframe"}
    ):
        _refuse(
            _(
                "h5p.json has no valid “%(key)s” (div and/or iframe). Export the package again "
                "from the H5P editor."
            ),
            "invalid_h5p_json",
            path,
            key="embedTypes",
        )
    if not isinstance(data.get("preloadedDependencies"), list):
        _refuse(
            _("h5p.json has no valid “%(key)s”. Export the package again from the H5P editor."),
            "invalid_h5p_json",
            path,
            key="preloadedDependencies",
        )
    preloaded = _dependency_list(
        data["preloadedDependencies"], path=path, key="preloadedDependencies"
    )
    main = next((ref for ref in preloaded if ref.machine_name == data["mainLibrary"]), None)
    if main is None:
        _refuse(
            _(
                "h5p.json names %(library)s as its main library but does not list it among its "
                "dependencies. Export the package again from the H5P editor."
            ),
            "invalid_h5p_json",
            path,
            library=data["mainLibrary"][:80],
        )
    return data["title"].strip()[:255], data["language"].strip()[:20], main, preloaded


def _check_library_json(data, folder: str) -> LibraryInfo:
    path = f"{folder}/library.json"
    if not isinstance(data, dict):
        _refuse(
            _("“%(file)s” must hold a JSON object. Export the package again from the H5P editor."),
            "invalid_library_json",
            path,
        )
    for key in ("title", "machineName"):
        if not isinstance(data.get(key), str) or not data[key]:
            _refuse(
                _(
                    "“%(file)s” has no valid “%(key)s”. Export the package again from the H5P "
                    "editor."
                ),
                "invalid_library_json",
                path,
                key=key,
            )
    if not MACHINE_NAME_RE.match(data["machineName"]):
        _refuse(
            _("“%(file)s” has no valid “%(key)s”. Export the package again from the H5P editor."),
            "invalid_library_json",
            path,
            key="machineName",
        )
    ref = LibraryRef(
        data["machineName"],
        _version(data.get("majorVersion"), path=path, key="majorVersion"),
        _version(data.get("minorVersion"), path=path, key="minorVersion"),
    )
    patch = _version(data.get("patchVersion"), path=path, key="patchVersion")
    if ref.folder != folder:
        _refuse(
            _(
                "The library folder “%(folder)s” holds %(library)s; the folder must be named "
                "“%(expected)s”. Rename the folder, or export the package again."
            ),
            "library_folder_mismatch",
            path,
            folder=folder,
            library=ref.folder,
            expected=ref.folder,
        )
    core = data.get("coreApi") or {}
    if not isinstance(core, dict):
        core = {}
    required = (
        _version(core.get("majorVersion", 1), path=path, key="coreApi.majorVersion"),
        _version(core.get("minorVersion", 0), path=path, key="coreApi.minorVersion"),
    )
    if required > core_api():
        _refuse(
            _(
                "%(library)s needs H5P core %(required)s, but the platform's player provides "
                "%(available)s. Use an older version of this content type."
            ),
            "core_api_too_new",
            path,
            library=ref.folder,
            required="{}.{}".format(*required),
            available="{}.{}".format(*core_api()),
        )

    def assets(key: str) -> list[str]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(
            isinstance(item, dict) and isinstance(item.get("path"), str) for item in value
        ):
            _refuse(
                _(
                    "“%(file)s” has no valid “%(key)s”. Export the package again from the H5P "
                    "editor."
                ),
                "invalid_library_json",
                path,
                key=key,
            )
        paths = []
        for item in value:
            asset = item["path"].lstrip("./") if item["path"].startswith("./") else item["path"]
            if asset.startswith("/") or ".." in asset.split("/") or "\\" in asset:
                _refuse(
                    _(
                        "“%(file)s” lists a file outside its folder (“%(asset)s”). Export the "
                        "package again from the H5P editor."
                    ),
                    "path_traversal",
                    path,
                    asset=asset[:120],
                )
            paths.append(asset)
        return paths

    return LibraryInfo(
        ref=ref,
        patch=patch,
        title=data["title"][:255],
        runnable=bool(data.get("runnable")),
        core_api=required,
        preloaded_js=assets("preloadedJs"),
        preloaded_css=assets("preloadedCss"),
        dependencies=_dependency_list(
            data.get("preloadedDependencies"), path=path, key="preloadedDependencies"
        ),
        metadata={
            key: data[key]
            for key in ("title", "machineName", "majorVersion", "minorVersion", "patchVersion")
        },
    )


def _check_dependencies(preloaded, main, libraries, installed) -> None:
    available = {**installed, **libraries}
    stack = [("h5p.json", ref) for ref in preloaded]
    visited = set()
    while stack:
        needed_by, ref = stack.pop()
        if ref.folder in visited:
            continue
        visited.add(ref.folder)
        info = available.get(ref.folder)
        if info is None:
            _refuse(
                _(
                    "The library %(library)s, needed by %(needed_by)s, is neither in the "
                    "package nor installed. Export the package again with all its libraries."
                ),
                "missing_library",
                needed_by,
                library=ref.folder,
                needed_by=needed_by,
            )
        stack.extend((f"{ref.folder}/library.json", dep) for dep in info.dependencies)
