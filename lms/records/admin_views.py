"""Wagtail admin screen for city admins: enrolment rules (who is enrolled in which course,
mandatory or not, with a due date). What a user may touch comes from
lms.people.permissions (their own city only); the work is done by lms.records.services."""

from functools import reduce
from operator import or_

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from courses.models import CityCurriculumPage, CoursePage
from lms.core.admin_views import UserFormAdminView
from lms.people.models import LearnerProfile
from lms.people.permissions import manageable_agencies, manageable_cities
from lms.records import services
from lms.records.models import EnrolmentRule


def can_manage_rules(user) -> bool:
    return manageable_cities(user).exists()


def courses_for_cities(city_ids) -> "CoursePage":
    """Live courses of these cities' curricula: their own and the national ones adopted."""
    city_ids = list(city_ids)
    paths = list(
        CityCurriculumPage.objects.filter(city_id__in=city_ids).values_list("path", flat=True)
    )
    condition = Q(curriculum_entries__page__city_id__in=city_ids)
    if paths:
        condition |= reduce(or_, (Q(path__startswith=path) for path in paths))
    return CoursePage.objects.live().filter(condition).distinct().order_by("title")


class EnrolmentRuleForm(forms.Form):
    city = forms.ModelChoiceField(label=gettext_lazy("City"), queryset=None)
    course = forms.ModelChoiceField(label=gettext_lazy("Course"), queryset=None)
    agency = forms.ModelChoiceField(
        label=gettext_lazy("Agency"),
        queryset=None,
        required=False,
        help_text=gettext_lazy(
            "Only people of this agency and the units below it; leave empty for the whole city."
        ),
    )
    jabatan_type = forms.ChoiceField(
        label=gettext_lazy("Position type"),
        choices=[("", gettext_lazy("Every position"))] + LearnerProfile.JabatanType.choices,
        required=False,
    )
    is_mandatory = forms.BooleanField(label=gettext_lazy("Mandatory"), required=False)
    due_date = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cities = manageable_cities(user)
        self.fields["city"].queryset = cities
        self.fields["course"].queryset = courses_for_cities(cities.values_list("pk", flat=True))
        self.fields["agency"].queryset = manageable_agencies(user).order_by("city__name", "path")


class EnrolmentRulesView(UserFormAdminView):
    form_class = EnrolmentRuleForm
    template_name = "records/admin/enrolment_rules.html"
    page_title = gettext_lazy("Enrolment rules")
    header_icon = "group"

    allowed = staticmethod(can_manage_rules)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse("records_enrolment_rules"),
            submit_button_label=_("Add rule and enrol now"),
            rules=EnrolmentRule.objects.filter(
                city__in=manageable_cities(self.request.user), is_active=True
            ).select_related("city", "agency"),
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            rule = services.enrolment_rule_create(
                by=self.request.user,
                city=data["city"],
                course=data["course"],
                agency=data["agency"],
                jabatan_type=data["jabatan_type"],
                is_mandatory=data["is_mandatory"],
                due_date=data["due_date"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            return self.form_invalid(form)
        except services.AccessDenied as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Rule added: learners who match it are enrolled in “%(course)s”.")
            % {"course": rule.course_title},
        )
        return redirect("records_enrolment_rules")


@require_POST
def enrolment_rule_deactivate(request, pk: int):
    rule = get_object_or_404(
        EnrolmentRule, pk=pk, city__in=manageable_cities(request.user), is_active=True
    )
    services.enrolment_rule_deactivate(by=request.user, rule=rule)
    messages.success(
        request,
        _("The rule for “%(course)s” no longer applies to new learners; enrolments it made stay.")
        % {"course": rule.course_title},
    )
    return redirect("records_enrolment_rules")
