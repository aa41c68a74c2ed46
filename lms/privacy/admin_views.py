"""Wagtail admin: the city admin's list of deletion requests, deciding one (anonymise or
reject), and anonymising a departed learner by NIP. Thin: services do the work."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.people.permissions import manageable_cities, manageable_profiles
from lms.privacy import selectors, services
from lms.privacy.forms import AnonymiseForm, DecisionForm

PAGE_SIZE = 100


def may_handle_requests(user) -> bool:
    return manageable_cities(user).exists()


class DeletionRequestListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "privacy/admin/requests.html"
    page_title = gettext_lazy("Deletion requests")
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not may_handle_requests(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            requests=list(selectors.deletion_requests_for(self.request.user)[:PAGE_SIZE]),
            anonymise_form=kwargs.get("anonymise_form") or AnonymiseForm(),
        )
        return context


@require_POST
def decide(request, pk: int):
    if not may_handle_requests(request.user):
        raise PermissionDenied
    item = get_object_or_404(selectors.deletion_requests_for(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("privacy_requests")
    try:
        if form.cleaned_data["decision"] == "anonymise":
            services.deletion_request_anonymise(
                request=item, by=request.user, note=form.cleaned_data["note"]
            )
            messages.success(request, _("The learner was anonymised."))
        else:
            services.deletion_request_reject(
                request=item, by=request.user, note=form.cleaned_data["note"]
            )
            messages.success(request, _("The request was rejected."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("privacy_requests")


@require_POST
def anonymise(request):
    """Anonymise a departed (deactivated) learner of the admin's cities by NIP."""
    if not may_handle_requests(request.user):
        raise PermissionDenied
    form = AnonymiseForm(request.POST)
    if form.is_valid():
        nip = form.cleaned_data["nip"].strip().replace(" ", "")
        profile = manageable_profiles(request.user).filter(nip=nip).first()
        if profile is None:
            form.add_error("nip", _("No learner of your cities has this NIP."))
        elif profile.is_active:
            form.add_error(
                "nip",
                _(
                    "This learner is still active. Deactivate them first (they have left), "
                    "or decide their deletion request."
                ),
            )
        else:
            services.learner_anonymise(profile=profile, by=request.user)
            messages.success(request, _("The learner was anonymised."))
            return redirect("privacy_requests")
    view = DeletionRequestListView.as_view()
    request.method = "GET"
    response = view(request, anonymise_form=form)
    response.status_code = 400
    return response


class AccessLogView(WagtailAdminTemplateMixin, TemplateView):
    """Who viewed or exported the records of the admin's learners: the audit trail."""

    template_name = "privacy/admin/access_log.html"
    page_title = gettext_lazy("Access log")
    header_icon = "history"

    def dispatch(self, request, *args, **kwargs):
        if not may_handle_requests(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        nip = self.request.GET.get("nip", "")[:30]
        entries = selectors.access_log_for(self.request.user, nip=nip)
        context.update(
            nip=nip.strip(),
            page_obj=Paginator(entries, PAGE_SIZE).get_page(self.request.GET.get("p")),
        )
        return context
