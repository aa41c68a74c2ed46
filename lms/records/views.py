"""HTTP views of learning records: the xAPI statement endpoint the browser posts to, and
the learner's enrol/withdraw buttons. Thin: validation in xapi.py, writes in services."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from courses.models import CoursePage
from lms.lrs import views as lrs_views
from lms.records import selectors, services, xapi
from lms.records.models import Enrolment

logger = logging.getLogger(__name__)

XAPI_VERSION = "1.0.3"


def _error(message: str, status: int, **extra) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    response["X-Experience-API-Version"] = XAPI_VERSION
    return response


# POST /xapi/statements, the browser's endpoint, is the LRS's statements resource: the
# session-authenticated branch of lms.lrs.views.statements keeps this contract (session
# cookie + CSRF header, X-Experience-API-Version, 200 with the ids, 400/401/403/409).
statements = lrs_views.statements


STATE_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")


@never_cache
def activity_state(request):
    """/xapi/activities/state?activityId=<H5P activity IRI>&stateId=<id>: the learner's
    saved state of an H5P activity (the part of the xAPI State resource the player uses).

    The learner is the session's user: no ``agent`` parameter is needed, and one that is
    sent must name that learner (else 403). GET answers the document as stored (its
    Content-Type) or 404; PUT stores a JSON document (last write wins), POST merges a JSON
    object into a stored one; DELETE forgets it; all three answer 204. CSRF header and
    X-Experience-API-Version: 1.0.x as for statements. 400 for a malformed request or an
    activity that is not an H5P package, 401 when not logged in, 403 for a package the
    learner may not play, 413 for a document over 1 MB. Nothing is written on a refusal.
    """
    if request.method not in STATE_METHODS:
        response = _error(_("Use GET, PUT, POST or DELETE for saved state."), 405)
        response["Allow"] = ", ".join(STATE_METHODS)
        return response
    if not request.user.is_authenticated:
        return _error(_("Log in to save your progress."), 401)
    if not request.headers.get("X-Experience-API-Version", "").startswith("1.0"):
        return _error(
            _("Send the header X-Experience-API-Version: %(version)s.") % {"version": XAPI_VERSION},
            400,
        )
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > xapi.MAX_STATE_BYTES:
        # Refused before the body is read.
        return _error(xapi.state_too_large_message(length), 413)
    try:
        address = xapi.parse_state_address(request.GET)
        if request.method in ("GET", "HEAD"):
            profile = selectors.state_learner(user=request.user, address=address)
            if profile is None:
                raise services.AccessDenied("")
            state = selectors.activity_state(learner=profile, address=address)
            if state is None:
                return _error(_("No state is saved for this activity yet."), 404)
            response = HttpResponse(state.document, content_type=state.content_type)
        elif request.method == "DELETE":
            services.activity_state_delete(user=request.user, address=address)
            response = HttpResponse(status=204)
        else:
            document = xapi.parse_state_document(request.body, content_type=request.content_type)
            services.activity_state_save(
                user=request.user,
                address=address,
                document=document,
                content_type=request.content_type,
                merge=request.method == "POST",
            )
            response = HttpResponse(status=204)
    except xapi.StateRequestError as exc:
        return _error(exc.message, exc.status)
    except services.AccessDenied:
        return _error(
            _("You cannot save or read the state of this activity: it is not available to you."),
            403,
        )
    response["X-Experience-API-Version"] = XAPI_VERSION
    return response


def _course_or_404(course_key) -> CoursePage:
    course = CoursePage.objects.live().filter(translation_key=course_key).first()
    if course is None:
        raise Http404
    return course


def _back(request, course: CoursePage) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = course.url or "/"
    return HttpResponseRedirect(target)


@login_required
@require_POST
def enrol(request, course_key):
    """The course page's "enrol" button."""
    course = _course_or_404(course_key)
    try:
        services.enrolment_self(user=request.user, course=course)
    except services.AccessDenied as exc:
        messages.error(request, exc.message)
        return _back(request, course)
    messages.success(
        request,
        _("You are enrolled in “%(course)s”. Start with the first lesson.")
        % {"course": course.title},
    )
    return _back(request, course)


@login_required
@require_POST
def withdraw(request, course_key):
    """The learner's "leave this course" button; progress and history are kept."""
    course = _course_or_404(course_key)
    enrolment = Enrolment.objects.filter(
        learner__user_id=request.user.pk, course_key=course.translation_key
    ).first()
    if enrolment is None:
        raise Http404
    try:
        services.enrolment_withdraw(by=request.user, enrolment=enrolment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, course)
    messages.success(
        request,
        _("You left “%(course)s”. Your progress is kept if you enrol again.")
        % {"course": course.title},
    )
    return _back(request, course)
