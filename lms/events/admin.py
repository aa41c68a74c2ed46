"""Wagtail admin screens for partners and events, scoped to the cities the user runs.

City admins see and edit their own city's events and partners (and may pick national
partners); another city's row is a 404. National admins run every city. The row rules
come from lms.people.permissions, as on the people screens."""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
)
from wagtail.admin.views.generic import DeleteView, EditView, IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy

from lms.events.models import Event, Partner
from lms.people import permissions
from lms.people.models import Agency


def _runs_events(user) -> bool:
    return permissions.is_national_admin(user) or permissions.is_city_admin(user)


class EventPolicy(ModelPermissionPolicy):
    """National admins and city admins; rows of the cities they manage."""

    def user_has_permission(self, user, action):
        return _runs_events(user)

    def user_has_permission_for_instance(self, user, action, instance):
        return _runs_events(user) and permissions.can_manage_city(user, instance.city_id)

    def instances_user_has_any_permission_for(self, user, actions):
        if not _runs_events(user):
            return self.model._default_manager.none()
        return self.model._default_manager.filter(city__in=permissions.manageable_cities(user))


class PartnerPolicy(EventPolicy):
    """As events; national partners (no city) are run by national admins only."""

    def user_has_permission_for_instance(self, user, action, instance):
        if not _runs_events(user):
            return False
        if instance.city_id is None:
            return permissions.is_national_admin(user)
        return permissions.can_manage_city(user, instance.city_id)

    def instances_user_has_any_permission_for(self, user, actions):
        if not _runs_events(user):
            return Partner.objects.none()
        if permissions.is_national_admin(user):
            return Partner.objects.all()
        return Partner.objects.filter(city__in=permissions.manageable_cities(user))


register_permission_policy(Event, EventPolicy(Event))
register_permission_policy(Partner, PartnerPolicy(Partner))


def choosable_partners(user):
    """Partners a user may name on an event or course: national ones and their cities'."""
    return Partner.objects.filter(
        Q(city__isnull=True) | Q(city__in=permissions.manageable_cities(user))
    )


class CityScopedForm(WagtailAdminModelForm):
    """Offers only the cities the user manages (and their agencies and partners)."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        cities = permissions.manageable_cities(for_user)
        if "city" in self.fields:
            self.fields["city"].queryset = cities
            if not permissions.is_national_admin(for_user):
                self.fields["city"].required = True
                self.fields["city"].empty_label = None
        if "agency" in self.fields:
            self.fields["agency"].queryset = Agency.objects.filter(city__in=cities).order_by(
                "city__name", "path"
            )
        if "partner" in self.fields:
            self.fields["partner"].queryset = choosable_partners(for_user)


class PartnerForm(CityScopedForm):
    pass


class EventForm(CityScopedForm):
    def clean(self):
        data = super().clean()
        city = data.get("city")
        agency, partner = data.get("agency"), data.get("partner")
        if city and agency and agency.city_id != city.pk:
            self.add_error("agency", _("Choose an agency of the event's city."))
        if city and partner and partner.city_id not in (None, city.pk):
            self.add_error("partner", _("Choose a national partner or one of the event's city."))
        if not data.get("place") and not data.get("online_url"):
            self.add_error("place", _("Give a place, an online meeting link, or both."))
        return data


def _scoped(view):
    return policy_registry.get_by_type(view.model).instances_user_has_any_permission_for(
        view.request.user, ["change"]
    )


class ScopedIndexView(IndexView):
    def get_base_queryset(self):
        return _scoped(self).select_related("city")


class ScopedEditView(EditView):
    def get_queryset(self):
        return _scoped(self)


class ScopedDeleteView(DeleteView):
    def get_queryset(self):
        return _scoped(self)


class ScopedInspectView(InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(_scoped(self), pk=self.pk)


class _ScopedViewSet(ModelViewSet):
    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    copy_view_enabled = False
    add_to_reference_index = False


class PartnerViewSet(_ScopedViewSet):
    model = Partner
    url_prefix = "partners"
    url_namespace = "events_partner"
    icon = "group"
    menu_label = _("Partners")
    list_display = ["name", "kind", "city"]
    list_filter = ["kind"]
    search_fields = ["name"]
    ordering = ["name"]
    panels = [
        FieldPanel("name"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("city")]),
        FieldPanel("logo"),
        MultiFieldPanel(
            [
                FieldPanel("contact_name"),
                FieldRowPanel([FieldPanel("contact_email"), FieldPanel("contact_phone")]),
                FieldPanel("website"),
            ],
            heading=_("Contact"),
        ),
    ]

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=PartnerForm).bind_to_model(Partner)


class EventViewSet(_ScopedViewSet):
    model = Event
    url_prefix = "events"
    url_namespace = "events_event"
    icon = "date"
    menu_label = _("Events")
    list_display = ["title", "learning_form", "city", "capacity", "registration_closes_at"]
    list_filter = ["learning_form", "is_published"]
    search_fields = ["title"]
    ordering = ["-registration_closes_at"]
    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("city"), FieldPanel("learning_form")]),
        FieldPanel("partner"),
        FieldPanel("description"),
        InlinePanel("sessions", label=_("Sessions"), min_num=1),
        MultiFieldPanel([FieldPanel("place"), FieldPanel("online_url")], heading=_("Where")),
        MultiFieldPanel(
            [
                FieldPanel("capacity"),
                FieldRowPanel(
                    [FieldPanel("registration_opens_at"), FieldPanel("registration_closes_at")]
                ),
                FieldRowPanel([FieldPanel("agency"), FieldPanel("jabatan_type")]),
                FieldPanel("requires_supervisor_approval"),
            ],
            heading=_("Registration"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("min_attendance_percent"), FieldPanel("jp_override")]),
                FieldPanel("checkin_code_minutes"),
                FieldPanel("is_published"),
            ],
            heading=_("Attendance and JP"),
        ),
    ]

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=EventForm).bind_to_model(Event)


class EventsAdminGroup(ModelViewSetGroup):
    menu_label = _("Events")
    menu_icon = "date"
    menu_order = 320
    items = (EventViewSet, PartnerViewSet)
