"""Wagtail admin screens "Token API": list, create (the secret is shown once, on the
response to the form, never stored) and revoke. Thin: lms.api.tokens decides who may
manage which tokens."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.api import tokens


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, e.g. the system that uses it."),
    )
    city = forms.ModelChoiceField(label=gettext_lazy("City"), queryset=None, required=False)
    can_write_enrolments = forms.BooleanField(
        label=gettext_lazy("May assign mandatory courses"),
        required=False,
        help_text=gettext_lazy("Without this the token can only read."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["city"]
        field.queryset = tokens.token_cities(user).order_by("name")
        if tokens.permissions.is_national_admin(user):
            field.empty_label = _("All cities (national)")
        else:
            field.required = True


class _TokenMixin(WagtailAdminTemplateMixin):
    header_icon = "key"
    page_title = gettext_lazy("API tokens")

    def dispatch(self, request, *args, **kwargs):
        if not tokens.may_manage_tokens(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        items = [*self.breadcrumbs_items, {"url": reverse("api_tokens"), "label": _("API tokens")}]
        subtitle = self.get_page_subtitle()
        if subtitle:
            items.append({"url": "", "label": subtitle})
        return items


class TokenIndexView(_TokenMixin, TemplateView):
    template_name = "api/admin/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tokens"] = tokens.manageable_tokens(self.request.user)
        return context


class TokenCreateView(_TokenMixin, TemplateView):
    template_name = "api/admin/create.html"

    def get_page_subtitle(self):
        return _("New token")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", TokenForm(user=self.request.user))
        return context

    def post(self, request, *args, **kwargs):
        form = TokenForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                issued = tokens.token_create(
                    by=request.user,
                    name=form.cleaned_data["name"],
                    city=form.cleaned_data["city"],
                    can_write_enrolments=form.cleaned_data["can_write_enrolments"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                # The secret exists only in this response: no redirect, no caching.
                self.template_name = "api/admin/created.html"
                response = self.render_to_response(self.get_context_data(issued=issued, form=form))
                response["Cache-Control"] = "no-store"
                return response
        return self.render_to_response(self.get_context_data(form=form))


class TokenRevokeView(_TokenMixin, TemplateView):
    template_name = "api/admin/revoke.html"

    def get_page_subtitle(self):
        return _("Revoke token")

    def get_token(self):
        # Another city's token is "not found": its existence is not revealed either.
        token = tokens.manageable_tokens(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if token is None:
            raise Http404
        return token

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["token"] = self.get_token()
        return context

    def post(self, request, *args, **kwargs):
        token = tokens.token_revoke(by=request.user, token=self.get_token())
        messages.success(
            request,
            _("The token %(name)s is revoked; programs using it are refused from now on.")
            % {"name": token.name},
        )
        return redirect("api_tokens")
