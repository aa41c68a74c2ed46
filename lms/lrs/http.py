"""What every /xapi/ resource does around its own logic (xAPI 1.0.3, Communication part):

- the alternate request syntax (1.3): ``POST ...?method=PUT`` with a form-encoded body
  whose fields carry the headers, the resource's parameters and ``content``;
- CORS for the origins in ``settings.XAPI_CORS_ORIGINS`` (``*`` allows any), preflight
  included;
- the ``X-Experience-API-Version`` header (1.0.x; 400 when missing or another version);
- authentication (``auth.authenticate``): 401 with ``WWW-Authenticate: Basic`` when
  there is none, 403 when the caller lacks the scope the method needs;
- CSRF: Basic-authenticated requests are exempt (no cookie is involved); a
  session-authenticated unsafe request needs the CSRF token as any form post does;
- every answer carries ``X-Experience-API-Version: 1.0.3`` and a Content-Type.

A view decorated with ``xapi_view`` reads ``request.xapi`` (the effective method,
parameters, body, content type and headers) and ``request.xapi_principal``.
"""

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.datastructures import CaseInsensitiveMapping
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from lms.lrs import auth

XAPI_VERSION = "1.0.3"
SUPPORTED_VERSION = re.compile(r"^1\.0(\.[0-3])?$")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ALTERNATE_METHODS = {"GET", "PUT", "POST", "DELETE"}
# Form fields of the alternate syntax that are headers, not resource parameters.
ALTERNATE_HEADERS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}
CORS_ALLOW_HEADERS = (
    "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, "
    "X-CSRFToken, X-Requested-With"
)
CORS_EXPOSE_HEADERS = (
    "ETag, Last-Modified, Location, X-Experience-API-Version, X-Experience-API-Consistent-Through"
)


@dataclass
class XapiRequest:
    """The request as the resource should see it, after the alternate syntax is undone."""

    method: str
    params: dict  # str -> str (the last value of a repeated parameter)
    body: bytes
    content_type: str  # media type only, lower case ("" when none)
    headers: Mapping = field(default_factory=dict)  # case-insensitive
    alternate: bool = False

    @property
    def content_type_header(self) -> str:
        return self.headers.get("Content-Type", "") or ""


def xapi_error(status: int, message: str, **extra) -> JsonResponse:
    """A JSON error answer; ``message`` is already translated by the caller."""
    response = JsonResponse({"error": message, **extra}, status=status)
    response["X-Experience-API-Version"] = XAPI_VERSION
    return response


class _AlternateSyntaxError(Exception):
    pass


def _media_type(value: str) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _plain(request) -> XapiRequest:
    headers = CaseInsensitiveMapping(dict(request.headers))
    return XapiRequest(
        method=request.method,
        params={key: request.GET.get(key) for key in request.GET},
        body=request.body if request.method not in SAFE_METHODS else b"",
        content_type=_media_type(request.META.get("CONTENT_TYPE", "")),
        headers=headers,
    )


def _alternate(request) -> XapiRequest:
    method = request.GET.get("method", "").upper()
    if method not in ALTERNATE_METHODS:
        raise _AlternateSyntaxError(_("The method parameter must be GET, PUT, POST or DELETE."))
    if set(request.GET) != {"method"}:
        raise _AlternateSyntaxError(
            _(
                "With the alternate request syntax, method must be the only query "
                "parameter; send the others in the form body."
            )
        )
    if _media_type(request.META.get("CONTENT_TYPE", "")) != "application/x-www-form-urlencoded":
        raise _AlternateSyntaxError(
            _(
                "With the alternate request syntax, send the body as "
                "application/x-www-form-urlencoded."
            )
        )
    try:
        form = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise _AlternateSyntaxError(_("The form body is not valid UTF-8.")) from None
    header_values = {}
    params = {}
    content = ""
    for name, values in form.items():
        value = values[-1]
        if name.lower() in ALTERNATE_HEADERS:
            header_values[name] = value
        elif name == "content":
            content = value
        else:
            params[name] = value
    # Real headers first, the form's override them (the form is what the client could set).
    merged = dict(request.headers)
    merged.pop("Content-Type", None)
    merged.pop("Content-Length", None)
    merged.update(header_values)
    headers = CaseInsensitiveMapping(merged)
    content_type = headers.get("Content-Type", "") or ""
    if content and not content_type:
        content_type = "application/json"
    return XapiRequest(
        method=method,
        params=params,
        body=content.encode("utf-8"),
        content_type=_media_type(content_type),
        headers=headers,
        alternate=True,
    )


