"""Agents: their inverse functional identifier (IFI), a hash of it for indexed lookups,
and the platform learner an agent names (account on this site with the NIP, or the mbox
of the learner's email)."""

import hashlib
import json

from django.conf import settings


def home_page() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def agent_ifi(agent: dict) -> tuple[str, str] | None:
    """(kind, value) of an agent's or identified group's IFI, None for an anonymous group."""
    if not isinstance(agent, dict):
        return None
    if isinstance(agent.get("mbox"), str):
        return "mbox", agent["mbox"].lower()
    if isinstance(agent.get("mbox_sha1sum"), str):
        return "mbox_sha1sum", agent["mbox_sha1sum"].lower()
    if isinstance(agent.get("openid"), str):
        return "openid", agent["openid"]
    account = agent.get("account")
    if isinstance(account, dict):
        return "account", json.dumps(
            [str(account.get("homePage", "")).rstrip("/"), account.get("name")],
            separators=(",", ":"),
        )
    return None


def agent_hash(agent: dict) -> str:
    """SHA-256 of the objectType and IFI: equal for agents the spec calls equal ("" when
    the agent has no IFI)."""
    ifi = agent_ifi(agent)
    if ifi is None:
        return ""
    object_type = agent.get("objectType") or "Agent"
    return hashlib.sha256(f"{object_type}|{ifi[0]}|{ifi[1]}".encode()).hexdigest()


def iri_hash(iri: str) -> str:
    return hashlib.sha256(iri.encode()).hexdigest()


def learner_lookup(agent: dict, *, city_id: int | None = None, national: bool = True):
    """The active LearnerProfile an agent names, or None. A city client only maps agents to
    learners of its own city."""
    from django.db.models.functions import Lower

    from lms.people.models import LearnerProfile

    if not isinstance(agent, dict) or agent.get("objectType", "Agent") != "Agent":
        return None
    profiles = LearnerProfile.objects.filter(is_active=True)
    if not national:
        profiles = profiles.filter(city_id=city_id)
    account = agent.get("account")
    if isinstance(account, dict):
        if str(account.get("homePage", "")).rstrip("/") != home_page():
            return None
        name = account.get("name")
        return profiles.filter(nip=name).first() if isinstance(name, str) else None
    mbox = agent.get("mbox")
    if isinstance(mbox, str) and mbox.lower().startswith("mailto:"):
        email = mbox[len("mailto:") :].lower()
        if not email:
            return None
        return (
            profiles.annotate(user_email=Lower("user__email"))
            .filter(user_email=email)
            .select_related("user")
            .first()
        )
    return None


def learner_agent(profile) -> dict:
    """How the LRS names a platform learner (the browser's statements use this actor)."""
    return {
        "objectType": "Agent",
        "name": profile.full_name,
        "account": {"homePage": home_page(), "name": profile.nip},
    }


def learners_lookup(agents: list[dict], *, city_id: int | None = None, national: bool = True):
    """{agent_hash: LearnerProfile} for the agents of a batch that name platform learners,
    in at most two queries (accounts by NIP, mailboxes by email)."""
    from django.db.models.functions import Lower

    from lms.people.models import LearnerProfile

    nips: dict[str, list[str]] = {}
    emails: dict[str, list[str]] = {}
    home = home_page()
    for agent in agents:
        if not isinstance(agent, dict) or agent.get("objectType", "Agent") != "Agent":
            continue
        key = agent_hash(agent)
        account = agent.get("account")
        if isinstance(account, dict):
            name = account.get("name")
            if str(account.get("homePage", "")).rstrip("/") == home and isinstance(name, str):
                nips.setdefault(name, []).append(key)
            continue
        mbox = agent.get("mbox")
        if isinstance(mbox, str) and mbox.lower().startswith("mailto:") and len(mbox) > 7:
            emails.setdefault(mbox[len("mailto:") :].lower(), []).append(key)
    profiles = LearnerProfile.objects.filter(is_active=True).select_related("user")
    if not national:
        profiles = profiles.filter(city_id=city_id)
    found = {}
    if nips:
        for profile in profiles.filter(nip__in=list(nips)):
            for key in nips[profile.nip]:
                found[key] = profile
    if emails:
        matches = profiles.annotate(user_email=Lower("user__email")).filter(
            user_email__in=list(emails)
        )
        for profile in matches:
            for key in emails.get(profile.user_email, []):
                found[key] = profile
    return found
