"""City admins author competitions in the Wagtail admin; another city's admin is refused."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lms.innovation import services
from lms.innovation.models import Competition, Criterion
from lms.innovation.services import CriterionData, InnovationRefused
from tests.lms.innovation.factories import make_competition, phase_dates, set_phase

pytestmark = pytest.mark.django_db


def form_data(world, **overrides):
    dates = phase_dates("submission")
    data = {
        "city": world.city.pk,
        "title": "Inovasi Bukittinggi 2026",
        "theme": "Pelayanan digital",
        "description": "",
        "submission_opens_at": dates["submission_opens_at"].strftime("%Y-%m-%dT%H:%M"),
        "submission_closes_at": dates["submission_closes_at"].strftime("%Y-%m-%dT%H:%M"),
        "judging_closes_at": dates["judging_closes_at"].strftime("%Y-%m-%dT%H:%M"),
        "winners_count": "2",
        "rubric": "Kebaruan | 40 | 10\nDampak | 60 | 10",
        "judges": world.judge.nip,
    }
    data.update(overrides)
    return data


class CompetitionAdminTests:
    def test_city_admin_creates_a_competition_with_rubric_and_judges(self, client, world):
        client.force_login(world.admin)
        response = client.post(reverse("innovation_admin_create"), form_data(world))
        assert response.status_code == 302
        competition = Competition.objects.get()
        assert competition.city == world.city
        assert competition.phase == Competition.Phase.SUBMISSION
        assert [(c.name, c.weight, c.max_score) for c in competition.criteria.all()] == [
            ("Kebaruan", 40, 10),
            ("Dampak", 60, 10),
        ]
        assert list(competition.judges.all()) == [world.judge.user]
        page = client.get(response["Location"])
        assert page.status_code == 200
        body = page.content.decode()
        assert "Kebaruan | 40 | 10" in body and 'id="publish-results"' in body

    def test_weights_not_summing_to_100_refused_with_message_nothing_saved(self, client, world):
        client.force_login(world.admin)
        response = client.post(
            reverse("innovation_admin_create"),
            form_data(world, rubric="Kebaruan | 40 | 10\nDampak | 50 | 10"),
        )
        assert response.status_code == 400
        assert "they must add up to exactly 100%" in response.content.decode()
        assert not Competition.objects.exists()

    def test_unknown_judge_and_bad_rubric_line_refused(self, client, world):
        client.force_login(world.admin)
        response = client.post(
            reverse("innovation_admin_create"),
            form_data(world, rubric="Kebaruan - 100", judges="199999999999999999"),
        )
        assert response.status_code == 400
        body = response.content.decode()
        assert "Line 1 is not" in body
        assert "No account with this NIP or user name: 199999999999999999." in body
        assert not Competition.objects.exists()

    def test_timeline_out_of_order_refused(self, world):
        dates = phase_dates("submission")
        with pytest.raises(ValidationError):
            services.competition_save(
                by=world.admin,
                city=world.city,
                title="X",
                theme="Y",
                description="",
                submission_opens_at=dates["submission_closes_at"],
                submission_closes_at=dates["submission_opens_at"],
                judging_closes_at=dates["judging_closes_at"],
                winners_count=1,
                judges=[],
                criteria=[CriterionData("A", 100)],
            )
        assert not Competition.objects.exists()

    def test_admin_lists_only_own_city(self, client, world):
        make_competition(world.city, title="Lomba Bukittinggi", admin=world.admin)
        make_competition(world.other_city, title="Lomba Sorong", admin=world.other_admin)
        client.force_login(world.admin)
        body = client.get(reverse("innovation_admin_index")).content.decode()
        assert "Lomba Bukittinggi" in body
        assert "Lomba Sorong" not in body

    def test_other_city_admin_refused(self, client, world):
        competition = make_competition(world.city, phase="submission", admin=world.admin)
        set_phase(competition, "judging")
        client.force_login(world.other_admin)
        assert (
            client.get(reverse("innovation_admin_edit", args=[competition.pk])).status_code == 404
        )
        response = client.post(
            reverse("innovation_admin_edit", args=[competition.pk]),
            form_data(world, city=world.other_city.pk, title="Dibajak"),
        )
        assert response.status_code == 404
        assert (
            client.post(reverse("innovation_admin_publish", args=[competition.pk])).status_code
            == 404
        )
        competition.refresh_from_db()
        assert competition.title != "Dibajak"
        assert competition.results_published_at is None
        # Nor can they create one in the other city: the city is not on offer.
        response = client.post(reverse("innovation_admin_create"), form_data(world))
        assert response.status_code == 400
        assert Competition.objects.count() == 1
        # And the service says no on its own.
        with pytest.raises(InnovationRefused):
            services.competition_publish_results(by=world.other_admin, competition=competition)

    def test_learner_cannot_open_the_admin_screens(self, client, world):
        client.force_login(world.lead.user)
        response = client.get(reverse("innovation_admin_index"))
        assert response.status_code in (302, 403)

    def test_rubric_frozen_once_judges_scored(self, world):
        from tests.lms.innovation.factories import full_scores, make_proposal

        competition = make_competition(world.city, judges=[world.judge.user], admin=world.admin)
        proposal = make_proposal(competition, world.lead)
        set_phase(competition, "judging")
        services.scorecard_save(
            judge=world.judge.user, proposal=proposal, scores=full_scores(competition)
        )
        with pytest.raises(ValidationError) as caught:
            services.competition_save(
                by=world.admin,
                competition=competition,
                city=world.city,
                title=competition.title,
                theme=competition.theme,
                description="",
                submission_opens_at=competition.submission_opens_at,
                submission_closes_at=competition.submission_closes_at,
                judging_closes_at=competition.judging_closes_at,
                winners_count=3,
                judges=[world.judge.user],
                criteria=[CriterionData("Semua", 100)],
            )
        assert "cannot change" in str(caught.value)
        assert Criterion.objects.filter(competition=competition).count() == 3
