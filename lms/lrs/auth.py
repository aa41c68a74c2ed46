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

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from lms.lrs.models import XapiClient, secret_digest

CLIENT_CACHE_SECONDS = 30
# last_used_at is written at most this often per client (and per process).
LAST_USED_RESOLUTION = datetime.timedelta(hours=1)

_cache: dict[str, tuple[float, XapiClient | None]] = {}
_cache_lock = threading.Lock()


@dataclass
class Principal:
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
    from lms.people.models import LearnerProfile
    from lms.people.permissions import roles_of

    roles = roles_of(user)
    learner = (
        LearnerProfile.objects.filter(user_id=user.pk, is_active=True).first()
        if roles.profile_id is not None
        else None
    )
    staff = roles.national or bool(roles.admin_city_ids)
    return Principal(
        client=None,
        user=user,
        learner=learner,
        city_id=learner.city_id if learner is not None else None,
        can_read=learner is not None or staff,
        # A session writes statements about its own learner only.
        can_write=learner is not None,
        national=roles.national,
        admin_city_ids=roles.admin_city_ids,
    )
