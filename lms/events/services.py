"""Writes of the events app: registration (waitlist, promotion, supervisor approval),
attendance (the organiser's sheet, the learner's check-in code) and crediting the event
once the learner attended enough (through lms.records.event_services).

Every change to an event's registrations holds the event row's lock (SELECT ... FOR
UPDATE on PostgreSQL; SQLite serialises writers), so concurrent registrations never take
more seats than the capacity and the waitlist is promoted in order.
"""

import datetime
from zoneinfo import ZoneInfo

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.events import jp_rules
from lms.events.models import Attendance, CalendarFeed, Event, EventSession, Registration
from lms.people import permissions
from lms.people.models import LearnerProfile
from lms.records import event_services

CHECKIN_SALT = "lms.events.checkin"
ACTIVE = (
    Registration.Status.PENDING,
    Registration.Status.CONFIRMED,
    Registration.Status.WAITLISTED,
)


class AccessDenied(PermissionDenied):
    """The user may not do this; the message says why (shown as is)."""


# --- who may register -------------------------------------------------------------------


def eligibility_problem(event: Event, learner: LearnerProfile) -> str | None:
    """Why this learner may not register for the event, or None. The rule matches learners
    like lms.records' EnrolmentRule: city, agency subtree, position type."""
    if event.city_id != learner.city_id:
        return _("This event is for the civil servants of %(city)s.") % {"city": event.city}
    if event.jabatan_type and event.jabatan_type != learner.jabatan_type:
        return _("This event is only for the position type %(type)s.") % {
            "type": event.get_jabatan_type_display()
        }
    if event.agency_id is not None:
        agency = learner.agency
        if agency is None or not agency.path.startswith(event.agency.path):
            return _("This event is only for the staff of %(agency)s.") % {"agency": event.agency}
    return None


def _locked_event(event: Event) -> Event:
    events = Event.objects.select_related("city", "agency")
    if connection.features.has_select_for_update:
        events = events.select_for_update(of=("self",))
    return events.get(pk=event.pk)


def _confirmed_count(event: Event) -> int:
    return Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED).count()


def _seat_or_waitlist(event: Event) -> str:
    if _confirmed_count(event) < event.capacity:
        return Registration.Status.CONFIRMED
    return Registration.Status.WAITLISTED


def _promote(event: Event) -> list[Registration]:
    """Give free seats to the waitlist, earliest first (under the event's lock)."""
    free = event.capacity - _confirmed_count(event)
    if free <= 0:
        return []
    promoted = list(
        Registration.objects.filter(event=event, status=Registration.Status.WAITLISTED).order_by(
            "queued_at", "pk"
        )[:free]
    )
    for registration in promoted:
        registration.status = Registration.Status.CONFIRMED
        registration.save(update_fields=["status", "updated_at"])
    return promoted


