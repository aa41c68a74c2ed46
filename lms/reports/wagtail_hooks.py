"""Wagtail admin wiring for reports: the "Quiz results" screens and the dashboards."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.reports.dashboard_views import (
    BelowMinimumView,
    CityDashboardView,
    NationalDashboardView,
    dashboard_index,
    may_open_dashboards,
)
from lms.reports.quiz_views import (
    QuizRegradeView,
    QuizResultsIndexView,
    QuizResultsView,
    may_open_quiz_results,
    quiz_results_export,
)


class QuizResultsMenuItem(MenuItem):
    def is_shown(self, request):
        return may_open_quiz_results(request.user)


@hooks.register("register_admin_urls")
def register_quiz_results_urls():
    return [
        path("hasil-kuis/", QuizResultsIndexView.as_view(), name="reports_quiz_results"),
        path("hasil-kuis/<int:pk>/", QuizResultsView.as_view(), name="reports_quiz_result"),
        path(
            "hasil-kuis/<int:pk>/nilai-ulang/",
            QuizRegradeView.as_view(),
            name="reports_quiz_regrade",
        ),
        path(
            "hasil-kuis/<int:pk>/unduh/<str:what>.<str:fmt>",
            quiz_results_export,
            name="reports_quiz_export",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_quiz_results_menu_item():
    return QuizResultsMenuItem(
        _("Quiz results"),
        reverse_lazy("reports_quiz_results"),
        name="quiz-results",
        icon_name="tasks",
        order=370,
    )


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return may_open_dashboards(request.user)


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [
        path("dasbor/", dashboard_index, name="reports_dashboard"),
        path(
            "dasbor/nasional/", NationalDashboardView.as_view(), name="reports_dashboard_national"
        ),
        path(
            "dasbor/kota/<slug:city>/", CityDashboardView.as_view(), name="reports_dashboard_city"
        ),
        path(
            "dasbor/kota/<slug:city>/di-bawah-20-jp/",
            BelowMinimumView.as_view(),
            name="reports_dashboard_below_minimum",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return DashboardMenuItem(
        _("Dashboard"),
        reverse_lazy("reports_dashboard"),
        name="lms-dashboard",
        icon_name="view",
        order=360,
    )


# Wagtail loads only modules named wagtail_hooks; the export screens keep their own file.
from lms.reports import export_hooks  # noqa: E402, F401
