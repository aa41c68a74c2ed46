"""Registration (waitlist, promotion, supervisor approval), check-in codes, the organiser's
sheet and crediting JP exactly once."""

import datetime
from unittest import mock

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses.models import LearningForm
from lms.events import services
from lms.events.models import Attendance, Registration
from lms.records.models import Certificate, CourseCompletion, JpCredit
from tests.factories import AgencyFactory, LearnerFactory, city_admin, trainer

from .conftest import make_event

pytestmark = pytest.mark.django_db
CONFIRMED, WAITLISTED = Registration.Status.CONFIRMED, Registration.Status.WAITLISTED


class RegistrationTests:
    def test_registering_twice_keeps_one_registration(self, city, learner):
        event = make_event(city)
        first = services.registration_create(learner=learner, event=event)
        second = services.registration_create(learner=learner, event=event)
        assert first.pk == second.pk
        assert Registration.objects.filter(event=event, learner=learner).count() == 1
        assert first.status == CONFIRMED

    def test_full_event_waitlists_and_cancellation_promotes_the_earliest(self, city):
        event = make_event(city, capacity=2)
        people = [LearnerFactory(city=city) for _ in range(4)]
        regs = [services.registration_create(learner=p, event=event) for p in people]
        assert [r.status for r in regs] == [CONFIRMED, CONFIRMED, WAITLISTED, WAITLISTED]
        services.registration_cancel(user=people[0].user, registration=regs[0])
        statuses = dict(Registration.objects.values_list("learner_id", "status"))
        assert statuses[people[0].pk] == Registration.Status.CANCELLED
        assert statuses[people[2].pk] == CONFIRMED  # first on the waitlist
        assert statuses[people[3].pk] == WAITLISTED
        assert Registration.objects.filter(event=event, status=CONFIRMED).count() == 2

    def test_cancelling_a_waitlisted_place_promotes_nobody(self, city):
        event = make_event(city, capacity=1)
        a, b, c = (LearnerFactory(city=city) for _ in range(3))
        services.registration_create(learner=a, event=event)
        reg_b = services.registration_create(learner=b, event=event)
        services.registration_create(learner=c, event=event)
        services.registration_cancel(user=b.user, registration=reg_b)
        assert Registration.objects.get(learner=c).status == WAITLISTED

    def test_register_again_after_cancelling_goes_to_the_back(self, city):
        event = make_event(city, capacity=1)
        a, b = LearnerFactory(city=city), LearnerFactory(city=city)
        reg_a = services.registration_create(learner=a, event=event)
        services.registration_create(learner=b, event=event)
        services.registration_cancel(user=a.user, registration=reg_a)
        again = services.registration_create(learner=a, event=event)
        assert again.pk == reg_a.pk and again.status == WAITLISTED

    def test_other_learner_cannot_cancel(self, city, learner):
        event = make_event(city)
        registration = services.registration_create(learner=learner, event=event)
        stranger = LearnerFactory(city=city)
        with pytest.raises(services.AccessDenied):
            services.registration_cancel(user=stranger.user, registration=registration)
        assert Registration.objects.get(pk=registration.pk).status == CONFIRMED

    def test_other_city_and_rules_refuse(self, city, other_city):
        parent = AgencyFactory(city=city)
        child = AgencyFactory(city=city, parent=parent)
        event = make_event(city, agency=parent, jabatan_type="fungsional")
        inside = LearnerFactory(city=city, agency=child, jabatan_type="fungsional")
        assert services.registration_create(learner=inside, event=event).status == CONFIRMED
        for outsider in (
            LearnerFactory(city=other_city),
            LearnerFactory(city=city, agency=AgencyFactory(city=city), jabatan_type="fungsional"),
            LearnerFactory(city=city, agency=child, jabatan_type="pelaksana"),
        ):
            with pytest.raises(services.AccessDenied):
                services.registration_create(learner=outsider, event=event)
        assert Registration.objects.count() == 1

    def test_registration_window(self, city, learner):
        now = timezone.now()
        early = make_event(city, registration_opens_at=now + datetime.timedelta(hours=1))
        late = make_event(
            city,
            registration_opens_at=now - datetime.timedelta(days=2),
            registration_closes_at=now - datetime.timedelta(hours=1),
        )
        for event in (early, late):
            with pytest.raises(ValidationError):
                services.registration_create(learner=learner, event=event)
        assert not Registration.objects.exists()


