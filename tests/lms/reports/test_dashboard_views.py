"""The "Dasbor" admin screens: who may open them, what they show, bad filters, downloads."""

import csv
import html
import io

import openpyxl
import pytest
from django.urls import reverse

from lms.people.models import LearnerProfile
from lms.records.models import LearnerYear
from lms.reports import selectors
from tests.courses.conftest import assert_refused
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    CityFactory,
    LearnerFactory,
    city_admin,
    national_admin,
    trainer,
)
from tests.lms.reports.test_dashboard_selectors import TODAY, build_data

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def city_url(city, **params):
    url = reverse("reports_dashboard_city", args=[city.slug])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


@pytest.fixture
def data(world):
    return build_data(world)


@pytest.fixture
def cities():
    return CityFactory(name="Bukittinggi", slug="bukittinggi"), CityFactory(
        name="Palu", slug="palu", timezone="Asia/Makassar"
    )


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(selectors, "city_today", lambda city: TODAY)
    return TODAY


class DashboardPermissionTests:
    def test_city_admin_sees_own_city(self, client, cities):
        own, _other = cities
        response = login(client, city_admin(own)).get(city_url(own))
        assert response.status_code == 200
        assert "Bukittinggi" in response.content.decode()

    def test_city_admin_of_another_city_is_refused(self, client, cities):
        own, other = cities
        login(client, city_admin(own))
        for url in (
            city_url(other),
            reverse("reports_dashboard_below_minimum", args=[other.slug]),
            city_url(other, export="agencies", format="csv"),
            reverse("reports_dashboard_national"),
        ):
            response = client.get(url)
            # Wagtail turns the refusal into a redirect to the admin home with a message.
            assert_refused(response)
            assert response.get("Content-Disposition") is None
            assert b"Palu" not in response.content

    def test_trainer_is_refused(self, client, cities):
        own, _other = cities
        login(client, trainer(own))
        for url in (
            city_url(own),
            reverse("reports_dashboard"),
            reverse("reports_dashboard_national"),
            reverse("reports_dashboard_below_minimum", args=[own.slug]),
        ):
            response = client.get(url)
            assert_refused(response)
            assert b"lms-dash" not in response.content

    def test_learner_is_refused(self, client, cities):
        own, _other = cities
        learner = LearnerFactory(city=own)
        login(client, learner.user)
        for url in (
            city_url(own),
            city_url(own, export="agencies", format="csv"),
            reverse("reports_dashboard"),
            reverse("reports_dashboard_national"),
            reverse("reports_dashboard_below_minimum", args=[own.slug]),
        ):
            response = client.get(url)
            # Learners have no access to the admin at all: Wagtail sends them to its
            # login page, whatever the screen.
            assert response.status_code == 302 and "/admin/login/" in response.url
            assert response.get("Content-Disposition") is None

    def test_anonymous_goes_to_login(self, client, cities):
        response = client.get(city_url(cities[0]))
        assert response.status_code == 302 and "login" in response.url

    def test_national_admin_sees_every_city(self, client, cities):
        login(client, national_admin())
        for city in cities:
            assert client.get(city_url(city)).status_code == 200
        assert client.get(reverse("reports_dashboard_national")).status_code == 200

    def test_index_redirects(self, client, cities):
        own, _other = cities
        login(client, city_admin(own))
        response = client.get(reverse("reports_dashboard"))
        assert response.status_code == 302 and response.url == city_url(own)
        client.logout()
        login(client, national_admin())
        response = client.get(reverse("reports_dashboard"))
        assert response.url == reverse("reports_dashboard_national")

    def test_unknown_city_is_not_found(self, client, cities):
        login(client, national_admin())
        assert client.get(city_url(cities[0]).replace("bukittinggi", "atlantis")).status_code == 404

    def test_menu_item_only_for_admins(self, client, cities):
        own, _other = cities
        login(client, city_admin(own))
        assert (
            reverse("reports_dashboard")
            in client.get(reverse("wagtailadmin_home")).content.decode()
        )
        client.logout()
        login(client, trainer(own))
        assert (
            reverse("reports_dashboard")
            not in client.get(reverse("wagtailadmin_home")).content.decode()
        )


