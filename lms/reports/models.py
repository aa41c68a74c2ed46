"""Reports: read models (rollups, dashboards, exports). This app only reads learner data;
its rollup tables live in lms.records. Here: ``ExportJob``, one background export (a
file built from learner records for a city admin), with its progress and its file."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def export_file_path(instance: "ExportJob", filename: str) -> str:
    # A random name under exports/: the files hold personal data, and the media storage
    # may be reachable by URL; they are served only through the download view.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else instance.format
    return f"exports/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ExportJob(models.Model):
    """One export run in the background: what was asked (kind, format, city, params), by
    whom, how far it got and, once done, its file. The file is attached only together with
    the status "done", so a failed or interrupted run never offers half a file."""

    class Kind(models.TextChoices):
        SIASN = "siasn", _("Course completions for SIASN (riwayat kursus)")
        BELOW_MINIMUM = "below_minimum", _("Learners below 20 JP")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    city = models.ForeignKey(
        "people.City", on_delete=models.CASCADE, related_name="+", verbose_name=_("city")
    )
    params = models.JSONField(
        _("parameters"), default=dict, blank=True, help_text=_("year, agency_id")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in total"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=export_file_path, blank=True, max_length=200)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["requested_by", "-created_at"])]
        constraints = [
            # The database keeps the promise "done means a whole file is there".
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(file=""),
                name="reports_exportjob_done_has_file",
            ),
        ]

    def __str__(self):
        return f"{self.kind}.{self.format} {self.city_id} {self.params} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return None
        return min(100, int(100 * self.rows_done / self.rows_total))