class ApprovalTests:
    def test_supervisor_approves_into_a_seat_and_others_are_refused(self, city):
        boss = LearnerFactory(city=city)
        other_boss = LearnerFactory(city=city)
        staff = LearnerFactory(city=city, supervisor=boss)
        event = make_event(city, requires_supervisor_approval=True)
        registration = services.registration_create(learner=staff, event=event)
        assert registration.status == Registration.Status.PENDING
        with pytest.raises(services.AccessDenied):
            services.registration_decide(
                user=other_boss.user, registration=registration, approve=True
            )
        with pytest.raises(services.AccessDenied):
            services.registration_decide(user=staff.user, registration=registration, approve=True)
        assert Registration.objects.get(pk=registration.pk).status == Registration.Status.PENDING
        decided = services.registration_decide(
            user=boss.user, registration=registration, approve=True
        )
        assert decided.status == CONFIRMED and decided.decided_by == boss.user

    def test_rejection_and_no_supervisor(self, city):
        boss = LearnerFactory(city=city)
        staff = LearnerFactory(city=city, supervisor=boss)
        event = make_event(city, requires_supervisor_approval=True)
        registration = services.registration_create(learner=staff, event=event)
        services.registration_decide(user=boss.user, registration=registration, approve=False)
        assert Registration.objects.get(pk=registration.pk).status == Registration.Status.REJECTED
        with pytest.raises(ValidationError, match="no supervisor"):
            services.registration_create(learner=LearnerFactory(city=city), event=event)


