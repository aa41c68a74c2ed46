"""The xAPI statements resource, /xapi/statements (xAPI 1.0.3, Communication 2.1).

One view for both kinds of caller:

- the platform's own pages (session cookie + CSRF header): the browser's statements about
  the platform's activities; the server sets actor, timestamp and stored (see
  lms.records.xapi). Learners read their own statements back with GET.
- external clients (HTTP Basic, lms.lrs.models.XapiClient): any conformant statement,
  stored as sent (plus stored, authority, version); multipart/mixed with attachments.
- a cmi5 assignable unit (its launch's auth token, see lms.lrs.documents.middleware): the
  client write path, held to the launch's learner, registration and activity
  (lrs_services.cmi5_statements_verify). Stored with the learner's city, so the city's
  clients read them; an AU activity IRI that is a platform activity records progress.

Thin: validation in lms.records.xapi, writes in lms.records.services and
lms.records.lrs_services, reads in lms.lrs.selectors.
"""

import email.parser
import email.policy
import hashlib
import json
import uuid

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.http import http_date
from django.utils.translation import gettext as _

from lms.lrs import selectors
from lms.lrs.http import xapi_error, xapi_view
from lms.lrs.models import Attachment
from lms.records import lrs_services, services, xapi

# Attachments make a request larger than a JSON batch.
MAX_MULTIPART_BYTES = 20 * 1024 * 1024
SHA_BY_LENGTH = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


# Writers are checked here, not by xapi_view: a session's write is checked by the write
# path itself (it locks the learner anyway), so the busiest request, the browser's
# statement, does not look up the session's roles first.
@xapi_view({"GET", "PUT", "POST"}, need={"GET": "read", "HEAD": "read"})
def statements(request):
    method = request.xapi.method
    principal = request.xapi_principal
    if method not in ("GET", "HEAD") and principal.client is not None and not principal.can_write:
        return xapi_error(403, _("These credentials may not write to this LRS."))
    try:
        if method in ("GET", "HEAD"):
            response = _get(request)
            if method == "HEAD":
                response.content = b""
            return response
        if getattr(request, "cmi5_session", None) is not None:
            # An assignable unit: any statement about its own activity, as a client
            # sends them, held to its launch (learner, registration, activity).
            return _client_write(request, cmi5_session=request.cmi5_session)
        if request.xapi_principal.client is None:
            return _browser_write(request)
        return _client_write(request)
    except _BadRequest as exc:
        return xapi_error(exc.status, exc.message)
    except selectors.QueryError as exc:
        return xapi_error(400, exc.message)


# --- writes -----------------------------------------------------------------------------


def _size_check(request, limit: int) -> None:
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    size = max(length, len(request.xapi.body))
    if size > limit:
        raise _BadRequest(
            _(
                "The request is too large (%(size)d bytes; at most %(limit)d). Send fewer "
                "statements per request."
            )
            % {"size": size, "limit": limit},
            status=413,
        )


def _put_id(request) -> str:
    statement_id = request.xapi.params.get("statementId")
    if not statement_id:
        raise _BadRequest(_("PUT needs the statementId parameter."))
    if not xapi.UUID_PATTERN.match(statement_id):
        raise _BadRequest(_("statementId must be a UUID."))
    extra = set(request.xapi.params) - {"statementId"}
    if extra:
        raise _BadRequest(
            _("Unknown query parameters: %(names)s.") % {"names": ", ".join(sorted(extra))}
        )
    return statement_id


def _single_for_put(raw: list, statement_id: str, body: bytes) -> list:
    if body.lstrip()[:1] == b"[" or len(raw) != 1 or not isinstance(raw[0], dict):
        raise _BadRequest(_("PUT takes one statement, not an array."))
    statement = raw[0]
    if "id" in statement:
        if not isinstance(statement["id"], str) or statement["id"].lower() != statement_id.lower():
            raise _BadRequest(_("The statement's id differs from the statementId parameter."))
    else:
        statement["id"] = statement_id
    return raw


