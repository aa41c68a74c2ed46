from django import template

from lms.learning.selectors import show_team_link

register = template.Library()


@register.simple_tag(takes_context=True)
def team_link_shown(context) -> bool:
    """Whether the menu offers "Tim Saya" (a session flag set at log-in: no query)."""
    request = context.get("request")
    return show_team_link(request) if request is not None else False
