"""Who is calling the LRS: an external client (HTTP Basic with its key and secret) or a
signed-in user of the platform (the session).

A client reads and/or writes the statements of its city (a client without a city: every
city). A signed-in learner reads and writes only their own statements; a city admin reads
their cities', a national admin every city's.

The Basic secret is compared as a SHA-256 digest in constant time, never with a password
hasher (PBKDF2 would cost ~50 ms of CPU per request). The client row is cached in the
process for CLIENT_CACHE_SECONDS, so a busy client costs no query per request; saving or
deleting a client clears this process's cache at once, other processes within that time.
"""

import base64
import binascii
import datetime
import hmac
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from lms.lrs.models import XapiClient, secret_digest

CLIENT_CACHE_SECONDS = 30
# last_used_at is written at most this often per client (and per process).
LAST_USED_RESOLUTION = datetime.timedelta(hours=1)

_cache: dict[str, tuple[float, XapiClient | None]] = {}
_cache_lock = threading.Lock()


class _Reach:
    """What a caller reaches; shared by the client and the session principal."""

    @property
    def is_client(self) -> bool:
        return self.client is not None

    @property
    def learner_only(self) -> bool:
        """A session user who reaches no one's records but their own."""
        return self.client is None and not self.national and not self.admin_city_ids

    def reaches_city(self, city_id: int | None) -> bool:
        """Whether records kept for this city (None: records of no city) are readable."""
        if self.national:
            return True
        if self.client is not None:
            return city_id is not None and city_id == self.city_id
        return city_id is not None and city_id in self.admin_city_ids

    def reaches_learner(self, learner) -> bool:
        """Whether this learner's records (a LearnerProfile, or None) are readable."""
        if learner is None:
            return False
        if self.learner is not None and learner.pk == self.learner.pk:
            return True
        return self.reaches_city(learner.city_id)

    def authority(self) -> dict:
        """The xAPI authority of statements this caller stores."""
        from lms.lrs.identity import home_page

        if self.client is not None:
            return {
                "objectType": "Agent",
                "name": self.client.name,
                "account": {"homePage": home_page() + "/xapi/clients", "name": self.client.key},
            }
        name = self.learner.nip if self.learner is not None else self.user.get_username()
        return {"objectType": "Agent", "account": {"homePage": home_page(), "name": name}}


@dataclass
class Principal(_Reach):
    """The authenticated caller of one request."""

    client: XapiClient | None
    user: object | None  # people.User
    learner: object | None  # people.LearnerProfile of the session's user, if any
    city_id: int | None  # the client's city, or the session learner's city
    can_read: bool
    can_write: bool
    # Reads every city: a client without a city, or a national admin's session.
    national: bool = False
    # Cities whose records a session user administers (city admins).
    admin_city_ids: frozenset = field(default_factory=frozenset)


class SessionPrincipal(_Reach):
    """A signed-in user of the platform. Roles and learner profile are looked up only
    when a resource asks: the browser's statement POST, the busiest request there is,
    needs neither (the write path locks and checks the learner itself, so the statements
    resource does not ask for ``can_write``), which saves it three queries."""

    client = None

    def __init__(self, user):
        self.user = user

    @cached_property
    def _roles(self):
        from lms.people.permissions import roles_of

        return roles_of(self.user)

    @cached_property
    def learner(self):
        from lms.people.models import LearnerProfile

        if self._roles.profile_id is None:
            return None
        return LearnerProfile.objects.filter(user_id=self.user.pk, is_active=True).first()

    @property
    def city_id(self) -> int | None:
        return self._roles.profile_city_id

    @property
    def national(self) -> bool:
        return self._roles.national

    @property
    def admin_city_ids(self) -> frozenset:
        return self._roles.admin_city_ids

    @property
    def can_read(self) -> bool:
        return self._roles.profile_id is not None or self.national or bool(self.admin_city_ids)

    @property
    def can_write(self) -> bool:
        # A session writes about its own learner only.
        return self._roles.profile_id is not None


def clear_client_cache() -> None:
    with _cache_lock:
        _cache.clear()


@receiver(post_save, sender=XapiClient)
@receiver(post_delete, sender=XapiClient)
def _client_changed(sender, **kwargs):
    clear_client_cache()


def _client_by_key(key: str) -> XapiClient | None:
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    client = XapiClient.objects.filter(key=key).first()
    with _cache_lock:
        if len(_cache) > 10_000:  # guessed keys must not grow the cache without bound
            _cache.clear()
        _cache[key] = (now + CLIENT_CACHE_SECONDS, client)
    return client


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    key, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return key, secret


def _touch(client: XapiClient) -> None:
    now = timezone.now()
    if client.last_used_at is not None and now - client.last_used_at < LAST_USED_RESOLUTION:
        return
    client.last_used_at = now
    # update(), not save(): no signal (the cache stays warm) and one small write an hour.
    XapiClient.objects.filter(pk=client.pk).update(last_used_at=now)


def authenticate_client(authorization: str) -> XapiClient | None:
    """The active client named by an ``Authorization: Basic`` value with the right secret."""
    credentials = _basic_credentials(authorization)
    if credentials is None:
        return None
    key, secret = credentials
    if len(key) > 40:
        return None
    client = _client_by_key(key)
    # Compare even when the key is unknown, so timing does not tell keys apart.
    expected = client.secret_hash if client is not None else "0" * 64
    if not hmac.compare_digest(expected, secret_digest(secret)):
        return None
    if client is None or not client.active:
        return None
    _touch(client)
    return client


def _authorization_header(request) -> str:
    xapi = getattr(request, "xapi", None)
    if xapi is not None:
        return xapi.headers.get("Authorization", "") or ""
    return request.headers.get("Authorization", "") or ""


def authenticate(request) -> Principal | None:
    """The caller of a request, or None (no credentials, or wrong ones).

    An Authorization header decides alone: wrong Basic credentials are refused even when
    the request also carries a session.
    """
    header = _authorization_header(request)
    if header:
        client = authenticate_client(header)
        if client is None:
            return None
        return Principal(
            client=client,
            user=None,
            learner=None,
            city_id=client.city_id,
            can_read=client.can_read,
            can_write=client.can_write,
            national=client.city_id is None,
        )
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return SessionPrincipal(user)
