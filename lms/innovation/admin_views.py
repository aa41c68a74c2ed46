"""Wagtail admin screens for city admins: their city's competitions (list, create, edit
with rubric and judges, progress) and publishing the results. A competition of another
city is a 404, whatever the URL says; writes go through lms.innovation.services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.core.admin_views import UserFormAdminView
from lms.innovation import selectors, services
from lms.innovation.forms import CompetitionForm, add_service_errors, competition_initial
from lms.innovation.services import InnovationRefused
from lms.people.permissions import manageable_cities


def can_manage_competitions(user) -> bool:
    return manageable_cities(user).exists()


def _competition_or_404(user, pk: int):
    competition = selectors.manageable_competitions(user).filter(pk=pk).first()
    if competition is None:
        raise Http404(_("No such competition in your cities."))
    return competition


class CompetitionIndexView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "innovation/admin/index.html"
    page_title = gettext_lazy("Innovation competitions")
    header_icon = "pick"

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_competitions(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["competitions"] = list(selectors.manageable_competitions(self.request.user))
        return context


class CompetitionFormView(UserFormAdminView):
    """Create (no pk) or edit a competition."""

    form_class = CompetitionForm
    template_name = "innovation/admin/form.html"
    header_icon = "pick"
    allowed = staticmethod(can_manage_competitions)

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        self.competition = None
        if "pk" in kwargs:
            self.competition = _competition_or_404(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    @property
    def page_title(self):
        if self.competition is None:
            return _("New innovation competition")
        return self.competition.title

    def get_initial(self):
        if self.competition is None:
            return super().get_initial()
        return competition_initial(self.competition)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        competition = self.competition
        context.update(
            competition=competition,
            progress=selectors.competition_progress(competition) if competition else None,
            action_url=reverse("innovation_admin_edit", args=[competition.pk])
            if competition
            else reverse("innovation_admin_create"),
            submit_button_label=_("Save"),
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            competition = services.competition_save(
                by=self.request.user,
                competition=self.competition,
                city=data["city"],
                title=data["title"],
                theme=data["theme"],
                description=data["description"],
                submission_opens_at=data["submission_opens_at"],
                submission_closes_at=data["submission_closes_at"],
                judging_closes_at=data["judging_closes_at"],
                winners_count=data["winners_count"],
                judges=data["judges"],
                criteria=data["rubric"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        except InnovationRefused as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("The competition is saved."))
        return redirect("innovation_admin_edit", competition.pk)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@require_POST
def competition_publish(request, pk: int):
    if not can_manage_competitions(request.user):
        raise PermissionDenied
    competition = _competition_or_404(request.user, pk)
    try:
        published = services.competition_publish_results(by=request.user, competition=competition)
    except InnovationRefused as exc:
        messages.error(request, exc.message)
    else:
        if published:
            messages.success(
                request, _("The results are published; the leaderboard is now public.")
            )
        else:
            messages.info(request, _("The results were already published."))
    return redirect("innovation_admin_edit", competition.pk)
