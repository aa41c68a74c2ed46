"""Writes of the learning record store (lms.lrs): statements from external xAPI clients.

Every statement is stored once (its id is the key: a retry with equal content is
acknowledged, other content is refused with 409). When the actor is a platform learner
(an account on this site named by the NIP, or the mbox of the learner's email) and the
object is one of the platform's activities, the statement goes through the same write
path as the browser's (``services.statements_record``): progress, completion, JP credit
and rollups, in the same transaction. Everything else is stored only.

Shared rows are never updated per statement: a statement only inserts its own rows
(insert-or-ignore, in id order) and its relation rows; voiding flips a flag on the voided
statement only. So concurrent clients posting the same verbs and activities do not wait
for each other.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.lrs.identity import agent_hash, iri_hash, learners_lookup
from lms.lrs.models import Attachment, StatementRelation
from lms.records import services, xapi
from lms.records.models import Statement

XAPI_VERSION = "1.0.3"
# Properties the LRS sets or may change: not part of the content a retry must repeat.
EQUALITY_IGNORED = {"stored", "authority", "version"}


class LrsRefused(Exception):
    """A request the LRS refuses; ``status`` is the HTTP status (400, 403, 409)."""

    def __init__(self, message: str, *, status: int = 400, statement_id=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.statement_id = statement_id


@dataclass
class StoreResult:
    ids: list[str]
    stored: int = 0
    recorded: int = 0  # stored through the learner write path (progress, completion, JP)
    voided: int = 0
    new_ids: set = field(default_factory=set)


def content_hash(statement: dict) -> str:
    """SHA-256 of a statement as the client sent it, minus what the LRS sets; keys sorted,
    so the same statement in another key order is equal."""
    content = {k: v for k, v in statement.items() if k not in EQUALITY_IGNORED}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _stamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _score_percent(result: dict | None) -> float | None:
    score = (result or {}).get("score") or {}
    scaled, raw, high = score.get("scaled"), score.get("raw"), score.get("max")
    if scaled is not None:
        percent = scaled * 100
    elif raw is not None and high is not None:
        low = score.get("min", 0)
        percent = (raw - low) / (high - low) * 100 if high > low else 0
    else:
        return None
    return round(min(100.0, max(0.0, percent)), 2)


def _relations(statement: dict) -> set[tuple[str, str]]:
    """(kind, key) of every activity and agent the statement names besides its actor and
    direct object."""
    found: set[tuple[str, str]] = set()

    def agent(value):
        if not isinstance(value, dict):
            return
        key = agent_hash(value)
        if key:
            found.add((StatementRelation.Kind.AGENT, key))
        for member in value.get("member") or []:
            agent(member)

    def context(value):
        if not isinstance(value, dict):
            return
        agent(value.get("instructor"))
        agent(value.get("team"))
        for items in (value.get("contextActivities") or {}).values():
            for item in [items] if isinstance(items, dict) else items:
                found.add((StatementRelation.Kind.ACTIVITY, iri_hash(item["id"])))

    context(statement.get("context"))
    actor = statement["actor"]
    for member in actor.get("member") or []:
        agent(member)
    obj = statement["object"]
    if obj.get("objectType") == "SubStatement":
        agent(obj["actor"])
        inner = obj["object"]
        if inner.get("objectType", "Activity") == "Activity":
            found.add((StatementRelation.Kind.ACTIVITY, iri_hash(inner["id"])))
        elif inner.get("objectType") in ("Agent", "Group"):
            agent(inner)
        context(obj.get("context"))
    return found


def _object_iri(obj: dict) -> str:
    """The activity IRI, or a StatementRef's target id in canonical form (lower case, with
    hyphens), so the GET filters' StatementRef rule finds it (lms.lrs.selectors)."""
    object_type = obj.get("objectType", "Activity")
    if object_type == "StatementRef":
        return str(uuid.UUID(obj["id"]))
    if object_type == "Activity":
        return obj["id"][:512]
    return ""


def _row(statement: dict, *, stored, token, city_id, principal, learner, digest) -> Statement:
    obj = statement["object"]
    result = statement.get("result") or {}
    registration = (statement.get("context") or {}).get("registration")
    return Statement(
        id=uuid.UUID(statement["id"]),
        learner=learner,
        verb=statement["verb"]["id"][:255],
        object_iri=_object_iri(obj),
        kind="",
        activity_key=None,
        lesson_key=None,
        score_percent=_score_percent(result),
        success=result.get("success"),
        duration_seconds=None,
        content_hash=digest,
        batch_token=token,
        timestamp=xapi.parse_timestamp(statement["timestamp"]),
        stored_at=stored,
        payload=statement,
        city_id=city_id,
        client=principal.client,
        actor_hash=agent_hash(statement["actor"]),
        object_agent_hash=(agent_hash(obj) if obj.get("objectType") in ("Agent", "Group") else ""),
        registration=uuid.UUID(registration) if registration else None,
    )


