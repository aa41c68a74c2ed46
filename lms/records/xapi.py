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


# --- the full LRS: validation of any statement (xAPI 1.0.3, Data part) ----------------------
#
# The browser's statements above are about this platform's activities and the server sets
# their actor. External clients (/xapi/statements with Basic credentials) may send any
# conformant statement; ``validate_statement`` checks it against the Data part and
# returns it unchanged. Everything unknown, null or of the wrong type is refused, with
# the path of the offending property in the message.

UUID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
IRI_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
MBOX_PATTERN = re.compile(r"^mailto:[^@\s]+@[^@\s]+$", re.IGNORECASE)
SHA1_PATTERN = re.compile(r"^[0-9a-fA-F]{40}$")
SHA2_PATTERN = re.compile(r"^[0-9a-fA-F]{56,128}$")
LANGUAGE_TAG = re.compile(
    r"^(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
    r"(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-x(?:-[A-Za-z0-9]{1,8})+)?$|^x(?:-[A-Za-z0-9]{1,8})+$"
)
TIMESTAMP_PATTERN = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
ISO_DURATION = re.compile(
    r"^P(?:\d+(?:\.\d+)?W|(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?D)?"
    r"(?:T(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?)$"
)
INTERACTION_TYPES = {
    "true-false",
    "choice",
    "fill-in",
    "long-fill-in",
    "matching",
    "performance",
    "sequencing",
    "likert",
    "numeric",
    "other",
}
INTERACTION_COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
STATEMENT_PROPERTIES = ALLOWED_PROPERTIES | {"attachments"}
SUBSTATEMENT_PROPERTIES = {
    "objectType",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "attachments",
}


def _fail(path: str, problem: str):
    raise StatementError(_("%(path)s: %(problem)s") % {"path": path, "problem": problem})


def _object(value, path: str, allowed: set, *, required: set = frozenset()) -> dict:
    if not isinstance(value, dict):
        _fail(path, _("must be a JSON object."))
    unknown = set(value) - allowed
    if unknown:
        _fail(path, _("unknown properties %(names)s.") % {"names": ", ".join(sorted(unknown))})
    for name, item in value.items():
        if item is None:
            _fail(f"{path}.{name}", _("must not be null; leave the property out instead."))
    for name in sorted(required - set(value)):
        _fail(f"{path}.{name}", _("is required."))
    return value


def _string(value, path: str) -> str:
    if not isinstance(value, str):
        _fail(path, _("must be a string."))
    return value


def _iri(value, path: str) -> str:
    if not isinstance(value, str) or len(value) > 2048 or not IRI_PATTERN.match(value):
        _fail(path, _("must be an absolute IRI such as https://example.org/path."))
    return value


def _full_uuid(value, path: str) -> str:
    if not isinstance(value, str) or not UUID_PATTERN.match(value):
        _fail(path, _("must be a UUID such as %(example)s.") % {"example": str(uuid.uuid4())})
    return value


def _language_map(value, path: str) -> None:
    if not isinstance(value, dict):
        _fail(path, _('must be a language map such as {"id-ID": "..."}.'))
    for tag, text in value.items():
        if not LANGUAGE_TAG.match(tag):
            _fail(path, _("%(tag)s is not a language tag (RFC 5646).") % {"tag": tag[:40]})
        if not isinstance(text, str):
            _fail(f"{path}.{tag}", _("must be a string."))


def _extensions(value, path: str) -> None:
    if not isinstance(value, dict):
        _fail(path, _("must be an object whose keys are IRIs."))
    for key in value:
        _iri(key, f"{path} key")


def parse_timestamp(value, path: str = "timestamp") -> datetime.datetime:
    """An ISO 8601 timestamp; without an offset it is read as UTC. "-00:00" is refused."""
    if (
        not isinstance(value, str)
        or not TIMESTAMP_PATTERN.match(value)
        or value.endswith("-00:00")
        or value.endswith("-0000")
        or value.endswith("-00")
    ):
        _fail(path, _("must be an ISO 8601 timestamp such as 2026-12-07T08:30:00Z."))
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        _fail(path, _("must be an ISO 8601 timestamp such as 2026-12-07T08:30:00Z."))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def _account(value, path: str) -> None:
    _object(value, path, {"homePage", "name"}, required={"homePage", "name"})
    _iri(value["homePage"], f"{path}.homePage")
    _string(value["name"], f"{path}.name")


