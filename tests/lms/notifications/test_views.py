import pytest
from django.urls import reverse

from lms.notifications import services
from lms.notifications.models import Kind, Notification, NotificationPreference

pytestmark = pytest.mark.django_db

LIST = "/notifikasi/"
SETTINGS = "/notifikasi/pengaturan/"


def _notify(user, **kwargs):
    defaults = {"kind": Kind.FEEDBACK, "title": "Judul", "body": "Isi", "url": "/umpan-balik/"}
    return services.notify(user=user, **{**defaults, **kwargs})


@pytest.fixture
def staff_client(client, team):
    client.force_login(team.staff.user)
    return client


class NotificationViewTests:
    def test_urls_are_the_agreed_ones(self):
        assert reverse("notifications:list") == LIST
        assert reverse("notifications:open", args=[5]) == "/notifikasi/5/baca/"
        assert reverse("notifications:preferences") == SETTINGS

    @pytest.mark.parametrize("url", [LIST, SETTINGS])
    def test_anonymous_visitors_are_sent_to_log_in(self, client, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_list_shows_only_own_notifications_and_the_bell_count(self, staff_client, team):
        _notify(team.staff.user, title="Untuk saya 1")
        _notify(team.staff.user, title="Untuk saya 2")
        _notify(team.colleague.user, title="Untuk rekan")
        response = staff_client.get(LIST)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Untuk saya 1" in html and "Untuk saya 2" in html
        assert "Untuk rekan" not in html
        assert '<span class="bell-count">2' in html

    def test_no_bell_for_anonymous_visitors(self, client, team):
        html = client.get(reverse("login")).content.decode()
        assert 'class="bell"' not in html

    @pytest.mark.parametrize("count", [1, 15])
    def test_list_uses_a_constant_number_of_queries(
        self, staff_client, team, django_assert_max_num_queries, count
    ):
        for n in range(count):
            _notify(team.staff.user, title=f"Pesan {n}")
        # session, user, the list, the bell's count
        with django_assert_max_num_queries(6):
            response = staff_client.get(LIST)
        assert response.status_code == 200

    def test_opening_marks_read_and_follows_the_link(self, staff_client, team):
        notification = _notify(team.staff.user, url="/umpan-balik/3/")
        response = staff_client.post(f"/notifikasi/{notification.pk}/baca/")
        assert response.status_code == 302
        assert response.url == "/umpan-balik/3/"
        notification.refresh_from_db()
        assert notification.read_at is not None

    def test_opening_another_users_notification_is_404_and_changes_nothing(
        self, staff_client, team
    ):
        theirs = _notify(team.colleague.user)
        response = staff_client.post(f"/notifikasi/{theirs.pk}/baca/")
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_opening_needs_post(self, staff_client, team):
        notification = _notify(team.staff.user)
        assert staff_client.get(f"/notifikasi/{notification.pk}/baca/").status_code == 405
        notification.refresh_from_db()
        assert notification.read_at is None

    def test_a_link_to_another_site_is_not_followed(self, staff_client, team):
        notification = _notify(team.staff.user, url="https://contoh-jahat.example/")
        response = staff_client.post(f"/notifikasi/{notification.pk}/baca/")
        assert response.url == LIST

    def test_mark_all_read(self, staff_client, team):
        _notify(team.staff.user)
        _notify(team.staff.user, kind=Kind.NUDGE)
        theirs = _notify(team.colleague.user)
        response = staff_client.post(LIST)
        assert response.status_code == 302
        assert not Notification.objects.filter(user=team.staff.user, read_at__isnull=True).exists()
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert "All notifications are marked as read." in staff_client.get(LIST).content.decode()


class PreferenceViewTests:
    def test_form_lists_every_kind_checked_by_default(self, staff_client):
        html = staff_client.get(SETTINGS).content.decode()
        for kind in Kind.values:
            assert f'name="{kind}"' in html
        assert html.count("checked") == len(Kind.values)

    def test_unchecked_kinds_are_turned_off_and_respected(
        self, staff_client, team, mailoutbox, django_capture_on_commit_callbacks
    ):
        response = staff_client.post(
            SETTINGS, {kind: "on" for kind in Kind.values if kind != Kind.FEEDBACK}
        )
        assert response.status_code == 302
        assert set(
            NotificationPreference.objects.filter(
                user=team.staff.user, email_enabled=False
            ).values_list("kind", flat=True)
        ) == {Kind.FEEDBACK}
        with django_capture_on_commit_callbacks(execute=True):
            _notify(team.staff.user, kind=Kind.FEEDBACK)
            _notify(team.staff.user, kind=Kind.NUDGE)
        assert len(mailoutbox) == 1
        assert Notification.objects.filter(user=team.staff.user).count() == 2
        assert staff_client.get(SETTINGS).content.decode().count("checked") == len(Kind.values) - 1

    def test_preferences_are_per_user(self, staff_client, team):
        staff_client.post(SETTINGS, {})
        assert not NotificationPreference.objects.filter(user=team.colleague.user).exists()
        assert NotificationPreference.objects.filter(
            user=team.staff.user, email_enabled=False
        ).count() == len(Kind.values)
