"""Reads of the events app: the calendar (list and month), a learner's registrations,
the attendance sheet, a supervisor's pending requests, and the iCalendar feed. Each is a
fixed number of queries, however many events or registrations there are."""

import calendar
import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from lms.events.models import Attendance, Event, EventSession, Registration
from lms.people.models import LearnerProfile


def _with_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    return events.select_related("partner", "city").annotate(
        confirmed_count=Count(
            "registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)
        ),
        waitlist_count=Count(
            "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
        ),
    )


def upcoming_events(*, city_id: int, now: datetime.datetime | None = None) -> list[Event]:
    """Published events of the city with a session still to come, soonest first; each with
    its sessions (prefetched) and seat counts. Two queries."""
    now = now or timezone.now()
    events = _with_counts(
        Event.objects.filter(city_id=city_id, is_published=True)
        .filter(sessions__ends_at__gte=now)
        .distinct()
    ).prefetch_related("sessions")
    result = list(events)
    result.sort(key=lambda e: (min(s.starts_at for s in e.sessions.all()), e.pk))
    return result


def registrations_by_event(*, learner: LearnerProfile | None, event_ids) -> dict[int, Registration]:
    if learner is None:
        return {}
    return {
        r.event_id: r
        for r in Registration.objects.filter(learner=learner, event_id__in=list(event_ids))
    }


@dataclass
class Day:
    date: datetime.date
    in_month: bool
    sessions: list[EventSession] = field(default_factory=list)


def month_weeks(*, city_id: int, tz: str, year: int, month: int) -> list[list[Day]]:
    """The month as weeks (Monday first) with the city's sessions on their local days.
    One query."""
    zone = ZoneInfo(tz)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, zone)
    days = {d: Day(date=d, in_month=d.month == month) for week in weeks for d in week}
    for session in (
        EventSession.objects.filter(
            event__city_id=city_id,
            event__is_published=True,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("event")
        .order_by("starts_at", "pk")
    ):
        days[timezone.localtime(session.starts_at, zone).date()].sessions.append(session)
    return [[days[d] for d in week] for week in weeks]


def event_for_learner_page(*, key) -> Event | None:
    return (
        _with_counts(Event.objects.filter(key=key))
        .prefetch_related("sessions")
        .select_related("agency")
        .first()
    )


def my_registrations(learner: LearnerProfile) -> list[Registration]:
    return list(
        Registration.objects.filter(learner=learner)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("event")
        .order_by("-queued_at")
    )


@dataclass
class SheetRow:
    registration: Registration
    present: bool


def attendance_sheet(session: EventSession) -> list[SheetRow]:
    """The confirmed registrations of the session's event, by name, with whether each was
    present. Two queries."""
    present = set(
        Attendance.objects.filter(session=session).values_list("registration_id", flat=True)
    )
    registrations = (
        Registration.objects.filter(event_id=session.event_id, status=Registration.Status.CONFIRMED)
        .select_related("learner")
        .order_by("learner__full_name", "pk")
    )
    return [SheetRow(registration=r, present=r.pk in present) for r in registrations]


def pending_for_supervisor(supervisor: LearnerProfile) -> list[Registration]:
    return list(
        Registration.objects.filter(
            learner__supervisor=supervisor, status=Registration.Status.PENDING
        )
        .select_related("learner", "event")
        .order_by("queued_at", "pk")
    )


def feed_sessions(learner: LearnerProfile) -> list[EventSession]:
    """Sessions of the events the learner holds a seat at (one query)."""
    return list(
        EventSession.objects.filter(
            event__registrations__learner=learner,
            event__registrations__status=Registration.Status.CONFIRMED,
        )
        .select_related("event")
        .prefetch_related(Prefetch("event__partner"))
        .order_by("starts_at", "pk")
    )