def registration_create(
    *, learner: LearnerProfile, event: Event, now: datetime.datetime | None = None
) -> Registration:
    """Register the learner: a seat while there is one, else the waitlist; or, where the
    event asks for it, a request to their supervisor first. Registering twice returns the
    same registration."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _locked_event(event)
        existing = Registration.objects.filter(event=event, learner=learner).first()
        if existing is not None and existing.status in ACTIVE:
            return existing
        if not event.is_published:
            raise ValidationError(_("This event is not open for registration."))
        if now < event.registration_opens_at:
            raise ValidationError(_("Registration for this event has not opened yet."))
        if now >= event.registration_closes_at:
            raise ValidationError(_("Registration for this event has closed."))
        problem = eligibility_problem(event, learner)
        if problem:
            raise AccessDenied(problem)
        if event.requires_supervisor_approval:
            if learner.supervisor_id is None:
                raise ValidationError(
                    _(
                        "This event needs your supervisor's approval, but no supervisor is "
                        "recorded for you. Ask your BKPSDM to record your supervisor."
                    )
                )
            status = Registration.Status.PENDING
        else:
            status = _seat_or_waitlist(event)
        registration = existing or Registration(event=event, learner=learner)
        registration.status = status
        registration.queued_at = now
        registration.decided_by = None
        registration.save()
        return registration


def registration_cancel(*, user, registration: Registration) -> Registration:
    """Cancel a registration (the learner themself, or an admin of the event's city); a
    freed seat goes to the first on the waitlist."""
    with transaction.atomic():
        event = _locked_event(registration.event)
        registration = Registration.objects.select_related("learner").get(pk=registration.pk)
        own = permissions.roles_of(user).profile_id == registration.learner_id
        if not own and not permissions.can_manage_city(user, event.city_id):
            raise AccessDenied(_("You may only cancel your own registration."))
        if registration.status not in ACTIVE:
            return registration
        if registration.credited_at is not None:
            raise ValidationError(_("You attended this event already; it cannot be cancelled."))
        was_confirmed = registration.status == Registration.Status.CONFIRMED
        registration.status = Registration.Status.CANCELLED
        registration.save(update_fields=["status", "updated_at"])
        if was_confirmed:
            _promote(event)
        return registration


def registration_decide(*, user, registration: Registration, approve: bool) -> Registration:
    """The learner's supervisor approves (a seat or the waitlist) or rejects a request."""
    with transaction.atomic():
        event = _locked_event(registration.event)
        registration = Registration.objects.select_related("learner").get(pk=registration.pk)
        supervisor_id = permissions.roles_of(user).profile_id
        if supervisor_id is None or registration.learner.supervisor_id != supervisor_id:
            raise AccessDenied(_("Only the learner's own supervisor may decide on this request."))
        if registration.status != Registration.Status.PENDING:
            return registration
        registration.status = _seat_or_waitlist(event) if approve else Registration.Status.REJECTED
        registration.decided_by = user
        registration.save(update_fields=["status", "decided_by", "updated_at"])
        return registration


# --- attendance ---------------------------------------------------------------------------


def can_organise(user, event: Event) -> bool:
    """The city's admins and trainers (and national admins) run the attendance sheet."""
    return permissions.can_manage_city(user, event.city_id) or permissions.is_trainer(
        user, event.city_id
    )


def checkin_code(session: EventSession) -> str:
    """A signed, time-stamped code for one session; it names the city, event and session,
    and expires Event.checkin_code_minutes after it was made."""
    event = session.event
    return signing.TimestampSigner(salt=CHECKIN_SALT).sign(
        f"{event.city_id}:{event.key}:{session.key}"
    )


def _session_of_code(*, code: str, event: Event, learner: LearnerProfile) -> EventSession:
    signer = signing.TimestampSigner(salt=CHECKIN_SALT)
    code = (code or "").strip()
    try:
        value = signer.unsign(code, max_age=datetime.timedelta(minutes=event.checkin_code_minutes))
    except signing.SignatureExpired:
        raise ValidationError(
            _("This session code has expired. Ask the organiser to show the current code."),
            code="expired",
        ) from None
    except signing.BadSignature:
        raise ValidationError(
            _("This is not a valid session code. Scan the QR code again or copy it exactly."),
            code="invalid",
        ) from None
    city_id, event_key, session_key = (value.split(":") + ["", "", ""])[:3]
    if city_id != str(learner.city_id) or city_id != str(event.city_id):
        raise ValidationError(
            _("This session code belongs to an event of another city."), code="other_city"
        )
    if event_key != str(event.key):
        raise ValidationError(_("This session code belongs to another event."), code="other_event")
    session = EventSession.objects.filter(event=event, key=session_key).first()
    if session is None:
        raise ValidationError(_("This session code belongs to another event."), code="other_event")
    return session


def checkin(*, learner: LearnerProfile, event: Event, code: str) -> Attendance:
    """The learner checks in to a session with its code (scanned or typed). Checking in
    twice keeps one attendance."""
    session = _session_of_code(code=code, event=event, learner=learner)
    registration = Registration.objects.filter(
        event=event, learner=learner, status=Registration.Status.CONFIRMED
    ).first()
    if registration is None:
        raise ValidationError(
            _("You are not registered for this event, so you cannot check in."),
            code="not_registered",
        )
    with transaction.atomic():
        attendance, _created = Attendance.objects.get_or_create(
            session=session,
            registration=registration,
            defaults={"method": Attendance.Method.QR},
        )
    credit_if_earned(registration=registration)
    return attendance


def attendance_mark(*, user, session: EventSession, present_ids) -> int:
    """The organiser's sheet: exactly these confirmed registrations were present at the
    session. Attendance already credited stays. Returns how many are present now."""
    event = session.event
    if not can_organise(user, event):
        raise AccessDenied(_("You may only take attendance at events of your own city."))
    confirmed = {
        r.pk: r
        for r in Registration.objects.filter(event=event, status=Registration.Status.CONFIRMED)
    }
    present = {int(pk) for pk in present_ids}
    unknown = present - confirmed.keys()
    if unknown:
        raise ValidationError(_("Some of the people marked are not registered for this event."))
    with transaction.atomic():
        existing = set(
            Attendance.objects.filter(session=session).values_list("registration_id", flat=True)
        )
        Attendance.objects.bulk_create(
            [
                Attendance(
                    session=session,
                    registration_id=pk,
                    method=Attendance.Method.ORGANISER,
                    marked_by=user,
                )
                for pk in sorted(present - existing)
            ],
            ignore_conflicts=True,
        )
        removable = [
            pk for pk in existing - present if pk in confirmed and confirmed[pk].credited_at is None
        ]
        Attendance.objects.filter(session=session, registration_id__in=removable).delete()
    for pk in sorted(present - existing):
        credit_if_earned(registration=confirmed[pk])
    return Attendance.objects.filter(session=session).count()


# --- JP credit ----------------------------------------------------------------------------


def _month(moment: datetime.datetime, tz: str) -> tuple[int, int]:
    local = timezone.localtime(moment, ZoneInfo(tz))
    return (local.year, local.month)


def credit_if_earned(*, registration: Registration):
    """Credit the event's JP and completion once the learner attended the event's minimum
    share of sessions; exactly once (the registration row is locked and marked). Returns
    the completion, or None while the share is not reached (or the cap leaves no JP)."""
    with transaction.atomic():
        registrations = Registration.objects.select_related("event__city", "event__partner")
        if connection.features.has_select_for_update:
            registrations = registrations.select_for_update(of=("self",))
        registration = registrations.get(pk=registration.pk)
        if registration.credited_at is not None or registration.status != "confirmed":
            return None
        event = registration.event
        tz = event.city.timezone
        sessions = list(event.sessions.all())
        attended = list(
            Attendance.objects.filter(registration=registration).select_related("session")
        )
        if not sessions or len(attended) * 100 < event.min_attendance_percent * len(sessions):
            return None
        learner = LearnerProfile.objects.get(pk=registration.learner_id)
        already = {}
        if jp_rules.is_per_session(event.learning_form):
            for starts_at in (
                Attendance.objects.filter(
                    registration__learner_id=learner.pk,
                    jp_counted=True,
                    registration__event__learning_form__in=jp_rules.PER_SESSION_FORMS,
                )
                .exclude(registration=registration)
                .values_list("session__starts_at", flat=True)
            ):
                month = _month(starts_at, tz)
                already[month] = already.get(month, 0) + 1
        decision = jp_rules.event_jp(
            learning_form=event.learning_form,
            attended=[
                jp_rules.AttendedSession(
                    session_id=a.session_id,
                    minutes=a.session.minutes,
                    month=_month(a.session.starts_at, tz),
                )
                for a in attended
            ],
            override=event.jp_override,
            already_counted_by_month=already,
        )
        Attendance.objects.filter(
            registration=registration, session_id__in=decision.counted_session_ids
        ).update(jp_counted=True)
        registration.credited_at = timezone.now()
        registration.credited_jp = decision.jp
        registration.save(update_fields=["credited_at", "credited_jp", "updated_at"])
        if decision.jp < 1:
            return None
        local_dates = sorted(
            timezone.localtime(a.session.starts_at, ZoneInfo(tz)).date() for a in attended
        )
        return event_services.event_completion_record(
            learner=learner,
            event_key=event.key,
            title=event.title,
            organiser=event.partner.name if event.partner else event.city.bkpsdm_name,
            learning_form=event.learning_form,
            jp=decision.jp,
            started_on=timezone.localtime(sessions[0].starts_at, ZoneInfo(tz)).date(),
            completed_on=local_dates[-1],
            criteria={
                "event": str(event.key),
                "min_attendance_percent": event.min_attendance_percent,
                "sessions": len(sessions),
                "attended": len(attended),
                "jp_override": event.jp_override,
            },
        )


# --- calendar feed ------------------------------------------------------------------------


def calendar_feed_of(learner: LearnerProfile) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(learner=learner)
    return feed


def calendar_feed_reset(learner: LearnerProfile) -> CalendarFeed:
    """A new secret: the old feed URL stops working (e.g. after it was shared)."""
    feed = calendar_feed_of(learner)
    feed.token = CalendarFeed._meta.get_field("token").default()
    feed.save(update_fields=["token"])
    return feed
