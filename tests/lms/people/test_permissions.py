"""The permission matrix: each role x own city / other city x people, curriculum pages and
records. A Sorong city admin gets 403/404 on everything of Jakarta; a supervisor does not
see a peer's staff; a learner sees only themself."""

import pytest
from django.urls import reverse

from lms.people import permissions, services
from lms.people.models import Agency, LearnerProfile
from tests.factories import (
    AgencyFactory,
    CityFactory,
    LearnerFactory,
    city_admin,
    national_admin,
    trainer,
)


class World:
    """Two cities with staff and a small supervision tree in Jakarta:

    boss -> mid -> (staff_a, staff_b);  boss -> peer -> peer_staff
    """

    def __init__(self, curriculum_index=None):
        self.jakarta = CityFactory(name="Jakarta", slug="jakarta")
        self.sorong = CityFactory(name="Sorong", slug="sorong")
        self.jkt_dinas = AgencyFactory(city=self.jakarta, name="Diskominfo", code="KOMINFO")
        self.jkt_bidang = AgencyFactory(
            city=self.jakarta, name="Bidang Aptika", code="APTIKA", parent=self.jkt_dinas
        )
        self.sorong_dinas = AgencyFactory(city=self.sorong, name="BKPSDM Sorong", code="BKPSDM")
        self.boss = LearnerFactory(city=self.jakarta, agency=self.jkt_dinas, full_name="Boss")
        self.mid = LearnerFactory(city=self.jakarta, supervisor=self.boss, full_name="Mid")
        self.staff_a = LearnerFactory(city=self.jakarta, supervisor=self.mid, full_name="Staff A")
        self.staff_b = LearnerFactory(
            city=self.jakarta, supervisor=self.mid, agency=self.jkt_bidang, full_name="Staff B"
        )
        self.peer = LearnerFactory(city=self.jakarta, supervisor=self.boss, full_name="Peer")
        self.peer_staff = LearnerFactory(
            city=self.jakarta, supervisor=self.peer, full_name="Peer Staff"
        )
        self.sorong_learner = LearnerFactory(
            city=self.sorong, agency=self.sorong_dinas, full_name="Sorong Learner"
        )
        self.jkt_admin = city_admin(self.jakarta)
        self.sorong_admin = city_admin(self.sorong)
        self.jkt_trainer = trainer(self.jakarta)
        self.sorong_trainer = trainer(self.sorong)
        self.national = national_admin()
        if curriculum_index is not None:
            from courses.services import city_curriculum_create

            self.jkt_page = city_curriculum_create(
                index=curriculum_index, city=self.jakarta, title="Kurikulum Jakarta"
            )
            self.sorong_page = city_curriculum_create(
                index=curriculum_index, city=self.sorong, title="Kurikulum Sorong"
            )

    @property
    def jakarta_people(self):
        return {self.boss, self.mid, self.staff_a, self.staff_b, self.peer, self.peer_staff}


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def world_with_pages(curriculum_index):
    return World(curriculum_index)


