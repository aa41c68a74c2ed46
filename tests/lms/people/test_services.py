"""Writes for people and organisations (lms.people.services)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from lms.people import selectors, services
from lms.people.models import Agency, CityRole, LearnerProfile, User
from tests.factories import (
    AgencyFactory,
    CityFactory,
    LearnerFactory,
    StaffUserFactory,
    city_admin,
)


def codes(exc: ValidationError, field: str) -> list[str]:
    return [error.code for error in exc.error_dict[field]]


@pytest.fixture
def city(db):
    return CityFactory(name="Sorong", slug="sorong")


@pytest.fixture
def other_city(db):
    return CityFactory(name="Jakarta", slug="jakarta")


@pytest.mark.django_db
class CityAndRoleTests:
    def test_city_groups_get_role_permissions(self, city):
        admin_group = services.city_role_group(city=city, role=CityRole.Role.CITY_ADMIN)
        trainer_group = services.city_role_group(city=city, role=CityRole.Role.TRAINER)
        admin_perms = set(admin_group.permissions.values_list("codename", flat=True))
        assert {"access_admin", "change_learnerprofile", "add_agency", "view_city"} <= admin_perms
        assert "change_city" not in admin_perms
        trainer_perms = set(trainer_group.permissions.values_list("codename", flat=True))
        assert trainer_perms == {"access_admin"}

    def test_national_group_is_created_once(self, db):
        assert services.national_admin_group() == services.national_admin_group()
        perms = set(services.national_admin_group().permissions.values_list("codename", flat=True))
        assert {"change_city", "add_city", "change_learnerprofile"} <= perms

    def test_role_permissions_sync_is_rerunnable(self, city):
        group = services.city_role_group(city=city, role=CityRole.Role.CITY_ADMIN)
        group.permissions.clear()
        services.role_permissions_sync()
        services.role_permissions_sync()
        assert group.permissions.filter(codename="change_learnerprofile").exists()

    def test_role_assign_is_idempotent_and_needs_a_city(self, city):
        user = StaffUserFactory()
        services.role_assign(user=user, role="city_admin", city=city)
        services.role_assign(user=user, role="city_admin", city=city)
        assert user.groups.count() == 1
        with pytest.raises(ValidationError):
            services.role_assign(user=user, role="trainer", city=None)

    def test_city_update(self, city):
        services.city_update(city=city, bkpsdm_name="BKPSDM Kota Sorong", timezone="Asia/Jayapura")
        city.refresh_from_db()
        assert city.bkpsdm_name == "BKPSDM Kota Sorong" and city.timezone == "Asia/Jayapura"

    def test_city_update_duplicate_name_refused(self, city, other_city):
        with pytest.raises(ValidationError) as info:
            services.city_update(city=city, name="Jakarta")
        assert "name" in info.value.error_dict
        city.refresh_from_db()
        assert city.name == "Sorong"


@pytest.mark.django_db
class LearnerCreateTests:
    def test_nip_is_username_and_parts_fill_the_profile(self, city):
        profile = services.learner_create(
            city=city, nip="199001152015032001", full_name=" Siti ", email="siti@example.go.id"
        )
        assert profile.user.username == "199001152015032001"
        assert profile.gender == "2" and profile.birth_date == datetime.date(1990, 1, 15)
        assert profile.full_name == "Siti"

    def test_bad_nip_writes_nothing(self, city):
        with pytest.raises(ValidationError) as info:
            services.learner_create(city=city, nip="199001152015033001", full_name="X")
        assert codes(info.value, "nip") == ["nip_gender"]
        assert not User.objects.exists()

    def test_non_ascii_digits_refused(self, city):
        with pytest.raises(ValidationError) as info:
            services.learner_create(city=city, nip="١٩٨٦٠٩٢٦٢٠١٥٠٥2٠٠١", full_name="X")
        assert codes(info.value, "nip") == ["nip_digits"]
        assert not User.objects.exists()

    def test_mismatching_birth_date_refused(self, city):
        with pytest.raises(ValidationError) as info:
            services.learner_create(
                city=city,
                nip="199001152015032001",
                full_name="X",
                birth_date=datetime.date(1990, 1, 16),
            )
        assert codes(info.value, "birth_date") == ["nip_birth_mismatch"]
        assert not LearnerProfile.objects.exists()

    def test_taken_nip_and_email_refused_on_the_right_fields(self, city):
        LearnerFactory(city=city, nip="199001152015032001", email="siti@example.go.id")
        with pytest.raises(ValidationError) as info:
            services.learner_create(
                city=city, nip="199001152015032001", full_name="X", email="SITI@example.go.id"
            )
        assert codes(info.value, "nip") == ["nip_taken"]
        assert codes(info.value, "email") == ["email_taken"]
        assert LearnerProfile.objects.count() == 1

    def test_other_city_agency_and_supervisor_refused(self, city, other_city):
        with pytest.raises(ValidationError) as info:
            services.learner_create(
                city=city,
                nip="199001152015032001",
                full_name="X",
                agency=AgencyFactory(city=other_city),
                supervisor=LearnerFactory(city=other_city),
            )
        assert set(info.value.error_dict) == {"agency", "supervisor"}
        assert not LearnerProfile.objects.filter(city=city).exists()


@pytest.mark.django_db
class LearnerUpdateTests:
    def test_update_syncs_the_user(self, city):
        profile = LearnerFactory(city=city)
        services.learner_update(
            profile=profile,
            nip="199001152015032001",
            full_name="Nama Baru",
            email="baru@example.go.id",
            gender="",
            birth_date=None,
        )
        profile.refresh_from_db()
        assert profile.user.username == "199001152015032001"
        assert profile.user.email == "baru@example.go.id"
        assert profile.user.first_name == "Nama Baru"
        assert profile.gender == "2" and profile.birth_date == datetime.date(1990, 1, 15)

    def test_unchanged_fields_stay(self, city):
        profile = LearnerFactory(city=city, jabatan_name="Analis")
        services.learner_update(profile=profile, phone="0812")
        profile.refresh_from_db()
        assert profile.jabatan_name == "Analis" and profile.phone == "0812"

    def test_nip_that_no_longer_matches_gender_refused(self, city):
        profile = LearnerFactory(city=city, nip="198609262015051001")
        with pytest.raises(ValidationError) as info:
            services.learner_update(profile=profile, nip="199001152015032001")
        # The stored birth date and gender are the old NIP's.
        assert set(info.value.error_dict) == {"birth_date", "gender"}
        profile.refresh_from_db()
        assert profile.nip == "198609262015051001"
        assert profile.user.username == "198609262015051001"

    def test_other_city_agency_refused(self, city, other_city):
        profile = LearnerFactory(city=city)
        with pytest.raises(ValidationError) as info:
            services.learner_update(profile=profile, agency=AgencyFactory(city=other_city))
        assert codes(info.value, "agency") == ["agency_other_city"]

    def test_email_of_another_user_refused(self, city):
        LearnerFactory(city=city, email="ambil@example.go.id")
        profile = LearnerFactory(city=city)
        with pytest.raises(ValidationError) as info:
            services.learner_update(profile=profile, email="Ambil@example.go.id")
        assert codes(info.value, "email") == ["email_taken"]

    def test_keeping_own_email_is_fine(self, city):
        profile = LearnerFactory(city=city, email="saya@example.go.id")
        services.learner_update(profile=profile, email="Saya@example.go.id")


@pytest.mark.django_db
class SupervisorSetTests:
    def test_set_and_clear(self, city):
        boss, staff = LearnerFactory(city=city), LearnerFactory(city=city)
        services.supervisor_set(profile=staff, supervisor=boss)
        assert list(selectors.staff_of(supervisor=boss)) == [staff]
        services.supervisor_set(profile=staff, supervisor=None)
        assert not selectors.staff_of(supervisor=boss).exists()

    def test_self_refused(self, city):
        person = LearnerFactory(city=city)
        with pytest.raises(ValidationError) as info:
            services.supervisor_set(profile=person, supervisor=person)
        assert codes(info.value, "supervisor") == ["supervisor_self"]

    def test_other_city_refused(self, city, other_city):
        person = LearnerFactory(city=city)
        with pytest.raises(ValidationError) as info:
            services.supervisor_set(profile=person, supervisor=LearnerFactory(city=other_city))
        assert codes(info.value, "supervisor") == ["supervisor_other_city"]
        person.refresh_from_db()
        assert person.supervisor is None

    @pytest.mark.parametrize("depth", [1, 2, 4])
    def test_cycles_refused_at_any_depth(self, city, depth):
        top = LearnerFactory(city=city)
        chain = [top]
        for _ in range(depth):
            chain.append(LearnerFactory(city=city, supervisor=chain[-1]))
        with pytest.raises(ValidationError) as info:
            services.supervisor_set(profile=top, supervisor=chain[-1])
        assert codes(info.value, "supervisor") == ["supervisor_cycle"]
        top.refresh_from_db()
        assert top.supervisor is None

    def test_moving_within_the_tree_is_fine(self, city):
        boss = LearnerFactory(city=city)
        a = LearnerFactory(city=city, supervisor=boss)
        b = LearnerFactory(city=city, supervisor=boss)
        services.supervisor_set(profile=b, supervisor=a)
        assert set(selectors.staff_of(supervisor=boss)) == {a, b}
        assert list(selectors.staff_of(supervisor=boss, indirect=False)) == [a]
        assert selectors.is_above(supervisor=boss, profile=b)
        assert not selectors.is_above(supervisor=b, profile=boss)


@pytest.mark.django_db
class ActivationTests:
    def test_deactivate_and_activate_together(self, city):
        profile = LearnerFactory(city=city)
        services.learner_deactivate(profile=profile)
        profile.refresh_from_db()
        assert not profile.is_active and not profile.user.is_active
        services.learner_deactivate(profile=profile)  # twice is fine
        services.learner_activate(profile=profile)
        profile.refresh_from_db()
        assert profile.is_active and profile.user.is_active


@pytest.mark.django_db
class AgencyServiceTests:
    def test_create_upper_cases_code_and_refuses_other_city_parent(self, city, other_city):
        agency = services.agency_create(city=city, name="Dinas", code=" kominfo ")
        assert agency.code == "KOMINFO"
        with pytest.raises(ValidationError) as info:
            services.agency_create(city=city, name="Bidang", parent=AgencyFactory(city=other_city))
        assert codes(info.value, "parent") == ["agency_other_city"]

    def test_duplicate_code_in_city_refused(self, city, other_city):
        services.agency_create(city=city, name="A", code="X")
        services.agency_create(city=other_city, name="A", code="X")  # other city: fine
        with pytest.raises(ValidationError):
            services.agency_create(city=city, name="B", code="x")

    def test_subtree_is_one_prefix_query(self, city, django_assert_num_queries):
        dinas = AgencyFactory(city=city, name="Dinas")
        bidang = AgencyFactory(city=city, name="Bidang", parent=dinas)
        seksi = AgencyFactory(city=city, name="Seksi", parent=bidang)
        AgencyFactory(city=city, name="Lain")
        people = [LearnerFactory(city=city, agency=a) for a in (dinas, bidang, seksi)]
        with django_assert_num_queries(1):
            assert set(selectors.agency_subtree(agency=dinas)) == {dinas, bidang, seksi}
        with django_assert_num_queries(1):
            assert set(selectors.agency_subtree_profiles(agency=bidang)) == set(people[1:])

    def test_update_and_move(self, city):
        dinas = AgencyFactory(city=city, name="Dinas")
        badan = AgencyFactory(city=city, name="Badan")
        bidang = AgencyFactory(city=city, name="Bidang", parent=dinas)
        seksi = AgencyFactory(city=city, name="Seksi", parent=bidang)
        bidang = services.agency_update(agency=bidang, name="Bidang TI", code="bti")
        assert bidang.code == "BTI"
        bidang = services.agency_move(agency=bidang, parent=badan)
        assert bidang.get_parent() == badan
        assert Agency.objects.get(pk=seksi.pk).get_parent() == bidang  # subtree follows
        bidang = services.agency_move(agency=bidang, parent=None)
        assert bidang.is_root()

    def test_move_into_own_subtree_refused(self, city):
        dinas = AgencyFactory(city=city)
        bidang = AgencyFactory(city=city, parent=dinas)
        for target in (dinas, bidang):
            with pytest.raises(ValidationError) as info:
                services.agency_move(agency=dinas, parent=target)
            assert codes(info.value, "parent") == ["agency_move_into_own_subtree"]
        assert Agency.objects.get(pk=dinas.pk).is_root()

    def test_move_to_other_city_refused(self, city, other_city):
        dinas = AgencyFactory(city=city)
        with pytest.raises(ValidationError) as info:
            services.agency_move(agency=dinas, parent=AgencyFactory(city=other_city))
        assert codes(info.value, "parent") == ["agency_other_city"]

    def test_delete_refused_while_in_use(self, city):
        dinas = AgencyFactory(city=city)
        bidang = AgencyFactory(city=city, parent=dinas)
        with pytest.raises(ValidationError) as info:
            services.agency_delete(agency=dinas)
        assert info.value.code == "agency_has_children"
        LearnerFactory(city=city, agency=bidang)
        with pytest.raises(ValidationError) as info:
            services.agency_delete(agency=bidang)
        assert info.value.code == "agency_has_people"
        assert Agency.objects.count() == 2


@pytest.mark.django_db
class RoleCacheTests:
    def test_role_assign_clears_cached_roles(self, city):
        from lms.people import permissions

        user = StaffUserFactory()
        assert not permissions.can_manage_city(user, city)
        services.role_assign(user=user, role="city_admin", city=city)
        assert permissions.can_manage_city(user, city)

    def test_city_admin_factory(self, city):
        from lms.people import permissions

        assert permissions.is_city_admin(city_admin(city), city)
