"""Keeps H5P collection permissions in step with the cities' staff groups.

lms.people.services.city_create grants image and document permissions on a new city's
collection; H5P packages belong to this app, so it adds its own when a role group is
made (until people.services grants them itself: see the H5P report).
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from lms.people.models import CityRole


@receiver(post_save, sender=CityRole, dispatch_uid="content.city_role_h5p_permissions")
def city_role_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    from content.permissions import city_role_permissions_grant

    # city_create makes the city's collection before its role groups, so it exists here.
    city_role_permissions_grant(instance)


def sync_after_migrate(sender, app_config=None, using="default", apps=None, **kwargs):
    """Catch up cities made before this app existed (re-runnable, cheap without cities)."""
    from django.contrib.auth.management import create_permissions

    from content.permissions import all_city_roles_sync

    # Django adds this app's permissions in auth's own post_migrate receiver, which may run
    # after this one: make sure they exist first.
    create_permissions(sender, verbosity=0, using=using)
    all_city_roles_sync()
