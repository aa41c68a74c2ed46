"""Services (create, revoke, authenticate) and selectors (who may manage which tokens)
for API tokens.

A token reads like the admins of its city (or, without a city, like a national admin);
it is only as strong as its creator: it stops working when the creator's account is
deactivated or loses the right to manage the token's city.
"""

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.api.models import ApiToken
from lms.people import permissions
from lms.people.models import City

TOKEN_PREFIX = "asn"
PREFIX_LENGTH = 10
# Updating last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _hash(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the full value to send as "Authorization: Bearer <secret>"; shown once


# --- selectors ----------------------------------------------------------------------------


def may_manage_tokens(user) -> bool:
    roles = permissions.roles_of(user)
    return roles.national or bool(roles.admin_city_ids)


def manageable_tokens(user) -> QuerySet[ApiToken]:
    """Tokens the user may list and revoke: national admins all, city admins their cities'."""
    roles = permissions.roles_of(user)
    tokens = ApiToken.objects.select_related("city", "created_by")
    if roles.national:
        return tokens
    return tokens.filter(city_id__in=roles.admin_city_ids)


def token_cities(user) -> QuerySet[City]:
    """Cities the user may create tokens for."""
    return permissions.manageable_cities(user)


def _creator_still_allowed(token: ApiToken) -> bool:
    creator = token.created_by
    if creator is None or not creator.is_active:
        return False
    if token.city_id is None:
        return permissions.is_national_admin(creator)
    return permissions.can_manage_city(creator, token.city_id)


def token_authenticate(raw: str) -> ApiToken | None:
    """The live token a bearer value names, or None (unknown, malformed, revoked, or its
    creator may no longer manage its city). Two queries; a write at most once a minute."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or len(parts[1]) != PREFIX_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("created_by", "city")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(raw.strip())):
        return None
    if not _creator_still_allowed(token):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- services -----------------------------------------------------------------------------


@transaction.atomic
def token_create(
    *, by, name: str, city: City | None, can_write_enrolments: bool = False
) -> IssuedToken:
    """A new token; the returned secret is the only copy anyone will ever see."""
    if city is None:
        if not permissions.is_national_admin(by):
            raise ValidationError(
                {
                    "city": _(
                        "Choose the city the token may read. Only national admins may "
                        "create tokens for all cities."
                    )
                }
            )
    elif not permissions.can_manage_city(by, city):
        raise PermissionDenied(_("You may not create tokens for this city."))
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        name=(name or "").strip(),
        city=city,
        prefix=prefix,
        secret_hash=_hash(secret),
        can_write_enrolments=bool(can_write_enrolments),
        created_by=by,
    )
    token.full_clean()
    token.save()
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, by, token: ApiToken) -> ApiToken:
    """Revoke a token at once; revoking twice keeps the first time."""
    if not manageable_tokens(by).filter(pk=token.pk).exists():
        raise PermissionDenied(_("You may not revoke this token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
