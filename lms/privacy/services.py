"""Writes of the privacy app: the access log, deletion requests, anonymisation and the
retention of raw statements.

Anonymisation changes people through lms.people's services (the same checks as the
admin); it never touches the counters (Rollup*, LearnerYear, LearnerActivity), so city
and national figures stay exactly as they were, and the certificate stays verifiable
under its number, showing the pseudonym.
"""

import datetime
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.people.models import City, LearnerProfile
from lms.privacy.models import AccessLog, Anonymisation, DeletionRequest

logger = logging.getLogger(__name__)

# What a stripped statement keeps: enough to know what happened and how it was graded,
# nothing the learner's browser sent about the person or the device.
_KEPT_RESULT_KEYS = ("score", "success", "completion", "duration")


# --- the access log -------------------------------------------------------------------------


def _actor_of(request, actor, token):
    if request is not None:
        auth = getattr(request, "auth", None)
        # lms.api.auth.Caller: the token's creator answers for an integration.
        if token is None and getattr(auth, "token", None) is not None:
            token = auth.token
        if actor is None:
            actor = getattr(auth, "user", None) or getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return actor, token


def _role_of(actor, token) -> str:
    from lms.people.permissions import roles_of

    if token is not None:
        return AccessLog.Role.API_TOKEN
    roles = roles_of(actor)
    if roles.national:
        return AccessLog.Role.NATIONAL_ADMIN
    if roles.admin_city_ids:
        return AccessLog.Role.CITY_ADMIN
    if roles.profile_id is not None:
        return AccessLog.Role.SUPERVISOR
    return AccessLog.Role.OTHER


def _label(actor, token) -> str:
    if token is not None:
        return _("API token “%(name)s”") % {"name": token.name}
    if actor is None:
        return ""
    name = (actor.get_full_name() or "").strip()
    return (name or actor.get_username())[:200]


def _where(request, where: str | None) -> str:
    if where:
        return where[:120]
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name:
        return match.view_name[:120]
    return (getattr(request, "path", "") or "")[:120]


def _learner_ids(learners: Iterable) -> list[int]:
    ids = []
    for learner in learners:
        pk = learner if isinstance(learner, int) else getattr(learner, "pk", None)
        if pk is not None and pk not in ids:
            ids.append(pk)
    return ids


def access_log_record(
    *,
    request=None,
    learners: Iterable = (),
    action: str = AccessLog.Action.VIEW,
    where: str | None = None,
    actor=None,
    token=None,
    city: City | None = None,
    count: int | None = None,
) -> int:
    """Log that someone saw or took these learners' records; one INSERT for all of them.

    ``learners`` are profiles or their ids (a page of a list: pass the whole page). A
    learner looking at their own records is not logged. With ``city`` and no learners,
    one row stands for a list export of that city holding ``count`` records. Returns the
    number of rows written.
    """
    actor, token = _actor_of(request, actor, token)
    if actor is None and token is None:
        return 0
    from lms.people.permissions import roles_of

    own = roles_of(actor).profile_id if token is None and actor is not None else None
    ids = [pk for pk in _learner_ids(learners) if pk != own]
    common = {
        "at": timezone.now(),
        "actor": actor,
        "token": token,
        "role": _role_of(actor, token),
        "actor_label": _label(actor, token),
        "action": action,
        "where": _where(request, where),
    }
    if ids:
        rows = [AccessLog(learner_id=pk, **common) for pk in ids]
    elif city is not None:
        rows = [AccessLog(city=city, count=count or 0, **common)]
    else:
        return 0
    AccessLog.objects.bulk_create(rows)
    return len(rows)


