from django.utils.functional import SimpleLazyObject


def notifications(request):
    """The bell's unread count, counted only when a template shows it (the Wagtail admin
    renders with the same context processors and never does)."""
    from lms.notifications.selectors import unread_count

    user = getattr(request, "user", None)
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
