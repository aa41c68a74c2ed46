"""Wagtail admin wiring for the LRS: the "xAPI clients" screens and their menu item."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.lrs import admin_views
from lms.lrs.services import may_manage_clients


class ClientMenuItem(MenuItem):
    def is_shown(self, request):
        return may_manage_clients(request.user)


@hooks.register("register_admin_urls")
def register_client_urls():
    return [
        path("klien-xapi/", admin_views.ClientIndexView.as_view(), name="lrs_clients"),
        path("klien-xapi/baru/", admin_views.ClientCreateView.as_view(), name="lrs_client_create"),
        path(
            "klien-xapi/<int:pk>/nonaktifkan/",
            admin_views.ClientDeactivateView.as_view(),
            name="lrs_client_deactivate",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_client_menu_item():
    return ClientMenuItem(
        _("xAPI clients"),
        reverse_lazy("lrs_clients"),
        name="xapi-clients",
        icon_name="key",
        order=395,
    )
