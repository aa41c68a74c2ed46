import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _


class IndonesianFirstLocaleMiddleware(MiddlewareMixin):
    """Bahasa Indonesia unless the person chose another language with the switcher.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones
    in Indonesia are set to English; the platform speaks Indonesian first by decision.
    The switcher (django.views.i18n.set_language) stores the choice in a cookie.
    """

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


# --- outages: the database or the file storage cannot be reached -------------------------

outage_logger = logging.getLogger("lms.core.outage")


def _outage_exception_types() -> tuple[type[BaseException], ...]:
    types: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        types += [BotoCoreError, ClientError]
    except ImportError:  # no S3 support installed
        pass
    return tuple(types)


OUTAGE_EXCEPTIONS = _outage_exception_types()


def is_service_outage(exc: BaseException | None) -> bool:
    """The database or S3 failed (or an error raised while handling such a failure)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OUTAGE_EXCEPTIONS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _wants_json(request) -> bool:
    return (
        request.path_info.startswith(("/xapi/", "/api/"))
        or "application/json" in request.META.get("HTTP_ACCEPT", "")
        or getattr(request, "content_type", "") == "application/json"
    )


def service_unavailable_response(request, exc: BaseException | None = None):
    """503 with Retry-After, in Indonesian first; touches neither the database nor storage.

    The page is rendered without a request context: the context processors and the
    base template read the session, the user and notifications, all from the database.
    """
    retry_after = getattr(settings, "SERVICE_UNAVAILABLE_RETRY_AFTER", 30)
    outage_logger.error(
        "Service unavailable on %s %s: %s",
        request.method,
        request.path_info,
        type(exc).__name__ if exc is not None else "unknown",
    )
    message = _(
        "The service is temporarily unavailable. Your work has not been lost: "
        "try again in a minute."
    )
    if _wants_json(request):
        response = JsonResponse(
            {"error": message, "code": "service_unavailable", "retry_after": retry_after},
            status=503,
        )
    else:
        html = render_to_string(
            "503.html",
            {
                "message": message,
                "retry_after": retry_after,
                "LANGUAGE_CODE": translation.get_language(),
            },
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """A view that hits an unreachable database or S3 answers 503, never a traceback.

    Writes happen inside services' transactions, so the failed request has written
    nothing; the browser keeps the learner's answers and sends them again (quiz.js,
    h5p-lesson.js). Failures outside views reach lms.security.views.server_error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_service_outage(exception):
            return service_unavailable_response(request, exception)
        return None
