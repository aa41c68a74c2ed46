"""The Wagtail admin screens for people, agencies and cities: they save through the
services, show the services' refusals as field errors, and only offer what the viewer
may manage."""

import pytest
from django.urls import reverse
from django.utils import translation

from lms.people.models import Agency, City, LearnerProfile
from tests.factories import AgencyFactory, CityFactory, LearnerFactory, city_admin, national_admin
from tests.factories import nip_for as factory_nip_for

NEW_NIP = "199001152015032001"  # born 1990-01-15, CPNS 2015-03, female, no. 001


def person_data(city, **overrides):
    data = {
        "city": city.pk,
        "employment_type": "pns",
        "nip": NEW_NIP,
        "full_name": "Siti Rahma",
        "gender": "",
        "birth_date": "",
        "golongan": "III/a",
        "jabatan_type": "fungsional",
        "jabatan_name": "Pranata Komputer",
        "agency": "",
        "email": "siti@example.go.id",
        "phone": "",
        "supervisor_nip": "",
    }
    data.update(overrides)
    return data


def edit_data(profile, **overrides):
    data = person_data(
        profile.city,
        nip=profile.nip,
        full_name=profile.full_name,
        email=profile.email,
        gender=profile.gender,
        birth_date=profile.birth_date.isoformat() if profile.birth_date else "",
        agency=profile.agency_id or "",
        supervisor_nip=profile.supervisor.nip if profile.supervisor else "",
        is_active="on" if profile.is_active else "",
    )
    data.update(overrides)
    return data


def form_errors(response):
    form = response.context["form"]
    return {field: [e.code for e in errors.as_data()] for field, errors in form.errors.items()}


@pytest.fixture
def cities(db):
    return CityFactory(name="Sorong", slug="sorong"), CityFactory(name="Jakarta", slug="jakarta")


@pytest.fixture
def sorong_admin_client(client, cities):
    client.force_login(city_admin(cities[0]))
    return client


