"""Wagtail admin screens: "Quiz results" (the quizzes a user may look at), one quiz's
results (attempts, question statistics, summary), the regrade confirmation and the
exports. Thin: who may see what is in lms.reports.quiz_selectors (which asks
lms.people.permissions); regrading is lms.records.quiz_services.attempts_regrade."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.people import permissions
from lms.privacy.services import access_log_record
from lms.records import quiz_services
from lms.reports import quiz_exports as exports
from lms.reports import quiz_selectors as selectors

PAGE_SIZE = 100


def may_open_quiz_results(user) -> bool:
    """Staff who can have quizzes to look at: national admins, city admins, trainers."""
    roles = permissions.roles_of(user)
    if roles.national or roles.admin_city_ids or roles.trainer_city_ids:
        return True
    try:
        from courses.quiz_permissions import manages_any_course
    except ImportError:
        return False
    return manages_any_course(user)


class ResultFilterForm(forms.Form):
    city = forms.ModelChoiceField(label=gettext_lazy("City"), queryset=None, required=False)
    agency = forms.ModelChoiceField(label=gettext_lazy("Agency"), queryset=None, required=False)
    passed = forms.ChoiceField(
        label=gettext_lazy("Passed"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("yes", gettext_lazy("Passed")),
            ("no", gettext_lazy("Not passed")),
        ],
    )
    order = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[(key, key) for name in selectors.ORDERINGS for key in (name, f"-{name}")],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cities, agencies = selectors.filter_choices(user)
        self.fields["city"].queryset = cities
        self.fields["agency"].queryset = agencies

    def result_filter(self) -> selectors.ResultFilter:
        """The filter from the valid fields; a field with a bad value counts as "any"
        (a hand-edited URL gets the unfiltered list, never an error page)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        city, agency = data.get("city"), data.get("agency")
        passed = {"yes": True, "no": False}.get(data.get("passed") or "")
        return selectors.ResultFilter(
            city_id=city.pk if city else None,
            agency_id=agency.pk if agency else None,
            passed=passed,
            order=data.get("order") or "name",
        )


class _QuizResultsMixin(WagtailAdminTemplateMixin):
    header_icon = "tasks"

    def dispatch(self, request, *args, **kwargs):
        if not may_open_quiz_results(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_quiz(self):
        # Another city's quiz is "not found", so its existence is not revealed either.
        quiz = selectors.report_quiz(self.request.user, self.kwargs["pk"])
        if quiz is None:
            raise Http404
        return quiz


class QuizResultsIndexView(_QuizResultsMixin, TemplateView):
    template_name = "reports/quiz/index.html"
    page_title = gettext_lazy("Quiz results")

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["quizzes"] = selectors.report_quiz_list(self.request.user)
        return context


class QuizResultsView(_QuizResultsMixin, TemplateView):
    template_name = "reports/quiz/results.html"
    page_title = gettext_lazy("Quiz results")

    def get(self, request, *args, **kwargs):
        self.quiz = self.get_quiz()
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.quiz.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("reports_quiz_results"), "label": _("Quiz results")},
            {"url": "", "label": self.quiz.title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, quiz = self.request.user, self.quiz
        form = ResultFilterForm(self.request.GET or None, user=user)
        filters = form.result_filter()
        show_rows = selectors.may_see_learner_rows(user)
        page = None
        if show_rows:
            rows = selectors.attempt_rows(viewer=user, quiz=quiz, filters=filters)
            page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("p"))
            # UU PDP: each learner on the page can see who looked at their results.
            access_log_record(
                request=self.request,
                learners=[row["learner_id"] for row in page.object_list],
                action="list",
            )
        query = self.request.GET.copy()
        query.pop("p", None)
        query.pop("order", None)
        context.update(
            quiz=quiz,
            form=form,
            filters=filters,
            filter_query=query.urlencode(),
            export_query=self.request.GET.urlencode(),
            show_rows=show_rows,
            page_obj=page,
            summary=selectors.summary(viewer=user, quiz=quiz, filters=filters),
            stats=selectors.question_stats(viewer=user, quiz=quiz, filters=filters),
            can_regrade=selectors.can_regrade(user, quiz),
            columns=_sort_columns(filters.order, query.urlencode()),
        )
        return context


def _sort_columns(order: str, query: str) -> list[dict]:
    """Column headers that sort the table: a click sorts by the column, a second click
    reverses it."""
    labels = [
        ("name", _("Name")),
        ("nip", _("NIP")),
        ("city", _("City")),
        ("agency", _("Agency")),
        ("number", _("Attempt")),
        ("started", _("Started")),
        ("submitted", _("Submitted")),
        ("duration", _("Duration")),
        ("score", _("Score")),
        ("passed", _("Passed")),
    ]
    columns = []
    for key, label in labels:
        current = order.lstrip("-") == key
        descending = current and order.startswith("-")
        target = key if not current or descending else f"-{key}"
        prefix = f"{query}&" if query else ""
        columns.append(
            {
                "label": label,
                "url": f"?{prefix}order={target}",
                "sorted": "descending" if descending else ("ascending" if current else ""),
            }
        )
    return columns


class RegradeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("For example: the answer key of question 3 was wrong."),
    )


class QuizRegradeView(_QuizResultsMixin, TemplateView):
    """A confirmation page (GET) and the regrade itself (POST)."""

    template_name = "reports/quiz/regrade_confirm.html"
    page_title = gettext_lazy("Regrade")

    def dispatch(self, request, *args, **kwargs):
        if not may_open_quiz_results(request.user):
            raise PermissionDenied
        self.quiz = self.get_quiz()
        if not selectors.can_regrade(request.user, self.quiz):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.quiz.title

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("reports_quiz_results"), "label": _("Quiz results")},
            {
                "url": reverse("reports_quiz_result", args=[self.quiz.pk]),
                "label": self.quiz.title,
            },
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", RegradeForm())
        context["quiz"] = self.quiz
        return context

    def post(self, request, *args, **kwargs):
        form = RegradeForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            count = quiz_services.attempts_regrade(
                quiz=self.quiz, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(
            request,
            ngettext(
                "Regraded: %(count)s attempt got a new grade.",
                "Regraded: %(count)s attempts got a new grade.",
                count,
            )
            % {"count": count},
        )
        return redirect("reports_quiz_result", self.quiz.pk)


def quiz_results_export(request, pk: int, what: str, fmt: str):
    if not may_open_quiz_results(request.user):
        raise PermissionDenied
    if what not in exports.EXPORTS or fmt not in exports.FORMATS:
        raise Http404
    quiz = selectors.report_quiz(request.user, pk)
    if quiz is None:
        raise Http404
    filters = ResultFilterForm(request.GET or None, user=request.user).result_filter()
    table = exports.EXPORTS[what](viewer=request.user, quiz=quiz, filters=filters)
    return exports.FORMATS[fmt](table, exports.export_filename(quiz, what))
