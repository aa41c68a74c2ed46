"""Reads of notifications: the bell's count, the list, and email preferences."""

from lms.notifications.models import Kind, Notification, NotificationPreference


def unread_count(user) -> int:
    """Unread notifications of a user, in one query (none for anonymous visitors)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def notifications_for(user, limit: int = 20) -> list[Notification]:
    """The user's most recent notifications, newest first, in one query."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Notification.objects.filter(user_id=user.pk)[:limit])


def email_preferences(user) -> dict[str, bool]:
    """Whether each kind is emailed to the user (on unless they turned it off)."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "email_enabled")
    )
    return {kind: chosen.get(kind, True) for kind in Kind.values}