class LoggedPage:
    """A list the API paginates (``count``, ``__len__``, slicing), whose returned page is
    logged as read by the caller, one INSERT per page (and one SELECT of the page's
    learners when the items name them by NIP, under ``nip_key``)."""

    def __init__(self, items, *, request, nip_key: str, action=AccessLog.Action.API):
        self.items, self.request, self.nip_key, self.action = items, request, nip_key, action

    def all(self):
        return self

    def count(self) -> int:
        if isinstance(self.items, list):
            return len(self.items)
        return self.items.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, page: slice):
        items = list(self.items[page])
        nips = {item[self.nip_key] for item in items if item.get(self.nip_key)}
        if nips:
            ids = LearnerProfile.objects.filter(nip__in=nips).values_list("pk", flat=True)
            access_log_record(request=self.request, learners=list(ids), action=self.action)
        return items


def api_page_logged(items, *, request, nip_key: str = "nip") -> LoggedPage:
    """Wrap what a paginated API endpoint returns so that each page served is logged."""
    return LoggedPage(items, request=request, nip_key=nip_key)


# --- deletion requests ----------------------------------------------------------------------


@transaction.atomic
def deletion_request_create(*, learner: LearnerProfile, reason: str = "") -> DeletionRequest:
    """A learner asks for deletion; a second request while one is open is refused."""
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationError(
            {"reason": _("Please keep the reason under 1000 characters.")}, code="too_long"
        )
    if DeletionRequest.objects.filter(learner=learner, status=DeletionRequest.Status.OPEN).exists():
        raise ValidationError(
            _("You already asked for this; your BKPSDM has not decided yet."), code="open"
        )
    request = DeletionRequest(learner=learner, city_id=learner.city_id, reason=reason)
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def deletion_request_reject(*, request: DeletionRequest, by, note: str) -> DeletionRequest:
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {"note": _("Say why the request is rejected; the learner reads this.")},
            code="note_required",
        )
    request = DeletionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != DeletionRequest.Status.OPEN:
        raise ValidationError(_("This request was already decided."), code="decided")
    request.status = DeletionRequest.Status.REJECTED
    request.decided_at, request.decided_by, request.decision_note = timezone.now(), by, note
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def deletion_request_anonymise(*, request: DeletionRequest, by, note: str = "") -> DeletionRequest:
    request = DeletionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != DeletionRequest.Status.OPEN:
        raise ValidationError(_("This request was already decided."), code="decided")
    from lms.people import services as people_services

    if request.learner.is_active:
        # Leaving the platform: out of the active-learner figures, as any departure.
        people_services.learner_deactivate(profile=request.learner)
    learner_anonymise(profile=request.learner, by=by)
    request.status = DeletionRequest.Status.ANONYMISED
    request.decided_at, request.decided_by = timezone.now(), by
    request.decision_note = (note or "").strip()
    request.save()
    return request


# --- anonymisation --------------------------------------------------------------------------


