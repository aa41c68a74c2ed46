"""Reads of the document resources, the Activities and Agents resources and cmi5 launch
sessions."""

import datetime
import hashlib
import json

from django.conf import settings
from django.db.models import Q

from lms.lrs.documents.models import LaunchSession, XapiDocument
from lms.lrs.documents.params import Agent
from lms.people.models import LearnerProfile

CMI5_TOKEN_PREFIX = "cmi5-"


def home_page() -> str:
    """The homePage of the accounts the platform gives its learners (name = NIP)."""
    return str(settings.WAGTAILADMIN_BASE_URL).rstrip("/")


def learner_actor(profile: LearnerProfile) -> dict:
    """The Agent the platform uses for a learner in statements and documents."""
    return {
        "objectType": "Agent",
        "name": profile.full_name,
        "account": {"homePage": home_page(), "name": profile.nip},
    }


def learner_for_agent(agent: Agent) -> LearnerProfile | None:
    """The active learner an Agent names, or None: an account on this platform (its NIP),
    or an mbox / mbox_sha1sum of the learner's email when exactly one learner has it."""
    queryset = LearnerProfile.objects.filter(is_active=True).select_related("user")
    if agent.ifi == "account":
        account = agent.data["account"]
        if str(account["homePage"]).rstrip("/") != home_page():
            return None
        return queryset.filter(nip=account["name"]).first()
    if agent.ifi == "mbox":
        email = agent.data["mbox"][len("mailto:") :]
        found = list(queryset.filter(Q(email__iexact=email) | Q(user__email__iexact=email))[:2])
        return found[0] if len(found) == 1 else None
    return None


def document(*, scope_hash: str, document_id: str) -> XapiDocument | None:
    return XapiDocument.objects.filter(scope_hash=scope_hash, document_id=document_id).first()


def document_ids(*, rows, since: datetime.datetime | None = None) -> list[str]:
    """The ids of the documents in ``rows`` (a scope's queryset) updated after ``since``,
    oldest first, each once."""
    if since is not None:
        rows = rows.filter(updated_at__gt=since)
    ordered = rows.order_by("updated_at", "document_id").values_list("document_id", flat=True)
    return list(dict.fromkeys(ordered))


def document_body(row: XapiDocument) -> bytes:
    if row.file:
        with row.file.open("rb") as handle:
            return handle.read()
    return bytes(row.body or b"")


def activity_object(*, activity_id: str, principal=None) -> dict | None:
    """The Activity with its canonical definition: from the LRS's activity table when it
    has one, else the definition of the newest statement about it that the caller may read
    and that carries one; None when the LRS has never heard of the activity."""
    definition = _definition_from_lrs(activity_id)
    if definition is None:
        definition = _definition_from_statements(activity_id, principal)
    if definition is None:
        if not XapiDocument.objects.filter(activity_id=activity_id).exists():
            return None
        definition = {}
    activity = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity["definition"] = definition
    return activity


def _definition_from_lrs(activity_id: str) -> dict | None:
    try:
        from lms.lrs.models import Activity  # the LRS's canonical activity table, if any
    except ImportError:
        return None
    field_names = {field.name for field in Activity._meta.get_fields()}
    candidates = ("iri", "activity_id", "object_iri")
    id_field = next((name for name in candidates if name in field_names), None)
    if id_field is None or "definition" not in field_names:
        return None
    row = Activity.objects.filter(**{id_field: activity_id}).only("definition").first()
    if row is None:
        return None
    definition = row.definition
    if isinstance(definition, str):
        definition = json.loads(definition or "{}")
    return definition or {}


# How many of the newest statements about an activity are searched for a definition.
DEFINITION_LOOKBACK = 20


def _definition_from_statements(activity_id: str, principal) -> dict | None:
    from lms.records.models import Statement

    statements = Statement.objects.all()
    if principal is not None:
        try:
            from lms.lrs.selectors import visible_statements
        except ImportError:
            pass
        else:
            statements = visible_statements(principal)
    payloads = list(
        statements.filter(object_iri=activity_id)
        .order_by("-stored_at")
        .values_list("payload", flat=True)[:DEFINITION_LOOKBACK]
    )
    if not payloads:
        return None
    for payload in payloads:
        if isinstance(payload, str):
            payload = json.loads(payload)
        statement_object = (payload or {}).get("object") or {}
        if statement_object.get("definition"):
            return statement_object["definition"]
    return {}


def agent_person(*, agent: Agent) -> dict:
    """The Person object of xAPI 1.0.3 (2.6): every name and identifier the LRS knows for
    the agent. A learner of the platform is known by their account, name and email."""
    person: dict = {"objectType": "Person"}
    names, mboxes, sha1s, openids, accounts = [], [], [], [], []
    data = agent.data
    if isinstance(data.get("name"), str):
        names.append(data["name"])
    if agent.ifi == "mbox":
        mboxes.append(data["mbox"])
    elif agent.ifi == "mbox_sha1sum":
        sha1s.append(data["mbox_sha1sum"].lower())
    elif agent.ifi == "openid":
        openids.append(data["openid"])
    else:
        accounts.append({"homePage": data["account"]["homePage"], "name": data["account"]["name"]})
    profile = learner_for_agent(agent)
    if profile is not None:
        if profile.full_name not in names:
            names.append(profile.full_name)
        account = {"homePage": home_page(), "name": profile.nip}
        if account not in accounts:
            accounts.append(account)
        email = profile.email or profile.user.email
        if email:
            mbox = f"mailto:{email}"
            if mbox not in mboxes:
                mboxes.append(mbox)
            digest = hashlib.sha1(mbox.encode("utf-8")).hexdigest()
            if digest not in sha1s:
                sha1s.append(digest)
    for name, values in (
        ("name", names),
        ("mbox", mboxes),
        ("mbox_sha1sum", sha1s),
        ("openid", openids),
        ("account", accounts),
    ):
        if values:
            person[name] = values
    return person


def launch_session(*, session_id) -> LaunchSession | None:
    return LaunchSession.objects.select_related("learner").filter(pk=session_id).first()


def launch_session_for_authorization(header: str | None) -> LaunchSession | None:
    """The live launch session whose auth token the Authorization header carries (as
    ``Basic <token>`` per cmi5, or ``Bearer <token>``), or None when it carries none."""
    import base64
    import binascii
    import hmac
    import uuid

    from django.utils import timezone

    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() not in ("basic", "bearer") or not token:
        return None
    try:
        username, _, secret = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not username.startswith(CMI5_TOKEN_PREFIX):
        return None
    try:
        session_id = uuid.UUID(username[len(CMI5_TOKEN_PREFIX) :])
    except ValueError:
        return None
    session = (
        LaunchSession.objects.select_related("learner", "learner__user")
        .filter(pk=session_id, fetched_at__isnull=False, expires_at__gt=timezone.now())
        .first()
    )
    if session is None or not session.token_digest:
        return None
    digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
    if not hmac.compare_digest(digest, session.token_digest):
        return None
    return session


def is_cmi5_authorization(header: str | None) -> bool:
    """Whether the Authorization header carries a cmi5 token (valid or not)."""
    import base64
    import binascii

    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() not in ("basic", "bearer") or not token:
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return decoded.startswith(CMI5_TOKEN_PREFIX)
