"""The document resources of the LRS (xAPI 1.0.3, Communication 2.3-2.6), /xapi/about and
the cmi5 fetch URL. Thin: parameters are checked in params.py, writes in services.py,
reads in selectors.py; ``lms.lrs.http.xapi_view`` does the alternate request syntax, CORS,
the version header, authentication and CSRF.

Who may touch which documents
-----------------------------
A document about an agent (State, Agent Profile) is reachable when the agent is a learner
the caller reaches (their own, for a signed-in learner or a cmi5 token; their city's, for a
city client; anyone, for a national client), or, for a national client only, an agent who
is not a learner of the platform. Activity Profiles belong to the client's city (national
clients share one set); only clients write them. A cmi5 token reaches only its launch's
activity and registration, and may not change ``LMS.LaunchData``.
"""

import json

from django.http import HttpResponse, JsonResponse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from lms.lrs.documents import params, selectors, services
from lms.lrs.documents.models import DocumentKind
from lms.lrs.http import XAPI_VERSION, xapi_error, xapi_view

SUPPORTED_VERSIONS = ["1.0.3", "1.0.2", "1.0.1", "1.0.0"]
DOCUMENT_METHODS = {"GET", "PUT", "POST", "DELETE"}


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --- /xapi/about ----------------------------------------------------------------------------


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def about(request):
    """GET /xapi/about: the xAPI versions this LRS speaks; no version header or credentials
    needed (xAPI 1.0.3, 2.7)."""
    if request.method == "OPTIONS":
        response = HttpResponse(status=204, content_type="text/plain")
        response["Allow"] = "GET, HEAD, OPTIONS"
    else:
        response = JsonResponse({"version": SUPPORTED_VERSIONS, "extensions": {}})
    response["X-Experience-API-Version"] = XAPI_VERSION
    origin = request.headers.get("Origin")
    from django.conf import settings

    allowed = getattr(settings, "XAPI_CORS_ORIGINS", []) or []
    if origin and ("*" in allowed or origin in allowed):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type, X-Experience-API-Version"
        response["Access-Control-Expose-Headers"] = "X-Experience-API-Version"
    return response


# --- helpers ----------------------------------------------------------------------------------


def _cmi5(request):
    return getattr(request, "cmi5_session", None)


def _agent_scope(request, agent: params.Agent) -> tuple[str, object | None]:
    """(agent key, learner) of a document about ``agent``, or Refused(403)."""
    principal = request.xapi_principal
    learner = selectors.learner_for_agent(agent)
    if learner is None:
        if principal.client is not None and principal.national:
            return agent.key, None
        raise Refused(
            403,
            _("These credentials do not reach this agent: it is not a learner of your city."),
        )
    if not principal.reaches_learner(learner):
        raise Refused(
            403,
            _("These credentials do not reach this agent: it is not a learner of your city."),
        )
    session = _cmi5(request)
    if session is not None and session.learner_id != learner.pk:
        raise Refused(403, _("A cmi5 token reaches only its own learner's documents."))
    key = params.parse_agent(selectors.learner_actor(learner)).key
    return key, learner


def _check_cmi5_state(request, activity_id: str, registration, state_id: str | None, write: bool):
    session = _cmi5(request)
    if session is None:
        return
    if activity_id != session.activity_id or registration != session.registration:
        raise Refused(
            403, _("A cmi5 token reaches only the activity and registration of its launch.")
        )
    if write and state_id in (None, services.LAUNCH_DATA_STATE_ID):
        raise Refused(403, _("An assignable unit may not change or delete LMS.LaunchData."))


def _document_response(row) -> HttpResponse:
    response = HttpResponse(selectors.document_body(row), content_type=row.content_type)
    response["ETag"] = f'"{row.etag}"'
    response["Last-Modified"] = http_date(row.updated_at.timestamp())
    return response


def _ids_response(rows, query) -> HttpResponse:
    since = params.since(query)
    ids = selectors.document_ids(rows=rows, since=since)
    return JsonResponse(ids, safe=False)


def _serve(request, *, scope: services.Scope, document_id: str | None, list_all: bool):
    """Answer GET/PUT/POST/DELETE for one scope. ``list_all``: DELETE without an id
    deletes the whole scope (State only)."""
    xapi = request.xapi
    method = "GET" if xapi.method == "HEAD" else xapi.method
    headers = xapi.headers
    if method == "GET":
        if document_id is None:
            return _ids_response(scope.rows(), xapi.params)
        if "since" in xapi.params:
            raise params.ParamError(_("since is only allowed when listing ids (without an id)."))
        row = selectors.document(scope_hash=scope.hash, document_id=document_id)
        if row is None:
            return xapi_error(404, _("No document with this id."))
        return _document_response(row)
    if method == "DELETE":
        if document_id is None:
            if not list_all:
                raise params.ParamError(_("Name the document to delete."))
            services.documents_delete(scope=scope)
        else:
            services.document_delete(
                scope=scope,
                document_id=document_id,
                if_match=headers.get("If-Match"),
                if_none_match=headers.get("If-None-Match"),
            )
        return HttpResponse(status=204)
    if document_id is None:
        raise params.ParamError(_("Name the document to store."))
    if method == "PUT" and xapi.content_type == "application/json":
        _must_be_json(xapi.body)
    write = services.document_put if method == "PUT" else services.document_post
    row = write(
        scope=scope,
        document_id=document_id,
        body=xapi.body,
        content_type=xapi.content_type_header or xapi.content_type or "application/octet-stream",
        if_match=headers.get("If-Match"),
        if_none_match=headers.get("If-None-Match"),
    )
    response = HttpResponse(status=204)
    response["ETag"] = f'"{row.etag}"'
    return response