def _browser_write(request):
    """The platform's pages: statements of the signed-in learner (issue 6's contract)."""
    response = _browser_write_checked(request)
    if response.status_code in (400, 413) and not request.xapi_principal.can_write:
        # A user who may not write at all hears that first, not what was wrong with the
        # statements. Only refused requests pay for the roles lookup; an accepted one was
        # checked by the write path, which locks the learner anyway.
        return xapi_error(403, _("These credentials may not write to this LRS."))
    return response


def _browser_write_checked(request):
    if request.xapi.content_type != "application/json":
        return xapi_error(400, _("Send statements as JSON (Content-Type: application/json)."))
    try:
        _size_check(request, xapi.MAX_BODY_BYTES)
    except _BadRequest as exc:
        # The browser's endpoint has always answered an oversized request with 400.
        return xapi_error(400, exc.message)
    try:
        body = request.xapi.body
        raw = xapi.parse_body(body)
        if request.xapi.method == "PUT":
            raw = _single_for_put(raw, _put_id(request), body)
        parsed = xapi.parse_statements(raw)
        result = services.statements_record(user=request.user, statements=parsed)
    except xapi.StatementError as exc:
        extra = {"statement": exc.index} if exc.index is not None else {}
        return xapi_error(400, exc.message, **extra)
    except services.AccessDenied as exc:
        return xapi_error(403, exc.message)
    except services.StatementConflict as exc:
        return xapi_error(409, exc.message, statement_id=str(exc.statement_id))
    if request.xapi.method == "PUT":
        return HttpResponse(status=204, content_type="application/json")
    return JsonResponse([str(statement_id) for statement_id in result.ids], safe=False)


def _parse_multipart(request) -> tuple[bytes, dict[str, tuple[str, bytes]]]:
    """The statements part and the attachments (sha2 -> (content type, bytes))."""
    header = request.xapi.headers.get("Content-Type", "")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + header.encode("latin-1") + b"\r\n\r\n" + request.xapi.body
    )
    if not message.is_multipart():
        raise _BadRequest(_("The multipart/mixed body could not be read."))
    parts = list(message.iter_parts())
    if not parts or parts[0].get_content_type() != "application/json":
        raise _BadRequest(_("The first part of a multipart request must be the statements (JSON)."))
    statements = parts[0].get_payload(decode=True) or b""
    attachments = {}
    for part in parts[1:]:
        sha2 = (part.get("X-Experience-API-Hash") or "").strip().lower()
        if not sha2:
            raise _BadRequest(_("Every attachment part needs the X-Experience-API-Hash header."))
        if part.get("Content-Transfer-Encoding", "binary").lower() != "binary":
            raise _BadRequest(_("Attachment parts must use Content-Transfer-Encoding: binary."))
        data = part.get_payload(decode=True) or b""
        digest = SHA_BY_LENGTH.get(len(sha2))
        if digest is None or digest(data).hexdigest() != sha2:
            raise _BadRequest(
                _("The content of the attachment %(sha2)s does not match its hash.")
                % {"sha2": sha2[:16] + "…"}
            )
        attachments[sha2] = (part.get_content_type(), data)
    return statements, attachments


def _check_attachments(statements: list, attachments: dict) -> None:
    declared = set()
    for statement in statements:
        for item in statement.get("attachments") or []:
            if "fileUrl" in item:
                continue
            declared.add(item["sha2"].lower())
    missing = declared - set(attachments)
    if missing:
        raise _BadRequest(
            _("Attachment %(sha2)s is declared in a statement but its content was not sent.")
            % {"sha2": sorted(missing)[0][:16] + "…"}
        )
    extra = set(attachments) - declared
    if extra:
        raise _BadRequest(_("An attachment was sent that no statement declares."))


