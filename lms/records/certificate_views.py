"""Certificate pages: the public verification page (no login), the learner's own list,
PDF download and yearly ZIP, and the city admins' revoke screens in the Wagtail admin.
Thin: reads in lms.records.certificates selectors, writes in its services."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.core.admin_views import UserFormAdminView
from lms.people.permissions import can_manage_city, manageable_cities
from lms.privacy.services import access_log_record
from lms.records import certificates, selectors
from lms.records.models import Certificate
from lms.records.services import AccessDenied

# --- public verification ------------------------------------------------------------------


@require_safe
@never_cache
def verify(request, code: str):
    """GET /sertifikat/v/<code>/: valid or revoked, with the learner's name, the course,
    the completion date and JP, and nothing else (UU PDP 27/2022: no NIP, no email)."""
    certificate = certificates.certificate_by_code(code)
    if certificate is None:
        response = render(request, "records/certificates/verify_unknown.html", status=404)
    else:
        completion = certificate.completion
        response = render(
            request,
            "records/certificates/verify.html",
            {
                # Only these values reach the template, so nothing else can leak into it.
                "is_revoked": certificate.is_revoked,
                "revoked_at": certificate.revoked_at,
                "learner_name": completion.learner.full_name,
                "course_title": completion.course_title,
                "completed_on": completion.completed_on,
                "jp": completion.jp,
            },
        )
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- the learner's own certificates -------------------------------------------------------


@login_required
@require_safe
def mine(request):
    """GET /sertifikat/: the learner's certificates and a ZIP link per year."""
    profile = selectors.learner_of(request.user)
    rows = list(certificates.certificates_of_learner(profile)) if profile else []
    years = sorted({row.year for row in rows if not row.is_revoked}, reverse=True)
    return render(
        request,
        "records/certificates/mine.html",
        {"certificates": rows, "years": years, "has_profile": profile is not None},
    )


@login_required
@require_safe
@never_cache
def download(request, pk: int):
    """GET /sertifikat/<id>/unduh/: the PDF, for its owner or staff who may see the learner."""
    certificate = certificates.certificate_for_download(user=request.user, pk=pk)
    if certificate is None:
        raise Http404(_("No such certificate, or it is not yours."))
    if certificate.is_revoked:
        return render(
            request,
            "records/certificates/revoked.html",
            {"certificate": certificate},
            status=410,
        )
    certificate = certificates.certificate_pdf_ensure(certificate=certificate)
    response = FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=certificates.certificate_file_name(certificate),
        content_type="application/pdf",
    )
    return response


@login_required
@require_safe
@never_cache
def zip_year(request, year: int):
    """GET /sertifikat/zip/<year>/: all the learner's valid certificates of a year as one
    ZIP; a page saying so when there are none."""
    profile = selectors.learner_of(request.user)
    rows = []
    if profile is not None:
        rows = list(
            certificates.certificates_of_learner(profile, year=year).filter(revoked_at__isnull=True)
        )
    if not rows:
        return render(request, "records/certificates/zip_empty.html", {"year": year}, status=404)
    archive = certificates.certificates_zip(rows)
    return FileResponse(
        archive.file,
        as_attachment=True,
        filename=f"sertifikat-{year}.zip",
        content_type="application/zip",
    )


# --- Wagtail admin: search and revoke -----------------------------------------------------


def can_revoke_certificates(user) -> bool:
    return manageable_cities(user).exists()


class CertificateSearchView(WagtailAdminTemplateMixin, TemplateView):
    """Find a certificate of the admin's cities by number or by the learner's NIP."""

    template_name = "records/certificates/admin/search.html"
    page_title = gettext_lazy("Certificates")
    header_icon = "doc-full"

    def dispatch(self, request, *args, **kwargs):
        if not can_revoke_certificates(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "")[:100].strip()
        context.update(
            query=query,
            results=list(certificates.certificates_search(user=self.request.user, query=query))
            if query
            else None,
        )
        access_log_record(
            request=self.request,
            learners=[c.completion.learner_id for c in context["results"] or []],
            action="search",
        )
        return context


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Kept on record; the public page only says that the certificate was revoked."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)


class CertificateRevokeView(UserFormAdminView):
    form_class = RevokeForm
    template_name = "records/certificates/admin/revoke.html"
    page_title = gettext_lazy("Revoke a certificate")
    header_icon = "doc-full"

    allowed = staticmethod(can_revoke_certificates)

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        self.certificate = (
            Certificate.objects.select_related("completion__learner", "city", "revoked_by")
            .filter(pk=kwargs["pk"])
            .first()
        )
        if self.certificate is None:
            raise Http404(_("No such certificate."))
        if not can_manage_city(request.user, self.certificate.city_id):
            raise PermissionDenied(_("You may only revoke certificates issued by your own city."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            certificate=self.certificate,
            action_url=reverse("records_certificate_revoke", args=[self.certificate.pk]),
            submit_button_label=_("Revoke certificate"),
        )
        return context

    def form_valid(self, form):
        try:
            revoked = certificates.certificate_revoke(
                by=self.request.user,
                certificate=self.certificate,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for field, field_errors in errors.items():
                form.add_error(field if field in form.fields else None, field_errors)
            return self.form_invalid(form)
        except AccessDenied as exc:
            raise PermissionDenied(exc.message) from exc
        if revoked:
            messages.success(
                self.request,
                _("Certificate %(number)s is revoked. Its public page now says so.")
                % {"number": self.certificate.number},
            )
        else:
            messages.info(
                self.request,
                _("Certificate %(number)s was already revoked; nothing changed.")
                % {"number": self.certificate.number},
            )
        # Back to the search, showing this learner's certificates with the new status.
        query = urlencode({"q": self.certificate.completion.learner.nip})
        return redirect(f"{reverse('records_certificates')}?{query}")