def fresh(user):
    """The user as a new request would load it (no cached roles)."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.django_db
class VisibleProfilesTests:
    def test_national_admin_sees_everyone(self, world):
        assert set(permissions.visible_profiles(world.national)) == set(
            LearnerProfile.objects.all()
        )

    def test_superuser_counts_as_national_admin(self, world, django_user_model):
        root = django_user_model.objects.create_superuser("root", "root@example.go.id", "x")
        assert permissions.is_national_admin(root)
        assert permissions.visible_profiles(root).count() == LearnerProfile.objects.count()

    def test_city_admin_sees_own_city_only(self, world):
        assert set(permissions.visible_profiles(world.jkt_admin)) == world.jakarta_people
        assert set(permissions.visible_profiles(world.sorong_admin)) == {world.sorong_learner}

    def test_supervisor_sees_self_and_direct_and_indirect_staff(self, world):
        assert set(permissions.visible_profiles(world.boss.user)) == world.jakarta_people
        assert set(permissions.visible_profiles(world.mid.user)) == {
            world.mid,
            world.staff_a,
            world.staff_b,
        }

    def test_supervisor_does_not_see_a_peers_staff(self, world):
        visible = set(permissions.visible_profiles(world.mid.user))
        assert world.peer not in visible
        assert world.peer_staff not in visible
        assert world.boss not in visible

    def test_learner_sees_only_themself(self, world):
        assert list(permissions.visible_profiles(world.staff_a.user)) == [world.staff_a]
        assert list(permissions.visible_profiles(world.sorong_learner.user)) == [
            world.sorong_learner
        ]

    def test_is_supervisor(self, world):
        assert permissions.is_supervisor(world.boss.user)
        assert permissions.is_supervisor(world.mid.user)
        assert not permissions.is_supervisor(world.staff_a.user)
        assert not permissions.is_supervisor(world.jkt_admin)

    def test_trainer_sees_no_learner(self, world):
        assert not permissions.visible_profiles(world.jkt_trainer).exists()
        assert not permissions.visible_profiles(world.sorong_trainer).exists()

    def test_anonymous_and_inactive_see_nothing(self, world):
        from django.contrib.auth.models import AnonymousUser

        assert not permissions.visible_profiles(AnonymousUser()).exists()
        services.learner_deactivate(profile=world.mid)
        assert not permissions.visible_profiles(fresh(world.mid.user)).exists()

    def test_cycle_in_data_does_not_loop(self, world):
        # supervisor_set refuses cycles; the CTE must still end if one slips in.
        LearnerProfile.objects.filter(pk=world.boss.pk).update(supervisor=world.staff_a)
        assert set(permissions.visible_profiles(fresh(world.mid.user))) >= {
            world.staff_a,
            world.boss,
        }

    def test_same_query_count_for_3_and_30_staff(self, world, django_assert_max_num_queries):
        def count_queries(user):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as ctx:
                list(permissions.visible_profiles(user).select_related("agency", "city"))
            return len(ctx.captured_queries)

        few = count_queries(fresh(world.mid.user))
        for _ in range(27):
            LearnerFactory(city=world.jakarta, supervisor=world.staff_a)
        user = fresh(world.mid.user)
        with django_assert_max_num_queries(few):
            rows = list(permissions.visible_profiles(user).select_related("agency", "city"))
        assert len(rows) == 30
        assert few <= 3  # two role lookups + the list itself

    def test_roles_are_looked_up_once_per_user_object(self, world, django_assert_num_queries):
        user = fresh(world.jkt_admin)
        permissions.roles_of(user)
        with django_assert_num_queries(0):
            for profile in [world.boss, world.sorong_learner] * 10:
                permissions.can_view_city(user, profile.city_id)
                permissions.can_manage_learner(user, profile)


@pytest.mark.django_db
class CanViewLearnerTests:
    """Records of a learner are visible exactly when the learner is (can_view_learner)."""

    @pytest.mark.parametrize(
        ("viewer", "target", "expected"),
        [
            ("national", "staff_a", True),
            ("national", "sorong_learner", True),
            ("jkt_admin", "staff_a", True),
            ("jkt_admin", "sorong_learner", False),
            ("sorong_admin", "sorong_learner", True),
            ("sorong_admin", "staff_a", False),
            ("sorong_admin", "boss", False),
            ("jkt_trainer", "staff_a", False),
            ("jkt_trainer", "sorong_learner", False),
        ],
    )
    def test_staff_roles(self, world, viewer, target, expected):
        user = getattr(world, viewer)
        assert permissions.can_view_learner(user, getattr(world, target)) is expected

    @pytest.mark.parametrize(
        ("viewer", "target", "expected"),
        [
            ("boss", "staff_a", True),  # indirect
            ("boss", "peer_staff", True),
            ("mid", "staff_a", True),  # direct
            ("mid", "mid", True),  # themself
            ("mid", "peer", False),  # a peer
            ("mid", "peer_staff", False),  # a peer's staff
            ("mid", "boss", False),  # their own supervisor
            ("staff_a", "staff_b", False),  # a colleague
            ("staff_a", "staff_a", True),
            ("staff_a", "sorong_learner", False),  # other city
            ("sorong_learner", "staff_a", False),
        ],
    )
    def test_learners_and_supervisors(self, world, viewer, target, expected):
        user = getattr(world, viewer).user
        assert permissions.can_view_learner(user, getattr(world, target)) is expected

    def test_answer_agrees_with_visible_profiles(self, world):
        for viewer in [world.boss, world.mid, world.peer, world.staff_a, world.sorong_learner]:
            visible = set(permissions.visible_profiles(viewer.user))
            for target in LearnerProfile.objects.all():
                assert permissions.can_view_learner(viewer.user, target) is (target in visible)


@pytest.mark.django_db
class CityPermissionTests:
    def test_national_admin_views_and_manages_every_city(self, world):
        for city in (world.jakarta, world.sorong):
            assert permissions.can_view_city(world.national, city)
            assert permissions.can_manage_city(world.national, city)
        assert set(permissions.visible_cities(world.national)) == {world.jakarta, world.sorong}

    def test_city_admin_own_city_only(self, world):
        assert permissions.can_manage_city(world.sorong_admin, world.sorong)
        assert not permissions.can_view_city(world.sorong_admin, world.jakarta)
        assert not permissions.can_manage_city(world.sorong_admin, world.jakarta)
        assert list(permissions.visible_cities(world.sorong_admin)) == [world.sorong]
        assert not permissions.can_edit_city_record(world.sorong_admin, world.sorong)

    def test_trainer_views_assigned_cities_but_manages_none(self, world):
        assert permissions.can_view_city(world.jkt_trainer, world.jakarta)
        assert not permissions.can_view_city(world.jkt_trainer, world.sorong)
        assert not permissions.can_manage_city(world.jkt_trainer, world.jakarta)
        services.role_assign(user=world.jkt_trainer, role="trainer", city=world.sorong)
        assert permissions.can_view_city(world.jkt_trainer, world.sorong)

    def test_learner_views_own_city_only(self, world):
        assert permissions.can_view_city(world.staff_a.user, world.jakarta)
        assert not permissions.can_view_city(world.staff_a.user, world.sorong)
        assert not permissions.can_manage_city(world.boss.user, world.jakarta)

    def test_agencies_follow_cities(self, world):
        assert set(permissions.visible_agencies(world.sorong_admin)) == {world.sorong_dinas}
        assert not permissions.can_manage_agency(world.sorong_admin, world.jkt_dinas)
        assert permissions.can_manage_agency(world.jkt_admin, world.jkt_bidang)
        assert not permissions.manageable_agencies(world.jkt_trainer).exists()

    def test_revoked_role_is_forgotten(self, world):
        user = world.sorong_admin
        assert permissions.can_manage_city(user, world.sorong)
        services.role_revoke(user=user, role="city_admin", city=world.sorong)
        assert not permissions.can_manage_city(user, world.sorong)


def login(client, user):
    client.force_login(user)
    return client


def assert_refused(response):
    """Refused: a 403/404, or Wagtail's answer to PermissionDenied inside the admin - a
    redirect to the dashboard (with an error message) - or to the login page."""
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home") or response[
            "Location"
        ].startswith(reverse("wagtailadmin_login")), response["Location"]
    else:
        assert response.status_code in (403, 404), response.status_code


@pytest.mark.django_db
class PeopleAdminMatrixTests:
    """Wagtail admin screens for people, agencies and cities, per role."""

    def test_city_admin_list_shows_own_city_only(self, client, world):
        response = login(client, world.sorong_admin).get(reverse("people:index"))
        assert response.status_code == 200
        assert "Sorong Learner" in response.text
        for person in world.jakarta_people:
            assert person.nip not in response.text

    def test_national_admin_list_shows_everyone(self, client, world):
        response = login(client, world.national).get(reverse("people:index"))
        assert response.status_code == 200
        assert world.sorong_learner.nip in response.text
        assert world.staff_a.nip in response.text

    @pytest.mark.parametrize(
        ("url_name", "status"),
        [
            ("people:edit", 404),
            ("people:inspect", 404),
            ("people:history", 404),
            ("people:usage", 404),
            ("people:delete", 404),  # nobody deletes people: deactivate
        ],
    )
    def test_sorong_admin_refused_on_jakarta_person(self, client, world, url_name, status):
        client = login(client, world.sorong_admin)
        url = reverse(url_name, args=[world.staff_a.pk])
        assert client.get(url).status_code == status
        assert client.post(url, {"full_name": "Hacked"}).status_code == status
        world.staff_a.refresh_from_db()
        assert world.staff_a.full_name == "Staff A"

    def test_own_city_person_opens(self, client, world):
        client = login(client, world.sorong_admin)
        assert client.get(reverse("people:edit", args=[world.sorong_learner.pk])).status_code == 200
        assert (
            client.get(reverse("people:inspect", args=[world.sorong_learner.pk])).status_code == 200
        )

    @pytest.mark.parametrize("url_name", ["agency:edit", "agency:delete", "agency:inspect"])
    def test_sorong_admin_refused_on_jakarta_agency(self, client, world, url_name):
        client = login(client, world.sorong_admin)
        url = reverse(url_name, args=[world.jkt_dinas.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "Hacked", "kind": "dinas"}).status_code == 404
        assert Agency.objects.get(pk=world.jkt_dinas.pk).name == "Diskominfo"

    def test_agency_list_filtered(self, client, world):
        response = login(client, world.sorong_admin).get(reverse("agency:index"))
        assert response.status_code == 200
        assert "BKPSDM Sorong" in response.text
        assert "Diskominfo" not in response.text

    def test_city_admin_sees_own_city_read_only(self, client, world):
        client = login(client, world.sorong_admin)
        response = client.get(reverse("city:index"))
        assert response.status_code == 200
        assert "Sorong" in response.text
        assert "Jakarta" not in response.text
        assert client.get(reverse("city:inspect", args=[world.sorong.pk])).status_code == 200
        assert client.get(reverse("city:inspect", args=[world.jakarta.pk])).status_code == 404
        assert_refused(client.get(reverse("city:edit", args=[world.sorong.pk])))
        assert_refused(client.get(reverse("city:add")))
        assert_refused(client.post(reverse("city:add"), {"name": "X", "slug": "x"}))

    @pytest.mark.parametrize("role", ["jkt_trainer", "sorong_trainer"])
    def test_trainer_refused_on_people_screens(self, client, world, role):
        client = login(client, getattr(world, role))
        for url in (
            reverse("people:index"),
            reverse("people:edit", args=[world.staff_a.pk]),
            reverse("people:add"),
            reverse("agency:index"),
            reverse("agency:edit", args=[world.jkt_dinas.pk]),
        ):
            response = client.get(url)
            assert_refused(response)
            assert world.staff_a.nip not in response.text

    @pytest.mark.parametrize("who", ["boss", "staff_a"])
    def test_supervisors_and_learners_have_no_admin(self, client, world, who):
        client = login(client, getattr(world, who).user)
        for url in (
            reverse("people:index"),
            reverse("people:edit", args=[world.staff_a.pk]),
            reverse("wagtailadmin_home"),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert reverse("wagtailadmin_login") in response["Location"]


@pytest.mark.django_db
class CurriculumPageMatrixTests:
    """Page permissions come from courses.services.city_curriculum_create."""

    def edit_url(self, page):
        return reverse("wagtailadmin_pages:edit", args=[page.pk])

    def test_city_admin_edits_own_curriculum(self, client, world_with_pages):
        w = world_with_pages
        client = login(client, w.sorong_admin)
        assert client.get(self.edit_url(w.sorong_page)).status_code == 200
        perms = w.sorong_page.permissions_for_user(w.sorong_admin)
        assert perms.can_edit() and perms.can_publish()

    def test_city_admin_refused_on_other_city_curriculum(self, client, world_with_pages):
        w = world_with_pages
        client = login(client, w.sorong_admin)
        assert_refused(client.get(self.edit_url(w.jkt_page)))
        assert_refused(
            client.post(
                self.edit_url(w.jkt_page),
                {"title": "Hacked", "slug": w.jkt_page.slug, "action-publish": "action-publish"},
            )
        )
        assert_refused(client.get(reverse("wagtailadmin_pages:add_subpage", args=[w.jkt_page.pk])))
        assert_refused(client.post(reverse("wagtailadmin_pages:unpublish", args=[w.jkt_page.pk])))
        assert_refused(client.post(reverse("wagtailadmin_pages:delete", args=[w.jkt_page.pk])))
        w.jkt_page.refresh_from_db()
        assert w.jkt_page.title == "Kurikulum Jakarta" and w.jkt_page.live
        perms = w.jkt_page.permissions_for_user(w.sorong_admin)
        assert not perms.can_edit() and not perms.can_publish()

    def test_trainer_authors_in_own_city_without_publishing(self, client, world_with_pages):
        w = world_with_pages
        client = login(client, w.jkt_trainer)
        assert client.get(self.edit_url(w.jkt_page)).status_code == 200
        perms = w.jkt_page.permissions_for_user(w.jkt_trainer)
        assert perms.can_edit() and not perms.can_publish()
        assert_refused(client.get(self.edit_url(w.sorong_page)))
        assert not w.sorong_page.permissions_for_user(w.jkt_trainer).can_edit()

    @pytest.mark.parametrize("who", ["boss", "sorong_learner"])
    def test_learners_cannot_open_page_editor(self, client, world_with_pages, who):
        w = world_with_pages
        client = login(client, getattr(w, who).user)
        for page in (w.jkt_page, w.sorong_page):
            response = client.get(self.edit_url(page))
            assert response.status_code == 302
            assert reverse("wagtailadmin_login") in response["Location"]

    def test_city_collections_are_separate(self, world):
        from wagtail.images import get_image_model
        from wagtail.permissions import policy_registry

        permission_policy = policy_registry.get_by_type(get_image_model())

        sorong = set(
            permission_policy.collections_user_has_permission_for(world.sorong_admin, "add")
        )
        assert [c.name for c in sorong] == ["Sorong"]
        jakarta = set(
            permission_policy.collections_user_has_permission_for(world.jkt_trainer, "add")
        )
        assert [c.name for c in jakarta] == ["Jakarta"]


@pytest.mark.django_db
class AuditLogLeakTests:
    def test_site_history_does_not_show_other_citys_people(self, client, world):
        client.force_login(world.jkt_admin)
        data = {
            "city": world.jakarta.pk,
            "employment_type": "pns",
            "nip": "199001152015032001",
            "full_name": "Rahasia Jakarta",
            "email": "rahasia@example.go.id",
        }
        assert client.post(reverse("people:add"), data).status_code == 302
        from django.test import Client

        other = Client()
        other.force_login(world.sorong_admin)
        response = other.get(reverse("wagtailadmin_reports:site_history"))
        assert response.status_code == 200
        assert "Rahasia Jakarta" not in response.text
        assert "199001152015032001" not in response.text
