"""Validation of the xAPI 1.0.3 statements the browser sends, and the activity IRI scheme.

Activity IRIs
-------------
Every activity the platform records is named by its stable key (a UUID)::

    {WAGTAILADMIN_BASE_URL}/xapi/activities/lesson/<lesson translation_key>
    {WAGTAILADMIN_BASE_URL}/xapi/activities/h5p/<H5P content id>
    {WAGTAILADMIN_BASE_URL}/xapi/activities/quiz/<quiz key>

Only the path is checked (any http/https host), so one database behind several host
names still recognises its activities. An H5P object id may carry ``?subContentId=<id>``:
that is a statement about a part of the activity (one question of a quiz set); it is
stored, but it does not grade. H5P and quiz statements must name their lesson in
``context.contextActivities.parent`` (or ``grouping``): the lesson decides the course,
the access check and the completion criteria.

What the server does with a statement
-------------------------------------
The server sets ``actor`` (the logged-in learner), ``timestamp`` and ``stored``; what the
client sent for them is ignored, and they are not part of the content compared when a
statement id comes again (a retry from another clock is still the same statement).
``id`` is required: the client generates it, so a retry is recognised.

Verbs that change progress (ADL vocabulary, ``http://adlnet.gov/expapi/verbs/<verb>``):
any statement on a lesson marks it viewed; ``progressed`` with the cmi5 progress
extension raises progress; ``completed`` (or ``result.completion: true``) completes an
activity; ``passed`` (or ``result.success: true``) passes it; a score (``scaled``, or
``raw`` with ``max``) updates the last and the best score; ``result.duration`` adds time
spent. Every other verb is stored and counts as activity.
"""

import datetime
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext as _

ADL = "http://adlnet.gov/expapi/verbs/"
VERB_COMPLETED = ADL + "completed"
VERB_PASSED = ADL + "passed"
VERB_FAILED = ADL + "failed"
VERB_PROGRESSED = ADL + "progressed"
VERB_EXPERIENCED = ADL + "experienced"
VERB_VOIDED = ADL + "voided"
PROGRESS_EXTENSION = "https://w3id.org/xapi/cmi5/result/extensions/progress"

ACTIVITY_PATH = re.compile(
    r"^/xapi/activities/(?P<kind>lesson|h5p|quiz)/(?P<key>[0-9a-fA-F-]{32,36})/?$"
)
# Properties a statement may have (xAPI 1.0.3, 2.4); an LRS rejects unknown ones.
ALLOWED_PROPERTIES = {
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
}
# Set by the server, so not part of the content a retry must repeat.
SERVER_PROPERTIES = {"actor", "timestamp", "stored", "authority", "version"}
MAX_STATEMENTS = 100
MAX_BODY_BYTES = 512 * 1024
MAX_DURATION_SECONDS = 24 * 3600
DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


