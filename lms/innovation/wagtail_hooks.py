"""Wagtail admin wiring for innovation competitions: the city admins' screens and menu."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.innovation.admin_views import (
    CompetitionFormView,
    CompetitionIndexView,
    can_manage_competitions,
    competition_publish,
)


class CompetitionsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_manage_competitions(request.user)


@hooks.register("register_admin_urls")
def register_innovation_urls():
    return [
        path("inovasi/", CompetitionIndexView.as_view(), name="innovation_admin_index"),
        path("inovasi/baru/", CompetitionFormView.as_view(), name="innovation_admin_create"),
        path("inovasi/<int:pk>/", CompetitionFormView.as_view(), name="innovation_admin_edit"),
        path(
            "inovasi/<int:pk>/terbitkan/",
            competition_publish,
            name="innovation_admin_publish",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_innovation_menu_item():
    return CompetitionsMenuItem(
        _("Innovation competitions"),
        reverse_lazy("innovation_admin_index"),
        name="innovation",
        icon_name="pick",
        order=380,
    )