def _must_be_json(body: bytes) -> None:
    try:
        json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise params.ParamError(
            _("The document is sent as application/json but is not valid JSON.")
        ) from None


def _too_large(request) -> bool:
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return False
    return length > services.max_document_bytes() + 64 * 1024


def _guarded(handler):
    """Turn the refusals of a document handler into clear JSON errors."""

    def run(request):
        try:
            return handler(request)
        except params.ParamError as exc:
            return xapi_error(400, exc.message)
        except services.DocumentError as exc:
            return xapi_error(exc.status, exc.message)
        except Refused as exc:
            return xapi_error(exc.status, exc.message)

    return run


# --- /xapi/activities/state -------------------------------------------------------------------


@xapi_view(DOCUMENT_METHODS, need="auto")
@_guarded
def _state(request):
    query = request.xapi.params
    activity_id = params.iri(query, "activityId")
    agent = params.agent(query)
    registration = params.registration(query)
    state_id = params.document_id(query, "stateId", required=False)
    key, learner = _agent_scope(request, agent)
    write = request.xapi.method not in ("GET", "HEAD")
    _check_cmi5_state(request, activity_id, registration, state_id, write)
    scope = services.Scope(
        kind=DocumentKind.STATE,
        activity_id=activity_id,
        agent_key=key,
        registration=registration,
        city_id=learner.city_id if learner is not None else None,
        learner_id=learner.pk if learner is not None else None,
    )
    return _serve(request, scope=scope, document_id=state_id, list_all=True)


def _is_player_state(request) -> bool:
    """A request of the H5P player: the session's learner, no credentials of its own and
    no alternate syntax, about an H5P activity of this platform (or without the agent
    parameter, which the full resource requires: lms.records' view explains what it
    accepts)."""
    from lms.records.xapi import parse_activity_iri

    if request.method == "OPTIONS" or "method" in request.GET:
        return False
    if request.headers.get("Authorization") or _cmi5(request) is not None:
        return False
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if "agent" not in request.GET:
        return True
    parsed = parse_activity_iri(request.GET.get("activityId") or "")
    return parsed is not None and parsed[0] == "h5p"


@csrf_exempt
def state(request):
    """/xapi/activities/state: the State resource. The H5P player's resume data of a
    signed-in learner stays where the lesson pages keep it (``lms.records``' own view and
    services, with their CSRF check); every other caller gets the full resource."""
    if _is_player_state(request):
        from lms.records import views as records_views

        return csrf_protect(records_views.activity_state)(request)
    if _too_large(request):
        return xapi_error(413, _("The document is too large."))
    return _state(request)


# --- /xapi/activities/profile and /xapi/agents/profile ---------------------------------------


@csrf_exempt
def activity_profile(request):
    if _too_large(request):
        return xapi_error(413, _("The document is too large."))
    return _activity_profile(request)


@xapi_view(DOCUMENT_METHODS, need="auto")
@_guarded
def _activity_profile(request):
    query = request.xapi.params
    activity_id = params.iri(query, "activityId")
    profile_id = params.document_id(query, "profileId", required=False)
    principal = request.xapi_principal
    if request.xapi.method not in ("GET", "HEAD") and principal.client is None:
        raise Refused(403, _("Only LRS clients may change activity profiles."))
    scope = services.Scope(
        kind=DocumentKind.ACTIVITY_PROFILE,
        activity_id=activity_id,
        city_id=principal.city_id if principal.client is not None else None,
    )
    return _serve(request, scope=scope, document_id=profile_id, list_all=False)


@csrf_exempt
def agent_profile(request):
    if _too_large(request):
        return xapi_error(413, _("The document is too large."))
    return _agent_profile(request)


@xapi_view(DOCUMENT_METHODS, need="auto")
@_guarded
def _agent_profile(request):
    query = request.xapi.params
    agent = params.agent(query)
    profile_id = params.document_id(query, "profileId", required=False)
    key, learner = _agent_scope(request, agent)
    scope = services.Scope(
        kind=DocumentKind.AGENT_PROFILE,
        agent_key=key,
        city_id=learner.city_id if learner is not None else None,
        learner_id=learner.pk if learner is not None else None,
    )
    return _serve(request, scope=scope, document_id=profile_id, list_all=False)


# --- /xapi/activities and /xapi/agents --------------------------------------------------------


@xapi_view({"GET"}, need="read")
@_guarded
def activities(request):
    """GET /xapi/activities?activityId=: the Activity with its canonical definition."""
    activity_id = params.iri(request.xapi.params, "activityId")
    activity = selectors.activity_object(activity_id=activity_id, principal=request.xapi_principal)
    if activity is None:
        return xapi_error(404, _("This LRS has no record of this activity."))
    return JsonResponse(activity)


@xapi_view({"GET"}, need="read")
@_guarded
def agents(request):
    """GET /xapi/agents?agent=: the Person object of everything known about the agent."""
    agent = params.agent(request.xapi.params)
    _agent_scope(request, agent)
    return JsonResponse(selectors.agent_person(agent=agent))


# --- cmi5 fetch URL ---------------------------------------------------------------------------


@csrf_exempt
@never_cache
def cmi5_fetch(request, session_id):
    """POST: the launch's auth token, once (cmi5 8.2). Every answer is 200 with JSON, an
    error as ``{"error-code": ..., "error-text": ...}``, as the specification asks."""
    if request.method != "POST":
        response = JsonResponse(
            {"error-code": "3", "error-text": _("Use POST to fetch the token.")}, status=405
        )
        response["Allow"] = "POST"
        return response
    try:
        token = services.cmi5_token_fetch(session_id=session_id)
    except services.LaunchError as exc:
        return JsonResponse({"error-code": exc.code, "error-text": exc.message})
    return JsonResponse({"auth-token": token})
