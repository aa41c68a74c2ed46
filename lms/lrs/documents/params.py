"""Validation of the parameters of the document resources (xAPI 1.0.3, Communication 2.3-2.6):
activityId (an IRI), agent (an Agent as JSON with exactly one identifier), registration (a
UUID), stateId / profileId, and since (a timestamp). Every refusal is a ParamError with a
message for the person reading the 400."""

import datetime
import hashlib
import json
import re
import uuid
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

MAX_IRI_LENGTH = 2048
MAX_DOCUMENT_ID_LENGTH = 255
# An absolute IRI: a scheme, a colon, and no whitespace (RFC 3987 allows Unicode).
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
MBOX = re.compile(r"^mailto:[^@\s]+@[^@\s]+$")
SHA1_HEX = re.compile(r"^[0-9a-fA-F]{40}$")
IFI_NAMES = ("mbox", "mbox_sha1sum", "openid", "account")


class ParamError(Exception):
    """A parameter the endpoint refuses with 400."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Agent:
    """A validated Agent: ``key`` identifies it (one inverse functional identifier as text),
    ``data`` is the Agent object as sent, ``ifi`` names the identifier it uses."""

    key: str
    ifi: str
    data: dict

    @property
    def account(self) -> dict | None:
        return self.data.get("account") if self.ifi == "account" else None


def is_iri(value) -> bool:
    return isinstance(value, str) and len(value) <= MAX_IRI_LENGTH and bool(IRI.match(value))


def iri(query, name: str, *, required: bool = True) -> str | None:
    value = query.get(name)
    if value is None or value == "":
        if required:
            raise ParamError(_("The %(name)s parameter is required.") % {"name": name})
        return None
    if not is_iri(value):
        raise ParamError(
            _("The %(name)s parameter must be an absolute IRI such as %(example)s.")
            % {"name": name, "example": "https://example.org/activities/1"}
        )
    return value


def agent(query, name: str = "agent", *, required: bool = True) -> Agent | None:
    raw = query.get(name)
    if raw is None or raw == "":
        if required:
            raise ParamError(_("The %(name)s parameter is required.") % {"name": name})
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        raise ParamError(
            _("The %(name)s parameter must be an Agent as JSON, e.g. %(example)s.")
            % {"name": name, "example": '{"mbox": "mailto:nama@contoh.go.id"}'}
        ) from None
    return parse_agent(data, name=name)


def parse_agent(data, *, name: str = "agent") -> Agent:
    if not isinstance(data, dict):
        raise ParamError(_("The %(name)s parameter must be a JSON object.") % {"name": name})
    object_type = data.get("objectType", "Agent")
    if object_type not in ("Agent", "Group"):
        raise ParamError(
            _("The %(name)s must have objectType Agent (or an identified Group).") % {"name": name}
        )
    used = [ifi for ifi in IFI_NAMES if ifi in data]
    if len(used) != 1:
        raise ParamError(
            _(
                "The %(name)s must have exactly one identifier: mbox, mbox_sha1sum, openid or "
                "account."
            )
            % {"name": name}
        )
    ifi = used[0]
    value = data[ifi]
    if ifi == "mbox":
        if not isinstance(value, str) or not MBOX.match(value):
            raise ParamError(_("mbox must be a mailto: IRI such as mailto:nama@contoh.go.id."))
        key = f"mbox:{value}"
    elif ifi == "mbox_sha1sum":
        if not isinstance(value, str) or not SHA1_HEX.match(value):
            raise ParamError(_("mbox_sha1sum must be a SHA-1 digest in hexadecimal."))
        key = f"sha1:{value.lower()}"
    elif ifi == "openid":
        if not is_iri(value):
            raise ParamError(_("openid must be an absolute IRI."))
        key = f"openid:{value}"
    else:
        if (
            not isinstance(value, dict)
            or not is_iri(value.get("homePage"))
            or not isinstance(value.get("name"), str)
            or not value["name"]
        ):
            raise ParamError(
                _("account must be an object with homePage (an IRL) and name (a string).")
            )
        key = f"account:{value['homePage']}|{value['name']}"
    if len(key) > 600:
        raise ParamError(_("The agent identifier is too long."))
    if "name" in data and not isinstance(data["name"], str):
        raise ParamError(_("The agent's name must be a string."))
    return Agent(key=key, ifi=ifi, data=data)


def registration(query) -> uuid.UUID | None:
    value = query.get("registration")
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise ParamError(
            _("The registration parameter must be a UUID such as %(example)s.")
            % {"example": "0f2a7c3e-5d1b-4c8e-9a6f-1b2c3d4e5f60"}
        ) from None


def document_id(query, name: str, *, required: bool) -> str | None:
    value = query.get(name)
    if value is None or value == "":
        if required:
            raise ParamError(_("The %(name)s parameter is required.") % {"name": name})
        return None
    if len(value) > MAX_DOCUMENT_ID_LENGTH or "\x00" in value:
        raise ParamError(
            _("The %(name)s parameter may have at most %(limit)d characters.")
            % {"name": name, "limit": MAX_DOCUMENT_ID_LENGTH}
        )
    return value


def since(query) -> datetime.datetime | None:
    value = query.get("since")
    if value is None or value == "":
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ParamError(
            _("The since parameter must be an ISO 8601 timestamp such as %(example)s.")
            % {"example": "2026-12-07T08:00:00Z"}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return parsed


def scope_hash(*parts) -> str:
    """One digest for a document scope; the parts are joined unambiguously (JSON)."""
    text = json.dumps([None if part is None else str(part) for part in parts])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
