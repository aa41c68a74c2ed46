"""The REST API (django-ninja), mounted at /api/v1/: courses and curricula, a learner's
own progress and JP, a supervisor's team, city reports and the SIASN completions, and one
write (mandatory courses) that needs the "enrolments:write" scope.

Thin: permissions are asked of the Caller (lms.api.auth), data comes from selectors,
the write goes through lms.records.services. Every error is JSON
``{"message": ..., "errors": [{"field": ..., "message": ...}]}`` in the caller's
language (Indonesian unless they chose English on the site).
"""

import logging
import uuid
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.urls import re_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination, paginate

from courses.models import CoursePage, LearningForm
from lms.api import reports
from lms.api import selectors as api_selectors
from lms.api.auth import AUTH, Caller
from lms.api.models import SCOPE_ENROLMENTS_WRITE
from lms.api.schemas import (
    CityOut,
    CityReportOut,
    CourseOut,
    CurriculumOut,
    ErrorOut,
    MandatoryAssignIn,
    MandatoryAssignOut,
    MyCourseOut,
    MyJpOut,
    SiasnCompletionOut,
    TeamMemberOut,
)
from lms.people.models import City
from lms.people.selectors import has_staff
from lms.privacy.services import api_page_logged
from lms.records import selectors as records
from lms.records import services as record_services
from lms.reports.exports import siasn_completions, siasn_row

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 100
FIRST_YEAR, LAST_YEAR = 2000, 2100


# --- errors -------------------------------------------------------------------------------


def error_body(message: str, errors: list[dict] | None = None) -> dict:
    body = {"message": str(message)}
    if errors:
        body["errors"] = errors
    return body


def error_response(status: int, message: str, errors: list[dict] | None = None) -> JsonResponse:
    return JsonResponse(error_body(message, errors), status=status)


def _validation_message(error: dict) -> str:
    """Pydantic's English messages, said in the user's language by error type."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This value is required.")
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Write a whole number.")
    if kind in {"greater_than_equal", "greater_than"}:
        return _("Write a number of at least %(limit)s.") % {
            "limit": ctx.get("ge", ctx.get("gt", ""))
        }
    if kind in {"less_than_equal", "less_than"}:
        return _("Write a number of at most %(limit)s.") % {
            "limit": ctx.get("le", ctx.get("lt", ""))
        }
    if kind.startswith("uuid"):
        return _("Write a UUID, e.g. 123e4567-e89b-12d3-a456-426614174000.")
    if kind.startswith("date"):
        return _("Write a date as YYYY-MM-DD.")
    if kind.startswith("bool"):
        return _("Write true or false.")
    if kind == "enum":
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in {"too_short", "too_long"}:
        return _("Give between 1 and 1000 values.")
    if kind in {"json_invalid", "model_attributes_type", "dict_type", "model_type"}:
        return _("Send a JSON object as the request body.")
    if kind in {"string_type", "list_type"}:
        return _("This value has the wrong type.")
    return _("This value is not valid.")


def _field(loc) -> str | None:
    parts = [str(part) for part in loc or () if part not in {"query", "path", "body", "payload"}]
    return ".".join(parts) or None


class API(NinjaAPI):
    """NinjaAPI whose every URL answers JSON errors: 404 for unknown paths under /api/v1/
    and 405 for a wrong method, in the same shape as the endpoints' errors."""

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _json_errors(pattern.callback)
        patterns.append(re_path(r"^.*$", _not_found, name="not-found"))
        return patterns


def _not_found(request, *args, **kwargs):
    return error_response(
        404,
        _("There is no API address %(path)s. The list of addresses is at /api/docs.")
        % {"path": request.path},
    )