def _insert_plain(rows: list[Statement], token) -> set[uuid.UUID]:
    """Insert rows, ignoring ids already stored; the ids this request inserted. An id
    stored before with other content is a conflict (409)."""
    if not rows:
        return set()
    rows.sort(key=lambda row: row.id)  # a fixed lock order for concurrent batches
    inserted, _nothing_read = services._insert_ignoring_conflicts(rows)
    if inserted is not None and len(inserted) == len(rows):
        return inserted
    stored = {
        pk: (digest, batch)
        for pk, digest, batch in Statement.objects.filter(
            pk__in=[row.id for row in rows]
        ).values_list("pk", "content_hash", "batch_token")
    }
    new = set()
    for row in rows:
        digest, batch = stored[row.id]
        if batch == token:
            new.add(row.id)
        elif digest != row.content_hash:
            raise _conflict(row.id)
    return new


def _conflict(statement_id) -> LrsRefused:
    return LrsRefused(
        _(
            "A different statement with the id %(id)s was already stored. Statement ids "
            "must be unique: generate a new UUID for a new statement."
        )
        % {"id": statement_id},
        status=409,
        statement_id=str(statement_id),
    )


def _record_for_learner(learner, statements: list[dict], rows: dict) -> set[uuid.UUID] | None:
    """Store and apply statements about a platform learner's platform activities through
    the browser's write path; None when they are not recordable there (then they are
    stored only)."""
    try:
        parsed = xapi.parse_statements(statements)
    except xapi.StatementError:
        return None
    overrides = {}
    for statement in parsed:
        row = rows[statement.id]
        overrides[statement.id] = {
            "payload": row.payload,
            "client": row.client,
            "actor_hash": row.actor_hash,
            "object_agent_hash": row.object_agent_hash,
            "registration": row.registration,
            "timestamp": row.timestamp,
            "stored_at": row.stored_at,
        }
    try:
        with transaction.atomic():
            result = services.statements_record(
                user=learner.user, statements=parsed, row_fields=overrides
            )
    except services.AccessDenied:
        return None
    except services.StatementConflict as exc:
        raise _conflict(exc.statement_id) from None
    if result.stored == len(parsed):
        return {s.id for s in parsed}
    # Some were stored before: the new ones are those this request's rows now carry.
    return set(
        Statement.objects.filter(
            pk__in=[s.id for s in parsed], stored_at=rows[parsed[0].id].stored_at
        ).values_list("pk", flat=True)
    )


def _prepare(statements: list[dict], *, principal, stored) -> tuple[list[dict], dict, list]:
    """Give each statement its id, timestamp, stored, authority and version; the content
    hash of what the client sent, per id; the ids in the request's order. Repeats inside
    the batch must be equal."""
    prepared, digests, ids = [], {}, []
    for statement in statements:
        # Only top-level properties are set below: a shallow copy keeps the caller's intact.
        statement = dict(statement)
        statement_id = str(uuid.UUID(statement["id"])) if "id" in statement else str(uuid.uuid4())
        statement["id"] = statement_id
        ids.append(statement_id)
        digest = content_hash(statement)
        if statement_id in digests:
            if digests[statement_id] != digest:
                raise LrsRefused(
                    _("The batch holds two different statements with the id %(id)s.")
                    % {"id": statement_id}
                )
            continue
        digests[statement_id] = digest
        statement.setdefault("timestamp", _stamp(stored))
        statement["stored"] = _stamp(stored)
        statement["authority"] = principal.authority()
        statement["version"] = XAPI_VERSION
        prepared.append(statement)
    return prepared, digests, ids


def _check_voiding(statements: list[dict], principal) -> list[uuid.UUID]:
    targets = [
        uuid.UUID(s["object"]["id"]) for s in statements if s["verb"]["id"] == xapi.VERB_VOIDED
    ]
    if not targets:
        return []
    in_batch = {s["id"]: s for s in statements}
    for target in targets:
        other = in_batch.get(str(target))
        if other is not None and other["verb"]["id"] == xapi.VERB_VOIDED:
            raise LrsRefused(_("A voiding statement cannot be voided."))
    if Statement.objects.filter(pk__in=targets, verb=xapi.VERB_VOIDED).exists():
        raise LrsRefused(_("A voiding statement cannot be voided."))
    return targets


def _within(iri: str, root: str) -> bool:
    """Whether an activity IRI is ``root`` or one of its sub-activities (``root`` followed
    by ``/``, ``#`` or ``?``)."""
    return iri == root or (iri.startswith(root) and iri[len(root)] in "/#?")


def cmi5_statements_check(*, session, statements: list) -> list:
    """Hold the statements an assignable unit sends with its cmi5 token to its launch
    (cmi5 9.2, 9.4, 9.6.1; 6.3: no voiding). A statement without an actor gets the
    launch's learner. Then, after ``xapi.validate_statements``, call ``cmi5_statements_verify``.
    """
    from lms.lrs.identity import learner_agent

    for statement in statements:
        if isinstance(statement, dict) and "actor" not in statement:
            statement["actor"] = learner_agent(session.learner)
    return statements


