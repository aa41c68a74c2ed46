"""The API's endpoints: what each returns, and that every caller gets only what the web
pages would show them (other city, other learner, other team refused)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.records import selectors as records
from lms.records import services as record_services
from lms.records.models import Enrolment, JpCredit
from tests.courses.conftest import make_course
from tests.factories import AgencyFactory, LearnerFactory
from tests.lms.api.conftest import assert_error, completion, get, post
from tests.lms.learning.conftest import enrol, login, progress

pytestmark = pytest.mark.django_db


def keys(response) -> set[str]:
    assert response.status_code == 200, response.content[:500]
    return {item["key"] for item in response.json()["items"]}


def queries(callable_) -> int:
    """Queries of one call; a first call before measuring lets the token's once-a-minute
    last_used_at write happen outside the count."""
    callable_()
    with CaptureQueriesContext(connection) as captured:
        response = callable_()
    assert response.status_code == 200, response.content[:500]
    return len(captured)


class CourseTests:
    def test_a_learner_sees_their_citys_own_and_adopted_courses(self, client, world):
        login(client, world.learner)
        response = get(client, "/courses")
        assert keys(response) == {
            str(world.course.course.translation_key),
            str(world.national.course.translation_key),
        }
        item = next(i for i in response.json()["items"] if i["title"] == "Kursus Jakarta")
        assert item["jp"] == 2
        assert item["city"] == "jakarta"
        assert item["organiser"] == world.jakarta.bkpsdm_name
        assert item["learning_form"] == "e_learning"
        assert item["url"].endswith("/")

    def test_a_token_sees_its_own_citys_courses_only(self, client, world, sorong_token):
        assert keys(get(client, "/courses", sorong_token)) == {
            str(world.sorong_course.course.translation_key)
        }

    def test_a_national_token_sees_every_course(self, client, world, national_token):
        assert len(keys(get(client, "/courses", national_token))) == 3

    def test_curricula_of_the_learners_city_with_listed_courses(self, client, world):
        login(client, world.learner)
        response = get(client, "/curricula")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        (curriculum,) = body["items"]
        assert curriculum["city"] == "jakarta"
        assert curriculum["courses"] == [
            {
                "course_key": str(world.national.course.translation_key),
                "title": "Literasi Digital Nasional",
                "is_mandatory": True,
                "due_date": None,
            }
        ]

    def test_same_number_of_queries_for_few_and_many_courses(self, client, world, national_token):
        def call():
            return get(client, "/courses", national_token)

        few = queries(call)
        for n in range(5):
            make_course(world.jakarta_curriculum, title=f"Tambahan {n}")
        assert len(keys(call())) == 8
        assert queries(call) == few

    def test_same_number_of_queries_for_few_and_many_curricula(
        self, client, world, national_token, curriculum_index
    ):
        from courses import services as course_services
        from tests.factories import CityFactory

        def call():
            return get(client, "/curricula", national_token)

        few = queries(call)
        for n in range(3):
            city = CityFactory()
            curriculum = course_services.city_curriculum_create(
                index=curriculum_index, city=city, title=f"Kurikulum {n}"
            )
            course_services.curriculum_entry_set(
                curriculum=curriculum, course=world.national.course, is_mandatory=False
            )
        assert call().json()["count"] == 5
        assert queries(call) == few


class PaginationTests:
    def test_limit_and_offset_page_through_a_list(self, client, world, national_token):
        first = get(client, "/courses", national_token, limit=2).json()
        second = get(client, "/courses", national_token, limit=2, offset=2).json()
        assert first["count"] == second["count"] == 3
        assert len(first["items"]) == 2 and len(second["items"]) == 1
        assert {i["key"] for i in first["items"]}.isdisjoint(i["key"] for i in second["items"])

    @pytest.mark.parametrize("limit", ["0", "101", "abc"])
    def test_a_page_size_out_of_range_is_refused(self, client, world, national_token, limit):
        body = assert_error(get(client, "/courses", national_token, limit=limit), 422)
        assert body["errors"][0]["field"] == "limit"

    def test_a_negative_offset_is_refused(self, client, world, national_token):
        body = assert_error(get(client, "/cities", national_token, offset=-1), 422)
        assert body["errors"][0]["field"] == "offset"


class MyRecordsTests:
    def test_my_progress_lists_enrolled_and_started_courses(self, client, world):
        learner = world.learner
        yesterday = records.local_date("Asia/Jakarta") - datetime.timedelta(days=1)
        enrol(learner, world.national.course.translation_key, mandatory=True, due_date=yesterday)
        progress(learner, world.course.course.translation_key, percent=50)
        login(client, learner)
        response = get(client, "/me/progress")
        assert response.status_code == 200
        items = {item["title"]: item for item in response.json()["items"]}
        national = items["Literasi Digital Nasional"]
        assert national["is_mandatory"] and national["overdue"]
        assert national["enrolment_status"] == "active" and national["percent"] == 0
        own = items["Kursus Jakarta"]
        assert own["percent"] == 50 and own["enrolment_status"] is None and not own["overdue"]

    def test_another_learners_records_never_show(self, client, world):
        other = world.new_learner()
        progress(other, world.course.course.translation_key, percent=70)
        login(client, world.learner)
        assert get(client, "/me/progress").json()["items"] == []

    def test_my_jp_of_a_year(self, client, world):
        today = records.local_date("Asia/Jakarta")
        record_services.jp_credit_record(
            learner=world.learner,
            source=JpCredit.Source.EVENT_ATTENDANCE,
            source_key="seminar-1",
            title="Seminar Digital",
            jp=6,
            learning_form="seminar",
            earned_on=today,
        )
        login(client, world.learner)
        body = get(client, "/me/jp", year=today.year).json()
        assert body["year"] == today.year
        assert body["total"] == 6 and body["minimum"] == 20 and body["missing"] == 14
        assert not body["met"]
        assert [c["title"] for c in body["credits"]] == ["Seminar Digital"]
        assert get(client, "/me/jp", year=today.year - 1).json()["total"] == 0

    def test_tokens_and_staff_without_a_profile_have_no_records(
        self, client, world, jakarta_token, jakarta_admin
    ):
        assert_error(get(client, "/me/progress", jakarta_token), 403)
        assert_error(get(client, "/me/jp", jakarta_token), 403)
        client.force_login(jakarta_admin)
        assert_error(get(client, "/me/progress"), 403)

    def test_same_number_of_queries_for_few_and_many_courses(self, client, world):
        learner = world.learner
        login(client, learner)
        progress(learner, world.course.course.translation_key, percent=10)

        def call():
            return get(client, "/me/progress")

        few = queries(call)
        for n in range(4):
            course = make_course(world.jakarta_curriculum, title=f"Ekstra {n}")
            enrol(learner, course.translation_key)
            progress(learner, course.translation_key, percent=20)
        assert call().json()["count"] == 5
        assert queries(call) == few


class TeamTests:
    def nips(self, response) -> set[str]:
        assert response.status_code == 200, response.content[:500]
        return {item["nip"] for item in response.json()["items"]}

    def test_a_supervisor_sees_direct_staff_and_with_indirect_everyone_below(self, client, team):
        login(client, team.budi)
        assert self.nips(get(client, "/team")) == {team.ani.nip, team.cici.nip}
        assert self.nips(get(client, "/team", indirect="true")) == {
            team.ani.nip,
            team.cici.nip,
            team.dedi.nip,
        }

    def test_a_peers_team_and_another_citys_people_never_appear(self, client, team):
        team.sorong_staff.supervisor = team.budi  # wrongly linked across cities
        team.sorong_staff.save(update_fields=["supervisor"])
        login(client, team.budi)
        shown = self.nips(get(client, "/team", indirect="true"))
        assert team.fajar.nip not in shown and team.eko.nip not in shown
        assert team.sorong_staff.nip not in shown

    def test_people_without_staff_and_tokens_are_refused(self, client, team, jakarta_token):
        login(client, team.ani)
        assert_error(get(client, "/team"), 403)
        client.logout()
        assert_error(get(client, "/team", jakarta_token), 403)

    def test_same_number_of_queries_for_small_and_large_teams(self, client, world, team):
        login(client, team.budi)

        def call():
            return get(client, "/team", indirect="true")

        few = queries(call)
        for _n in range(5):
            LearnerFactory(city=world.jakarta, supervisor=team.budi)
        assert call().json()["count"] == 8
        assert queries(call) == few


class CityTests:
    def slugs(self, response) -> list[str]:
        assert response.status_code == 200, response.content[:500]
        return [item["slug"] for item in response.json()["items"]]

    def test_visible_cities(self, client, world, national_token, sorong_token, jakarta_admin):
        assert self.slugs(get(client, "/cities", national_token)) == ["jakarta", "sorong"]
        assert self.slugs(get(client, "/cities", sorong_token)) == ["sorong"]
        client.force_login(jakarta_admin)
        assert self.slugs(get(client, "/cities")) == ["jakarta"]
        login(client, world.learner)
        assert self.slugs(get(client, "/cities")) == ["jakarta"]


class CityReportTests:
    def test_the_citys_admin_and_token_get_the_dashboard_figures(
        self, client, world, jakarta_admin, jakarta_token
    ):
        world.new_learner()
        for response in (
            get(client, "/cities/jakarta/report", jakarta_token, year=2026),
            (client.force_login(jakarta_admin), get(client, "/cities/jakarta/report"))[1],
        ):
            assert response.status_code == 200, response.content[:500]
            body = response.json()
            assert body["city"] == "jakarta"
            assert body["learners"] == 2
            assert {t["key"] for t in body["tables"]} >= {"summary", "courses", "agencies"}

    def test_filters_are_applied(self, client, world, jakarta_token):
        agency = AgencyFactory(city=world.jakarta)
        world.new_learner(agency=agency)
        body = get(
            client,
            "/cities/jakarta/report",
            jakarta_token,
            agency=agency.pk,
            learning_form="e_learning",
            course=str(world.course.course.translation_key),
        ).json()
        assert body["learners"] == 1
        assert body["filters"]["agency"] == agency.pk
        assert body["filters"]["learning_form"] == "e_learning"

    def test_another_city_is_refused_to_web_users_and_tokens(
        self, client, world, sorong_admin, sorong_token
    ):
        assert_error(get(client, "/cities/jakarta/report", sorong_token), 403)
        client.force_login(sorong_admin)
        assert_error(get(client, "/cities/jakarta/report"), 403)

    def test_learners_and_trainers_are_refused(self, client, world):
        from tests.factories import trainer

        login(client, world.learner)
        assert_error(get(client, "/cities/jakarta/report"), 403)
        client.force_login(trainer(world.jakarta))
        assert_error(get(client, "/cities/jakarta/report"), 403)

    def test_unknown_city_and_bad_values(self, client, world, jakarta_token):
        assert_error(get(client, "/cities/atlantis/report", jakarta_token), 404)
        body = assert_error(get(client, "/cities/jakarta/report", jakarta_token, year="abc"), 422)
        assert body["errors"] == [{"field": "year", "message": "Write a whole number."}]
        body = assert_error(
            get(client, "/cities/jakarta/report", jakarta_token, course="not-a-uuid"), 422
        )
        assert body["errors"][0]["field"] == "course"
        assert_error(get(client, "/cities/jakarta/report", jakarta_token, learning_form="x"), 422)

    def test_another_citys_agency_is_a_bad_value(self, client, world, jakarta_token):
        sorong_agency = AgencyFactory(city=world.sorong)
        body = assert_error(
            get(client, "/cities/jakarta/report", jakarta_token, agency=sorong_agency.pk), 422
        )
        assert body["errors"][0]["field"] == "agency"


class CompletionTests:
    def test_siasn_fields_of_the_years_completions(self, client, world, jakarta_token):
        done = completion(world.learner, year=2026, title="Keamanan Siber")
        completion(world.new_learner(), year=2025)
        response = get(client, "/cities/jakarta/completions", jakarta_token, year=2026)
        assert response.status_code == 200, response.content[:500]
        body = response.json()
        assert body["count"] == 1
        assert body["items"] == [
            {
                "nipBaru": world.learner.nip,
                "namaKursus": "Keamanan Siber",
                "institusiPenyelenggara": "BKPSDM Jakarta",
                "jenisKursusSertipikat": "E-learning",
                "jumlahJam": 2,
                "tanggalKursus": "2026-02-27",
                "tanggalSelesaiKursus": "2026-03-02",
                "tahunKursus": 2026,
                "nomorSertipikat": done.certificate_number,
            }
        ]

    def test_pagination_and_constant_queries(self, client, world, jakarta_token):
        completion(world.learner)

        def call():
            return get(client, "/cities/jakarta/completions", jakarta_token, year=2026, limit=2)

        few = queries(call)
        for _n in range(4):
            completion(world.new_learner())
        body = call().json()
        assert body["count"] == 5 and len(body["items"]) == 2
        assert queries(call) == few
        rest = get(
            client, "/cities/jakarta/completions", jakarta_token, year=2026, limit=2, offset=4
        ).json()
        assert len(rest["items"]) == 1

    def test_other_city_learners_and_trainers_are_refused(
        self, client, world, sorong_token, sorong_admin
    ):
        completion(world.learner)
        assert_error(get(client, "/cities/jakarta/completions", sorong_token), 403)
        client.force_login(sorong_admin)
        assert_error(get(client, "/cities/jakarta/completions"), 403)
        login(client, world.learner)
        assert_error(get(client, "/cities/jakarta/completions"), 403)

    def test_a_national_token_reads_any_city(self, client, world, national_token):
        completion(world.learner)
        response = get(client, "/cities/jakarta/completions", national_token, year=2026)
        assert response.json()["count"] == 1


class MandatoryAssignmentTests:
    def payload(self, world, *learners, due="2026-12-31"):
        return {
            "course_key": str(world.course.course.translation_key),
            "nips": [learner.nip for learner in learners],
            "due_date": due,
        }

    def mandatory(self, world):
        return Enrolment.objects.filter(
            course_key=world.course.course.translation_key, is_mandatory=True
        )

    def test_a_token_with_the_write_scope_assigns(self, client, world, jakarta_write_token):
        other = world.new_learner()
        response = post(
            client,
            "/cities/jakarta/mandatory-assignments",
            self.payload(world, world.learner, other),
            jakarta_write_token,
        )
        assert response.status_code == 200, response.content[:500]
        assert response.json()["assigned"] == 2
        assert set(self.mandatory(world).values_list("learner_id", flat=True)) == {
            world.learner.pk,
            other.pk,
        }
        assert self.mandatory(world).first().due_date == datetime.date(2026, 12, 31)

    def test_a_read_only_token_cannot_write(self, client, world, jakarta_token):
        response = post(
            client,
            "/cities/jakarta/mandatory-assignments",
            self.payload(world, world.learner),
            jakarta_token,
        )
        assert_error(response, 403)
        assert not self.mandatory(world).exists()

    def test_another_citys_token_and_admin_are_refused(
        self, client, world, sorong_admin, jakarta_admin
    ):
        from lms.api import tokens

        sorong_write = tokens.token_create(
            by=sorong_admin, name="x", city=world.sorong, can_write_enrolments=True
        ).secret
        path = "/cities/jakarta/mandatory-assignments"
        assert_error(post(client, path, self.payload(world, world.learner), sorong_write), 403)
        client.force_login(sorong_admin)
        assert_error(post(client, path, self.payload(world, world.learner)), 403)
        assert not self.mandatory(world).exists()

    def test_a_city_admins_session_needs_the_csrf_token(self, world, jakarta_admin):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(jakarta_admin)
        path = "/api/v1/cities/jakarta/mandatory-assignments"
        data = self.payload(world, world.learner)
        assert_error(client.post(path, data, content_type="application/json"), 403)
        assert not self.mandatory(world).exists()
        client.get("/api/docs")  # sets the csrftoken cookie, as the docs page does
        csrf = client.cookies["csrftoken"].value
        response = client.post(path, data, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
        assert response.status_code == 200, response.content[:500]
        assert self.mandatory(world).count() == 1

    def test_unknown_nips_or_courses_change_nothing(self, client, world, jakarta_write_token):
        path = "/cities/jakarta/mandatory-assignments"
        sorong_person = world.new_learner(city=world.sorong)
        data = self.payload(world, world.learner, sorong_person)
        body = assert_error(post(client, path, data, jakarta_write_token), 422)
        assert body["errors"] == [{"field": "nips", "message": sorong_person.nip}]
        data = {
            **self.payload(world, world.learner),
            "course_key": str(world.sorong_course.course.translation_key),
        }
        body = assert_error(post(client, path, data, jakarta_write_token), 422)
        assert body["errors"][0]["field"] == "course_key"
        assert not Enrolment.objects.filter(learner=world.learner, is_mandatory=True).exists()

    @pytest.mark.parametrize(
        "data",
        [
            {"course_key": "abc", "nips": ["1"]},
            {"nips": ["1"]},
            {"course_key": "123e4567-e89b-12d3-a456-426614174000", "nips": []},
            {"course_key": "123e4567-e89b-12d3-a456-426614174000", "nips": ["1"], "due_date": "x"},
        ],
    )
    def test_malformed_bodies_are_422(self, client, world, jakarta_write_token, data):
        response = post(client, "/cities/jakarta/mandatory-assignments", data, jakarta_write_token)
        body = assert_error(response, 422)
        assert body["errors"]
