"""Writes of the LRS's own data: client credentials (statements are written by
lms.records.lrs_services)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lms.lrs.models import XapiClient
from lms.people import permissions
from lms.people.models import City


@dataclass
class IssuedClient:
    client: XapiClient
    secret: str  # shown once, never stored


def may_manage_clients(user) -> bool:
    roles = permissions.roles_of(user)
    return roles.national or bool(roles.admin_city_ids)


def manageable_clients(user) -> QuerySet[XapiClient]:
    """Clients the user may list and deactivate: national admins all, city admins their
    cities'."""
    roles = permissions.roles_of(user)
    clients = XapiClient.objects.select_related("city", "created_by")
    if roles.national:
        return clients
    return clients.filter(city_id__in=roles.admin_city_ids)


def client_cities(user) -> QuerySet[City]:
    roles = permissions.roles_of(user)
    if roles.national:
        return City.objects.all()
    return City.objects.filter(pk__in=roles.admin_city_ids)


@transaction.atomic
def xapi_client_create(
    *, name: str, city: City | None, can_read: bool, can_write: bool, by=None
) -> IssuedClient:
    """A new client with fresh credentials. ``by`` None: the command line (any city)."""
    if by is not None:
        roles = permissions.roles_of(by)
        if not roles.national and (city is None or city.pk not in roles.admin_city_ids):
            raise PermissionDenied(_("You may create clients for your own city only."))
    key, secret = XapiClient.new_credentials()
    client = XapiClient(
        name=name, key=key, city=city, can_read=can_read, can_write=can_write, created_by=by
    )
    client.set_secret(secret)
    client.full_clean()
    client.save()
    return IssuedClient(client=client, secret=secret)


def xapi_client_deactivate(*, by, client: XapiClient) -> XapiClient:
    if not manageable_clients(by).filter(pk=client.pk).exists():
        raise PermissionDenied
    client.active = False
    client.save(update_fields=["active"])
    return client