def cmi5_statements_verify(*, session, statements: list[dict]) -> None:
    """Refuse (LrsRefused) validated statements outside the launch: another actor than the
    launch's learner (403), another registration (403, none: 400), voiding (403, cmi5 6.3)
    or an object that is not the AU's activity or one of its sub-activities (403)."""
    from lms.lrs.identity import learner_agent

    learner_key = agent_hash(learner_agent(session.learner))
    registration = str(session.registration)
    for index, statement in enumerate(statements):
        number = {"number": index + 1}
        if agent_hash(statement["actor"]) != learner_key:
            raise LrsRefused(
                _(
                    "Statement %(number)d: a cmi5 token sends statements of its launch's "
                    "learner only; use the actor of the launch URL."
                )
                % number,
                status=403,
            )
        if statement["verb"]["id"] == xapi.VERB_VOIDED:
            raise LrsRefused(
                _("Statement %(number)d: an assignable unit may not void statements.") % number,
                status=403,
            )
        sent = (statement.get("context") or {}).get("registration")
        if sent is None:
            raise LrsRefused(
                _(
                    "Statement %(number)d: context.registration is missing; use the "
                    "registration of the launch URL."
                )
                % number
            )
        if str(uuid.UUID(sent)) != registration:
            raise LrsRefused(
                _(
                    "Statement %(number)d: a cmi5 token sends statements of its launch's "
                    "registration only."
                )
                % number,
                status=403,
            )
        obj = statement["object"]
        if obj.get("objectType", "Activity") != "Activity" or not _within(
            obj["id"], session.activity_id
        ):
            raise LrsRefused(
                _(
                    "Statement %(number)d: a cmi5 token sends statements about its "
                    "assignable unit (the activityId of the launch URL) or its "
                    "sub-activities only."
                )
                % number,
                status=403,
            )


def statements_store(
    *, principal, statements: list[dict], attachments: dict[str, tuple[str, bytes]] | None = None
) -> StoreResult:
    """Store validated statements (``xapi.validate_statements``) of an LRS client.

    ``attachments`` maps a SHA-2 digest to (content type, bytes) of the parts of a
    multipart request. Nothing is written unless the whole batch is accepted.
    """
    stored = timezone.now()
    token = uuid.uuid4()
    prepared, digests, ids = _prepare(statements, principal=principal, stored=stored)
    result = StoreResult(ids=ids)
    targets = _check_voiding(prepared, principal)

    learners = learners_lookup(
        [s["actor"] for s in prepared], city_id=principal.city_id, national=principal.national
    )
    rows: dict[uuid.UUID, Statement] = {}
    by_learner: dict[int, tuple[object, list[dict]]] = {}
    for statement in prepared:
        learner = learners.get(agent_hash(statement["actor"]))
        city_id = learner.city_id if learner is not None else principal.city_id
        row = _row(
            statement,
            stored=stored,
            token=token,
            city_id=city_id,
            principal=principal,
            learner=learner,
            digest=digests[statement["id"]],
        )
        rows[row.id] = row
        if learner is not None and statement["verb"]["id"] != xapi.VERB_VOIDED:
            by_learner.setdefault(learner.pk, (learner, []))[1].append(statement)

    with transaction.atomic():
        plain = dict(rows)
        for learner, items in sorted(by_learner.values(), key=lambda item: item[0].pk):
            new = _record_for_learner(learner, items, rows)
            if new is None:
                continue
            for item in items:
                plain.pop(uuid.UUID(item["id"]), None)
            result.new_ids |= new
            result.recorded += len(new)
        result.new_ids |= _insert_plain(list(plain.values()), token)
        result.stored = len(result.new_ids)
        relations = [
            StatementRelation(statement_id=row_id, kind=kind, key=key)
            for row_id in sorted(result.new_ids)
            for kind, key in sorted(_relations(rows[row_id].payload))
        ]
        if relations:
            StatementRelation.objects.bulk_create(relations, ignore_conflicts=True)
        new_targets = [
            uuid.UUID(rows[row_id].payload["object"]["id"])
            for row_id in result.new_ids
            if rows[row_id].verb == xapi.VERB_VOIDED
        ]
        if new_targets and targets:
            from lms.lrs.selectors import visible_statements

            result.voided = (
                visible_statements(principal)
                .filter(pk__in=new_targets)
                .exclude(verb=xapi.VERB_VOIDED)
                .update(voided=True)
            )
        if attachments:
            _attachments_save(attachments)
    return result


def _attachments_save(attachments: dict[str, tuple[str, bytes]]) -> None:
    known = set(
        Attachment.objects.filter(sha2__in=list(attachments)).values_list("sha2", flat=True)
    )
    for sha2, (content_type, data) in sorted(attachments.items()):
        if sha2 in known:
            continue
        attachment = Attachment(sha2=sha2, content_type=content_type[:255], length=len(data))
        attachment.file.save(sha2, ContentFile(data), save=False)
        Attachment.objects.bulk_create([attachment], ignore_conflicts=True)