def pseudonym_nip(pk: int) -> str:
    """A valid 18-digit number nobody has: born in the 1900s' first decades (no serving
    ASN is), unique per profile id."""
    from lms.people.nip import make_nip

    birth = datetime.date(1900, 1, 1) + datetime.timedelta(days=(pk // 999) % 36000)
    return make_nip(birth, birth.year + 1, 1, "1", (pk % 999) + 1)


def pseudonym_name(pk: int) -> str:
    return f"Anonim {pk}"


def retention_account_name(learner_id: int) -> str:
    return f"anonim-{learner_id}"


def payload_stripped(payload: dict, *, account_name: str) -> dict:
    """The statement without personal parts, still a valid xAPI statement: the actor
    becomes a pseudonymous account, the context (instructor, team, extensions) and any
    free text the learner typed (``result.response``) go; id, verb, object, grade and
    times stay. Stripping a stripped statement changes nothing."""
    from django.conf import settings

    payload = payload if isinstance(payload, dict) else {}
    kept = {
        key: payload[key]
        for key in ("id", "verb", "timestamp", "stored", "version")
        if key in payload
    }
    kept["actor"] = {
        "objectType": "Agent",
        "account": {
            "homePage": str(settings.WAGTAILADMIN_BASE_URL).rstrip("/"),
            "name": account_name,
        },
    }
    obj = payload.get("object")
    if isinstance(obj, dict):
        kept["object"] = {key: obj[key] for key in ("objectType", "id") if key in obj}
    result = payload.get("result")
    if isinstance(result, dict):
        kept["result"] = {key: result[key] for key in _KEPT_RESULT_KEYS if key in result}
    return kept


def _statements_strip(queryset, *, account_name=None, chunk: int = 1000) -> int:
    """Strip the payloads of these statements, ``chunk`` rows per UPDATE batch (each its
    own transaction), keyset ordered so a long run never holds many rows. Without
    ``account_name`` each learner gets ``retention_account_name``. Returns the number of
    rows changed (already stripped ones are left alone)."""
    from lms.records.models import Statement

    done, last = 0, None
    base = queryset.order_by("pk")
    while True:
        page = base.filter(pk__gt=last) if last is not None else base
        rows = list(page.only("pk", "payload", "learner_id")[:chunk])
        if not rows:
            return done
        changed = []
        for row in rows:
            name = account_name or retention_account_name(row.learner_id)
            stripped = payload_stripped(row.payload, account_name=name)
            if stripped != row.payload:
                row.payload = stripped
                changed.append(row)
        if changed:
            with transaction.atomic():
                Statement.objects.bulk_update(changed, ["payload"])
        done += len(changed)
        last = rows[-1].pk


@transaction.atomic
def learner_anonymise(*, profile: LearnerProfile, by=None) -> Anonymisation:
    """Replace a departed learner's identity with a pseudonym and close their login.

    Kept: every learning record (progress, completions, JP, quiz attempts) under the same
    profile id, the counters the dashboards read, and the certificates, which still verify
    by number and show the pseudonym. Gone: name, NIP, email, phone, birth date, the
    login's username and password, the personal parts of raw statements, and the PDF
    files printed with the old name (a new one is printed on demand). Anonymising twice
    changes nothing.
    """
    from lms.people import services as people_services
    from lms.records.models import Certificate, Statement

    existing = Anonymisation.objects.filter(learner=profile).first()
    if existing is not None:
        return existing
    profile = LearnerProfile.objects.select_related("user").get(pk=profile.pk)
    nip = pseudonym_nip(profile.pk)
    people_services.learner_update(
        profile=profile,
        nip=nip,
        full_name=pseudonym_name(profile.pk),
        email="",
        phone="",
        birth_date=None,
        gender="",
        jabatan_name="",
    )
    user = profile.user
    user.refresh_from_db()
    user.last_name = ""
    user.is_active = False
    # A changed password hash also ends every open session of this login.
    user.set_unusable_password()
    user.save(update_fields=["last_name", "is_active", "password"])

    stripped = _statements_strip(Statement.objects.filter(learner=profile), account_name=nip)
    for certificate in Certificate.objects.filter(completion__learner=profile).exclude(pdf=""):
        certificate.pdf.delete(save=False)
        Certificate.objects.filter(pk=certificate.pk).update(pdf="")
    record = Anonymisation.objects.create(
        learner=profile, anonymised_by=by, statements_stripped=stripped
    )
    logger.info("privacy: learner %s anonymised by user %s", profile.pk, getattr(by, "pk", None))
    return record


# --- retention ------------------------------------------------------------------------------


def statements_retention_apply(
    *, days: int, mode: str = "strip", chunk: int = 1000, now: datetime.datetime | None = None
) -> int:
    """Strip (or delete) the payloads of statements stored more than ``days`` days ago, in
    chunks of ``chunk`` rows, each its own transaction. Returns how many rows changed.

    Stripping keeps the statement row (its id stops a late retry from counting twice;
    verb, activity and grade stay); the progress, completions and counters were computed
    when it arrived and do not read it again.
    """
    from lms.records.models import Statement

    if days < 1:
        raise ValueError("days must be at least 1")
    if mode not in {"strip", "delete"}:
        raise ValueError("mode must be 'strip' or 'delete'")
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    old = Statement.objects.filter(stored_at__lt=cutoff)
    if mode == "strip":
        return _statements_strip(old, chunk=chunk)
    deleted = 0
    while True:
        ids = list(old.order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += Statement.objects.filter(pk__in=ids).delete()[0]
