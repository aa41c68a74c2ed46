"""Small server-rendered SVG charts for the dashboards.

No JavaScript and no chart library: the admin works on weak connections, and an SVG with
a <title> and <desc> (plus the table printed next to it) is readable by screen readers.
Every text that goes into the markup is escaped here.
"""

import itertools

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colours from Wagtail's admin palette, distinguishable for the common colour-blindnesses.
SERIES_COLOURS = ("#007d7e", "#cd4444", "#5a6fbf")
_ids = itertools.count(1)


def _number(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _open(*, width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    ident = f"chart-{next(_ids)}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lms-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(desc)}</desc>'
    )
    return head, ident


def bar_chart(
    *, title: str, desc: str, items: list[tuple[str, float | int | None]], maximum=None
) -> SafeString:
    """Horizontal bars, one per (label, value); ``None`` values draw no bar. ``maximum``
    fixes the scale (100 for percentages), otherwise the largest value fills the width."""
    label_width, bar_width, row_height = 250, 300, 24
    width = label_width + bar_width + 60
    height = max(1, len(items)) * row_height + 8
    values = [value for _label, value in items if value is not None]
    top = maximum or max(values, default=0) or 1
    head, _ident = _open(width=width, height=height, title=title, desc=desc)
    parts = [head]
    for n, (label, value) in enumerate(items):
        y = 4 + n * row_height
        # Long names are cut (the full name is the tooltip and is in the table).
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end" font-size="12">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        length = 0 if value is None else round(bar_width * min(value, top) / top, 1)
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row_height - 8}" '
            f'fill="{SERIES_COLOURS[0]}"></rect>'
        )
        parts.append(
            f'<text x="{label_width + length + 4}" y="{y + 16}" font-size="12">'
            f"{escape(_number(value))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def line_chart(
    *, title: str, desc: str, labels: list[str], series: list[tuple[str, list[int]]]
) -> SafeString:
    """One line per series over the same x labels (weeks), with a legend."""
    width, height = 640, 260
    left, right, top_pad, bottom = 44, 28, 28, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max((v for _name, values in series for v in values), default=0) or 1
    count = max(1, len(labels))
    step = plot_w / max(1, count - 1)

    def x_of(i: int) -> float:
        return round(left + (i * step if count > 1 else plot_w / 2), 1)

    def y_of(v: int) -> float:
        return round(top_pad + plot_h - plot_h * v / top, 1)

    head, _ident = _open(width=width, height=height, title=title, desc=desc)
    parts = [head]
    # Axes and the scale's top and zero.
    parts.append(
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" '
        f'stroke="#767676"></line>'
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" '
        f'y2="{top_pad + plot_h}" stroke="#767676"></line>'
        f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end" font-size="11">{top}</text>'
        f'<text x="{left - 4}" y="{top_pad + plot_h}" text-anchor="end" font-size="11">0</text>'
    )
    # About eight x labels, whatever the number of weeks.
    every = max(1, count // 8)
    for i, label in enumerate(labels):
        if i % every == 0 or i == count - 1:
            parts.append(
                f'<text x="{x_of(i)}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11">{escape(label)}</text>'
            )
    for n, (name, values) in enumerate(series):
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        points = " ".join(f"{x_of(i)},{y_of(v)}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
            f"<title>{escape(name)}</title></polyline>"
        )
        if len(values) == 1:
            parts.append(f'<circle cx="{x_of(0)}" cy="{y_of(values[0])}" r="3" fill="{colour}"/>')
        legend_x = left + n * 170
        parts.append(
            f'<rect x="{legend_x}" y="6" width="12" height="12" fill="{colour}"></rect>'
            f'<text x="{legend_x + 16}" y="16" font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
