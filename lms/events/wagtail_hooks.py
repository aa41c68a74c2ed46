"""Wagtail admin wiring for events and partners (the viewsets live in lms.events.admin)."""

from wagtail import hooks

from lms.events.admin import EventsAdminGroup


@hooks.register("register_admin_viewset")
def register_events_viewsets():
    return EventsAdminGroup()
