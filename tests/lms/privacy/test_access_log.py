"""The access log: supervisors' team pages, admin lists and exports, the API and the
certificate search write it (one INSERT per page); the learner reads it on /privasi/."""

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.api import tokens
from lms.privacy.models import AccessLog
from lms.privacy.services import access_log_record
from lms.reports.models import ExportJob
from tests.factories import LearnerFactory, city_admin, national_admin
from tests.lms.learning.conftest import enrol, login

pytestmark = pytest.mark.django_db

API = "/api/v1"


def inserts(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith('INSERT INTO "privacy_accesslog"'))


class TeamPagesTests:
    def test_a_member_page_logs_one_view_by_the_supervisor(self, client, team):
        login(client, team.budi)
        response = client.get(reverse("learning:team-member", args=[team.ani.pk]))
        assert response.status_code == 200
        entry = AccessLog.objects.get()
        assert entry.learner_id == team.ani.pk
        assert entry.actor_id == team.budi.user_id
        assert entry.role == AccessLog.Role.SUPERVISOR
        assert entry.action == AccessLog.Action.VIEW
        assert entry.where == "learning:team-member"
        assert entry.actor_label == "Budi Atasan"

    def test_the_team_list_logs_every_member_in_one_insert(self, client, team):
        login(client, team.budi)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("learning:team"))
        assert response.status_code == 200
        assert inserts(queries.captured_queries) == 1
        logged = set(AccessLog.objects.values_list("learner_id", flat=True))
        assert logged == {team.ani.pk, team.cici.pk}
        assert set(AccessLog.objects.values_list("action", flat=True)) == {"list"}

    def test_another_supervisor_is_refused_sees_no_nip_or_email_and_nothing_is_logged(
        self, client, team
    ):
        login(client, team.budi)
        response = client.get(reverse("learning:team-member", args=[team.fajar.pk]))
        assert response.status_code == 403
        html = response.content.decode()
        for hidden in (team.fajar.nip, team.fajar.email, team.fajar.full_name):
            assert hidden not in html
        assert not AccessLog.objects.exists()

    def test_a_supervisor_sees_a_member_progress_but_not_their_email_or_phone(self, client, team):
        login(client, team.budi)
        html = client.get(reverse("learning:team-member", args=[team.ani.pk])).content.decode()
        assert "Ani Staf" in html
        assert team.ani.email not in html


