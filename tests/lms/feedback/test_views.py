import uuid
from html import unescape

import pytest
from django.urls import reverse

from lms.feedback import services
from lms.feedback.models import FeedbackMessage, FeedbackThread
from lms.notifications.models import Kind, Notification
from tests.lms.feedback.test_services import OUTSIDERS, user_of, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client, team):
    def _login(name):
        client.force_login(user_of(team, name))
        return client

    return _login


class UrlTests:
    def test_urls_are_the_agreed_ones(self):
        assert reverse("feedback:list") == "/umpan-balik/"
        assert reverse("feedback:thread", args=[3]) == "/umpan-balik/3/"
        assert reverse("feedback:write", args=[4]) == "/umpan-balik/tulis/4/"
        assert reverse("feedback:nudge", args=[4]) == "/umpan-balik/ingatkan/4/"

    @pytest.mark.parametrize("url", ["/umpan-balik/", "/umpan-balik/1/", "/umpan-balik/tulis/1/"])
    def test_anonymous_visitors_are_sent_to_log_in(self, client, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


class ListViewTests:
    def test_learner_sees_their_threads_with_the_last_message(self, login, team):
        write(team, body="Pesan untuk Staf Satu")
        write(team, learner=team.colleague, body="Pesan untuk Staf Dua")
        html = login("staff").get("/umpan-balik/").content.decode()
        assert "Pesan untuk Staf Satu" in html
        assert "Pesan untuk Staf Dua" not in html

    def test_supervisor_sees_the_threads_they_wrote_in(self, login, team):
        write(team, body="Pesan untuk Staf Satu")
        write(team, "other_boss", learner=team.other_staff, body="Pesan tim lain")
        html = login("boss").get("/umpan-balik/").content.decode()
        assert "Staf Satu" in html
        assert "Pesan untuk Staf Satu" in html
        assert "Pesan tim lain" not in html

    def test_a_user_without_a_profile_sees_an_empty_page(self, login, team):
        write(team)
        response = login("jakarta_admin").get("/umpan-balik/")
        assert response.status_code == 200
        assert "Bagus, lanjutkan." not in response.content.decode()


class ThreadViewTests:
    @pytest.mark.parametrize("reader", ["staff", "boss", "head"])
    def test_learner_and_supervisors_read_the_thread(self, login, team, reader):
        thread = write(team, body="Kerja bagus minggu ini").thread
        response = login(reader).get(f"/umpan-balik/{thread.pk}/")
        assert response.status_code == 200
        assert "Kerja bagus minggu ini" in response.content.decode()

    def test_opening_marks_the_thread_read_for_the_learner(self, login, team):
        thread = write(team).thread
        login("staff").get(f"/umpan-balik/{thread.pk}/")
        thread.refresh_from_db()
        assert thread.learner_read_at is not None

    @pytest.mark.parametrize("outsider", OUTSIDERS)
    def test_everyone_else_gets_404_and_nothing_is_saved(self, login, team, outsider):
        thread = write(team, body="Rahasia tim").thread
        client = login(outsider)
        response = client.get(f"/umpan-balik/{thread.pk}/")
        assert response.status_code == 404
        assert "Rahasia tim" not in response.content.decode()
        response = client.post(f"/umpan-balik/{thread.pk}/", {"body": "Ikut campur"})
        assert response.status_code == 404
        assert FeedbackMessage.objects.count() == 1

    def test_learner_replies_and_the_supervisor_is_notified(self, login, team):
        thread = write(team).thread
        response = login("staff").post(f"/umpan-balik/{thread.pk}/", {"body": "Baik, Pak."})
        assert response.status_code == 302
        assert response.url == f"/umpan-balik/{thread.pk}/"
        assert FeedbackMessage.objects.filter(author=team.staff.user).get().body == "Baik, Pak."
        assert Notification.objects.filter(user=team.boss.user, kind=Kind.FEEDBACK_REPLY).exists()

    @pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
    def test_bad_reply_shows_the_form_error_and_saves_nothing(self, login, team, body):
        thread = write(team).thread
        response = login("staff").post(f"/umpan-balik/{thread.pk}/", {"body": body})
        assert response.status_code == 200
        assert 'class="field-errors"' in response.content.decode()
        assert FeedbackMessage.objects.count() == 1

    def test_missing_body_field_is_a_form_error(self, login, team):
        thread = write(team).thread
        response = login("staff").post(f"/umpan-balik/{thread.pk}/", {})
        assert response.status_code == 200
        assert "Write a message before sending." in response.content.decode()

    def test_unknown_thread_is_404(self, login):
        assert login("staff").get("/umpan-balik/999999/").status_code == 404


class WriteViewTests:
    @pytest.mark.parametrize("author", ["boss", "head"])
    def test_supervisor_writes_about_a_course(self, login, team, author):
        key = uuid.uuid4()
        response = login(author).post(
            f"/umpan-balik/tulis/{team.staff.pk}/",
            {
                "topic_kind": "course",
                "topic_key": str(key),
                "topic_title": "Etika ASN",
                "body": "Nilainya bagus.",
            },
        )
        thread = FeedbackThread.objects.get()
        assert response.status_code == 302
        assert response.url == f"/umpan-balik/{thread.pk}/"
        assert (thread.learner, thread.topic_kind, thread.topic_key) == (team.staff, "course", key)
        assert Notification.objects.get().user == team.staff.user

    def test_form_page_prefills_the_topic(self, login, team):
        key = uuid.uuid4()
        response = login("boss").get(
            f"/umpan-balik/tulis/{team.staff.pk}/?topic_kind=course&topic_key={key}"
            "&topic_title=Etika+ASN"
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert str(key) in html
        assert "Etika ASN" in html

    @pytest.mark.parametrize("outsider", [*OUTSIDERS, "staff"])
    def test_everyone_else_is_refused_with_a_clear_page(self, login, team, outsider):
        client = login(outsider)
        response = client.post(
            f"/umpan-balik/tulis/{team.staff.pk}/", {"topic_kind": "general", "body": "Halo"}
        )
        assert response.status_code == 403
        assert "Only this person's supervisors can write feedback to them." in unescape(
            response.content.decode()
        )
        assert client.get(f"/umpan-balik/tulis/{team.staff.pk}/").status_code == 403
        assert not FeedbackThread.objects.exists()
        assert not Notification.objects.exists()

    @pytest.mark.parametrize(
        "data",
        [
            {"topic_kind": "general", "body": ""},
            {"topic_kind": "general", "body": "x" * 2001},
            {"topic_kind": "gossip", "body": "Halo"},
            {"topic_kind": "course", "topic_key": "bukan-uuid", "body": "Halo"},
            {"topic_kind": "quiz_attempt", "topic_key": str(uuid.uuid4()), "body": "Halo"},
            {},
        ],
    )
    def test_bad_input_shows_form_errors_and_saves_nothing(self, login, team, data):
        response = login("boss").post(f"/umpan-balik/tulis/{team.staff.pk}/", data)
        assert response.status_code == 200
        assert "field-errors" in response.content.decode()
        assert not FeedbackThread.objects.exists()
        assert not Notification.objects.exists()

    def test_unknown_person_is_404(self, login):
        assert login("boss").post("/umpan-balik/tulis/999999/", {"body": "x"}).status_code == 404


class NudgeViewTests:
    def test_supervisor_nudges_once_a_day(self, login, team):
        client = login("boss")
        url = f"/umpan-balik/ingatkan/{team.staff.pk}/"
        first = client.post(url, {"next": "/umpan-balik/"}, follow=True)
        assert "A reminder was sent to Staf Satu." in first.content.decode()
        second = client.post(url, {}, follow=True)
        assert "You already reminded Staf Satu today." in second.content.decode()
        assert Notification.objects.filter(user=team.staff.user, kind=Kind.NUDGE).count() == 1

    def test_next_must_stay_on_this_site(self, login, team):
        response = login("boss").post(
            f"/umpan-balik/ingatkan/{team.staff.pk}/", {"next": "https://contoh.example/"}
        )
        assert response.status_code == 302
        assert response.url == "/umpan-balik/"

    @pytest.mark.parametrize("outsider", [*OUTSIDERS, "staff"])
    def test_everyone_else_is_refused(self, login, team, outsider):
        response = login(outsider).post(f"/umpan-balik/ingatkan/{team.staff.pk}/", {})
        assert response.status_code == 403
        assert "You can only remind people on your own team." in response.content.decode()
        assert not Notification.objects.exists()

    def test_too_long_message_is_a_form_error(self, login, team):
        response = login("boss").post(
            f"/umpan-balik/ingatkan/{team.staff.pk}/", {"message": "x" * 501}
        )
        assert response.status_code == 200
        assert "field-errors" in response.content.decode()
        assert not Notification.objects.exists()

    def test_unknown_person_is_404(self, login):
        assert login("boss").post("/umpan-balik/ingatkan/999999/").status_code == 404


class LearnerSeesFeedbackTests:
    def test_supervisor_writes_and_the_learner_sees_it_under_the_bell(self, login, team):
        services.feedback_write(
            author=team.boss.user, learner=team.staff, topic_kind="general", body="Semangat!"
        )
        html = login("staff").get("/notifikasi/").content.decode()
        assert "Atasan Langsung" in html
        assert "Semangat!" in html
        assert '<span class="bell-count">1' in html