def _ifis(value: dict, path: str) -> int:
    count = 0
    if "mbox" in value:
        if not isinstance(value["mbox"], str) or not MBOX_PATTERN.match(value["mbox"]):
            _fail(f"{path}.mbox", _("must be a mailto: IRI such as mailto:nama@example.go.id."))
        count += 1
    if "mbox_sha1sum" in value:
        if not isinstance(value["mbox_sha1sum"], str) or not SHA1_PATTERN.match(
            value["mbox_sha1sum"]
        ):
            _fail(f"{path}.mbox_sha1sum", _("must be a SHA-1 hex digest (40 characters)."))
        count += 1
    if "openid" in value:
        _iri(value["openid"], f"{path}.openid")
        count += 1
    if "account" in value:
        _account(value["account"], f"{path}.account")
        count += 1
    return count


AGENT_PROPERTIES = {"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"}


def validate_agent(value, path: str, *, object_type_required: bool = False) -> None:
    """An Agent or a Group (anonymous or identified)."""
    if not isinstance(value, dict):
        _fail(path, _("must be an Agent or Group object."))
    object_type = value.get("objectType")
    if object_type is None and object_type_required:
        _fail(f"{path}.objectType", _("is required (Agent or Group)."))
    if object_type == "Group":
        _object(value, path, AGENT_PROPERTIES | {"member"})
        ifis = _ifis(value, path)
        if ifis > 1:
            _fail(
                path, _("a Group has at most one identifier (mbox, mbox_sha1sum, openid, account).")
            )
        if "name" in value:
            _string(value["name"], f"{path}.name")
        members = value.get("member")
        if ifis == 0 and not members:
            _fail(f"{path}.member", _("an anonymous Group must list its members."))
        if members is not None:
            if not isinstance(members, list):
                _fail(f"{path}.member", _("must be an array of Agents."))
            for index, member in enumerate(members):
                member_path = f"{path}.member[{index}]"
                if isinstance(member, dict) and member.get("objectType") == "Group":
                    _fail(member_path, _("a Group's members must be Agents."))
                validate_agent(member, member_path)
        return
    if object_type not in (None, "Agent"):
        _fail(f"{path}.objectType", _("must be Agent or Group."))
    _object(value, path, AGENT_PROPERTIES)
    if _ifis(value, path) != 1:
        _fail(
            path,
            _("an Agent needs exactly one identifier: mbox, mbox_sha1sum, openid or account."),
        )
    if "name" in value:
        _string(value["name"], f"{path}.name")


def _interaction_components(value, path: str) -> None:
    if not isinstance(value, list):
        _fail(path, _("must be an array of interaction components."))
    seen = set()
    for index, component in enumerate(value):
        item_path = f"{path}[{index}]"
        _object(component, item_path, {"id", "description"}, required={"id"})
        _string(component["id"], f"{item_path}.id")
        if component["id"] in seen:
            _fail(item_path, _("interaction component ids must be unique."))
        seen.add(component["id"])
        if "description" in component:
            _language_map(component["description"], f"{item_path}.description")


def validate_activity(value, path: str) -> None:
    _object(value, path, {"objectType", "id", "definition"}, required={"id"})
    if value.get("objectType", "Activity") != "Activity":
        _fail(f"{path}.objectType", _("must be Activity."))
    _iri(value["id"], f"{path}.id")
    definition = value.get("definition")
    if definition is None:
        return
    definition_path = f"{path}.definition"
    _object(
        definition,
        definition_path,
        {
            "name",
            "description",
            "type",
            "moreInfo",
            "extensions",
            "interactionType",
            "correctResponsesPattern",
            *INTERACTION_COMPONENT_LISTS,
        },
    )
    for name in ("name", "description"):
        if name in definition:
            _language_map(definition[name], f"{definition_path}.{name}")
    for name in ("type", "moreInfo"):
        if name in definition:
            _iri(definition[name], f"{definition_path}.{name}")
    if "extensions" in definition:
        _extensions(definition["extensions"], f"{definition_path}.extensions")
    interaction = definition.get("interactionType")
    if interaction is not None and interaction not in INTERACTION_TYPES:
        _fail(
            f"{definition_path}.interactionType",
            _("must be one of %(types)s.") % {"types": ", ".join(sorted(INTERACTION_TYPES))},
        )
    pattern = definition.get("correctResponsesPattern")
    if pattern is not None and (
        not isinstance(pattern, list) or not all(isinstance(p, str) for p in pattern)
    ):
        _fail(f"{definition_path}.correctResponsesPattern", _("must be an array of strings."))
    for name in INTERACTION_COMPONENT_LISTS:
        if name in definition:
            if interaction is None:
                _fail(f"{definition_path}.{name}", _("needs an interactionType."))
            _interaction_components(definition[name], f"{definition_path}.{name}")


