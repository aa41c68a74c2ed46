"""Selectors for supervisors and admins: a team's progress and a city's counts, read from
rollups; other cities and other supervisors' staff refused."""

import pytest
from django.utils import timezone

from lms.records import selectors
from tests.factories import national_admin, trainer

from .conftest import complete_all, h5p, post, view

pytestmark = pytest.mark.django_db


class CityCountsTests:
    def test_counts_come_from_rollups(self, client, world, jakarta_admin):
        for _ in range(2):
            learner = world.new_learner()
            client.force_login(learner.user)
            post(client, complete_all(world.course))
        client.force_login(world.new_learner().user)
        post(client, [view(world.course.viewed), h5p(world.course, 0.4)])
        year = timezone.now().year
        counts = selectors.city_counts(viewer=jakarta_admin, city=world.jakarta, year=year)
        assert counts.started == 3
        assert counts.completed == 2
        assert counts.jp == 2 * world.course.course.jp_value
        # Three H5P scores and the two learners' quiz grades (100 %, graded by the server).
        assert counts.scored == 5
        assert counts.average_best_score == round((90 + 90 + 40 + 100 + 100) / 5, 1)
        by_city = selectors.course_counts_by_city(course_key=world.course.course.translation_key)
        assert by_city[world.jakarta.pk].completed == 2

    def test_other_city_admin_and_learners_are_refused(self, world, sorong_admin):
        assert selectors.city_counts(viewer=sorong_admin, city=world.jakarta) is None
        assert selectors.city_counts(viewer=world.learner.user, city=world.jakarta) is None
        assert selectors.city_counts(viewer=trainer(world.sorong), city=world.jakarta) is None
        assert selectors.city_counts(viewer=national_admin(), city=world.jakarta) is not None
        assert selectors.city_counts(viewer=trainer(world.jakarta), city=world.jakarta) is not None


class TeamProgressTests:
    def test_supervisor_sees_own_staff_only(self, client, world):
        boss = world.learner
        staff = world.new_learner(supervisor=boss)
        peer = world.new_learner()
        peer_staff = world.new_learner(supervisor=peer)
        client.force_login(staff.user)
        post(client, complete_all(world.course))
        year = timezone.now().year
        team = selectors.team_progress(viewer=boss.user, supervisor=boss, year=year)
        assert [m.profile.pk for m in team] == [staff.pk]
        assert team[0].courses_completed == 1 and team[0].jp_this_year == 2
        # A peer asking about the boss's team sees nobody of it.
        assert selectors.team_progress(viewer=peer.user, supervisor=boss, year=year) == []
        assert peer_staff.pk not in [m.profile.pk for m in team]

    def test_other_city_admin_sees_nobody(self, world, sorong_admin):
        world.new_learner(supervisor=world.learner)
        assert (
            selectors.team_progress(viewer=sorong_admin, supervisor=world.learner, year=2026) == []
        )
