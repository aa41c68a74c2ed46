"""The H5P player page (loaded in a sandboxed iframe) and the signed file URLs it reads.

H5P library JavaScript is code written by whoever made the package, so it never runs in
the site's origin (see docs/H5P-PLAYER.md):

- the lesson page embeds ``player`` in ``<iframe sandbox="allow-scripts">`` (no
  ``allow-same-origin``): the player runs in an opaque origin, without the learner's
  cookies, Web Storage or access to the lesson page;
- or, when ``H5P_CONTENT_ORIGIN`` is configured, ``player`` redirects the frame to that
  other host with a short-lived launch token, where the page runs in an origin that is
  not the site's;
- the player page is served with a strict CSP and nosniff;
- requests from an opaque origin carry no cookies, so content and library files are
  served under a signed, expiring token in the path (``file``), with CORS for
  ``Origin: null``; on S3 content files redirect to presigned URLs.
"""

import logging
import mimetypes
import posixpath
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousFileOperation
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from content import selectors
from content import storage as h5p_files
from content.validation import content_extensions, library_extensions
from content.xapi import activity_iri

logger = logging.getLogger(__name__)

# Saved state is pushed to the lesson page this often (seconds), as H5P core's saveFreq.
SAVE_FREQUENCY = 30

_CONTENT_TYPES = {
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "json": "application/json",
    "svg": "image/svg+xml",
    "xml": "application/xml",
    "txt": "text/plain; charset=utf-8",
    "md": "text/plain; charset=utf-8",
    "vtt": "text/vtt",
    "webvtt": "text/vtt",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject",
    "m4a": "audio/mp4",
}
# A file opened directly (not used by the player) gets no script, no plugins, no origin.
_FILE_CSP = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_origin() -> str:
    return (getattr(settings, "H5P_CONTENT_ORIGIN", "") or "").rstrip("/")


def _absolute(request, url: str) -> str:
    return url if urlsplit(url).scheme else request.build_absolute_uri(url)


def _files_base(request, token: str) -> str:
    path = reverse("content:files-root", kwargs={"token": token})
    origin = content_origin()
    return (origin + path if origin else request.build_absolute_uri(path)).rstrip("/")


def _storage_origin() -> str | None:
    """Where S3 (or another remote storage) serves presigned URLs from, for the CSP."""
    storage = h5p_files.h5p_storage()
    if h5p_files.is_local(storage):
        return None
    try:
        return _origin(storage.url("h5p/probe"))
    except Exception:
        return None


def player_csp(*, page_origin: str, static_origin: str, files_origin: str, site_origin: str):
    """The player page's Content-Security-Policy.

    Why each exception to "only our hosts":
    - style-src 'unsafe-inline': H5P content (AdvancedText, CoursePresentation slides)
      carries style="..." attributes in its HTML, and jQuery UI writes <style> rules.
    - script-src 'unsafe-eval': H5P.EmbeddedJS (a dependency of MultiChoice and others)
      compiles its templates with new Function(). No 'unsafe-inline' for scripts: the
      page has no inline script (configuration is a JSON data block).
    - img-src/font-src/media-src data: and blob: - H5P inlines small icons and fonts.
    """
    hosts = " ".join(sorted({page_origin, static_origin, files_origin} - {""}))
    media = " ".join(sorted({hosts, *filter(None, [_storage_origin()])}))
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {hosts} 'unsafe-eval'",
            f"style-src {hosts} 'unsafe-inline'",
            f"img-src {media} data: blob:",
            f"media-src {media} data: blob:",
            f"font-src {hosts} data:",
            f"connect-src {hosts}",
            "frame-src 'none'",
            "object-src 'none'",
            f"base-uri {page_origin}",
            "form-action 'none'",
            f"frame-ancestors {site_origin}",
        ]
    )


def _site_origin(request) -> str:
    configured = getattr(settings, "H5P_SITE_ORIGIN", "")
    return (configured or _origin(request.build_absolute_uri("/"))).rstrip("/")