@pytest.mark.django_db
class PeopleCreateTests:
    def test_city_admin_creates_a_learner_through_the_service(self, sorong_admin_client, cities):
        sorong, _jakarta = cities
        agency = AgencyFactory(city=sorong)
        boss = LearnerFactory(city=sorong)
        response = sorong_admin_client.post(
            reverse("people:add"),
            person_data(sorong, agency=agency.pk, supervisor_nip=boss.nip),
        )
        assert response.status_code == 302, form_errors(response)
        profile = LearnerProfile.objects.get(nip=NEW_NIP)
        assert profile.user.username == NEW_NIP
        assert profile.gender == "2"  # from the NIP
        assert profile.birth_date.isoformat() == "1990-01-15"
        assert profile.supervisor == boss and profile.agency == agency
        assert not profile.user.has_usable_password()  # first password via reset email

    @pytest.mark.parametrize(
        ("nip", "code"),
        [
            ("19900115201503200", "nip_length"),
            ("1990011520150320AB", "nip_digits"),
            ("199002302015032001", "nip_birth_date"),
            ("199001152015132001", "nip_start_month"),
            ("199001151985032001", "nip_start_order"),
            ("199001152015033001", "nip_gender"),
            ("199001152015032000", "nip_sequence"),
        ],
    )
    def test_bad_nip_is_a_field_error_and_nothing_is_written(
        self, sorong_admin_client, cities, nip, code
    ):
        response = sorong_admin_client.post(reverse("people:add"), person_data(cities[0], nip=nip))
        assert response.status_code == 200
        assert form_errors(response)["nip"] == [code]
        assert not LearnerProfile.objects.exists()

    def test_birth_date_and_gender_must_agree_with_nip(self, sorong_admin_client, cities):
        response = sorong_admin_client.post(
            reverse("people:add"),
            person_data(cities[0], birth_date="1990-01-16", gender="1"),
        )
        errors = form_errors(response)
        assert errors["birth_date"] == ["nip_birth_mismatch"]
        assert errors["gender"] == ["nip_gender_mismatch"]
        assert not LearnerProfile.objects.exists()

    def test_taken_nip_and_email_are_field_errors(self, sorong_admin_client, cities):
        existing = LearnerFactory(city=cities[1], email="Siti@Example.go.id")
        response = sorong_admin_client.post(
            reverse("people:add"),
            person_data(cities[0], nip=existing.nip, email="siti@example.go.id"),
        )
        errors = form_errors(response)
        assert "nip" in errors and "email" in errors
        assert LearnerProfile.objects.count() == 1

    def test_city_admin_cannot_pick_another_city(self, sorong_admin_client, cities):
        _sorong, jakarta = cities
        response = sorong_admin_client.post(reverse("people:add"), person_data(jakarta))
        assert form_errors(response)["city"] == ["invalid_choice"]
        assert not LearnerProfile.objects.exists()

    def test_city_admin_cannot_pick_another_citys_agency(self, sorong_admin_client, cities):
        sorong, jakarta = cities
        jakarta_agency = AgencyFactory(city=jakarta)
        response = sorong_admin_client.post(
            reverse("people:add"), person_data(sorong, agency=jakarta_agency.pk)
        )
        assert form_errors(response)["agency"] == ["invalid_choice"]
        assert jakarta_agency.name not in response.text  # not even offered
        assert not LearnerProfile.objects.exists()

    def test_city_admin_cannot_pick_another_citys_supervisor(self, sorong_admin_client, cities):
        sorong, jakarta = cities
        jakarta_boss = LearnerFactory(city=jakarta)
        response = sorong_admin_client.post(
            reverse("people:add"), person_data(sorong, supervisor_nip=jakarta_boss.nip)
        )
        assert form_errors(response)["supervisor_nip"] == ["supervisor_not_found"]
        assert LearnerProfile.objects.count() == 1

    def test_national_admin_agency_of_other_city_refused(self, client, cities):
        sorong, jakarta = cities
        client.force_login(national_admin())
        response = client.post(
            reverse("people:add"), person_data(sorong, agency=AgencyFactory(city=jakarta).pk)
        )
        assert form_errors(response)["agency"] == ["agency_other_city"]
        assert not LearnerProfile.objects.exists()

    def test_error_messages_name_the_wrong_part(self, sorong_admin_client, cities):
        with translation.override("en"):
            response = sorong_admin_client.post(
                reverse("people:add"),
                person_data(cities[0], nip="199001152015033001"),
                HTTP_ACCEPT_LANGUAGE="en",
            )
        assert (
            "Digit 15 of the NIP must be 1 (male) or 2 (female); it is 3."
            in (response.context["form"].errors["nip"][0])
        )


@pytest.mark.django_db
class PeopleEditTests:
    def test_edit_goes_through_services(self, sorong_admin_client, cities):
        sorong = cities[0]
        boss = LearnerFactory(city=sorong)
        profile = LearnerFactory(city=sorong, full_name="Lama")
        response = sorong_admin_client.post(
            reverse("people:edit", args=[profile.pk]),
            edit_data(
                profile, full_name="Baru", email="baru@example.go.id", supervisor_nip=boss.nip
            ),
        )
        assert response.status_code == 302, form_errors(response)
        profile.refresh_from_db()
        assert profile.full_name == "Baru" and profile.supervisor == boss
        assert profile.user.email == "baru@example.go.id"

    def test_deactivating_also_blocks_the_login(self, sorong_admin_client, cities):
        profile = LearnerFactory(city=cities[0])
        data = edit_data(profile)
        data.pop("is_active")
        response = sorong_admin_client.post(reverse("people:edit", args=[profile.pk]), data)
        assert response.status_code == 302, form_errors(response)
        profile.refresh_from_db()
        assert not profile.is_active and not profile.user.is_active

    def test_supervisor_cycle_is_a_field_error(self, sorong_admin_client, cities):
        boss = LearnerFactory(city=cities[0], full_name="Boss")
        staff = LearnerFactory(city=cities[0], supervisor=boss)
        response = sorong_admin_client.post(
            reverse("people:edit", args=[boss.pk]), edit_data(boss, supervisor_nip=staff.nip)
        )
        assert response.status_code == 200
        assert form_errors(response)["supervisor_nip"] == ["supervisor_cycle"]
        boss.refresh_from_db()
        assert boss.supervisor is None

    def test_failed_service_leaves_nothing_half_written(self, sorong_admin_client, cities):
        boss = LearnerFactory(city=cities[0], full_name="Boss")
        staff = LearnerFactory(city=cities[0], supervisor=boss)
        # The name change is valid, the supervisor is not: neither may be saved.
        sorong_admin_client.post(
            reverse("people:edit", args=[boss.pk]),
            edit_data(boss, full_name="Renamed", supervisor_nip=staff.nip),
        )
        boss.refresh_from_db()
        assert boss.full_name == "Boss"

    def test_edit_form_offers_only_own_city_agencies(self, sorong_admin_client, cities):
        sorong, jakarta = cities
        AgencyFactory(city=sorong, name="Dinas Sorong")
        AgencyFactory(city=jakarta, name="Dinas Jakarta")
        profile = LearnerFactory(city=sorong)
        response = sorong_admin_client.get(reverse("people:edit", args=[profile.pk]))
        assert "Dinas Sorong" in response.text
        assert "Dinas Jakarta" not in response.text


