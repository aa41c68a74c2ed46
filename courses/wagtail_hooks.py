"""Wagtail admin wiring for courses: the provider snippet, and the rights of curriculum
pages created in the admin (the same service the setup scripts call)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from courses import services
from courses.models import CityCurriculumPage, Provider


class ProviderViewSet(SnippetViewSet):
    model = Provider
    icon = "group"
    menu_label = _("Providers")
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["name", "kind", "website"]
    list_filter = ["kind"]
    search_fields = ["name"]


register_snippet(ProviderViewSet)


@hooks.register("after_create_page")
def give_new_curriculum_its_rights(request, page):
    # A curriculum added by hand in the admin gets the same staff rights and approval
    # workflow as one made by courses.services.city_curriculum_create.
    if isinstance(page.specific, CityCurriculumPage):
        services.city_curriculum_rights_install(page=page.specific)


# --- quiz engine (quizadmin): question bank, quizzes, import/export, quiz chooser ---------


# Imported here, at hook discovery, so its permission policies are registered before any
# admin code asks for the models' policies.
from courses.quiz_admin import admin_viewsets  # noqa: E402


@hooks.register("register_admin_viewset")
def register_quiz_viewsets():
    return admin_viewsets()
