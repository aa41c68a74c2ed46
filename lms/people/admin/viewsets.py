"""Wagtail viewsets for cities, agencies and people, filtered to what the viewer may see.

Two layers, both answered by lms.people.permissions:

- the permission policies below: Django model permissions (given to the role groups by
  services) open a screen; the row-level rules of lms.people.permissions narrow it;
- the views: every view that loads rows loads them from the policy's queryset for its
  action, so another city's row is a 404, not a form with someone else's data.

Saving goes through lms.people.services, so the admin applies the same rules as the
importer and the demo data; a service's ValidationError becomes field errors.
"""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views.generic import (
    CreateView,
    DeleteView,
    EditView,
    IndexView,
    InspectView,
)
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from lms.people import permissions, services
from lms.people.forms import AgencyForm, CityForm, LearnerProfileForm
from lms.people.models import Agency, City, LearnerProfile

# --- permission policies ------------------------------------------------------------------


class CityScopedPolicy(ModelPermissionPolicy):
    """Model permission from the user's groups AND the row rule of lms.people.permissions."""

    #: Actions nobody may take through the admin (people are deactivated, not deleted).
    refused_actions: frozenset[str] = frozenset()

    def visible(self, user):
        raise NotImplementedError

    def manageable(self, user):
        raise NotImplementedError

    def can_view(self, user, instance) -> bool:
        raise NotImplementedError

    def can_manage(self, user, instance) -> bool:
        raise NotImplementedError

    def user_has_permission(self, user, action):
        if action in self.refused_actions:
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        if action == "view":
            return self.can_view(user, instance)
        return self.can_manage(user, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        allowed = [action for action in actions if self.user_has_permission(user, action)]
        if not allowed:
            return self.model._default_manager.none()
        # Whoever may manage a row may also see it, so "view" gives the wider set.
        if "view" in allowed:
            return self.visible(user)
        return self.manageable(user)


class CityPolicy(CityScopedPolicy):
    refused_actions = frozenset({"delete"})

    def visible(self, user):
        return permissions.visible_cities(user)

    def manageable(self, user):
        if permissions.can_edit_city_record(user):
            return City.objects.all()
        return City.objects.none()

    def can_view(self, user, instance):
        return permissions.can_view_city(user, instance)

    def can_manage(self, user, instance):
        return permissions.can_edit_city_record(user, instance)


class AgencyPolicy(CityScopedPolicy):
    def visible(self, user):
        return permissions.visible_agencies(user)

    def manageable(self, user):
        return permissions.manageable_agencies(user)

    def can_view(self, user, instance):
        return permissions.can_view_agency(user, instance)

    def can_manage(self, user, instance):
        return permissions.can_manage_agency(user, instance)


class LearnerProfilePolicy(CityScopedPolicy):
    refused_actions = frozenset({"delete"})

    def visible(self, user):
        return permissions.visible_profiles(user)

    def manageable(self, user):
        return permissions.manageable_profiles(user)

    def can_view(self, user, instance):
        return permissions.can_view_learner(user, instance)

    def can_manage(self, user, instance):
        return permissions.can_manage_learner(user, instance)


register_permission_policy(City, CityPolicy(City))
register_permission_policy(Agency, AgencyPolicy(Agency))
register_permission_policy(LearnerProfile, LearnerProfilePolicy(LearnerProfile))


def scoped_queryset(model, user, action):
    return policy_registry.get_by_type(model).instances_user_has_any_permission_for(user, [action])


# --- views --------------------------------------------------------------------------------


class ScopedIndexView(IndexView):
    select_related_fields: tuple[str, ...] = ()

    def get_base_queryset(self):
        queryset = scoped_queryset(self.model, self.request.user, "view")
        if self.select_related_fields:
            queryset = queryset.select_related(*self.select_related_fields)
        return queryset


class ScopedInspectView(InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(scoped_queryset(self.model, self.request.user, "view"), pk=self.pk)


class ScopedHistoryView(HistoryView):
    def get_base_object_queryset(self):
        return scoped_queryset(self.model, self.request.user, "change")


class ScopedUsageView(UsageView):
    def get_base_object_queryset(self):
        return scoped_queryset(self.model, self.request.user, "change")


# Service errors on a field the form does not show go to the field that stands for it.
_ERROR_FIELDS = {"username": "nip", "supervisor": "supervisor_nip"}


def add_service_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = _ERROR_FIELDS.get(field, field)
        if target not in form.fields or target == "__all__":
            target = None
        for error in errors:
            form.add_error(target, error)


class ServiceSaveMixin:
    """Save through a service; a refused save shows the reasons on the form."""

    # Wagtail's audit log is readable by anyone holding a permission on the model, in
    # every city (Reports > Site history), and its entries name the row ("Name (NIP)").
    # So people and agencies are not logged there; a city-scoped personal-data access
    # log belongs with the UU PDP work.
    log_action: str | None = None

    def save_through_service(self):
        raise NotImplementedError

    def form_valid(self, form):
        self.form = form
        try:
            with transaction.atomic():
                self.object = self.save_through_service()
                if self.log_action:
                    log(instance=self.object, action=self.log_action, user=self.request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)
        response = self.save_action()
        hook_response = self.run_after_hook()
        return hook_response if hook_response is not None else response


class ScopedEditView(ServiceSaveMixin, EditView):
    def get_queryset(self):
        return scoped_queryset(self.model, self.request.user, "change")

    def fresh_object(self):
        # The bound form has already written its values onto self.object; the services
        # take the stored row and the new values separately.
        return self.get_queryset().get(pk=self.object.pk)


class ScopedCreateView(ServiceSaveMixin, CreateView):
    pass


class ScopedDeleteView(DeleteView):
    def get_queryset(self):
        return scoped_queryset(self.model, self.request.user, "delete")


# Cities


class CityCreateView(ScopedCreateView):
    log_action = "wagtail.create"  # cities are public knowledge

    def save_through_service(self):
        if not permissions.can_edit_city_record(self.request.user):
            raise PermissionDenied
        data = self.form.cleaned_data
        return services.city_create(
            name=data["name"],
            slug=data["slug"],
            bkpsdm_name=data["bkpsdm_name"],
            timezone=data["timezone"],
            certificate_number_format=data["certificate_number_format"],
        )


class CityEditView(ScopedEditView):
    log_action = "wagtail.edit"

    def save_through_service(self):
        data = self.form.cleaned_data
        return services.city_update(
            city=self.fresh_object(),
            name=data["name"],
            slug=data["slug"],
            bkpsdm_name=data["bkpsdm_name"],
            timezone=data["timezone"],
            certificate_number_format=data["certificate_number_format"],
        )


# Agencies


class AgencyIndexView(ScopedIndexView):
    def get_base_queryset(self):
        # The parent's name in the same query: the parent's path is the row's path
        # minus one step.
        steplen = Agency.steplen
        parent_name = Agency.objects.filter(
            path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - steplen)
        ).values("name")[:1]
        return super().get_base_queryset().annotate(parent_name=Subquery(parent_name))


class AgencyCreateView(ScopedCreateView):
    def save_through_service(self):
        data = self.form.cleaned_data
        if not permissions.can_manage_city(self.request.user, data["city"]):
            raise PermissionDenied
        return services.agency_create(
            city=data["city"],
            name=data["name"],
            code=data["code"],
            kind=data["kind"],
            parent=data["parent"],
        )


class AgencyEditView(ScopedEditView):
    def save_through_service(self):
        data = self.form.cleaned_data
        agency = services.agency_update(
            agency=self.fresh_object(), name=data["name"], code=data["code"], kind=data["kind"]
        )
        return services.agency_move(agency=agency, parent=data["parent"])


class AgencyDeleteView(ScopedDeleteView):
    def form_valid(self, form):
        success_url = self.get_success_url()
        try:
            services.agency_delete(agency=self.object)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(self.request, message)
            return redirect(self.edit_url_name, self.object.pk)
        messages.success(self.request, self.get_success_message())
        return redirect(success_url)


# People


class LearnerProfileCreateView(ScopedCreateView):
    def save_through_service(self):
        data = self.form.cleaned_data
        if not permissions.can_manage_city(self.request.user, data["city"]):
            raise PermissionDenied
        return services.learner_create(
            city=data["city"],
            nip=data["nip"],
            full_name=data["full_name"],
            email=data["email"],
            agency=data["agency"],
            supervisor=data["supervisor"],
            employment_type=data["employment_type"],
            gender=data["gender"],
            birth_date=data["birth_date"],
            golongan=data["golongan"],
            jabatan_type=data["jabatan_type"],
            jabatan_name=data["jabatan_name"],
            phone=data["phone"],
        )


class LearnerProfileEditView(ScopedEditView):
    def save_through_service(self):
        data = self.form.cleaned_data
        stored = self.fresh_object()
        profile = services.learner_update(
            profile=stored,
            nip=data["nip"],
            full_name=data["full_name"],
            email=data["email"],
            agency=data["agency"],
            employment_type=data["employment_type"],
            gender=data["gender"],
            birth_date=data["birth_date"],
            golongan=data["golongan"],
            jabatan_type=data["jabatan_type"],
            jabatan_name=data["jabatan_name"],
            phone=data["phone"],
        )
        if (data["supervisor"].pk if data["supervisor"] else None) != stored.supervisor_id:
            profile = services.supervisor_set(profile=profile, supervisor=data["supervisor"])
        if data["is_active"] != stored.is_active:
            change = services.learner_activate if data["is_active"] else services.learner_deactivate
            profile = change(profile=profile)
        return profile


class LearnerProfileFilterSet(WagtailFilterSet):
    city = django_filters.ModelChoiceFilter(
        label=_("city"), queryset=lambda request: permissions.visible_cities(request.user)
    )
    agency = django_filters.ModelChoiceFilter(
        label=_("agency (with its sub-units)"),
        queryset=lambda request: permissions.visible_agencies(request.user).order_by(
            "city__name", "path"
        ),
        method="filter_agency_subtree",
    )
    employment_type = django_filters.ChoiceFilter(
        label=_("employment type"), choices=LearnerProfile.EmploymentType.choices
    )
    is_active = django_filters.BooleanFilter(label=_("active"))

    class Meta:
        model = LearnerProfile
        fields = ["city", "agency", "employment_type", "is_active"]

    def filter_agency_subtree(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(agency__path__startswith=value.path, city_id=value.city_id)


# --- viewsets -----------------------------------------------------------------------------


class ScopedViewSetMixin:
    index_view_class = ScopedIndexView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    delete_view_class = ScopedDeleteView
    copy_view_enabled = False
    inspect_view_enabled = True
    # Profiles are written in bulk by the importer; indexing every save would slow it down.
    add_to_reference_index = False
    select_related_fields: tuple[str, ...] = ()

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            select_related_fields=self.select_related_fields, **kwargs
        )


class CityViewSet(ScopedViewSetMixin, ModelViewSet):
    model = City
    icon = "site"
    add_view_class = CityCreateView
    edit_view_class = CityEditView
    form_fields = ["name", "slug", "bkpsdm_name", "timezone", "certificate_number_format"]
    list_display = ["name", "bkpsdm_name", "timezone"]
    search_fields = ["name", "bkpsdm_name"]
    ordering = ["name"]
    inspect_view_fields = [
        "name",
        "slug",
        "bkpsdm_name",
        "timezone",
        "certificate_number_format",
        "created_at",
    ]

    def get_form_class(self, for_update=False):
        return CityForm


class AgencyViewSet(ScopedViewSetMixin, ModelViewSet):
    model = Agency
    icon = "group"
    index_view_class = AgencyIndexView
    add_view_class = AgencyCreateView
    edit_view_class = AgencyEditView
    delete_view_class = AgencyDeleteView
    select_related_fields = ("city",)
    list_display = [
        "name",
        "code",
        "kind",
        Column("parent_name", label=_("parent unit")),
        "city",
    ]
    list_filter = ["city", "kind"]
    search_fields = ["name", "code"]
    # Tree order: each unit right after its parent.
    ordering = ["city__name", "path"]
    inspect_view_fields = ["city", "name", "code", "kind"]

    def get_form_class(self, for_update=False):
        return AgencyForm


class LearnerProfileViewSet(ScopedViewSetMixin, ModelViewSet):
    model = LearnerProfile
    name = "people"
    icon = "user"
    menu_label = _("People")
    add_view_class = LearnerProfileCreateView
    edit_view_class = LearnerProfileEditView
    select_related_fields = ("city", "agency")
    list_display = [
        "full_name",
        "nip",
        "agency",
        "city",
        "jabatan_name",
        BooleanColumn("is_active", label=_("active")),
    ]
    filterset_class = LearnerProfileFilterSet
    search_fields = ["full_name", "nip", "email"]
    ordering = ["full_name"]
    list_per_page = 50
    inspect_view_fields = [
        "nip",
        "full_name",
        "employment_type",
        "gender",
        "birth_date",
        "golongan",
        "jabatan_type",
        "jabatan_name",
        "city",
        "agency",
        "supervisor",
        "email",
        "phone",
        "is_active",
    ]

    def get_form_class(self, for_update=False):
        return LearnerProfileForm


class PeopleAdminGroup(ModelViewSetGroup):
    menu_label = _("People and organisations")
    menu_icon = "group"
    menu_order = 300
    items = (
        LearnerProfileViewSet,
        AgencyViewSet,
        CityViewSet,
    )


@hooks.register("register_admin_viewset")
def register_people_viewsets():
    return PeopleAdminGroup()
