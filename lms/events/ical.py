"""A minimal iCalendar (RFC 5545) writer for the learner's feed: VEVENTs in UTC, text
escaped and lines folded at 75 octets. Small enough to keep here rather than depend on a
library."""

import datetime

from django.utils import timezone

PRODID = "-//ASN Digital//Acara//ID"


def escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into 75-octet pieces, continuation lines starting with a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    pieces, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        # Never cut inside a UTF-8 sequence.
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        pieces.append(data[start:end].decode())
        start, limit = end, 74
    return "\r\n ".join(pieces)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(*, name: str, events: list[dict]) -> str:
    """``events``: dicts with uid, start, end, summary, and optional location,
    description, url."""
    now = _utc(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for item in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{item['uid']}",
            f"DTSTAMP:{now}",
            f"DTSTART:{_utc(item['start'])}",
            f"DTEND:{_utc(item['end'])}",
            f"SUMMARY:{escape(item['summary'])}",
        ]
        if item.get("location"):
            lines.append(f"LOCATION:{escape(item['location'])}")
        if item.get("description"):
            lines.append(f"DESCRIPTION:{escape(item['description'])}")
        if item.get("url"):
            lines.append(f"URL:{item['url']}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
