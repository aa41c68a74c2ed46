"""Per-city permissions on H5P packages, through Wagtail collections (as for images).

Each city has a collection named after it (lms.people.services.city_create); the city's
staff groups get these permissions on it. With Wagtail's collection-ownership policy a
trainer edits the packages they uploaded, a city admin every package of the city, and
nobody sees, chooses or edits another city's packages.
"""

from django.contrib.auth.models import Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

from content.models import H5PPackage

permission_policy = CollectionOwnershipPermissionPolicy(
    H5PPackage, auth_model=H5PPackage, owner_field_name="uploaded_by"
)

ROLE_PERMISSIONS = {
    "city_admin": ["add_h5ppackage", "change_h5ppackage", "delete_h5ppackage", "choose_h5ppackage"],
    "trainer": ["add_h5ppackage", "choose_h5ppackage"],
}


@transaction.atomic
def city_role_permissions_grant(city_role) -> None:
    """Give one city role group its H5P permissions on the city's collection (re-runnable)."""
    codenames = ROLE_PERMISSIONS.get(city_role.role)
    if not codenames or city_role.city_id is None:
        return
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=city_role.city.name).first() if root else None
    if collection is None:
        return
    permissions = Permission.objects.filter(
        content_type__app_label="content", codename__in=codenames
    )
    for permission in permissions:
        GroupCollectionPermission.objects.get_or_create(
            group_id=city_role.group_id, collection=collection, permission=permission
        )


def all_city_roles_sync() -> None:
    from lms.people.models import CityRole

    for city_role in CityRole.objects.select_related("city"):
        city_role_permissions_grant(city_role)


def visible_to_staff(user):
    """Packages a staff member may see in the admin: those they can change or choose."""
    return permission_policy.instances_user_has_any_permission_for(user, ["change", "choose"])
