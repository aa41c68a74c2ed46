"""Course content as Wagtail pages: the national curriculum index and one curriculum page
per city. Courses and lessons hang below a city curriculum (Course authoring issue)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class CurriculumIndexPage(Page):
    """The site's home: introduces the platform and links to every city's curriculum."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CityCurriculumPage"]
    max_count = 1

    class Meta:
        verbose_name = _("curriculum index")

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import city_curricula

        context = super().get_context(request, *args, **kwargs)
        context["curricula"] = city_curricula()
        return context


class CityCurriculumPage(Page):
    """The curriculum a city's BKPSDM publishes for its civil servants."""

    city = models.OneToOneField(
        "people.City",
        on_delete=models.PROTECT,
        related_name="curriculum_page",
        verbose_name=_("city"),
    )
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = Page.content_panels + [FieldPanel("city"), FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    parent_page_types = ["courses.CurriculumIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("city curriculum")
        verbose_name_plural = _("city curricula")
