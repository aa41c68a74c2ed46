"""Writes of the document resources (State, Activity Profile, Agent Profile) with the ETag
concurrency rules of xAPI 1.0.3 (Communication 3.1), and cmi5 launch sessions.

Concurrency
-----------
``If-Match`` (one or more quoted ETags, or ``*``) must match the stored document, else 412;
``If-None-Match: *`` refuses to overwrite an existing document (412). For the Activity and
Agent Profile resources a PUT on an existing document that sends neither header is refused
with 409, so a client cannot overwrite a change it has not seen. The State resource is last
write wins unless the client sends a header.
"""

import base64
import datetime
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.lrs.documents import params, selectors
from lms.lrs.documents.models import (
    DocumentKind,
    LaunchMode,
    LaunchSession,
    MoveOn,
    XapiDocument,
)
from lms.people.models import LearnerProfile

# Bodies up to this size stay in the row; larger ones go to the default file storage.
INLINE_MAX_BYTES = 64 * 1024
JSON = "application/json"
LAUNCH_DATA_STATE_ID = "LMS.LaunchData"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CMI5_SESSION_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
LAUNCH_LIFETIME = datetime.timedelta(hours=8)


def max_document_bytes() -> int:
    """The largest document accepted (413 above it); below Django's in-memory body limit."""
    return int(getattr(settings, "LRS_DOCUMENT_MAX_BYTES", 2 * 1024 * 1024))


class DocumentError(Exception):
    """A document request refused with ``status`` (400, 409, 412, 413)."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Scope:
    """Where a document lives (see XapiDocument)."""

    kind: str
    activity_id: str = ""
    agent_key: str = ""
    registration: uuid.UUID | None = None
    city_id: int | None = None
    learner_id: int | None = None

    @property
    def context_hash(self) -> str:
        if self.kind == DocumentKind.STATE:
            parts = (self.kind, self.activity_id, self.agent_key)
        elif self.kind == DocumentKind.ACTIVITY_PROFILE:
            parts = (self.kind, self.activity_id, self.city_id)
        else:
            parts = (self.kind, self.agent_key)
        return params.scope_hash(*parts)

    @property
    def hash(self) -> str:
        """The context plus the registration (State only)."""
        if self.kind == DocumentKind.STATE:
            return params.scope_hash(self.context_hash, self.registration)
        return self.context_hash

    def rows(self):
        """This scope's documents; for State without a registration, those of every
        registration (xAPI 1.0.3, 2.3: "+ registration if specified")."""
        queryset = XapiDocument.objects.filter(context_hash=self.context_hash)
        if self.registration is not None:
            queryset = queryset.filter(registration=self.registration)
        return queryset


def etag_of(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _etags(header: str) -> list[str]:
    parts = [part.strip() for part in header.split(",")]
    return [part.removeprefix("W/").strip('"') for part in parts if part]


def check_preconditions(
    row: XapiDocument | None,
    *,
    if_match: str | None,
    if_none_match: str | None,
    require: bool = False,
) -> None:
    """Raise DocumentError(412/409) when the request's ETag headers do not allow the write."""
    if if_match is not None:
        tags = _etags(if_match)
        if row is None or ("*" not in tags and row.etag not in tags):
            raise DocumentError(
                _(
                    "The document has changed (If-Match does not match its ETag). Read it "
                    "again and retry."
                ),
                status=412,
            )
    if if_none_match is not None and row is not None:
        tags = _etags(if_none_match)
        if "*" in tags or row.etag in tags:
            raise DocumentError(
                _("The document already exists (If-None-Match)."),
                status=412,
            )
    if require and row is not None and if_match is None and if_none_match is None:
        raise DocumentError(
            _(
                "The document already exists. Send If-Match with its ETag to replace it, or "
                "If-None-Match: * to create it only when it does not exist."
            ),
            status=409,
        )


def _check_size(body: bytes) -> None:
    limit = max_document_bytes()
    if len(body) > limit:
        raise DocumentError(
            _("The document is too large (%(size)d bytes; at most %(limit)d).")
            % {"size": len(body), "limit": limit},
            status=413,
        )


def _json_object(body: bytes):
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _locked(scope: Scope, document_id: str) -> XapiDocument | None:
    return (
        XapiDocument.objects.select_for_update()
        .filter(scope_hash=scope.hash, document_id=document_id)
        .first()
    )


