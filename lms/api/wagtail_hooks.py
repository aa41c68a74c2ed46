"""Wagtail admin wiring for the API: the "API tokens" screens and their menu item."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.api import admin_views
from lms.api.tokens import may_manage_tokens


class TokenMenuItem(MenuItem):
    def is_shown(self, request):
        return may_manage_tokens(request.user)


@hooks.register("register_admin_urls")
def register_token_urls():
    return [
        path("token-api/", admin_views.TokenIndexView.as_view(), name="api_tokens"),
        path("token-api/baru/", admin_views.TokenCreateView.as_view(), name="api_token_create"),
        path(
            "token-api/<int:pk>/cabut/",
            admin_views.TokenRevokeView.as_view(),
            name="api_token_revoke",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_token_menu_item():
    return TokenMenuItem(
        _("API tokens"), reverse_lazy("api_tokens"), name="api-tokens", icon_name="key", order=390
    )
