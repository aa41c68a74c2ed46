"""Learner, supervisor and organiser pages of the events app (phone-first). Thin: services
write, selectors read, lms.people.permissions decides who may."""

import datetime
from zoneinfo import ZoneInfo

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.events import selectors, services
from lms.events.forms import CheckinForm, DecisionForm, MonthForm
from lms.events.ical import calendar_text
from lms.events.models import CalendarFeed, Event, EventSession, Registration
from lms.records.selectors import learner_of


def _refused(request, message, status=403):
    return render(request, "learning/refused.html", {"message": message}, status=status)


def _no_profile(request):
    return render(request, "learning/no_profile.html")


def _messages_of(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _learner_event(learner, key) -> Event:
    """An event the learner may see: published, of their city."""
    event = selectors.event_for_learner_page(key=key)
    if event is None or not event.is_published or event.city_id != learner.city_id:
        raise Http404
    return event


# --- learner ------------------------------------------------------------------------------


@login_required
@require_GET
def event_list(request):
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    events = selectors.upcoming_events(city_id=learner.city_id)
    registrations = selectors.registrations_by_event(
        learner=learner, event_ids=[e.pk for e in events]
    )
    rows = [(event, registrations.get(event.pk)) for event in events]
    feed = services.calendar_feed_of(learner)
    return render(
        request,
        "events/list.html",
        {
            "learner": learner,
            "rows": rows,
            "feed_url": request.build_absolute_uri(reverse("events:feed", args=[feed.token])),
            "is_supervisor": learner.direct_staff.exists(),
        },
    )


@login_required
@require_GET
def event_month(request):
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    tz = learner.city.timezone
    today = timezone.localtime(timezone.now(), ZoneInfo(tz)).date()
    form = MonthForm(request.GET)
    if form.is_valid() and form.cleaned_data["bulan"]:
        year, month = (int(p) for p in form.cleaned_data["bulan"].split("-"))
    else:
        year, month = today.year, today.month
    first = datetime.date(year, month, 1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=31)).replace(day=1)
    weeks = selectors.month_weeks(city_id=learner.city_id, tz=tz, year=year, month=month)
    return render(
        request,
        "events/month.html",
        {
            "weeks": weeks,
            "month": first,
            "today": today,
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "tz": tz,
        },
    )


@login_required
@require_GET
def event_detail(request, key):
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    event = _learner_event(learner, key)
    registration = Registration.objects.filter(event=event, learner=learner).first()
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "registration": registration,
            "problem": services.eligibility_problem(event, learner),
            "now": timezone.now(),
            "can_organise": services.can_organise(request.user, event),
        },
    )


@login_required
@require_POST
def event_register(request, key):
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    event = _learner_event(learner, key)
    try:
        registration = services.registration_create(learner=learner, event=event)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("events:detail", key=event.key)
    text = {
        Registration.Status.CONFIRMED: _("You are registered. See you there!"),
        Registration.Status.WAITLISTED: _(
            "The event is full: you are on the waitlist and get a seat as soon as one frees up."
        ),
        Registration.Status.PENDING: _("Your request was sent to your supervisor for approval."),
    }[registration.status]
    messages.success(request, text)
    return redirect("events:detail", key=event.key)


@login_required
@require_POST
def event_cancel(request, key):
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    event = _learner_event(learner, key)
    registration = Registration.objects.filter(event=event, learner=learner).first()
    if registration is None:
        messages.error(request, _("You are not registered for this event."))
        return redirect("events:detail", key=event.key)
    try:
        services.registration_cancel(user=request.user, registration=registration)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("events:detail", key=event.key)
    messages.success(request, _("Your registration is cancelled."))
    return redirect("events:detail", key=event.key)


@login_required
@require_http_methods(["GET", "POST"])
def event_checkin(request, key):
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    event = _learner_event(learner, key)
    if request.method == "POST":
        form = CheckinForm(request.POST)
        if form.is_valid():
            try:
                attendance = services.checkin(
                    learner=learner, event=event, code=form.cleaned_data["code"]
                )
            except ValidationError as exc:
                form.add_error("code", exc)
            else:
                messages.success(
                    request,
                    _("You are checked in for the session of %(when)s.")
                    % {
                        "when": timezone.localtime(
                            attendance.session.starts_at, ZoneInfo(event.city.timezone)
                        ).strftime("%d-%m-%Y %H:%M")
                    },
                )
                return redirect("events:detail", key=event.key)
        status = 400
    else:
        form = CheckinForm(initial={"code": request.GET.get("kode", "")})
        status = 200
    return render(request, "events/checkin.html", {"event": event, "form": form}, status=status)


