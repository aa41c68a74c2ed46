"""Pages of the notification centre: the list, opening one, and email preferences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lms.notifications import selectors, services
from lms.notifications.forms import PreferencesForm


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request):
    """The user's notifications; POST marks them all read ("tandai semua dibaca")."""
    if request.method == "POST":
        services.notifications_mark_all_read(user=request.user)
        messages.success(request, _("All notifications are marked as read."))
        return redirect("notifications:list")
    return render(
        request,
        "notifications/list.html",
        {"notifications": selectors.notifications_for(request.user, limit=50)},
    )


@login_required
@require_POST
def notification_open(request, notification_id: int):
    """Mark one notification read and go where it points (only within this site)."""
    notification = services.notification_open(user=request.user, notification_id=notification_id)
    if notification is None:
        raise Http404
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:list")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Per kind of notification: also send it by email, or only show it here."""
    # Bound on every POST: unticking every box posts no field at all.
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial_choices=selectors.email_preferences(request.user),
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_save(user=request.user, email_enabled=form.choices())
        messages.success(request, _("Your email settings are saved."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