def _statement_ref(value, path: str) -> None:
    _object(value, path, {"objectType", "id"}, required={"objectType", "id"})
    if value["objectType"] != "StatementRef":
        _fail(f"{path}.objectType", _("must be StatementRef."))
    _full_uuid(value["id"], f"{path}.id")


def _verb(value, path: str) -> None:
    _object(value, path, {"id", "display"}, required={"id"})
    _iri(value["id"], f"{path}.id")
    if "display" in value:
        _language_map(value["display"], f"{path}.display")


def _score(value, path: str) -> None:
    _object(value, path, {"scaled", "raw", "min", "max"})
    for name, number in value.items():
        if not _is_number(number):
            _fail(f"{path}.{name}", _("must be a number."))
    scaled, raw = value.get("scaled"), value.get("raw")
    low, high = value.get("min"), value.get("max")
    if scaled is not None and not -1 <= scaled <= 1:
        _fail(f"{path}.scaled", _("must be between -1 and 1."))
    if low is not None and high is not None and low >= high:
        _fail(f"{path}.min", _("must be less than max."))
    if raw is not None and high is not None and raw > high:
        _fail(f"{path}.raw", _("must not be greater than max."))
    if raw is not None and low is not None and raw < low:
        _fail(f"{path}.raw", _("must not be less than min."))


def _result(value, path: str) -> None:
    _object(value, path, {"score", "success", "completion", "response", "duration", "extensions"})
    if "score" in value:
        _score(value["score"], f"{path}.score")
    for name in ("success", "completion"):
        if name in value and not isinstance(value[name], bool):
            _fail(f"{path}.{name}", _("must be true or false."))
    if "response" in value:
        _string(value["response"], f"{path}.response")
    if "duration" in value and (
        not isinstance(value["duration"], str)
        or not ISO_DURATION.match(value["duration"])
        or value["duration"].endswith("T")
        or value["duration"] == "P"
    ):
        _fail(f"{path}.duration", _("must be an ISO 8601 duration such as PT1M30S."))
    if "extensions" in value:
        _extensions(value["extensions"], f"{path}.extensions")


def _context(value, path: str, *, object_is_activity: bool) -> None:
    _object(
        value,
        path,
        {
            "registration",
            "instructor",
            "team",
            "contextActivities",
            "revision",
            "platform",
            "language",
            "statement",
            "extensions",
        },
    )
    if "registration" in value:
        _full_uuid(value["registration"], f"{path}.registration")
    if "instructor" in value:
        validate_agent(value["instructor"], f"{path}.instructor")
    if "team" in value:
        team = value["team"]
        if not isinstance(team, dict) or team.get("objectType") != "Group":
            _fail(f"{path}.team", _("must be a Group."))
        validate_agent(team, f"{path}.team")
    for name in ("revision", "platform"):
        if name in value:
            _string(value[name], f"{path}.{name}")
            if not object_is_activity:
                _fail(f"{path}.{name}", _("may only be used when the object is an Activity."))
    if "language" in value and (
        not isinstance(value["language"], str) or not LANGUAGE_TAG.match(value["language"])
    ):
        _fail(f"{path}.language", _("must be a language tag (RFC 5646) such as id-ID."))
    if "statement" in value:
        _statement_ref(value["statement"], f"{path}.statement")
    if "extensions" in value:
        _extensions(value["extensions"], f"{path}.extensions")
    activities = value.get("contextActivities")
    if activities is not None:
        activities_path = f"{path}.contextActivities"
        _object(activities, activities_path, {"parent", "grouping", "category", "other"})
        for name, items in activities.items():
            items = [items] if isinstance(items, dict) else items
            if not isinstance(items, list):
                _fail(f"{activities_path}.{name}", _("must be an Activity or an array of them."))
            for index, item in enumerate(items):
                validate_activity(item, f"{activities_path}.{name}[{index}]")


