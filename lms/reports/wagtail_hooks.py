"""Wagtail admin wiring for reports: the "Quiz results" screens."""

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

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
