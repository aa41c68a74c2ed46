"""Wagtail admin screens of the background exports: "My exports" (start one, see the
recent ones), a job's page (progress bar that refreshes itself), its JSON status and the
download. Thin: rules and work are in lms.reports.exports."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.people.models import Agency, City
from lms.privacy.services import access_log_record
from lms.reports import exports
from lms.reports.models import ExportJob
from lms.reports.quiz_exports import XLSX_CONTENT_TYPE

CONTENT_TYPES = {
    ExportJob.Format.CSV: "text/csv; charset=utf-8",
    ExportJob.Format.JSON: "application/json",
    ExportJob.Format.XLSX: XLSX_CONTENT_TYPE,
}
# How often the job page asks for news, in seconds (the script, and the no-script reload).
REFRESH_SECONDS = 3


def _refuse_unless_exporter(user) -> None:
    if not exports.may_use_exports(user):
        raise PermissionDenied


def _job_or_404(request, pk) -> ExportJob:
    _refuse_unless_exporter(request.user)
    job = exports.export_job_for(user=request.user, pk=pk)
    if job is None:
        raise Http404(_("No such export, or it is not yours to see."))
    return job


class _ExportsMixin(WagtailAdminTemplateMixin):
    header_icon = "download"

    def dispatch(self, request, *args, **kwargs):
        _refuse_unless_exporter(request.user)
        return super().dispatch(request, *args, **kwargs)


class ExportListView(_ExportsMixin, TemplateView):
    """My exports: a form to start one, and the user's recent exports."""

    template_name = "reports/exports/index.html"
    page_title = gettext_lazy("My exports")

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        cities = list(exports.exportable_cities(user))
        # The first two levels of the tree (OPD and their direct units) keep the list short;
        # deeper units come from the dashboard's own agency filter.
        agencies = (
            Agency.objects.filter(city__in=[city.pk for city in cities], depth__lte=2)
            .select_related("city")
            .order_by("city__name", "path")
        )
        kinds = [
            {"value": kind.value, "label": kind.label, "formats": exports.FORMATS_BY_KIND[kind]}
            for kind in ExportJob.Kind
        ]
        context.update(
            jobs=exports.export_jobs_of(user=user),
            cities=cities,
            agencies=agencies,
            kinds=kinds,
            formats=ExportJob.Format.choices,
            this_year=timezone.localdate().year,
        )
        return context


@require_POST
def export_start_view(request):
    """POST kind, format, city (slug), year, agency (id, optional) -> the job's page; bad
    input -> back where the form was, with the message, and no job."""
    _refuse_unless_exporter(request.user)
    data = request.POST
    city = City.objects.filter(slug=data.get("city", "")).first()
    try:
        job = exports.export_start(
            user=request.user,
            kind=data.get("kind", ""),
            city=city,
            params={
                "format": data.get("format", ""),
                "year": data.get("year", ""),
                "agency_id": data.get("agency", ""),
            },
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        back = data.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("reports_exports")
        return redirect(back)
    messages.success(
        request,
        _("The export has started. This page shows its progress; keep it open or come back later."),
    )
    return redirect("reports_export_job", job.pk)


class ExportJobView(_ExportsMixin, TemplateView):
    template_name = "reports/exports/job.html"
    page_title = gettext_lazy("Export")

    def get(self, request, *args, **kwargs):
        self.job = _job_or_404(request, kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.job.get_kind_display()

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("reports_exports"), "label": _("My exports")},
            {"url": "", "label": self.job.get_kind_display()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            job=self.job,
            file_name=exports.export_file_name(self.job),
            refresh_seconds=REFRESH_SECONDS,
            status_url=reverse("reports_export_status", args=[self.job.pk]),
        )
        return context


def job_status(job: ExportJob) -> dict:
    done = job.status == ExportJob.Status.DONE
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.percent,
        "finished": job.is_finished,
        "download_url": reverse("reports_export_download", args=[job.pk]) if done else None,
    }


@require_safe
@never_cache
def export_status_view(request, pk):
    return JsonResponse(job_status(_job_or_404(request, pk)))


@require_safe
@never_cache
def export_download_view(request, pk):
    job = _job_or_404(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404(_("This export has no file yet."))
    access_log_record(request=request, city=job.city, action="export", count=job.rows_done)
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=exports.export_file_name(job),
        content_type=CONTENT_TYPES.get(job.format, "application/octet-stream"),
    )
