"""Wagtail admin screens "xAPI clients": list, create (key and secret shown once, on the
response to the form) and deactivate. Thin: lms.lrs.services decides who may manage
which clients."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.lrs import services
from lms.people import permissions


class ClientForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the client is, e.g. the authoring tool."),
    )
    city = forms.ModelChoiceField(label=gettext_lazy("City"), queryset=None, required=False)
    can_read = forms.BooleanField(label=gettext_lazy("May read statements"), required=False)
    can_write = forms.BooleanField(label=gettext_lazy("May send statements"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["city"]
        field.queryset = services.client_cities(user).order_by("name")
        if permissions.is_national_admin(user):
            field.empty_label = _("All cities (national)")
        else:
            field.required = True

    def clean(self):
        data = super().clean()
        if not data.get("can_read") and not data.get("can_write"):
            raise forms.ValidationError(_("Allow reading, sending, or both."))
        return data


class _ClientMixin(WagtailAdminTemplateMixin):
    header_icon = "key"
    page_title = gettext_lazy("xAPI clients")

    def dispatch(self, request, *args, **kwargs):
        if not services.may_manage_clients(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        items = [
            *self.breadcrumbs_items,
            {"url": reverse("lrs_clients"), "label": _("xAPI clients")},
        ]
        subtitle = self.get_page_subtitle()
        if subtitle:
            items.append({"url": "", "label": subtitle})
        return items


class ClientIndexView(_ClientMixin, TemplateView):
    template_name = "lrs/admin/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["clients"] = services.manageable_clients(self.request.user)
        return context


class ClientCreateView(_ClientMixin, TemplateView):
    template_name = "lrs/admin/create.html"

    def get_page_subtitle(self):
        return _("New client")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ClientForm(user=self.request.user))
        return context

    def post(self, request, *args, **kwargs):
        form = ClientForm(request.POST, user=request.user)
        if form.is_valid():
            issued = services.xapi_client_create(
                by=request.user,
                name=form.cleaned_data["name"],
                city=form.cleaned_data["city"],
                can_read=form.cleaned_data["can_read"],
                can_write=form.cleaned_data["can_write"],
            )
            # The secret exists only in this response: no redirect, no caching.
            self.template_name = "lrs/admin/created.html"
            response = self.render_to_response(self.get_context_data(issued=issued, form=form))
            response["Cache-Control"] = "no-store"
            return response
        return self.render_to_response(self.get_context_data(form=form))


class ClientDeactivateView(_ClientMixin, TemplateView):
    template_name = "lrs/admin/deactivate.html"

    def get_page_subtitle(self):
        return _("Deactivate client")

    def get_client(self):
        # Another city's client is "not found": its existence is not revealed either.
        client = services.manageable_clients(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if client is None:
            raise Http404
        return client

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["client"] = self.get_client()
        return context

    def post(self, request, *args, **kwargs):
        client = services.xapi_client_deactivate(by=request.user, client=self.get_client())
        messages.success(
            request,
            _("The client %(name)s is deactivated; its requests are refused from now on.")
            % {"name": client.name},
        )
        return redirect("lrs_clients")