class AdminListsTests:
    def test_below_minimum_page_logs_the_learners_of_the_page_in_one_insert(self, client, world):
        for _n in range(3):
            LearnerFactory(city=world.jakarta)
        LearnerFactory(city=world.sorong)
        admin = city_admin(world.jakarta)
        client.force_login(admin)
        url = reverse("reports_dashboard_below_minimum", args=["jakarta"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert inserts(queries.captured_queries) == 1
        entries = AccessLog.objects.all()
        assert {e.learner.city_id for e in entries} == {world.jakarta.pk}
        assert entries.count() == 4  # the world's learner and the three
        assert {e.role for e in entries} == {AccessLog.Role.CITY_ADMIN}

    def test_the_overdue_export_logs_one_city_row_with_its_count(self, client, world):
        import datetime

        for _n in range(2):
            enrol(
                LearnerFactory(city=world.jakarta),
                world.national.course.translation_key,
                mandatory=True,
                due_date=datetime.date(2020, 1, 1),
            )
        client.force_login(national_admin())
        url = reverse("reports_dashboard_city", args=["jakarta"])
        response = client.get(url, {"export": "overdue", "format": "csv"})
        assert response.status_code == 200
        entry = AccessLog.objects.get()
        assert entry.learner_id is None and entry.city_id == world.jakarta.pk
        assert entry.action == "export" and entry.role == AccessLog.Role.NATIONAL_ADMIN

    def test_downloading_a_background_export_logs_the_city_and_the_number_of_rows(
        self, client, world
    ):
        admin = city_admin(world.jakarta)
        job = ExportJob.objects.create(
            kind="siasn",
            format="csv",
            city=world.jakarta,
            requested_by=admin,
            status=ExportJob.Status.RUNNING,
            rows_done=7,
            rows_total=7,
            params={"year": 2026},
        )
        job.file.save("siasn.csv", ContentFile(b"nipBaru\n"), save=False)
        job.status = ExportJob.Status.DONE
        job.save()
        client.force_login(admin)
        response = client.get(reverse("reports_export_download", args=[job.pk]))
        assert response.status_code == 200
        entry = AccessLog.objects.get()
        assert (entry.city_id, entry.count, entry.action) == (world.jakarta.pk, 7, "export")

    def test_certificate_search_logs_the_learners_found(self, client, world):
        from lms.records import certificates
        from tests.lms.records.test_certificates import make_completion

        certificate = certificates.certificate_issue(completion=make_completion(world.learner))
        client.force_login(city_admin(world.jakarta))
        response = client.get(reverse("records_certificates"), {"q": world.learner.nip})
        assert response.status_code == 200
        assert certificate.number in response.content.decode()
        entry = AccessLog.objects.get()
        assert (entry.learner_id, entry.action) == (world.learner.pk, "search")


class ApiTests:
    def test_a_token_reading_completions_is_logged_per_page_as_the_token(self, client, world):
        from tests.lms.api.conftest import bearer, completion

        others = [LearnerFactory(city=world.jakarta) for _n in range(3)]
        for learner in others:
            completion(learner, year=2026)
        admin = city_admin(world.jakarta)
        made = tokens.token_create(by=admin, name="SIMPEG Jakarta", city=world.jakarta)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                f"{API}/cities/jakarta/completions",
                {"year": 2026, "limit": 2},
                **bearer(made.secret),
            )
        assert response.status_code == 200, response.content
        assert len(response.json()["items"]) == 2
        assert inserts(queries.captured_queries) == 1
        entries = list(AccessLog.objects.all())
        assert len(entries) == 2
        assert {e.role for e in entries} == {AccessLog.Role.API_TOKEN}
        assert {e.token_id for e in entries} == {made.token.pk}
        assert "SIMPEG Jakarta" in entries[0].actor_label
        assert {e.learner_id for e in entries} <= {p.pk for p in others}

    def test_the_team_endpoint_logs_the_page_it_returns(self, client, team):
        login(client, team.budi)
        response = client.get(f"{API}/team")
        assert response.status_code == 200
        assert set(AccessLog.objects.values_list("learner_id", flat=True)) == {
            team.ani.pk,
            team.cici.pk,
        }


class RecordServiceTests:
    def test_looking_at_ones_own_records_is_not_logged(self, world):
        assert access_log_record(actor=world.learner.user, learners=[world.learner]) == 0
        assert not AccessLog.objects.exists()

    def test_nobody_signed_in_writes_nothing(self, world):
        assert access_log_record(learners=[world.learner.pk]) == 0

    def test_duplicates_are_logged_once(self, world):
        admin = city_admin(world.jakarta)
        count = access_log_record(
            actor=admin, learners=[world.learner, world.learner.pk], where="test"
        )
        assert count == 1


class MyAccessLogPageTests:
    def log_many(self, world, learner, n):
        admin = city_admin(world.jakarta)
        for _n in range(n):
            access_log_record(actor=admin, learners=[learner], where="test")

    def test_the_learner_sees_who_looked_and_city_exports_but_not_others_rows(self, client, world):
        other = LearnerFactory(city=world.jakarta)
        admin = city_admin(world.jakarta)
        admin.first_name = "Admin Jakarta"
        admin.save()
        access_log_record(actor=admin, learners=[world.learner], where="x")
        spy = national_admin()
        spy.first_name = "Hanya Untuk Orang Lain"
        spy.save()
        access_log_record(actor=spy, learners=[other], where="x")
        access_log_record(actor=admin, city=world.jakarta, action="export", count=12, where="x")
        access_log_record(actor=admin, city=world.sorong, action="export", count=99, where="x")
        client.force_login(world.learner.user)
        response = client.get(reverse("privacy:mine"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Admin Jakarta" in html
        assert "Hanya Untuk Orang Lain" not in html
        assert "12 records" in html
        assert "99 records" not in html

    def test_query_count_does_not_grow_with_the_log(self, client, world, django_assert_num_queries):
        client.force_login(world.learner.user)
        self.log_many(world, world.learner, 2)
        with CaptureQueriesContext(connection) as few:
            assert client.get(reverse("privacy:mine")).status_code == 200
        self.log_many(world, world.learner, 40)
        with CaptureQueriesContext(connection) as many:
            assert client.get(reverse("privacy:mine")).status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_staff_without_a_profile_get_the_no_profile_page(self, client, world):
        client.force_login(city_admin(world.jakarta))
        assert client.get(reverse("privacy:mine")).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client, world):
        response = client.get(reverse("privacy:mine"))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
