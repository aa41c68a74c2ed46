"""``{% h5p_lesson_assets %}``: the lesson page's H5P relay script and its settings."""

from django import template
from django.urls import NoReverseMatch, reverse

from content.views import content_origin
from content.xapi import activity_iri, lesson_iri

register = template.Library()

# The xAPI State resource lms.records serves for saved H5P state (see the report).
STATE_URL = "/xapi/activities/state"


@register.inclusion_tag("content/h5p_lesson_assets.html", takes_context=True)
def h5p_lesson_assets(context):
    """Renders on a lesson page (``page`` in the context names the lesson)."""
    page = context.get("page")
    lesson_key = getattr(page, "translation_key", None)
    try:
        statements_url = reverse("records:statements")
    except NoReverseMatch:
        statements_url = "/xapi/statements"
    return {
        "statements_url": statements_url,
        "state_url": STATE_URL,
        "activity_iri_base": activity_iri(""),
        "lesson_iri": lesson_iri(lesson_key) if lesson_key else "",
        "content_origin": content_origin(),
    }
