"""Rendering of the dashboards' tables.

A city dashboard shows about a thousand cells (agencies, weeks, courses); rendered one by
one through the template engine they cost more than every query of the page together,
so the rows are built here, escaped and localised exactly as ``{{ cell }}`` would be.
"""

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

EMPTY = "–"  # an en dash: no value (e.g. a rate with nothing started)


@register.simple_tag
def table_rows(table) -> str:
    """The ``<tr>`` rows of a reports Table, ``None`` shown as an en dash."""
    parts = []
    for row in table.cells():
        parts.append("<tr>")
        for cell in row:
            text = EMPTY if cell is None else conditional_escape(localize(cell))
            parts.append(f"<td>{text}</td>")
        parts.append("</tr>")
    return mark_safe("".join(parts))  # noqa: S308 - every cell is escaped above
