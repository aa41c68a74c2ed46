"""Wagtail admin screens "Dasbor": a city's dashboard, the national comparison and the
list of learners below 20 JP. Thin: figures come from lms.reports.selectors, files from
lms.reports.exports; who may look is decided by the selectors' may_see_* functions."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from courses.models import LearningForm
from lms.people.models import City
from lms.people.permissions import roles_of
from lms.privacy.services import access_log_record
from lms.reports import charts, selectors

PAGE_SIZE = 50
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class _CountedPaginator(Paginator):
    """A paginator told its count: the overdue list's length is the dashboard's overdue
    figure (summed from RollupDue, over the same rows), so no COUNT over enrolments."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self.count = count


def may_open_dashboards(user) -> bool:
    roles = roles_of(user)
    return roles.national or bool(roles.admin_city_ids)


def dashboard_index(request):
    """/admin/dasbor/: national admins to the national page, city admins to their city."""
    if selectors.may_see_national_dashboard(request.user):
        return redirect("reports_dashboard_national")
    city = selectors.dashboard_cities(request.user).first()
    if city is None:
        raise PermissionDenied
    return redirect("reports_dashboard_city", city=city.slug)


class FilterForm(forms.Form):
    """Only renders the filter controls; the values are read by
    selectors.filters_from_query, which explains bad ones instead of failing."""

    year = forms.IntegerField(label=gettext_lazy("Year"), required=False)
    agency = forms.ChoiceField(label=gettext_lazy("Agency"), required=False)
    course = forms.ChoiceField(label=gettext_lazy("Course"), required=False)
    form = forms.ChoiceField(label=gettext_lazy("Learning form"), required=False)
    week_from = forms.DateField(
        label=gettext_lazy("Trend from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    week_to = forms.DateField(
        label=gettext_lazy("Trend to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, agencies=None, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        if agencies is None:
            for name in ("agency", "week_from", "week_to"):
                del self.fields[name]
        else:
            self.fields["agency"].choices = everything + [
                (str(pk), label) for pk, label in agencies
            ]
        self.fields["course"].choices = everything + [(str(key), title) for key, title in courses]
        self.fields["form"].choices = everything + list(LearningForm.choices)


def _export_response(table, fmt: str, filename: str) -> HttpResponse:
    from lms.reports import exports

    writer = exports.table_xlsx if fmt == "xlsx" else exports.table_csv
    response = HttpResponse(writer(table), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _export_start_url() -> str | None:
    # The background-export screens live in their own module; without them the page
    # simply shows no "prepare the full list" form.
    try:
        return reverse("reports_export_start")
    except NoReverseMatch:
        return None


class _DashboardMixin(WagtailAdminTemplateMixin):
    header_icon = "view"

    def export_requested(self, tables: dict, filename: str):
        """The response for ``?export=<table key>&format=csv|xlsx``, or None when the page
        itself is asked for. An unknown key or format is "not found"."""
        key = self.request.GET.get("export")
        if not key:
            return None
        fmt = self.request.GET.get("format", "csv")
        table = tables.get(key)
        if table is None or fmt not in FORMATS:
            raise Http404(_("There is no such table to download."))
        return _export_response(table, fmt, f"{filename}-{key}")


class _CityDashboardMixin(_DashboardMixin):
    """A page about one city: its admins and national admins only."""

    def dispatch(self, request, *args, **kwargs):
        self.city = get_object_or_404(City, slug=kwargs["city"])
        if not selectors.may_see_city_dashboard(request.user, self.city):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.city.name


class CityDashboardView(_CityDashboardMixin, TemplateView):
    template_name = "reports/dashboard/city.html"
    page_title = gettext_lazy("Dashboard")

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.city.name}]

    def get(self, request, *args, **kwargs):
        self.today = selectors.city_today(self.city)
        self.filters, self.errors = selectors.filters_from_query(
            request.GET, city=self.city, today=self.today
        )
        self.dashboard = selectors.city_dashboard(
            city=self.city, filters=self.filters, today=self.today
        )
        tables = dict(self.dashboard.tables())
        if request.GET.get("export") == "overdue":
            tables["overdue"] = selectors.overdue_table(
                city=self.city, filters=self.filters, today=self.today
            )
        response = self.export_requested(tables, f"dasbor-{self.city.slug}-{self.filters.year}")
        if response is not None and "overdue" in tables:
            access_log_record(
                request=request, city=self.city, action="export", count=len(tables["overdue"].rows)
            )
        return response or super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dashboard, filters = self.dashboard, self.filters
        choices = selectors.filter_choices(city=self.city)
        form = FilterForm(
            # The trend period is prefilled only when chosen: a default period would
            # otherwise stick to the old year when the year is changed.
            initial={**filters.as_query(), "year": filters.year},
            agencies=choices.agencies,
            courses=choices.courses,
        )
        overdue = _CountedPaginator(
            selectors.overdue_mandatory_page_rows(
                city=self.city, today=self.today, filters=filters
            ),
            PAGE_SIZE,
            count=dashboard.overdue,
        ).get_page(self.request.GET.get("overdue_page"))
        titles = selectors.course_rows(keys={e.course_key for e in overdue.object_list})
        access_log_record(
            request=self.request,
            learners=[e.learner_id for e in overdue.object_list],
            action="list",
        )
        for enrolment in overdue.object_list:
            enrolment.course_title = titles[enrolment.course_key].title
            enrolment.days_overdue = (self.today - enrolment.due_date).days
        query = self.request.GET.copy()
        for name in ("export", "format", "overdue_page"):
            query.pop(name, None)
        context.update(
            city=self.city,
            dashboard=dashboard,
            filters=filters,
            errors=self.errors.values(),
            form=form,
            query=query.urlencode(),
            figures=selectors.headline_figures(dashboard),
            tables=[dashboard.courses, dashboard.agencies, dashboard.weeks_table],
            trend_chart=_trend_chart(dashboard),
            course_chart=_course_chart(dashboard),
            overdue_page=overdue,
            export_start_url=_export_start_url(),
            other_cities=selectors.dashboard_cities(self.request.user).exclude(pk=self.city.pk),
            can_see_national=selectors.may_see_national_dashboard(self.request.user),
        )
        return context


def _trend_chart(dashboard):
    points = dashboard.weeks
    return charts.line_chart(
        title=_("Weekly trend"),
        desc=_(
            "Courses started, courses completed and JP credited per week from %(start)s to "
            "%(end)s; the same numbers are in the table below."
        )
        % {"start": dashboard.week_from, "end": dashboard.week_to},
        labels=[p.week.strftime("%d/%m") for p in points],
        series=[
            (_("Courses started"), [p.started for p in points]),
            (_("Courses completed"), [p.completed for p in points]),
            (_("JP credited"), [p.jp for p in points]),
        ],
    )


def _course_chart(dashboard):
    rows = [row for row in dashboard.courses.rows if row["started"]]
    return charts.bar_chart(
        title=_("Completion rate per course"),
        desc=_(
            "Completed as a share of started, per course with at least one start; the "
            "numbers are in the courses table."
        ),
        items=[(row["title"], row["completion_rate"]) for row in rows],
        maximum=100,
    )


class BelowMinimumView(_CityDashboardMixin, TemplateView):
    """Who is below 20 JP this year, by agency, 50 a page."""

    template_name = "reports/dashboard/below_minimum.html"
    page_title = gettext_lazy("Below 20 JP")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("reports_dashboard_city", args=[self.city.slug]),
                "label": self.city.name,
            },
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = selectors.city_today(self.city)
        filters, errors = selectors.filters_from_query(
            self.request.GET, city=self.city, today=today
        )
        learners = selectors.learners_below_minimum(
            city=self.city, year=filters.year, agency_id=filters.agency_id
        )
        page = Paginator(learners, PAGE_SIZE).get_page(self.request.GET.get("p"))
        access_log_record(request=self.request, learners=page.object_list, action="list")
        query = self.request.GET.copy()
        query.pop("p", None)
        context.update(
            city=self.city,
            filters=filters,
            errors=errors.values(),
            page_obj=page,
            query=query.urlencode(),
            agencies=selectors.filter_choices(city=self.city).agencies,
            export_start_url=_export_start_url(),
        )
        return context


class NationalDashboardView(_DashboardMixin, TemplateView):
    template_name = "reports/dashboard/national.html"
    page_title = gettext_lazy("National dashboard")

    def dispatch(self, request, *args, **kwargs):
        if not selectors.may_see_national_dashboard(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get(self, request, *args, **kwargs):
        self.filters, self.errors = selectors.filters_from_query(
            request.GET, city=None, today=selectors.national_today()
        )
        self.dashboard = selectors.national_dashboard(filters=self.filters)
        response = self.export_requested(
            self.dashboard.tables(), f"dasbor-nasional-{self.filters.year}"
        )
        return response or super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = self.dashboard.cities
        form = FilterForm(
            initial={**self.filters.as_query(), "year": self.filters.year},
            courses=selectors.filter_choices(city=None).courses,
        )
        query = self.request.GET.copy()
        for name in ("export", "format"):
            query.pop(name, None)
        context.update(
            dashboard=self.dashboard,
            filters=self.filters,
            errors=self.errors.values(),
            form=form,
            query=query.urlencode(),
            table=table,
            chart=charts.bar_chart(
                title=_("Share of learners with at least 20 JP, per city"),
                desc=_("The same numbers are in the cities table."),
                items=[(row["city"], row["met_minimum_share"]) for row in table.rows],
                maximum=100,
            ),
            completion_chart=charts.bar_chart(
                title=_("Completion rate per city"),
                desc=_("Completed as a share of started; the numbers are in the table."),
                items=[(row["city"], row["completion_rate"]) for row in table.rows],
                maximum=100,
            ),
        )
        return context