def _client_write(request, *, cmi5_session=None):
    content_type = request.xapi.content_type
    attachments = {}
    if content_type == "multipart/mixed":
        _size_check(request, MAX_MULTIPART_BYTES)
        body, attachments = _parse_multipart(request)
    elif content_type == "application/json":
        _size_check(request, xapi.MAX_BODY_BYTES)
        body = request.xapi.body
    else:
        raise _BadRequest(
            _("Send statements as JSON (application/json) or multipart/mixed with attachments.")
        )
    try:
        raw = xapi.parse_body(body)
        if request.xapi.method == "PUT":
            raw = _single_for_put(raw, _put_id(request), body)
        elif request.xapi.params:
            raise _BadRequest(
                _("Unknown query parameters: %(names)s.")
                % {"names": ", ".join(sorted(request.xapi.params))}
            )
        if cmi5_session is not None:
            lrs_services.cmi5_statements_check(session=cmi5_session, statements=raw)
        xapi.validate_statements(raw)
        if cmi5_session is not None:
            lrs_services.cmi5_statements_verify(session=cmi5_session, statements=raw)
        _check_attachments(raw, attachments)
        result = lrs_services.statements_store(
            principal=request.xapi_principal, statements=raw, attachments=attachments
        )
    except xapi.StatementError as exc:
        extra = {"statement": exc.index} if exc.index is not None else {}
        return xapi_error(400, exc.message, **extra)
    except lrs_services.LrsRefused as exc:
        extra = {"statement_id": exc.statement_id} if exc.statement_id else {}
        return xapi_error(exc.status, exc.message, **extra)
    if request.xapi.method == "PUT":
        return HttpResponse(status=204, content_type="application/json")
    return JsonResponse(result.ids, safe=False)


# --- reads ------------------------------------------------------------------------------


def _consistent_through() -> str:
    return timezone.now().isoformat().replace("+00:00", "Z")


def _languages(request) -> list[str]:
    return selectors.accepted_languages(request.xapi.headers.get("Accept-Language", ""))


def _get(request):
    principal = request.xapi_principal
    params = dict(request.xapi.params)
    languages = _languages(request)
    single = selectors.parse_single(params)
    if single is not None:
        row = selectors.statement_single(principal, single)
        if row is None:
            return xapi_error(404, _("No statement with this id is available to you."))
        body = selectors.statement_json(row, format=single.format, languages=languages)
        response = _answer(body, [body], attachments=single.attachments)
        response["Last-Modified"] = http_date(row.stored_at.timestamp())
    else:
        if "more" in params:
            token = params.pop("more")
            if params:
                raise selectors.QueryError(
                    _("Send the more link as it is, without other parameters.")
                )
            page = selectors.statements_more(principal, token)
        else:
            page = selectors.statements_page(principal, params)
        items = [
            selectors.statement_json(row, format=page.format, languages=languages)
            for row in page.statements
        ]
        body = {
            "statements": items,
            "more": f"/xapi/statements?more={page.more}" if page.more else "",
        }
        response = _answer(body, items, attachments=page.attachments)
    response["X-Experience-API-Consistent-Through"] = _consistent_through()
    return response


def _answer(body: dict, statements: list[dict], *, attachments: bool) -> HttpResponse:
    if not attachments:
        return JsonResponse(body)
    wanted = sorted(
        {
            item["sha2"].lower()
            for statement in statements
            for item in statement.get("attachments") or []
            if "fileUrl" not in item
        }
    )
    if not wanted:
        return JsonResponse(body)
    boundary = uuid.uuid4().hex
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(body).encode(),
        b"\r\n",
    ]
    for attachment in Attachment.objects.filter(sha2__in=wanted).order_by("sha2"):
        with attachment.file.open("rb") as handle:
            data = handle.read()
        chunks += [
            (
                f"--{boundary}\r\nContent-Type: {attachment.content_type}\r\n"
                "Content-Transfer-Encoding: binary\r\n"
                f"X-Experience-API-Hash: {attachment.sha2}\r\n\r\n"
            ).encode(),
            data,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return HttpResponse(b"".join(chunks), content_type=f'multipart/mixed; boundary="{boundary}"')