def _attachments(value, path: str) -> None:
    if not isinstance(value, list):
        _fail(path, _("must be an array of attachments."))
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        _object(
            item,
            item_path,
            {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"},
            required={"usageType", "display", "contentType", "length", "sha2"},
        )
        _iri(item["usageType"], f"{item_path}.usageType")
        _language_map(item["display"], f"{item_path}.display")
        if "description" in item:
            _language_map(item["description"], f"{item_path}.description")
        _string(item["contentType"], f"{item_path}.contentType")
        if (
            not isinstance(item["length"], int)
            or isinstance(item["length"], bool)
            or (item["length"] < 0)
        ):
            _fail(f"{item_path}.length", _("must be a whole number of bytes."))
        if not isinstance(item["sha2"], str) or not SHA2_PATTERN.match(item["sha2"]):
            _fail(f"{item_path}.sha2", _("must be a SHA-2 hex digest."))
        if "fileUrl" in item:
            _iri(item["fileUrl"], f"{item_path}.fileUrl")


def _statement_object(value, path: str, *, in_substatement: bool) -> str:
    if not isinstance(value, dict):
        _fail(path, _("must be a JSON object."))
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        validate_activity(value, path)
    elif object_type in ("Agent", "Group"):
        validate_agent(value, path, object_type_required=True)
    elif object_type == "StatementRef":
        _statement_ref(value, path)
    elif object_type == "SubStatement":
        if in_substatement:
            _fail(path, _("a SubStatement cannot contain another SubStatement."))
        _object(value, path, SUBSTATEMENT_PROPERTIES, required={"actor", "verb", "object"})
        _statement_body(value, path, in_substatement=True)
    else:
        _fail(
            f"{path}.objectType",
            _("must be Activity, Agent, Group, StatementRef or SubStatement."),
        )
    return object_type


def _statement_body(value: dict, path: str, *, in_substatement: bool) -> None:
    prefix = f"{path}." if path else ""
    validate_agent(value["actor"], f"{prefix}actor")
    _verb(value["verb"], f"{prefix}verb")
    object_type = _statement_object(
        value["object"], f"{prefix}object", in_substatement=in_substatement
    )
    if "result" in value:
        _result(value["result"], f"{prefix}result")
    if "context" in value:
        _context(value["context"], f"{prefix}context", object_is_activity=object_type == "Activity")
    if "timestamp" in value:
        parse_timestamp(value["timestamp"], f"{prefix}timestamp")
    if "attachments" in value:
        _attachments(value["attachments"], f"{prefix}attachments")


def validate_statement(statement) -> dict:
    """Check one statement against the xAPI 1.0.3 Data part; StatementError if it fails."""
    if not isinstance(statement, dict):
        raise StatementError(_("A statement must be a JSON object."))
    _object(statement, "statement", STATEMENT_PROPERTIES, required={"actor", "verb", "object"})
    if "id" in statement:
        _full_uuid(statement["id"], "id")
    if "version" in statement and (
        not isinstance(statement["version"], str)
        or not re.match(r"^1\.0(\.\d+)?$", statement["version"])
    ):
        _fail("version", _("must be 1.0.x."))
    if "stored" in statement:
        parse_timestamp(statement["stored"], "stored")
    if "authority" in statement:
        validate_agent(statement["authority"], "authority")
    _statement_body(statement, "", in_substatement=False)
    if statement["verb"]["id"] == VERB_VOIDED:
        target = statement["object"]
        if target.get("objectType") != "StatementRef":
            _fail("object", _("a voiding statement's object must be a StatementRef."))
    return statement


def validate_statements(raw: list) -> list[dict]:
    """Validate every statement of a request; the first problem names its position."""
    for index, statement in enumerate(raw):
        try:
            validate_statement(statement)
        except StatementError as exc:
            exc.index = index
            if len(raw) > 1:
                exc.message = _("Statement %(number)d: %(problem)s") % {
                    "number": index + 1,
                    "problem": exc.message,
                }
            raise
    return raw