def _store(
    *, row: XapiDocument | None, scope: Scope, document_id: str, body: bytes, content_type: str
) -> XapiDocument:
    old_file = row.file.name if row is not None and row.file else ""
    if row is None:
        row = XapiDocument(
            kind=scope.kind,
            scope_hash=scope.hash,
            context_hash=scope.context_hash,
            document_id=document_id,
            activity_id=scope.activity_id,
            agent_key=scope.agent_key,
            registration=scope.registration,
            city_id=scope.city_id,
            learner_id=scope.learner_id,
        )
    row.content_type = content_type[:255] or "application/octet-stream"
    row.etag = etag_of(body)
    row.size = len(body)
    row.updated_at = timezone.now()
    if len(body) > INLINE_MAX_BYTES:
        row.body = None
        row.file.save(f"{uuid.uuid4().hex}.bin", ContentFile(body), save=False)
    else:
        row.body = body
        row.file = ""
    row.full_clean(exclude=["body", "file", "city", "learner"], validate_unique=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Another request created the same document between our read and our insert.
        raise DocumentError(
            _("The document was changed by another request at the same time. Retry."),
            status=409,
        ) from None
    if old_file and old_file != row.file.name:
        storage = row.file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    return row


def document_put(
    *,
    scope: Scope,
    document_id: str,
    body: bytes,
    content_type: str,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> XapiDocument:
    """Store (replace) a document. Profiles need a precondition header to replace one."""
    _check_size(body)
    with transaction.atomic():
        row = _locked(scope, document_id)
        check_preconditions(
            row,
            if_match=if_match,
            if_none_match=if_none_match,
            require=scope.kind != DocumentKind.STATE,
        )
        return _store(
            row=row, scope=scope, document_id=document_id, body=body, content_type=content_type
        )


def document_post(
    *,
    scope: Scope,
    document_id: str,
    body: bytes,
    content_type: str,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> XapiDocument:
    """Merge a JSON object into the stored JSON object, property by property (the posted
    values win); store the document as sent when there is none yet. 400 when either the
    stored or the posted document is not a JSON object."""
    _check_size(body)
    with transaction.atomic():
        row = _locked(scope, document_id)
        check_preconditions(row, if_match=if_match, if_none_match=if_none_match)
        if row is not None:
            new = _json_object(body) if media_type(content_type) == JSON else None
            if new is None:
                raise DocumentError(
                    _(
                        "POST merges JSON objects: send a JSON object with Content-Type: "
                        "application/json."
                    )
                )
            old = (
                _json_object(selectors.document_body(row))
                if media_type(row.content_type) == JSON
                else None
            )
            if old is None:
                raise DocumentError(
                    _("The stored document is not a JSON object, so it cannot be merged. Use PUT.")
                )
            body = json.dumps({**old, **new}, ensure_ascii=False).encode("utf-8")
            _check_size(body)
            content_type = JSON
        return _store(
            row=row, scope=scope, document_id=document_id, body=body, content_type=content_type
        )


def document_delete(
    *,
    scope: Scope,
    document_id: str,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> None:
    """Delete one document (nothing to delete is fine unless If-Match asks for one)."""
    with transaction.atomic():
        row = _locked(scope, document_id)
        check_preconditions(row, if_match=if_match, if_none_match=if_none_match)
        if row is not None:
            _delete_rows([row])


def documents_delete(*, scope: Scope) -> int:
    """Delete every document of a scope (State: DELETE without stateId)."""
    with transaction.atomic():
        rows = list(scope.rows().select_for_update())
        _delete_rows(rows)
    return len(rows)


def _delete_rows(rows: list[XapiDocument]) -> None:
    files = [(row.file.storage, row.file.name) for row in rows if row.file]
    XapiDocument.objects.filter(pk__in=[row.pk for row in rows]).delete()
    for storage, name in files:
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


# --- cmi5 launch ----------------------------------------------------------------------------


class LaunchError(Exception):
    """A fetch the LMS answers with a cmi5 error (8.2.3): code "1" already used or expired,
    "2" security error (unknown session)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def learner_state_scope(
    *, profile: LearnerProfile, activity_id: str, registration: uuid.UUID | None
) -> Scope:
    actor = selectors.learner_actor(profile)
    return Scope(
        kind=DocumentKind.STATE,
        activity_id=activity_id,
        agent_key=params.parse_agent(actor).key,
        registration=registration,
        city_id=profile.city_id,
        learner_id=profile.pk,
    )


def cmi5_launch_url(
    *,
    au_url: str,
    learner: LearnerProfile,
    activity_id: str,
    publisher_id: str,
    registration: uuid.UUID | None = None,
    launch_mode: str = LaunchMode.NORMAL,
    move_on: str = MoveOn.COMPLETED,
    mastery_score: float | None = None,
    launch_parameters: str | None = None,
    return_url: str | None = None,
    base_url: str | None = None,
) -> tuple[str, LaunchSession]:
    """Launch an assignable unit: a launch session, the ``LMS.LaunchData`` state document,
    and the URL to open (cmi5 8.1), with ``endpoint``, ``fetch``, ``actor``,
    ``registration`` and ``activityId`` in its query string.

    How a course uses it: the page that starts an AU calls this with the AU's URL, the
    learner, the AU's activity IRI for this LMS (``activity_id``, not the publisher's id),
    the publisher id from the course structure and the learner's registration for the
    course (kept by the caller, the same for every launch of that enrolment), then
    redirects the browser to the returned URL. The AU posts to ``fetch`` once to get its
    auth token and sends it as ``Authorization: Basic <token>`` to ``endpoint``.
    """
    if not params.is_iri(activity_id) or not params.is_iri(publisher_id):
        raise DocumentError(_("The AU's activity id and publisher id must be absolute IRIs."))
    if launch_mode not in LaunchMode.values or move_on not in MoveOn.values:
        raise DocumentError(_("Unknown launch mode or moveOn value."))
    if mastery_score is not None and not 0 <= mastery_score <= 1:
        raise DocumentError(_("masteryScore must be between 0 and 1."))
    base = (base_url or str(settings.WAGTAILADMIN_BASE_URL)).rstrip("/")
    registration = registration or uuid.uuid4()
    now = timezone.now()
    session = LaunchSession(
        learner=learner,
        activity_id=activity_id,
        registration=registration,
        launch_mode=launch_mode,
        move_on=move_on,
        created_at=now,
        expires_at=now + LAUNCH_LIFETIME,
    )
    launch_data = {
        "contextTemplate": {
            "contextActivities": {
                "grouping": [{"objectType": "Activity", "id": publisher_id}],
                "category": [{"objectType": "Activity", "id": CMI5_CATEGORY}],
            },
            "extensions": {CMI5_SESSION_EXTENSION: str(session.id)},
            "registration": str(registration),
        },
        "launchMode": launch_mode,
        "moveOn": move_on,
    }
    if mastery_score is not None:
        launch_data["masteryScore"] = mastery_score
    if launch_parameters is not None:
        launch_data["launchParameters"] = launch_parameters
    if return_url is not None:
        launch_data["returnURL"] = return_url
    with transaction.atomic():
        session.full_clean(exclude=["learner"])
        session.save()
        scope = learner_state_scope(
            profile=learner, activity_id=activity_id, registration=registration
        )
        row = _locked(scope, LAUNCH_DATA_STATE_ID)
        _store(
            row=row,
            scope=scope,
            document_id=LAUNCH_DATA_STATE_ID,
            body=json.dumps(launch_data).encode("utf-8"),
            content_type=JSON,
        )
    query = urlencode(
        {
            "endpoint": f"{base}/xapi/",
            "fetch": base + reverse("lrs_documents:cmi5_fetch", args=[session.pk]),
            "actor": json.dumps(selectors.learner_actor(learner), separators=(",", ":")),
            "registration": str(registration),
            "activityId": activity_id,
        }
    )
    separator = "&" if "?" in au_url else "?"
    return f"{au_url}{separator}{query}", session


def cmi5_token_fetch(*, session_id) -> str:
    """The fetch URL's answer (cmi5 8.2): a new auth token, the first time only.

    The token is ``base64("cmi5-<session id>:<secret>")``, so an AU can send it as HTTP
    Basic credentials as the specification says; only the secret's SHA-256 digest is kept.
    Raises LaunchError "1" when the token was already fetched or the session expired, "2"
    for an unknown session.
    """
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        session = LaunchSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            raise LaunchError("2", _("Unknown launch session."))
        if session.fetched_at is not None:
            raise LaunchError("1", _("The authorization token has already been returned."))
        if session.expires_at <= timezone.now():
            raise LaunchError("1", _("The launch session has expired."))
        session.fetched_at = timezone.now()
        session.token_digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
        session.save(update_fields=["fetched_at", "token_digest"])
    credentials = f"{selectors.CMI5_TOKEN_PREFIX}{session.pk}:{secret}"
    return base64.b64encode(credentials.encode("ascii")).decode("ascii")
