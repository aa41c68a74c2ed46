"""Demo events for `load_demo_data`: partners and a few upcoming events in every demo city.

Re-runnable: partners and events are found by name/title, so a second run adds nothing.
Call ``load_demo_events()`` after the cities exist.
"""

import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from courses.models import LearningForm
from lms.events.models import Event, EventSession, Partner
from lms.people.models import City

PARTNERS = [
    ("Universitas Negeri Setempat", Partner.Kind.UNIVERSITY),
    ("PT Teknologi Nusantara", Partner.Kind.TECH_COMPANY),
]

# title, form, partner index, sessions (days from now, hour, hours long), capacity,
# needs supervisor approval
EVENTS = [
    (
        "Lokakarya Layanan Publik Digital",
        LearningForm.WORKSHOP,
        1,
        [(7, 9, 3), (8, 9, 3)],
        30,
        False,
    ),
    ("Seminar Keamanan Siber untuk ASN", LearningForm.SEMINAR, 0, [(10, 13, 2)], 100, False),
    (
        "Bimbingan Teknis Aplikasi SRIKANDI",
        LearningForm.TECHNICAL_GUIDANCE,
        None,
        [(14, 8, 4)],
        25,
        False,
    ),
    ("Magang Pengembangan Aplikasi", LearningForm.INTERNSHIP, 1, [(21, 8, 8), (22, 8, 8)], 5, True),
    ("Coaching Analisis Data Kepegawaian", LearningForm.COACHING, 0, [(5, 14, 2)], 8, True),
]


@transaction.atomic
def load_demo_events(*, now: datetime.datetime | None = None) -> int:
    """Create the demo partners and events; returns how many events were new."""
    now = now or timezone.now()
    created = 0
    for city in City.objects.all():
        partners = []
        for name, kind in PARTNERS:
            partner, _made = Partner.objects.get_or_create(
                city=city,
                name=f"{name} {city.name.removeprefix('Kota ')}"
                if kind == Partner.Kind.UNIVERSITY
                else name,
                defaults={"kind": kind, "contact_email": "kemitraan@example.id"},
            )
            partners.append(partner)
        for title, form, partner_index, sessions, capacity, approval in EVENTS:
            if Event.objects.filter(city=city, title=title).exists():
                continue
            zone = ZoneInfo(city.timezone)
            today = timezone.localtime(now, zone).date()
            event = Event.objects.create(
                city=city,
                title=title,
                learning_form=form,
                partner=partners[partner_index] if partner_index is not None else None,
                description=f"{title} bersama mitra untuk ASN {city.name}.",
                place=f"Aula {city.bkpsdm_name}",
                capacity=capacity,
                registration_opens_at=now - datetime.timedelta(days=1),
                registration_closes_at=now + datetime.timedelta(days=sessions[0][0] - 1),
                requires_supervisor_approval=approval,
            )
            for days, hour, hours in sessions:
                starts = datetime.datetime.combine(
                    today + datetime.timedelta(days=days), datetime.time(hour), tzinfo=zone
                )
                EventSession.objects.create(
                    event=event, starts_at=starts, ends_at=starts + datetime.timedelta(hours=hours)
                )
            created += 1
    return created
