"""Wagtail admin wiring for background exports: "My exports", a job's page, its status
(JSON, for the page's progress bar) and the download. Loaded by wagtail_hooks.py."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.reports import export_views as views
from lms.reports.exports import may_use_exports


class ExportsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_use_exports(request.user)


@hooks.register("register_admin_urls")
def register_export_urls():
    return [
        path("ekspor/", views.ExportListView.as_view(), name="reports_exports"),
        path("ekspor/mulai/", views.export_start_view, name="reports_export_start"),
        path("ekspor/<uuid:pk>/", views.ExportJobView.as_view(), name="reports_export_job"),
        path("ekspor/<uuid:pk>/status/", views.export_status_view, name="reports_export_status"),
        path("ekspor/<uuid:pk>/unduh/", views.export_download_view, name="reports_export_download"),
    ]


@hooks.register("register_admin_menu_item")
def register_exports_menu_item():
    return ExportsMenuItem(
        _("My exports"),
        reverse_lazy("reports_exports"),
        name="my-exports",
        icon_name="download",
        order=380,
    )