def _json_errors(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return _not_found(request)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            json_response = error_response(
                405,
                _("The method %(method)s is not allowed here; use %(allowed)s.")
                % {"method": request.method, "allowed": allowed},
            )
            json_response["Allow"] = allowed
            return json_response
        return response

    return wrapped


api = API(
    title=gettext_lazy("ASN learning platform API"),
    version="1",
    description=gettext_lazy(
        "Read the courses, learning progress and city reports of the ASN learning "
        "platform. Sign in on the site (session, with the X-CSRFToken header for POST) or "
        "send an API token from the admin (Token API) as `Authorization: Bearer <token>`. "
        "Lists are paginated with `limit` (at most 100) and `offset`. Errors are JSON: "
        '`{"message": ..., "errors": [...]}`.'
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,  # the docs page lives at /api/docs (lms.api.views)
    auth=AUTH,
)


@api.exception_handler(NinjaValidationError)
def _on_validation_error(request, exc):
    errors = [
        {"field": _field(error.get("loc")), "message": _validation_message(error)}
        for error in exc.errors
    ]
    return error_response(422, _("Some values are not valid; correct them and try again."), errors)


@api.exception_handler(AuthenticationError)
def _on_authentication_error(request, exc):
    message = exc.message
    if message == "Unauthorized":  # ninja's own text: no credentials at all
        message = _("Sign in on the site, or send an API token as 'Authorization: Bearer <token>'.")
    response = error_response(401, message)
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _on_http_error(request, exc):
    if exc.status_code == 400:  # ninja's "Cannot parse request body", in English
        return error_response(400, _("The request body is not valid JSON; send a JSON object."))
    return error_response(exc.status_code, exc.message)


@api.exception_handler(Http404)
def _on_not_found(request, exc):
    return error_response(404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _on_permission_denied(request, exc):
    return error_response(403, str(exc) or _("You may not do this."))


@api.exception_handler(Exception)
def _on_unexpected(request, exc):
    # Never a traceback to the client; the log keeps it for whoever runs the server.
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(
        500,
        _(
            "Something went wrong on our side. Try again later; if it keeps happening, tell "
            "your BKPSDM admin."
        ),
    )


ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="Items per page (1-100).")
        offset: int = Field(0, ge=0, le=10_000_000, description="Items to skip.")


class Mapped:
    """A queryset that pagination can slice and count, turned into plain dicts only for
    the page it returns (so each page is the same few queries)."""

    def __init__(self, queryset, to_item):
        self.queryset, self.to_item = queryset, to_item

    def all(self):
        return self

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice):
        return [self.to_item(obj) for obj in self.queryset[page]]


def _messages(exc: DjangoValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"course_key": exc.messages}


def _caller(request) -> Caller:
    return request.auth


def _city(slug: str) -> City:
    city = City.objects.filter(slug=slug).first()
    if city is None:
        raise HttpError(404, _("No city has the address %(slug)s.") % {"slug": slug})
    return city


def _learner(caller: Caller):
    if caller.is_token:
        raise HttpError(
            403,
            _("This address shows a signed-in learner's own records; API tokens have none."),
        )
    learner = records.learner_of(caller.user)
    if learner is None:
        raise HttpError(
            403, _("Your account has no learner profile, so there are no learning records.")
        )
    return learner


# Query parameters shared by several endpoints (bounds keep values inside database ranges).
Year = Query(None, ge=FIRST_YEAR, le=LAST_YEAR, description="Default: this year.")
Agency = Query(None, ge=1, le=2**31 - 1, description="An agency and every unit below it.")
CourseKey = Query(None, description="A course key.")
Form = Query(None, description="A learning form.")


# --- courses ------------------------------------------------------------------------------


@api.get(
    "/courses",
    response={200: list[CourseOut], **ERRORS},
    tags=["courses"],
    summary="Courses",
    description="Live courses of the caller's city (own and adopted national ones); every "
    "city's for national admins and tokens without a city.",
)
@paginate(Pagination)
def courses(request):
    return Mapped(
        api_selectors.courses_for(_caller(request)),
        lambda course: api_selectors.course_item(course, request),
    )


@api.get(
    "/curricula",
    response={200: list[CurriculumOut], **ERRORS},
    tags=["courses"],
    summary="City curricula",
)
@paginate(Pagination)
def curricula(request):
    return Mapped(
        api_selectors.curricula_for(_caller(request)),
        lambda curriculum: api_selectors.curriculum_item(curriculum, request),
    )


# --- the learner's own records ------------------------------------------------------------


@api.get(
    "/me/progress",
    response={200: list[MyCourseOut], **ERRORS},
    tags=["me"],
    summary="My courses and progress",
)
@paginate(Pagination)
def my_progress(request):
    learner = _learner(_caller(request))
    return api_selectors.my_courses(
        learner=learner, today=records.local_date(learner.city.timezone)
    )


@api.get("/me/jp", response={200: MyJpOut, **ERRORS}, tags=["me"], summary="My JP of a year")
def my_jp(request, year: int | None = Year):
    learner = _learner(_caller(request))
    year = year or records.local_date(learner.city.timezone).year
    ledger = records.yearly_jp(learner=learner, year=year)
    return {
        "year": ledger.year,
        "total": ledger.total,
        "minimum": ledger.minimum,
        "met": ledger.met,
        "missing": ledger.missing,
        "credits": ledger.credits,
    }


# --- supervisors --------------------------------------------------------------------------


@api.get(
    "/team",
    response={200: list[TeamMemberOut], **ERRORS},
    tags=["team"],
    summary="My team's progress (supervisors)",
    description="The same people and figures as the Tim Saya page: direct staff, or "
    "everyone below the supervisor with indirect=true.",
)
@paginate(Pagination)
def team(request, year: int | None = Year, indirect: bool = False):
    caller = _caller(request)
    supervisor = _learner(caller)
    if not has_staff(profile=supervisor):
        raise HttpError(
            403,
            _(
                "This is for supervisors (atasan): nobody is registered as your staff. If "
                "that is wrong, ask your BKPSDM to set you as supervisor."
            ),
        )
    today = records.local_date(supervisor.city.timezone)
    items = api_selectors.team_items(
        viewer=caller.user,
        supervisor=supervisor,
        year=year or today.year,
        today=today,
        indirect=indirect,
    )
    return api_page_logged(items, request=request, nip_key="nip")


# --- cities -------------------------------------------------------------------------------


@api.get("/cities", response={200: list[CityOut], **ERRORS}, tags=["cities"], summary="Cities")
@paginate(Pagination)
def cities(request):
    return api_selectors.cities_for(_caller(request))


@api.get(
    "/cities/{slug}/report",
    response={200: CityReportOut, **ERRORS},
    tags=["cities"],
    summary="City report (city and national admins)",
    description="The figures and tables of the city dashboard, from the rollup rows.",
)
def city_report(
    request,
    slug: str,
    year: int | None = Year,
    agency: int | None = Agency,
    course: uuid.UUID | None = CourseKey,
    learning_form: LearningForm | None = Form,
):
    city = _city(slug)
    if not _caller(request).may_see_city_report(city):
        raise HttpError(403, _("You may not see the reports of %(city)s.") % {"city": city.name})
    params = {
        "year": year,
        "agency": agency,
        "course": course,
        "learning_form": learning_form.value if learning_form else None,
    }
    report, errors = reports.city_report(city=city, params=params)
    if errors:
        return error_response(
            422,
            _("Some values are not valid; correct them and try again."),
            [{"field": name, "message": message} for name, message in errors.items()],
        )
    return report


@api.get(
    "/cities/{slug}/completions",
    response={200: list[SiasnCompletionOut], **ERRORS},
    tags=["cities"],
    summary="Completed courses of a year in SIASN fields (city and national admins)",
    description="One record per completed course, in the fields of SIASN's riwayat kursus.",
)
@paginate(Pagination)
def city_completions(
    request,
    slug: str,
    year: int | None = Year,
    agency: int | None = Agency,
):
    city = _city(slug)
    if not _caller(request).may_manage_city(city):
        raise HttpError(
            403, _("You may not see the completions of %(city)s.") % {"city": city.name}
        )
    year = year or records.local_date(city.timezone).year
    rows = Mapped(siasn_completions(city=city, year=year, agency_id=agency), siasn_row)
    return api_page_logged(rows, request=request, nip_key="nipBaru")


@api.post(
    "/cities/{slug}/mandatory-assignments",
    response={200: MandatoryAssignOut, **ERRORS},
    tags=["cities"],
    summary="Make a course mandatory for people (needs enrolments:write)",
)
def mandatory_assignments(request, slug: str, payload: MandatoryAssignIn):
    caller = _caller(request)
    city = _city(slug)
    if not caller.may_manage_city(city):
        raise HttpError(403, _("You may not assign courses in %(city)s.") % {"city": city.name})
    caller.require_scope(SCOPE_ENROLMENTS_WRITE)
    course = CoursePage.objects.live().filter(translation_key=payload.course_key).first()
    if course is None:
        return error_response(
            422,
            _("No published course has this key."),
            [{"field": "course_key", "message": _("Choose a course of the city's curriculum.")}],
        )
    profiles, unknown = api_selectors.profiles_by_nip(city=city, nips=payload.nips)
    if unknown:
        return error_response(
            422,
            _("Nothing was assigned: some NIPs are not active learners of %(city)s.")
            % {"city": city.name},
            [{"field": "nips", "message": nip} for nip in unknown],
        )
    try:
        record_services.mandatory_assign(
            by=caller.user, profiles=profiles, course=course, due_date=payload.due_date
        )
    except record_services.AccessDenied as exc:
        raise HttpError(403, exc.message) from None
    except DjangoValidationError as exc:
        return error_response(
            422,
            _("Nothing was assigned."),
            [
                {"field": "course_key" if name == "course" else name, "message": str(message)}
                for name, messages in _messages(exc).items()
                for message in messages
            ],
        )
    return {
        "course_key": course.translation_key,
        "assigned": len(profiles),
        "nips": [p.nip for p in profiles],
    }