class CityPageTests:
    def test_figures_charts_and_tables(self, client, data, today):
        login(client, city_admin(data.city))
        response = client.get(city_url(data.city))
        assert response.status_code == 200
        page = response.content.decode()
        figures = dict(response.context["figures"])
        assert figures["Learners"] == 5
        assert figures["Completion rate (%)"] == 45.5
        assert figures["Overdue mandatory courses"] == 3
        assert page.count('class="lms-chart"') == 2
        assert "<title" in page and "<desc" in page
        for key in ("courses", "agencies", "weeks", "overdue"):
            assert f"export={key}&amp;format=csv" in page
            assert f"export={key}&amp;format=xlsx" in page
        assert "Dinas A › Bidang A1" in page
        # The overdue list, oldest first, with course titles.
        assert page.index("Budi") < page.index("Citra") < page.index("Dewi")
        # The background exports' form.
        assert reverse("reports_export_start") in page
        assert 'name="kind" value="below_minimum"' in page
        assert 'name="kind" value="siasn"' in page

    def test_filters_apply(self, client, data, today):
        login(client, city_admin(data.city))
        response = client.get(city_url(data.city, agency=data.a.pk))
        figures = dict(response.context["figures"])
        assert (figures["Learners"], figures["Courses started"]) == (2, 8)
        assert list(response.context["errors"]) == []

    @pytest.mark.parametrize(
        "params",
        [
            {"year": "abc"},
            {"year": "1901"},
            {"course": "nope"},
            {"course": "00000000-0000-4000-8000-000000000000"},
            {"form": "ceramah"},
            {"agency": "123456789"},
            {"week_from": "2026-06-08", "week_to": "2026-06-01"},
            {"week_from": "kemarin"},
        ],
    )
    def test_bad_filters_show_a_message_and_the_default(self, client, data, today, params):
        login(client, city_admin(data.city))
        response = client.get(city_url(data.city, **params))
        assert response.status_code == 200
        assert list(response.context["errors"])
        assert 'role="alert"' in response.content.decode()
        figures = dict(response.context["figures"])
        assert (figures["Learners"], figures["Courses started"]) == (5, 11)

    def test_agency_of_another_city(self, client, data, today):
        other = AgencyFactory(city=data.sorong, name="Dinas Sorong")
        login(client, city_admin(data.city))
        response = client.get(city_url(data.city, agency=other.pk))
        assert response.status_code == 200
        assert "not one of Jakarta's agencies" in html.unescape(response.content.decode())
        assert dict(response.context["figures"])["Learners"] == 5

    def test_csv_and_xlsx_downloads(self, client, data, today):
        login(client, city_admin(data.city))
        response = client.get(city_url(data.city, export="agencies", format="csv"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "dasbor-jakarta-2026-agencies.csv" in response["Content-Disposition"]
        text = response.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert rows[0][0] == "Agency"
        assert [row[0] for row in rows[1:]] == [
            "Dinas A",
            "Dinas A › Bidang A1",
            "Dinas B",
            "No agency",
        ]
        response = client.get(city_url(data.city, export="courses", format="xlsx", year=2026))
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert values[0][0] == "Course"
        assert values[1][0] == "Kursus Jakarta" and values[1][3] == 6  # started
        response = client.get(city_url(data.city, export="overdue", format="csv"))
        assert response.content.decode("utf-8-sig").count("\n") == 4  # header + 3

    def test_unknown_table_or_format_is_not_found(self, client, data, today):
        login(client, city_admin(data.city))
        assert client.get(city_url(data.city, export="secrets", format="csv")).status_code == 404
        assert client.get(city_url(data.city, export="courses", format="pdf")).status_code == 404

    def test_query_count_is_constant(self, client, data, today, django_assert_max_num_queries):
        from tests.lms.reports.test_dashboard_selectors import _grow

        login(client, city_admin(data.city))
        client.get(city_url(data.city))  # warm the session and the role cache path
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as small:
            assert client.get(city_url(data.city)).status_code == 200
        _grow(data, 10)
        with django_assert_max_num_queries(len(small) + 1):
            # +1: the title look-up's second query, for the grown data's archived courses.
            assert client.get(city_url(data.city)).status_code == 200


class BelowMinimumPageTests:
    def test_list_by_agency(self, client, data, today):
        login(client, city_admin(data.city))
        url = reverse("reports_dashboard_below_minimum", args=[data.city.slug])
        response = client.get(url + "?year=2026")
        assert response.status_code == 200
        page = response.content.decode()
        assert [p.full_name for p in response.context["page_obj"]] == [
            "Citra",
            "Dewi",
            data.learners["l0"].full_name,
        ]
        assert (
            page.index("<h2>Bidang A1</h2>") < page.index("Citra") < page.index("<h2>Dinas B</h2>")
        )
        assert "Budi" not in page  # 25 JP
        response = client.get(url + f"?year=2026&agency={data.b.pk}")
        assert [p.full_name for p in response.context["page_obj"]] == ["Dewi"]

    def test_paginated_by_fifty(self, client, cities):
        city, _other = cities
        agency = AgencyFactory(city=city, name="Dinas Besar")
        for _n in range(51):
            LearnerFactory(city=city, agency=agency)
        learner = LearnerProfile.objects.filter(city=city).first()
        LearnerYear.objects.create(learner=learner, year=TODAY.year, jp=5)
        login(client, city_admin(city))
        url = reverse("reports_dashboard_below_minimum", args=[city.slug])
        response = client.get(url + f"?year={TODAY.year}")
        assert len(response.context["page_obj"].object_list) == 50
        assert response.context["page_obj"].paginator.count == 51
        response = client.get(url + f"?year={TODAY.year}&p=2")
        assert len(response.context["page_obj"].object_list) == 1
        # A bad page number shows a page, never an error.
        assert client.get(url + "?p=abc").status_code == 200


class NationalPageTests:
    def test_cities_side_by_side(self, client, data, today):
        login(client, national_admin())
        response = client.get(reverse("reports_dashboard_national") + "?year=2026")
        assert response.status_code == 200
        page = response.content.decode()
        rows = {row["city"]: row for row in response.context["table"].rows}
        assert rows["Jakarta"]["started"] == 11
        assert rows["Sorong"]["started"] == 7
        assert city_url(data.city) + "?year=2026" in page
        assert page.count('class="lms-chart"') == 2
        response = client.get(
            reverse("reports_dashboard_national") + "?year=2026&export=cities&format=csv"
        )
        text = response.content.decode("utf-8-sig")
        assert "Jakarta" in text and "Sorong" in text

    def test_bad_filters(self, client, data):
        login(client, national_admin())
        response = client.get(reverse("reports_dashboard_national") + "?year=x&agency=1")
        assert response.status_code == 200
        assert len(list(response.context["errors"])) == 2