class CheckinTests:
    def test_code_checks_in_once_and_credits_once(self, city, learner, partner):
        event = make_event(city, partner=partner, session_minutes=180)
        services.registration_create(learner=learner, event=event)
        session = event.sessions.get()
        code = services.checkin_code(session)
        services.checkin(learner=learner, event=event, code=code)
        services.checkin(learner=learner, event=event, code=code)
        assert Attendance.objects.count() == 1
        credits = JpCredit.objects.filter(learner=learner, source=JpCredit.Source.EVENT_ATTENDANCE)
        assert [(c.jp, c.source_key) for c in credits] == [(4, str(event.key))]
        completion = CourseCompletion.objects.get(learner=learner)
        assert completion.course_key == event.key
        assert completion.organiser == "Universitas Andalas"
        assert completion.learning_form == LearningForm.WORKSHOP
        assert Certificate.objects.filter(completion=completion).count() == 1
        # Crediting again changes nothing.
        assert services.credit_if_earned(registration=Registration.objects.get()) is None
        assert JpCredit.objects.filter(learner=learner).count() == 1

    def test_expired_code_is_refused(self, city, learner):
        event = make_event(city, checkin_code_minutes=10)
        services.registration_create(learner=learner, event=event)
        code = services.checkin_code(event.sessions.get())
        later = timezone.now().timestamp() + 11 * 60
        with (
            mock.patch("django.core.signing.time.time", return_value=later),
            pytest.raises(ValidationError, match="expired") as exc,
        ):
            services.checkin(learner=learner, event=event, code=code)
        assert exc.value.code == "expired"
        assert not Attendance.objects.exists()

    def test_foreign_and_forged_codes_are_refused(self, city, other_city, learner):
        event = make_event(city)
        other_event = make_event(city)
        far_event = make_event(other_city)
        services.registration_create(learner=learner, event=event)
        cases = {
            "other_event": services.checkin_code(other_event.sessions.get()),
            "other_city": services.checkin_code(far_event.sessions.get()),
            "invalid": services.checkin_code(event.sessions.get()) + "x",
        }
        forged = signing.TimestampSigner(salt="other").sign(f"{city.pk}:{event.key}:x")
        cases["invalid "] = forged
        for expected, code in cases.items():
            with pytest.raises(ValidationError) as exc:
                services.checkin(learner=learner, event=event, code=code)
            assert exc.value.code == expected.strip()
        assert not Attendance.objects.exists()

    def test_not_registered_cannot_check_in(self, city, learner):
        event = make_event(city)
        with pytest.raises(ValidationError, match="not registered"):
            services.checkin(
                learner=learner, event=event, code=services.checkin_code(event.sessions.get())
            )

    def test_share_below_minimum_credits_nothing_until_reached(self, city, learner):
        event = make_event(city, sessions=4, min_attendance_percent=75, session_minutes=90)
        services.registration_create(learner=learner, event=event)
        sessions = list(event.sessions.all())
        for session in sessions[:2]:
            services.checkin(learner=learner, event=event, code=services.checkin_code(session))
        assert not JpCredit.objects.exists()
        services.checkin(learner=learner, event=event, code=services.checkin_code(sessions[2]))
        assert JpCredit.objects.get().jp == 6  # three sessions of 90 minutes
        services.checkin(learner=learner, event=event, code=services.checkin_code(sessions[3]))
        assert JpCredit.objects.get().jp == 6

    def test_internship_credits_20_jp(self, city, learner):
        event = make_event(city, learning_form=LearningForm.INTERNSHIP, sessions=2)
        services.registration_create(learner=learner, event=event)
        for session in event.sessions.all():
            services.checkin(learner=learner, event=event, code=services.checkin_code(session))
        assert JpCredit.objects.get().jp == 20

    def test_coaching_cap_of_twice_a_month_across_events(self, city, learner):
        first = datetime.datetime(2026, 12, 3, 2, 0, tzinfo=datetime.UTC)
        events = [
            make_event(
                city,
                learning_form=LearningForm.COACHING,
                first_session=first + datetime.timedelta(days=n),
                session_minutes=60,
            )
            for n in range(3)
        ]
        january = make_event(
            city,
            learning_form=LearningForm.COACHING,
            first_session=datetime.datetime(2027, 1, 5, 2, 0, tzinfo=datetime.UTC),
            session_minutes=60,
        )
        for event in [*events, january]:
            services.registration_create(learner=learner, event=event)
            services.checkin(
                learner=learner, event=event, code=services.checkin_code(event.sessions.get())
            )
        jp = {c.source_key: c.jp for c in JpCredit.objects.filter(learner=learner)}
        assert jp == {str(events[0].key): 2, str(events[1].key): 2, str(january.key): 2}
        third = Registration.objects.get(event=events[2])
        assert third.credited_at is not None and third.credited_jp == 0
        assert not CourseCompletion.objects.filter(course_key=events[2].key).exists()

    def test_city_admin_override(self, city, learner):
        event = make_event(city, jp_override=5, session_minutes=600)
        services.registration_create(learner=learner, event=event)
        services.checkin(
            learner=learner, event=event, code=services.checkin_code(event.sessions.get())
        )
        assert JpCredit.objects.get().jp == 5


class AttendanceSheetTests:
    def test_organiser_marks_and_unmarks(self, city):
        event = make_event(city, sessions=1)
        a, b = LearnerFactory(city=city), LearnerFactory(city=city)
        reg_a = services.registration_create(learner=a, event=event)
        reg_b = services.registration_create(learner=b, event=event)
        session = event.sessions.get()
        organiser = trainer(city)
        assert (
            services.attendance_mark(user=organiser, session=session, present_ids=[reg_a.pk]) == 1
        )
        assert JpCredit.objects.filter(learner=a).exists()
        # Unmarking a credited learner keeps their attendance; b is added.
        services.attendance_mark(user=organiser, session=session, present_ids=[reg_b.pk])
        assert set(Attendance.objects.values_list("registration_id", flat=True)) == {
            reg_a.pk,
            reg_b.pk,
        }

    def test_other_city_admin_and_learners_are_refused(self, city, other_city, learner):
        event = make_event(city)
        registration = services.registration_create(learner=learner, event=event)
        session = event.sessions.get()
        for user in (city_admin(other_city), learner.user):
            with pytest.raises(services.AccessDenied):
                services.attendance_mark(user=user, session=session, present_ids=[registration.pk])
        assert not Attendance.objects.exists()

    def test_unknown_registration_changes_nothing(self, city, learner):
        event = make_event(city)
        other = make_event(city)
        foreign = services.registration_create(learner=learner, event=other)
        with pytest.raises(ValidationError):
            services.attendance_mark(
                user=city_admin(city), session=event.sessions.get(), present_ids=[foreign.pk]
            )
        assert not Attendance.objects.exists()
