"""Wagtail admin screens for importing learner rosters (CSV/XLSX).

City admins import into their own city; national admins and superusers choose a city.
The screens only collect the upload and show the report: the work is done by
``lms.people.importing``, the same service the ``import_learners`` command uses.
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.core.admin_views import UserFormAdminView
from lms.people.importing import (
    COLUMNS,
    MAX_FILE_SIZE,
    REQUIRED_COLUMNS,
    WARNING,
    learners_import,
    template_csv,
    template_xlsx,
)
from lms.people.models import City
from lms.people.permissions import manageable_cities

# A report of a badly broken file can have an issue per cell; the page shows the first
# ones and says how many more there are.
MAX_ISSUES_SHOWN = 500

_TEMPLATES = {
    "csv": ("text/csv; charset=utf-8", template_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", template_xlsx),
}


def importable_cities(user) -> QuerySet[City]:
    """The cities this user may import learners into: every city for national admins and
    superusers, their own for city admins (members of a city's city_admin group)."""
    return manageable_cities(user)


def can_import(user) -> bool:
    return importable_cities(user).exists()


class LearnerImportForm(forms.Form):
    file = forms.FileField(label=_("Roster file"))
    city = forms.ModelChoiceField(
        label=pgettext_lazy("learner import", "City"),
        queryset=City.objects.none(),
        error_messages={
            "invalid_choice": _(
                "You may import learners only into a city you administer. Choose it from the list."
            )
        },
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: only check the file"),
        required=False,
        initial=True,
        help_text=_(
            "Shows what is wrong in each row without saving anything. Untick it to import."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted here, not at import time, so that it is in the viewer's language.
        self.fields["file"].help_text = _(
            "A .csv file (UTF-8, comma or semicolon) or an .xlsx file, at most %(limit)s MB, "
            "with one row per learner."
        ) % {"limit": MAX_FILE_SIZE // (1024 * 1024)}
        cities = importable_cities(user)
        self.fields["city"].queryset = cities
        if len(cities) == 1:
            self.fields["city"].initial = cities[0]
            self.fields["city"].empty_label = None


class LearnerImportView(UserFormAdminView):
    form_class = LearnerImportForm
    template_name = "people/admin/import_form.html"
    results_template_name = "people/admin/import_results.html"
    page_title = _("Import learners")
    header_icon = "upload"

    allowed = staticmethod(can_import)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse("people_learner_import"),
            submit_button_label=_("Upload and check"),
            submit_button_active_label=_("Checking…"),
            columns=COLUMNS,
            required_columns=REQUIRED_COLUMNS,
            template_urls={
                fmt: reverse(f"people_learner_import_template_{fmt}") for fmt in _TEMPLATES
            },
        )
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        report = learners_import(
            file=upload,
            city=form.cleaned_data["city"],
            filename=upload.name,
            dry_run=form.cleaned_data["dry_run"],
        )
        issues = sorted(report.issues, key=lambda issue: issue.row or 0)
        # The results are shown on the POST response itself: the report lives only as
        # long as the request, and re-sending the same file is a harmless upsert.
        context = self.get_context_data(
            form=form,
            report=report,
            issues=issues[:MAX_ISSUES_SHOWN],
            hidden_issue_count=max(0, len(issues) - MAX_ISSUES_SHOWN),
            warning_level=WARNING,
            # After a clean dry run the next upload is the real import.
            next_form=LearnerImportForm(
                user=self.request.user,
                initial={
                    "city": report.city,
                    "dry_run": not (report.ok and report.dry_run),
                },
            ),
        )
        return TemplateResponse(self.request, self.results_template_name, context)


def import_template_download(request, fmt: str):
    """The roster template: the column headers and one example row."""
    if not can_import(request.user):
        raise PermissionDenied
    content_type, build = _TEMPLATES[fmt]
    response = HttpResponse(build(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="templat-impor-pegawai.{fmt}"'
    return response


class LearnerImportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_import(request.user)


@hooks.register("register_admin_urls")
def register_learner_import_urls():
    return [
        path("pegawai/impor/", LearnerImportView.as_view(), name="people_learner_import"),
        *(
            path(
                f"pegawai/impor/templat.{fmt}",
                import_template_download,
                {"fmt": fmt},
                name=f"people_learner_import_template_{fmt}",
            )
            for fmt in _TEMPLATES
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_learner_import_menu_item():
    return LearnerImportMenuItem(
        _("Import learners"),
        reverse_lazy("people_learner_import"),
        name="learner-import",
        icon_name="upload",
        order=350,
    )