@require_GET
@xframe_options_exempt
def player(request, content_id: uuid.UUID):
    """The page inside the lesson's iframe: h5p-standalone with this package."""
    user = request.user
    launch = request.GET.get("launch")
    if launch and content_origin():
        # On the content origin there is no session: the launch token names the learner.
        user_id = selectors.user_id_from_launch_token(launch, content_id=content_id)
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            return HttpResponseForbidden(_("This activity link has expired. Reload the lesson."))
    elif not user.is_authenticated:
        return HttpResponseForbidden(_("Log in to open this activity."))

    package = selectors.playable_package(user=user, content_id=content_id)
    if package is None:
        if selectors.package_by_content_id(content_id) is None:
            raise Http404(_("This activity does not exist."))
        return HttpResponseForbidden(_("You do not have access to this activity."))

    if content_origin() and not launch:
        token = selectors.launch_token(package=package, user=user)
        url = reverse("content:player", kwargs={"content_id": content_id})
        return HttpResponseRedirect(f"{content_origin()}{url}?launch={token}")

    token = selectors.file_token(package=package, user=user)
    base = _files_base(request, token)
    frame_js = _absolute(request, static("vendor/h5p-standalone/frame.bundle.js"))
    frame_css = _absolute(request, static("vendor/h5p-standalone/styles/h5p.css"))
    site_origin = _site_origin(request)
    config = {
        "contentId": str(package.content_id),
        "title": package.title,
        "h5pJsonPath": f"{base}/package",
        "contentJsonPath": f"{base}/content",
        "librariesPath": f"{base}/libraries",
        "frameJs": frame_js,
        "frameCss": frame_css,
        "xAPIObjectIRI": activity_iri(package.content_id),
        "parentOrigin": site_origin,
        "saveFreq": SAVE_FREQUENCY,
    }
    response = render(
        request,
        "content/player.html",
        {"package": package, "config": config},
    )
    response["Content-Security-Policy"] = player_csp(
        page_origin=_origin(request.build_absolute_uri("/")),
        static_origin=_origin(frame_js),
        files_origin=_origin(base),
        site_origin=site_origin,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def _file_headers(response, *, max_age: int):
    # The player's origin is opaque ("null"): only a wildcard lets it read the file, and
    # the token in the path, not a cookie, is what grants access.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _FILE_CSP
    response["Cache-Control"] = f"private, max-age={max_age}"
    return response


def _refused(status: int, message: str):
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return _file_headers(response, max_age=0)


def _serve(name: str, *, extension: str, redirect_remote: bool):
    storage = h5p_files.h5p_storage()
    content_type = _CONTENT_TYPES.get(extension) or (
        mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    max_age = min(selectors.file_url_max_age(), 3600)
    if redirect_remote and not h5p_files.is_local(storage):
        # Large media go straight from S3 under a presigned, expiring URL.
        response = HttpResponseRedirect(storage.url(name, expire=selectors.file_url_max_age()))
        return _file_headers(response, max_age=0)
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        return _refused(404, _("File not found."))
    except Exception:
        # A storage outage must not show the player a server error page it cannot use.
        logger.exception("Could not open H5P file %s", name)
        return _refused(404, _("File not found."))
    response = FileResponse(handle, content_type=content_type)
    return _file_headers(response, max_age=max_age)


@require_GET
def files_root(request, token: str):
    """Only a prefix for the player's URLs; there is nothing to list."""
    return _refused(404, _("File not found."))


@require_GET
def package_file(request, token: str, path: str):
    """h5p.json (under ``/package``), content files (under ``/content``)."""
    package = selectors.package_from_file_token(token)
    if package is None:
        return _refused(403, _("This activity link has expired. Reload the lesson."))
    area, _sep, inner = path.partition("/")
    if area == "package" and inner == "h5p.json":
        return _serve(f"{package.storage_path}/h5p.json", extension="json", redirect_remote=False)
    extension = posixpath.splitext(inner)[1].lstrip(".").lower()
    if area != "content" or extension not in content_extensions():
        return _refused(404, _("File not found."))
    try:
        name = h5p_files.join(f"{package.storage_path}/content", inner)
    except SuspiciousFileOperation:
        return _refused(404, _("File not found."))
    return _serve(name, extension=extension, redirect_remote=extension != "json")


@require_GET
def library_file(request, token: str, folder: str, path: str):
    package = selectors.package_from_file_token(token)
    if package is None:
        return _refused(403, _("This activity link has expired. Reload the lesson."))
    extension = posixpath.splitext(path)[1].lstrip(".").lower()
    library = selectors.package_library(package=package, folder=folder)
    if library is None or extension not in library_extensions():
        return _refused(404, _("File not found."))
    try:
        name = h5p_files.join(library.storage_path, path)
    except SuspiciousFileOperation:
        return _refused(404, _("File not found."))
    # Library CSS refers to fonts by relative URL: they must come from this same path.
    return _serve(name, extension=extension, redirect_remote=False)
