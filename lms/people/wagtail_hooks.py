"""Wagtail admin wiring for people and organisations; each feature registers its own
viewsets and menu items in its module under lms/people/admin/."""

from lms.people.admin import importer, viewsets  # noqa: F401  (importing registers hooks)