def feed(request, token):
    """The learner's iCalendar feed; the token in the URL is the only credential."""
    calendar_feed = (
        CalendarFeed.objects.select_related("learner").filter(token=token).first()
        if len(token) <= 64
        else None
    )
    if calendar_feed is None or not calendar_feed.learner.is_active:
        raise Http404
    items = []
    for session in selectors.feed_sessions(calendar_feed.learner):
        event = session.event
        items.append(
            {
                "uid": f"{session.key}@asn-digital",
                "start": session.starts_at,
                "end": session.ends_at,
                "summary": event.title + (f" — {session.topic}" if session.topic else ""),
                "location": event.place or event.online_url,
                "description": event.description,
                "url": request.build_absolute_uri(reverse("events:detail", args=[event.key])),
            }
        )
    response = HttpResponse(
        calendar_text(name=_("ASN Digital events"), events=items),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def feed_reset(request):
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    services.calendar_feed_reset(learner)
    messages.success(request, _("Your calendar link is new; the old link no longer works."))
    return redirect("events:list")


# --- supervisor ---------------------------------------------------------------------------


@login_required
@require_GET
def approvals(request):
    learner = learner_of(request.user)
    if learner is None:
        return _no_profile(request)
    return render(
        request,
        "events/approvals.html",
        {"pending": selectors.pending_for_supervisor(learner), "form": DecisionForm()},
    )


@login_required
@require_POST
def approval_decide(request, pk):
    registration = get_object_or_404(Registration.objects.select_related("event"), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("events:approvals")
    try:
        registration = services.registration_decide(
            user=request.user,
            registration=registration,
            approve=form.cleaned_data["decision"] == "approve",
        )
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    messages.success(
        request, _("Decision saved: %(status)s.") % {"status": registration.get_status_display()}
    )
    return redirect("events:approvals")


# --- organiser ----------------------------------------------------------------------------


def _organised_session(request, key) -> EventSession:
    session = get_object_or_404(EventSession.objects.select_related("event__city"), key=key)
    if not services.can_organise(request.user, session.event):
        raise PermissionDenied
    return session


@login_required
@require_http_methods(["GET", "POST"])
def attendance_sheet(request, key):
    try:
        session = _organised_session(request, key)
    except PermissionDenied:
        return _refused(request, _("You may only take attendance at events of your own city."))
    status = 200
    if request.method == "POST":
        ids = request.POST.getlist("present")
        if not all(value.isdigit() for value in ids):
            messages.error(request, _("The attendance sheet was not understood; nothing changed."))
            status = 400
        else:
            try:
                count = services.attendance_mark(
                    user=request.user, session=session, present_ids=ids
                )
            except ValidationError as exc:
                messages.error(request, _messages_of(exc))
                status = 400
            else:
                messages.success(
                    request, _("Attendance saved: %(count)d present.") % {"count": count}
                )
                return redirect("events:sheet", key=session.key)
    return render(
        request,
        "events/sheet.html",
        {"session": session, "event": session.event, "rows": selectors.attendance_sheet(session)},
        status=status,
    )


@login_required
@require_GET
def session_qr(request, key):
    try:
        session = _organised_session(request, key)
    except PermissionDenied:
        return _refused(request, _("You may only take attendance at events of your own city."))
    code = services.checkin_code(session)
    url = request.build_absolute_uri(
        reverse("events:checkin", args=[session.event.key]) + "?kode=" + code
    )
    svg = segno.make(url, error="m").svg_inline(scale=6)
    return render(
        request,
        "events/qr.html",
        {
            "session": session,
            "event": session.event,
            "code": code,
            "url": url,
            "svg": svg,
            # Refresh before the code runs out, so a screen on the wall always shows a valid one.
            "refresh_seconds": max(30, session.event.checkin_code_minutes * 60 // 2),
        },
    )


@login_required
@require_GET
def organise(request, key):
    event = get_object_or_404(Event.objects.select_related("city"), key=key)
    if not services.can_organise(request.user, event):
        return _refused(request, _("You may only take attendance at events of your own city."))
    event = selectors.event_for_learner_page(key=key)
    return render(request, "events/organise.html", {"event": event})
