"""The learner, supervisor and organiser pages, the calendar feed and the Wagtail admin
screens: who may, who is refused, bad input, and query counts that do not grow."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from lms.events import services
from lms.events.models import Attendance, CalendarFeed, Event, Partner, Registration
from lms.records.models import JpCredit
from tests.factories import LearnerFactory, city_admin, national_admin, trainer

from .conftest import make_event

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


class LearnerPageTests:
    def test_register_check_in_and_see_jp_on_home(self, client, city, learner):
        event = make_event(city, session_minutes=90)
        login(client, learner.user)
        response = client.post(reverse("events:register", args=[event.key]))
        assert response.status_code == 302
        assert Registration.objects.get().status == Registration.Status.CONFIRMED
        code = services.checkin_code(event.sessions.get())
        page = client.get(reverse("events:checkin", args=[event.key]), {"kode": code})
        assert code in page.content.decode()
        response = client.post(reverse("events:checkin", args=[event.key]), {"code": code})
        assert response.status_code == 302
        assert JpCredit.objects.get(learner=learner).jp == 2
        home = client.get(reverse("learning:home"))
        assert home.status_code == 200
        assert event.title in home.content.decode()

    def test_bad_code_shows_message_and_changes_nothing(self, client, city, learner):
        event = make_event(city)
        services.registration_create(learner=learner, event=event)
        login(client, learner.user)
        url = reverse("events:checkin", args=[event.key])
        for data, text in (
            ({"code": ""}, "Enter the session code."),
            ({"code": "nonsense"}, "not a valid session code"),
            ({"code": "x" * 400}, "at most 300"),
        ):
            response = client.post(url, data)
            assert response.status_code == 400
            assert text in response.content.decode()
        assert not Attendance.objects.exists()

    def test_id_learner_sees_indonesian_refusal_of_foreign_code(self, id_client, city, learner):
        event, other = make_event(city), make_event(city)
        services.registration_create(learner=learner, event=event)
        id_client.force_login(learner.user)
        response = id_client.post(
            reverse("events:checkin", args=[event.key]),
            {"code": services.checkin_code(other.sessions.get())},
        )
        assert response.status_code == 400
        assert not Attendance.objects.exists()

    def test_other_city_event_is_not_found(self, client, other_city, learner):
        event = make_event(other_city)
        login(client, learner.user)
        assert client.get(reverse("events:detail", args=[event.key])).status_code == 404
        assert client.post(reverse("events:register", args=[event.key])).status_code == 404
        assert not Registration.objects.exists()

    def test_another_learner_cannot_cancel_or_check_in_for_someone(self, client, city, learner):
        event = make_event(city)
        registration = services.registration_create(learner=learner, event=event)
        stranger = LearnerFactory(city=city)
        login(client, stranger.user)
        # The stranger's own (missing) registration is the only one these pages touch.
        client.post(reverse("events:cancel", args=[event.key]))
        client.post(
            reverse("events:checkin", args=[event.key]),
            {"code": services.checkin_code(event.sessions.get())},
        )
        registration.refresh_from_db()
        assert registration.status == Registration.Status.CONFIRMED
        assert not Attendance.objects.exists()
        sheet = client.post(
            reverse("events:sheet", args=[event.sessions.get().key]),
            {"present": [registration.pk]},
        )
        assert sheet.status_code == 403
        assert not Attendance.objects.exists()

    def test_cancel_promotes_from_the_waitlist(self, client, city, learner):
        event = make_event(city, capacity=1)
        services.registration_create(learner=learner, event=event)
        waiting = LearnerFactory(city=city)
        services.registration_create(learner=waiting, event=event)
        login(client, learner.user)
        client.post(reverse("events:cancel", args=[event.key]))
        assert Registration.objects.get(learner=waiting).status == Registration.Status.CONFIRMED

    def test_list_and_month_queries_do_not_grow(
        self, client, city, learner, django_assert_max_num_queries
    ):
        def add(n):
            for _ in range(n):
                event = make_event(city, sessions=2, capacity=3)
                for _ in range(2):
                    services.registration_create(learner=LearnerFactory(city=city), event=event)

        add(1)
        login(client, learner.user)
        month = timezone.localtime(timezone.now() + datetime.timedelta(days=2))
        month_url = reverse("events:month") + f"?bulan={month:%Y-%m}"
        client.get(reverse("events:list"))  # makes the feed token
        with django_assert_max_num_queries(16) as few:
            assert client.get(reverse("events:list")).status_code == 200
        with django_assert_max_num_queries(16) as few_month:
            assert client.get(month_url).status_code == 200
        add(6)
        with django_assert_max_num_queries(len(few.captured_queries)):
            page = client.get(reverse("events:list"))
        assert page.content.decode().count("event-card") == 7
        with django_assert_max_num_queries(len(few_month.captured_queries)):
            client.get(month_url)

    def test_bad_month_falls_back_to_this_month(self, client, learner):
        login(client, learner.user)
        assert client.get(reverse("events:month"), {"bulan": "2026-13"}).status_code == 200
        assert client.get(reverse("events:month"), {"bulan": "x"}).status_code == 200


class FeedTests:
    def test_feed_lists_confirmed_sessions_only_by_token(self, client, city, learner):
        event = make_event(city, sessions=2, title="Seminar Keamanan Siber; 2026")
        waitlisted = make_event(city, capacity=1, title="Penuh")
        services.registration_create(learner=LearnerFactory(city=city), event=waitlisted)
        services.registration_create(learner=learner, event=event)
        services.registration_create(learner=learner, event=waitlisted)
        feed = services.calendar_feed_of(learner)
        response = client.get(reverse("events:feed", args=[feed.token]))
        body = response.content.decode()
        assert response["Content-Type"].startswith("text/calendar")
        assert body.count("BEGIN:VEVENT") == 2
        assert "Seminar Keamanan Siber\\; 2026" in body
        assert "Penuh" not in body
        assert client.get(reverse("events:feed", args=["wrong"])).status_code == 404

    def test_reset_makes_the_old_link_stop_working(self, client, learner):
        old = services.calendar_feed_of(learner).token
        login(client, learner.user)
        client.post(reverse("events:feed-reset"))
        assert CalendarFeed.objects.get(learner=learner).token != old
        client.logout()
        assert client.get(reverse("events:feed", args=[old])).status_code == 404


class ApprovalPageTests:
    def test_supervisor_approves_on_their_page_others_are_refused(self, client, city):
        boss, other = LearnerFactory(city=city), LearnerFactory(city=city)
        staff = LearnerFactory(city=city, supervisor=boss)
        event = make_event(city, requires_supervisor_approval=True)
        registration = services.registration_create(learner=staff, event=event)
        login(client, boss.user)
        assert staff.full_name in client.get(reverse("events:approvals")).content.decode()
        login(client, other.user)
        assert staff.full_name not in client.get(reverse("events:approvals")).content.decode()
        url = reverse("events:decide", args=[registration.pk])
        assert client.post(url, {"decision": "approve"}).status_code == 403
        login(client, boss.user)
        client.post(url, {"decision": "maybe"})
        assert Registration.objects.get().status == Registration.Status.PENDING
        client.post(url, {"decision": "approve"})
        assert Registration.objects.get().status == Registration.Status.CONFIRMED


class OrganiserPageTests:
    def test_sheet_and_qr(self, client, city, django_assert_max_num_queries):
        event = make_event(city)
        session = event.sessions.get()
        registrations = [
            services.registration_create(learner=LearnerFactory(city=city), event=event)
            for _ in range(2)
        ]
        login(client, trainer(city))
        url = reverse("events:sheet", args=[session.key])
        with django_assert_max_num_queries(16) as few:
            assert client.get(url).status_code == 200
        for _ in range(5):
            services.registration_create(learner=LearnerFactory(city=city), event=event)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(url).status_code == 200
        response = client.post(url, {"present": [registrations[0].pk]})
        assert response.status_code == 302
        assert Attendance.objects.get().registration == registrations[0]
        assert client.post(url, {"present": ["abc"]}).status_code == 400
        assert Attendance.objects.count() == 1
        qr = client.get(reverse("events:qr", args=[session.key]))
        assert qr.status_code == 200 and b"<svg" in qr.content

    def test_other_city_admin_is_refused(self, client, city, other_city):
        event = make_event(city)
        session = event.sessions.get()
        login(client, city_admin(other_city))
        assert client.get(reverse("events:sheet", args=[session.key])).status_code == 403
        assert client.get(reverse("events:qr", args=[session.key])).status_code == 403
        assert client.get(reverse("events:organise", args=[event.key])).status_code == 403


class AdminTests:
    def test_city_admin_sees_and_edits_only_own_city(self, client, city, other_city):
        own, foreign = (
            make_event(city, title="Milik Sendiri"),
            make_event(other_city, title="Asing"),
        )
        login(client, city_admin(city))
        index = client.get(reverse("events_event:index"))
        assert index.status_code == 200
        assert "Milik Sendiri" in index.content.decode()
        assert "Asing" not in index.content.decode()
        assert client.get(reverse("events_event:edit", args=[own.pk])).status_code == 200
        assert client.get(reverse("events_event:edit", args=[foreign.pk])).status_code == 404
        assert client.post(reverse("events_event:delete", args=[foreign.pk])).status_code == 404
        assert Event.objects.filter(pk=foreign.pk).exists()

    def test_city_admin_cannot_create_for_another_city(self, client, city, other_city):
        login(client, city_admin(city))
        now = timezone.now()
        data = {
            "title": "Bimtek",
            "city": other_city.pk,
            "learning_form": "workshop",
            "place": "Aula",
            "capacity": 10,
            "registration_opens_at": f"{now:%Y-%m-%d %H:%M}",
            "registration_closes_at": f"{now + datetime.timedelta(days=3):%Y-%m-%d %H:%M}",
            "min_attendance_percent": 80,
            "checkin_code_minutes": 15,
            "is_published": "on",
            "sessions-TOTAL_FORMS": 1,
            "sessions-INITIAL_FORMS": 0,
            "sessions-MIN_NUM_FORMS": 1,
            "sessions-MAX_NUM_FORMS": 1000,
            "sessions-0-starts_at": f"{now + datetime.timedelta(days=4):%Y-%m-%d %H:%M}",
            "sessions-0-ends_at": f"{now + datetime.timedelta(days=4, hours=3):%Y-%m-%d %H:%M}",
            "sessions-0-topic": "",
            "sessions-0-ORDER": 1,
            "sessions-0-id": "",
            "sessions-0-DELETE": "",
        }
        response = client.post(reverse("events_event:add"), data)
        assert response.status_code == 200  # the form again, with the error
        assert not Event.objects.exists()
        data["city"] = city.pk
        response = client.post(reverse("events_event:add"), data)
        assert response.status_code == 302, response.context["form"].errors
        event = Event.objects.get()
        assert event.city == city and event.sessions.count() == 1

    def test_partners_scoped_and_learners_refused(self, client, city, other_city, learner):
        Partner.objects.create(name="Telkom", kind="tech_company", city=other_city)
        Partner.objects.create(name="UNAND", kind="university", city=city)
        login(client, city_admin(city))
        body = client.get(reverse("events_partner:index")).content.decode()
        assert "UNAND" in body and "Telkom" not in body
        login(client, learner.user)
        assert client.get(reverse("events_event:index")).status_code in (302, 403)
        login(client, national_admin())
        body = client.get(reverse("events_partner:index")).content.decode()
        assert "UNAND" in body and "Telkom" in body
