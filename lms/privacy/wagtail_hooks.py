"""Wagtail admin wiring for privacy: the deletion requests screen and its menu item."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.privacy.admin_views import (
    AccessLogView,
    DeletionRequestListView,
    anonymise,
    decide,
    may_handle_requests,
)


class DeletionRequestsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_handle_requests(request.user)


@hooks.register("register_admin_urls")
def register_privacy_urls():
    return [
        path("privasi/permintaan/", DeletionRequestListView.as_view(), name="privacy_requests"),
        path("privasi/permintaan/<int:pk>/", decide, name="privacy_request_decide"),
        path("privasi/anonimkan/", anonymise, name="privacy_anonymise"),
        path("privasi/log-akses/", AccessLogView.as_view(), name="privacy_access_log"),
    ]


@hooks.register("register_admin_menu_item")
def register_privacy_menu_item():
    return DeletionRequestsMenuItem(
        _("Deletion requests"),
        reverse_lazy("privacy_requests"),
        name="privacy-requests",
        icon_name="user",
        order=390,
    )


@hooks.register("register_admin_menu_item")
def register_access_log_menu_item():
    return DeletionRequestsMenuItem(
        _("Access log"),
        reverse_lazy("privacy_access_log"),
        name="privacy-access-log",
        icon_name="history",
        order=391,
    )