def _cors_origin(request) -> str | None:
    origin = request.headers.get("Origin")
    if not origin:
        return None
    allowed = getattr(settings, "XAPI_CORS_ORIGINS", []) or []
    if "*" in allowed or origin in allowed:
        return origin
    return None


def _finish(request, response: HttpResponse, methods) -> HttpResponse:
    response["X-Experience-API-Version"] = XAPI_VERSION
    if not response.get("Content-Type"):
        response["Content-Type"] = "application/json"
    add_never_cache_headers(response)
    origin = _cors_origin(request)
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
        response["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS
    if getattr(settings, "XAPI_CORS_ORIGINS", None):
        patch_vary_headers(response, ["Origin"])
    return response


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def _csrf_failure(request) -> str | None:
    check = _CsrfCheck(lambda req: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def _needed_scope(need, method: str) -> str | None:
    if isinstance(need, Mapping):
        return need.get(method)
    if need == "auto":
        return "read" if method in SAFE_METHODS else "write"
    return need


def xapi_view(
    methods: set[str],
    *,
    need: str | Mapping | None = "read",
    require_version: bool = True,
) -> Callable:
    """Decorate an LRS resource view (see the module docstring).

    ``methods`` are the effective methods the resource answers (HEAD is accepted where GET
    is). ``need`` is the scope the caller must have: "read", "write", None (the view
    decides; authentication is still required), "auto" (read for GET/HEAD, write for the
    others) or a mapping method -> scope.
    """
    allowed = {m.upper() for m in methods}
    if "GET" in allowed:
        allowed.add("HEAD")

    def decorator(view):
        @functools.wraps(view)
        @csrf_exempt
        def wrapper(request, *args, **kwargs):
            response = _handle(request, view, args, kwargs)
            return _finish(request, response, allowed)

        def _handle(request, view, args, kwargs):
            if request.method == "OPTIONS":
                response = HttpResponse(status=204, content_type="text/plain")
                if _cors_origin(request) is not None:
                    response["Access-Control-Allow-Methods"] = ", ".join(
                        sorted(allowed | {"POST", "OPTIONS"})
                    )
                    response["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
                    response["Access-Control-Max-Age"] = "86400"
                response["Allow"] = ", ".join(sorted(allowed | {"OPTIONS"}))
                return response
            try:
                if request.method == "POST" and "method" in request.GET:
                    request.xapi = _alternate(request)
                else:
                    request.xapi = _plain(request)
            except _AlternateSyntaxError as exc:
                return xapi_error(400, str(exc))
            if request.xapi.method not in allowed:
                response = xapi_error(
                    405,
                    _("This resource answers %(methods)s only.")
                    % {"methods": ", ".join(sorted(allowed))},
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            if require_version:
                version = (request.xapi.headers.get("X-Experience-API-Version") or "").strip()
                if not version:
                    return xapi_error(
                        400,
                        _("Send the header X-Experience-API-Version: %(version)s.")
                        % {"version": XAPI_VERSION},
                    )
                if not SUPPORTED_VERSION.match(version):
                    return xapi_error(
                        400,
                        _("xAPI version %(sent)s is not supported; this LRS speaks %(version)s.")
                        % {"sent": version[:20], "version": XAPI_VERSION},
                    )
            principal = auth.authenticate(request)
            if principal is None:
                response = xapi_error(
                    401,
                    _(
                        "Log in, or authenticate with the client key and secret your admin "
                        "gave you (HTTP Basic)."
                    ),
                )
                # The platform's own pages send the CSRF header: a Basic challenge would
                # make the browser pop up a password dialog when the session expired.
                if "X-CSRFToken" not in request.headers:
                    response["WWW-Authenticate"] = 'Basic realm="xapi"'
                return response
            request.xapi_principal = principal
            scope = _needed_scope(need, request.xapi.method)
            if scope == "read" and not principal.can_read:
                return xapi_error(403, _("These credentials may not read from this LRS."))
            if scope == "write" and not principal.can_write:
                return xapi_error(403, _("These credentials may not write to this LRS."))
            if principal.client is None and request.method not in SAFE_METHODS:
                reason = _csrf_failure(request)
                if reason:
                    return xapi_error(
                        403,
                        _(
                            "The CSRF token is missing or wrong. Send the csrftoken cookie's "
                            "value in the X-CSRFToken header."
                        ),
                    )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