@pytest.mark.django_db
class PeopleListTests:
    def test_search_by_nip_and_name(self, sorong_admin_client, cities):
        a = LearnerFactory(city=cities[0], full_name="Andi Wijaya")
        b = LearnerFactory(city=cities[0], full_name="Budi Santoso")
        response = sorong_admin_client.get(reverse("people:index"), {"q": a.nip})
        assert a.full_name in response.text and b.full_name not in response.text
        response = sorong_admin_client.get(reverse("people:index"), {"q": "santoso"})
        assert b.full_name in response.text and a.full_name not in response.text

    def test_search_does_not_reach_other_cities(self, sorong_admin_client, cities):
        other = LearnerFactory(city=cities[1], full_name="Jakarta Person")
        response = sorong_admin_client.get(reverse("people:index"), {"q": other.nip})
        assert other.full_name not in response.text

    def test_filter_by_agency_includes_sub_units_and_by_active(self, sorong_admin_client, cities):
        sorong = cities[0]
        dinas = AgencyFactory(city=sorong, name="Dinas")
        bidang = AgencyFactory(city=sorong, name="Bidang", parent=dinas)
        other = AgencyFactory(city=sorong, name="Lain")
        in_bidang = LearnerFactory(city=sorong, agency=bidang, full_name="Di Bidang")
        elsewhere = LearnerFactory(city=sorong, agency=other, full_name="Di Lain")
        response = sorong_admin_client.get(reverse("people:index"), {"agency": dinas.pk})
        assert in_bidang.full_name in response.text and elsewhere.full_name not in response.text
        from lms.people import services

        services.learner_deactivate(profile=elsewhere)
        response = sorong_admin_client.get(reverse("people:index"), {"is_active": "false"})
        assert elsewhere.full_name in response.text and in_bidang.full_name not in response.text

    def test_filter_with_other_citys_agency_is_ignored_not_leaked(
        self, sorong_admin_client, cities
    ):
        jakarta_agency = AgencyFactory(city=cities[1])
        LearnerFactory(city=cities[1], agency=jakarta_agency, full_name="Jakarta Person")
        response = sorong_admin_client.get(reverse("people:index"), {"agency": jakarta_agency.pk})
        assert response.status_code == 200
        assert "Jakarta Person" not in response.text

    def test_list_query_count_does_not_grow_with_people(
        self, client, cities, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        sorong = cities[0]
        agency = AgencyFactory(city=sorong)
        boss = LearnerFactory(city=sorong, agency=agency)
        for _ in range(2):
            LearnerFactory(city=sorong, agency=agency, supervisor=boss)
        client.force_login(city_admin(sorong))
        url = reverse("people:index")
        client.get(url)  # warm up per-process caches (content types, etc.)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        for _ in range(27):
            LearnerFactory(city=sorong, agency=agency, supervisor=boss)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(url)
        assert response.text.count(agency.name) >= 30


@pytest.mark.django_db
class AgencyAdminTests:
    def test_create_child_agency_and_move_it(self, sorong_admin_client, cities):
        sorong = cities[0]
        dinas = AgencyFactory(city=sorong, name="Dinas")
        badan = AgencyFactory(city=sorong, name="Badan")
        response = sorong_admin_client.post(
            reverse("agency:add"),
            {
                "city": sorong.pk,
                "name": "Bidang",
                "code": "bid",
                "kind": "bidang",
                "parent": dinas.pk,
            },
        )
        assert response.status_code == 302, form_errors(response)
        bidang = Agency.objects.get(name="Bidang")
        assert bidang.get_parent() == dinas and bidang.code == "BID"
        response = sorong_admin_client.post(
            reverse("agency:edit", args=[bidang.pk]),
            {"name": "Bidang", "code": "BID", "kind": "bidang", "parent": badan.pk},
        )
        assert response.status_code == 302, form_errors(response)
        assert Agency.objects.get(pk=bidang.pk).get_parent() == badan

    def test_cannot_move_under_own_sub_unit(self, sorong_admin_client, cities):
        dinas = AgencyFactory(city=cities[0], name="Dinas")
        bidang = AgencyFactory(city=cities[0], name="Bidang", parent=dinas)
        response = sorong_admin_client.post(
            reverse("agency:edit", args=[dinas.pk]),
            {"name": "Dinas", "code": dinas.code, "kind": "dinas", "parent": bidang.pk},
        )
        assert form_errors(response)["parent"] == ["invalid_choice"]
        assert Agency.objects.get(pk=dinas.pk).is_root()

    def test_cannot_create_under_other_citys_agency(self, sorong_admin_client, cities):
        jakarta_dinas = AgencyFactory(city=cities[1])
        response = sorong_admin_client.post(
            reverse("agency:add"),
            {
                "city": cities[0].pk,
                "name": "X",
                "code": "",
                "kind": "dinas",
                "parent": jakarta_dinas.pk,
            },
        )
        assert form_errors(response)["parent"] == ["invalid_choice"]
        assert not Agency.objects.filter(name="X").exists()

    def test_delete_refused_while_people_work_there(self, sorong_admin_client, cities):
        agency = AgencyFactory(city=cities[0])
        LearnerFactory(city=cities[0], agency=agency)
        response = sorong_admin_client.post(reverse("agency:delete", args=[agency.pk]))
        assert response.status_code == 302
        assert Agency.objects.filter(pk=agency.pk).exists()

    def test_delete_empty_agency(self, sorong_admin_client, cities):
        agency = AgencyFactory(city=cities[0])
        response = sorong_admin_client.post(reverse("agency:delete", args=[agency.pk]))
        assert response.status_code == 302
        assert not Agency.objects.filter(pk=agency.pk).exists()

    def test_agency_list_shows_parent_without_extra_queries(self, sorong_admin_client, cities):
        dinas = AgencyFactory(city=cities[0], name="Dinas Induk")
        AgencyFactory(city=cities[0], name="Bidang Anak", parent=dinas)
        response = sorong_admin_client.get(reverse("agency:index"))
        assert response.status_code == 200
        assert "Bidang Anak" in response.text and "Dinas Induk" in response.text


@pytest.mark.django_db
class CityAdminTests:
    def test_national_admin_creates_city_with_groups(self, client, db):
        client.force_login(national_admin())
        response = client.post(
            reverse("city:add"),
            {
                "name": "Palu",
                "slug": "palu",
                "bkpsdm_name": "BKPSDM Kota Palu",
                "timezone": "Asia/Makassar",
                "certificate_number_format": "{seq:04d}/BKPSDM-{city}/{year}",
            },
        )
        assert response.status_code == 302, form_errors(response)
        city = City.objects.get(slug="palu")
        assert city.certificate_number_format == "{seq:04d}/BKPSDM-{city}/{year}"
        assert set(city.roles.values_list("role", flat=True)) == {"city_admin", "trainer"}

    def test_national_admin_edits_city(self, client, cities):
        client.force_login(national_admin())
        sorong = cities[0]
        response = client.post(
            reverse("city:edit", args=[sorong.pk]),
            {
                "name": "Kota Sorong",
                "slug": "sorong",
                "bkpsdm_name": "BKPSDM",
                "timezone": "Asia/Jayapura",
                "certificate_number_format": "SRT-{year}-{city}-{seq}",
            },
        )
        assert response.status_code == 302, form_errors(response)
        sorong.refresh_from_db()
        assert sorong.name == "Kota Sorong" and sorong.timezone == "Asia/Jayapura"
        assert sorong.certificate_number_format == "SRT-{year}-{city}-{seq}"

    def test_certificate_number_format_without_sequence_is_refused(self, client, cities):
        client.force_login(national_admin())
        sorong = cities[0]
        before = sorong.certificate_number_format
        response = client.post(
            reverse("city:edit", args=[sorong.pk]),
            {
                "name": sorong.name,
                "slug": sorong.slug,
                "bkpsdm_name": sorong.bkpsdm_name,
                "timezone": sorong.timezone,
                "certificate_number_format": "SERT/{city}/{year}/{nomor}",
            },
        )
        assert "certificate_number_format" in form_errors(response)
        sorong.refresh_from_db()
        assert sorong.certificate_number_format == before

    def test_duplicate_city_is_a_field_error(self, client, cities):
        client.force_login(national_admin())
        response = client.post(
            reverse("city:add"),
            {"name": "Sorong", "slug": "sorong-2", "bkpsdm_name": "B", "timezone": "Asia/Jakarta"},
        )
        assert "name" in form_errors(response)


def test_nip_helper_is_valid():
    from lms.people.nip import parse_nip

    parse_nip(factory_nip_for(7))


@pytest.mark.django_db
class MenuTests:
    def test_city_admin_sees_people_menu(self, client, cities):
        client.force_login(city_admin(cities[0]))
        response = client.get(reverse("wagtailadmin_home"))
        assert response.status_code == 200
        assert reverse("people:index") in response.text

    def test_trainer_does_not_see_people_menu(self, client, cities):
        from tests.factories import trainer

        client.force_login(trainer(cities[0]))
        response = client.get(reverse("wagtailadmin_home"))
        assert response.status_code == 200
        assert reverse("people:index") not in response.text


@pytest.mark.django_db
class FormPagesRenderTests:
    @pytest.mark.parametrize(
        "url_name", ["people:add", "agency:add", "people:index", "agency:index"]
    )
    def test_city_admin_pages_render(self, sorong_admin_client, cities, url_name):
        AgencyFactory(city=cities[0], name="Dinas Sorong")
        assert sorong_admin_client.get(reverse(url_name)).status_code == 200

    @pytest.mark.parametrize("url_name", ["people:add", "agency:add", "city:add", "city:index"])
    def test_national_admin_pages_render(self, client, cities, url_name):
        client.force_login(national_admin())
        assert client.get(reverse(url_name)).status_code == 200


@pytest.mark.django_db
class BadInputTests:
    """Bad input is a form error, never a 500, and never half-written data."""

    def test_garbage_person_form(self, sorong_admin_client, cities):
        response = sorong_admin_client.post(
            reverse("people:add"),
            person_data(
                cities[0],
                birth_date="2020-13-45",
                gender="7",
                agency="abc",
                employment_type="boss",
                email="not-an-email",
            ),
        )
        assert response.status_code == 200
        assert {"birth_date", "gender", "agency", "employment_type", "email"} <= set(
            form_errors(response)
        )
        assert not LearnerProfile.objects.exists()

    def test_duplicate_agency_code_is_a_form_error(self, sorong_admin_client, cities):
        AgencyFactory(city=cities[0], code="KOMINFO")
        response = sorong_admin_client.post(
            reverse("agency:add"),
            {"city": cities[0].pk, "name": "Lagi", "code": "KOMINFO", "kind": "dinas"},
        )
        assert response.status_code == 200
        assert Agency.objects.filter(code="KOMINFO").count() == 1

    def test_garbage_filters_are_ignored(self, sorong_admin_client, cities):
        response = sorong_admin_client.get(
            reverse("people:index"), {"agency": "x", "is_active": "maybe", "city": "-1", "p": "z"}
        )
        assert response.status_code in (200, 404)

    def test_unknown_ids_are_404(self, sorong_admin_client, cities):
        for name in ("people:edit", "agency:edit", "city:inspect"):
            assert sorong_admin_client.get(reverse(name, args=[987654])).status_code == 404

    def test_agency_list_query_count_does_not_grow(
        self, sorong_admin_client, cities, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        root = AgencyFactory(city=cities[0])
        for _ in range(2):
            AgencyFactory(city=cities[0], parent=root)
        url = reverse("agency:index")
        sorong_admin_client.get(url)
        with CaptureQueriesContext(connection) as few:
            sorong_admin_client.get(url)
        for _ in range(27):
            AgencyFactory(city=cities[0], parent=root)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert sorong_admin_client.get(url).status_code == 200