class StatementError(Exception):
    """A statement the endpoint refuses; ``message`` is for the person reading the 400."""

    def __init__(self, message: str, *, index: int | None = None):
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass(frozen=True)
class ParsedStatement:
    """A validated statement, reduced to what the recording service needs."""

    id: uuid.UUID
    verb: str
    object_iri: str
    kind: str  # "lesson", "h5p" or "quiz"
    activity_key: uuid.UUID
    lesson_key: uuid.UUID
    is_child: bool
    score_percent: float | None
    success: bool | None
    completion: bool | None
    progress: int | None
    duration_seconds: int | None
    content: dict  # what the client sent, minus the server's properties

    def content_hash(self, *, learner_id: int) -> str:
        canonical = json.dumps(
            {"learner": learner_id, "statement": self.content},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def activity_iri(kind: str, key: uuid.UUID | str, *, base_url: str | None = None) -> str:
    """The IRI of an activity, for templates and tests."""
    from django.conf import settings

    base = (base_url if base_url is not None else settings.WAGTAILADMIN_BASE_URL).rstrip("/")
    return f"{base}/xapi/activities/{kind}/{uuid.UUID(str(key))}"


def parse_activity_iri(iri) -> tuple[str, uuid.UUID, bool] | None:
    """(kind, key, is_child) for one of our activity IRIs, None for anything else."""
    if not isinstance(iri, str) or len(iri) > 512:
        return None
    parts = urlsplit(iri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    match = ACTIVITY_PATH.match(parts.path)
    if not match:
        return None
    try:
        key = uuid.UUID(match["key"])
    except ValueError:
        return None
    query = parse_qs(parts.query)
    is_child = bool(query.get("subContentId"))
    if is_child and match["kind"] != "h5p":
        return None
    return match["kind"], key, is_child


def parse_body(body: bytes) -> list[dict]:
    """The JSON body as a list of statements (a single statement or an array)."""
    if len(body) > MAX_BODY_BYTES:
        raise StatementError(
            _(
                "The request is too large (%(size)d bytes; at most %(limit)d). Send fewer "
                "statements per request."
            )
            % {"size": len(body), "limit": MAX_BODY_BYTES}
        )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise StatementError(
            _(
                "The request body is not valid JSON. Send one statement object or an array of "
                "statements."
            )
        ) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise StatementError(_("Send one statement object or a non-empty array of statements."))
    if len(data) > MAX_STATEMENTS:
        raise StatementError(
            _("Too many statements in one request (%(count)d; at most %(limit)d).")
            % {"count": len(data), "limit": MAX_STATEMENTS}
        )
    return data


def parse_statements(raw: list) -> list[ParsedStatement]:
    """Validate every statement; the first problem raises StatementError with its index."""
    parsed = []
    for index, statement in enumerate(raw):
        try:
            parsed.append(parse_statement(statement))
        except StatementError as exc:
            exc.index = index
            if len(raw) > 1:
                exc.message = _("Statement %(number)d: %(problem)s") % {
                    "number": index + 1,
                    "problem": exc.message,
                }
            raise
    return parsed


def _is_number(value) -> bool:
    # bool is an int subclass in Python, but true/false is not a score.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _uuid(value, problem: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise StatementError(problem)
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise StatementError(problem) from None
    # uuid.UUID also accepts "{...}" and "urn:uuid:..."; xAPI wants the canonical form.
    if str(parsed) != value.lower():
        raise StatementError(problem)
    return parsed


def parse_duration(value) -> int:
    """Seconds in an ISO 8601 duration such as PT1M30S (years and months are refused)."""
    match = DURATION.match(value) if isinstance(value, str) else None
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise StatementError(_("result.duration must be an ISO 8601 duration such as PT1M30S."))
    seconds = (
        float(match["days"] or 0) * 86400
        + float(match["hours"] or 0) * 3600
        + float(match["minutes"] or 0) * 60
        + float(match["seconds"] or 0)
    )
    # A single statement reporting more than a day is a client bug, not study time.
    return int(min(seconds, MAX_DURATION_SECONDS))


def _score_percent(score) -> float | None:
    if not isinstance(score, dict):
        raise StatementError(_("result.score must be an object."))
    unknown = set(score) - {"scaled", "raw", "min", "max"}
    if unknown:
        raise StatementError(
            _("result.score has unknown properties: %(names)s.")
            % {"names": ", ".join(sorted(unknown))}
        )
    for name, value in score.items():
        if not _is_number(value):
            raise StatementError(_("result.score.%(name)s must be a number.") % {"name": name})
    scaled, raw = score.get("scaled"), score.get("raw")
    low, high = score.get("min"), score.get("max")
    if scaled is not None and not -1 <= scaled <= 1:
        raise StatementError(_("result.score.scaled must be between -1 and 1."))
    if low is not None and high is not None and low >= high:
        raise StatementError(_("result.score.min must be less than result.score.max."))
    if raw is not None:
        if high is not None and raw > high:
            raise StatementError(
                _("result.score.raw (%(raw)s) is greater than result.score.max (%(max)s).")
                % {"raw": raw, "max": high}
            )
        if low is not None and raw < low:
            raise StatementError(
                _("result.score.raw (%(raw)s) is less than result.score.min (%(min)s).")
                % {"raw": raw, "min": low}
            )
    if scaled is not None:
        percent = scaled * 100
    elif raw is not None and high is not None:
        floor = low if low is not None else 0
        percent = (raw - floor) / (high - floor) * 100 if high > floor else 0
    else:
        return None
    return round(min(100.0, max(0.0, percent)), 2)


def _context_lesson(context) -> uuid.UUID | None:
    if context is None:
        return None
    if not isinstance(context, dict):
        raise StatementError(_("context must be an object."))
    registration = context.get("registration")
    if registration is not None:
        _uuid(registration, _("context.registration must be a UUID."))
    activities = context.get("contextActivities")
    if activities is None:
        return None
    if not isinstance(activities, dict):
        raise StatementError(_("context.contextActivities must be an object."))
    for name in ("parent", "grouping"):
        value = activities.get(name)
        if value is None:
            continue
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list):
            raise StatementError(
                _("context.contextActivities.%(name)s must be an activity or a list of activities.")
                % {"name": name}
            )
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise StatementError(
                    _("Every activity in context.contextActivities.%(name)s needs an id.")
                    % {"name": name}
                )
            parsed = parse_activity_iri(item["id"])
            if parsed and parsed[0] == "lesson":
                return parsed[1]
    return None


def parse_statement(statement) -> ParsedStatement:
    if not isinstance(statement, dict):
        raise StatementError(_("A statement must be a JSON object."))
    unknown = set(statement) - ALLOWED_PROPERTIES
    if unknown:
        raise StatementError(
            _("Unknown statement properties: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    if "id" not in statement:
        raise StatementError(
            _(
                "The statement has no id. Generate a UUID for every statement so that a retry "
                "is recognised."
            )
        )
    statement_id = _uuid(
        statement["id"],
        _("The statement id must be a UUID such as %(example)s.")
        % {"example": "7f1c2e0a-3b4d-4c5e-8f90-1a2b3c4d5e6f"},
    )

    verb = statement.get("verb")
    if verb is None:
        raise StatementError(_("The statement has no verb."))
    if not isinstance(verb, dict) or not isinstance(verb.get("id"), str) or not verb["id"]:
        raise StatementError(_("The verb must be an object with an id (an IRI)."))
    if len(verb["id"]) > 255 or not urlsplit(verb["id"]).scheme:
        raise StatementError(_("The verb id must be an absolute IRI of at most 255 characters."))
    if verb["id"] == VERB_VOIDED:
        raise StatementError(_("Voiding statements is not supported yet."))
    display = verb.get("display")
    if display is not None and (
        not isinstance(display, dict) or not all(isinstance(v, str) for v in display.values())
    ):
        raise StatementError(_("verb.display must be a language map of strings."))

    obj = statement.get("object")
    if obj is None:
        raise StatementError(_("The statement has no object."))
    if not isinstance(obj, dict):
        raise StatementError(_("The object must be an activity (a JSON object with an id)."))
    if obj.get("objectType", "Activity") != "Activity":
        raise StatementError(_("Only activities can be the object of a statement here."))
    parsed_iri = parse_activity_iri(obj.get("id"))
    if parsed_iri is None:
        raise StatementError(
            _(
                "The object id is not an activity of this platform. Use "
                "%(example)s (or /h5p/ or /quiz/ with the activity's key)."
            )
            % {"example": "https://…/xapi/activities/lesson/<uuid>"}
        )
    kind, activity_key, is_child = parsed_iri

    result = statement.get("result")
    score = success = completion = progress = duration = None
    if result is not None:
        if not isinstance(result, dict):
            raise StatementError(_("result must be an object."))
        if "score" in result:
            score = _score_percent(result["score"])
        for name in ("success", "completion"):
            if name in result and not isinstance(result[name], bool):
                raise StatementError(_("result.%(name)s must be true or false.") % {"name": name})
        success = result.get("success")
        completion = result.get("completion")
        if "response" in result and not isinstance(result["response"], str):
            raise StatementError(_("result.response must be a string."))
        if "duration" in result:
            duration = parse_duration(result["duration"])
        extensions = result.get("extensions")
        if extensions is not None:
            if not isinstance(extensions, dict):
                raise StatementError(_("result.extensions must be an object."))
            if PROGRESS_EXTENSION in extensions:
                value = extensions[PROGRESS_EXTENSION]
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                    raise StatementError(
                        _("The progress extension must be a whole number from 0 to 100.")
                    )
                progress = value

    lesson_key = _context_lesson(statement.get("context"))
    if kind == "lesson":
        lesson_key = activity_key
    elif lesson_key is None:
        raise StatementError(
            _(
                "A statement about an H5P activity or a quiz must name its lesson in "
                "context.contextActivities.parent."
            )
        )

    content = {k: v for k, v in statement.items() if k not in SERVER_PROPERTIES}
    return ParsedStatement(
        id=statement_id,
        verb=verb["id"],
        object_iri=obj["id"],
        kind=kind,
        activity_key=activity_key,
        lesson_key=lesson_key,
        is_child=is_child,
        score_percent=score,
        success=success,
        completion=completion,
        progress=progress,
        duration_seconds=duration,
        content=content,
    )


def stored_payload(
    parsed: ParsedStatement,
    *,
    actor: dict,
    now: datetime.datetime,
) -> dict:
    """The statement as the LRS keeps it: the client's content plus the server's fields."""
    stamp = now.isoformat().replace("+00:00", "Z")
    return {
        **parsed.content,
        "actor": actor,
        "timestamp": stamp,
        "stored": stamp,
        "version": "1.0.3",
    }


# --- the State resource (saved H5P state) -------------------------------------------------

# H5P's contentUserData of a long Course Presentation or Interactive Video stays well
# below this; the lesson page does not send larger states.
MAX_STATE_BYTES = 1024 * 1024
MAX_STATE_ID_LENGTH = 255


class StateRequestError(Exception):
    """A State request the endpoint refuses; ``status`` is 400 or 413."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class StateAddress:
    """Which document a State request names: an H5P activity's key and the state id."""

    activity_iri: str
    activity_key: uuid.UUID
    state_id: str
    agent: dict | None


def parse_state_address(query) -> StateAddress:
    """activityId (an H5P activity of this platform), stateId, and the optional agent
    (parsed here, checked against the session's learner by the caller)."""
    activity_id = query.get("activityId")
    if not activity_id:
        raise StateRequestError(_("Name the activity with the activityId parameter."))
    parsed = parse_activity_iri(activity_id)
    if parsed is None or parsed[0] != "h5p" or parsed[2]:
        raise StateRequestError(
            _("Saved state is supported for H5P activities only: activityId must be %(example)s.")
            % {"example": "https://…/xapi/activities/h5p/<content id>"}
        )
    state_id = query.get("stateId")
    if not state_id or len(state_id) > MAX_STATE_ID_LENGTH or "\x00" in state_id:
        raise StateRequestError(
            _("Name the document with the stateId parameter (at most %(limit)d characters).")
            % {"limit": MAX_STATE_ID_LENGTH}
        )
    if query.get("registration") is not None:
        raise StateRequestError(_("The registration parameter is not supported."))
    agent = query.get("agent")
    if agent is not None:
        try:
            agent = json.loads(agent)
        except ValueError:
            agent = None
        if not isinstance(agent, dict):
            raise StateRequestError(_("The agent parameter must be a JSON object."))
    return StateAddress(
        activity_iri=activity_id, activity_key=parsed[1], state_id=state_id, agent=agent
    )


def parse_state_document(body: bytes, *, content_type: str) -> str:
    """The document of a PUT or POST, as text: JSON, at most MAX_STATE_BYTES."""
    if len(body) > MAX_STATE_BYTES:
        raise StateRequestError(state_too_large_message(len(body)), status=413)
    if content_type != "application/json":
        raise StateRequestError(_("Send the state as JSON (Content-Type: application/json)."))
    try:
        text = body.decode("utf-8")
        json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise StateRequestError(_("The state document is not valid JSON.")) from None
    return text


def state_too_large_message(size: int) -> str:
    return _("The state is too large (%(size)d bytes; at most %(limit)d).") % {
        "size": size,
        "limit": MAX_STATE_BYTES,
    }
