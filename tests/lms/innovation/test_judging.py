"""Judges score privately, never their own agency's proposals, and only during judging."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from lms.innovation import services
from lms.innovation.models import Scorecard
from lms.innovation.services import InnovationRefused
from tests.lms.innovation.factories import full_scores, make_competition, make_proposal, set_phase

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(world):
    """A competition in judging with one proposal of a Dinkes + Dukcapil team and one of a
    Kominfo division (Aptika) learner."""
    judges = [world.judge.user, world.judge_dukcapil.user, world.judge_aptika.user]
    competition = make_competition(world.city, judges=judges, admin=world.admin)
    team = make_proposal(competition, world.lead, title="Antrean daring", members=[world.colleague])
    aptika = make_proposal(competition, world.judge_aptika, title="Satu data kota")
    set_phase(competition, "judging")
    return competition, team, aptika


def score_form(competition, values):
    return {f"criterion_{pk}": value for pk, value in full_scores(competition, values).items()} | {
        "comment": "Bagus"
    }


class ScoringTests:
    def test_judge_scores_and_the_weighted_total_is_stored(self, client, world, judged):
        competition, team, _aptika = judged
        client.force_login(world.judge.user)
        response = client.post(
            reverse("innovation:score", args=[team.pk]), score_form(competition, [8, 7, 4])
        )
        assert response.status_code == 302
        card = Scorecard.objects.get()
        assert card.total == Decimal("75.00")  # 30x0.8 + 50x0.7 + 20x0.8
        assert sorted(card.scores.values_list("value", flat=True)) == [4, 7, 8]
        # Scoring again replaces the judge's card instead of adding one.
        client.post(
            reverse("innovation:score", args=[team.pk]), score_form(competition, [10, 10, 5])
        )
        assert Scorecard.objects.get().total == Decimal("100.00")
        assert Scorecard.objects.get().scores.count() == 3

    def test_missing_or_out_of_range_score_refused_nothing_written(self, client, world, judged):
        competition, team, _aptika = judged
        client.force_login(world.judge.user)
        data = score_form(competition, [8, 7, 4])
        data.pop(next(iter(data)))
        assert client.post(reverse("innovation:score", args=[team.pk]), data).status_code == 400
        data = score_form(competition, [8, 7, 6])  # Kelayakan is scored 0-5
        assert client.post(reverse("innovation:score", args=[team.pk]), data).status_code == 400
        with pytest.raises(ValidationError):
            services.scorecard_save(judge=world.judge.user, proposal=team, scores={})
        assert not Scorecard.objects.exists()

    def test_non_judge_refused(self, client, world, judged):
        competition, team, _aptika = judged
        client.force_login(world.bystander.user)
        response = client.post(
            reverse("innovation:score", args=[team.pk]), score_form(competition, [8, 7, 4])
        )
        assert response.status_code == 404
        with pytest.raises(InnovationRefused):
            services.scorecard_save(
                judge=world.bystander.user, proposal=team, scores=full_scores(competition)
            )
        assert not Scorecard.objects.exists()


class ConflictOfInterestTests:
    def test_judge_cannot_score_a_proposal_of_any_team_members_agency(self, client, world, judged):
        competition, team, _aptika = judged
        # The colleague on the team works in Dukcapil, like this judge.
        client.force_login(world.judge_dukcapil.user)
        queue = client.get(reverse("innovation:judging")).content.decode()
        assert "Antrean daring" not in queue
        assert "Satu data kota" in queue
        response = client.post(
            reverse("innovation:score", args=[team.pk]), score_form(competition, [8, 7, 4])
        )
        assert response.status_code == 403
        assert "conflict of interest" in response.content.decode()
        with pytest.raises(InnovationRefused) as caught:
            services.scorecard_save(
                judge=world.judge_dukcapil.user, proposal=team, scores=full_scores(competition)
            )
        assert "own agency" in caught.value.message
        assert not Scorecard.objects.exists()

    def test_agency_means_the_whole_opd_including_its_divisions(self, world, judged):
        competition, team, aptika = judged
        # The Kominfo judge may not score the proposal of Kominfo's Aptika division...
        with pytest.raises(InnovationRefused):
            services.scorecard_save(
                judge=world.judge.user, proposal=aptika, scores=full_scores(competition)
            )
        # ...and a team member may never score their own proposal.
        with pytest.raises(InnovationRefused):
            services.scorecard_save(
                judge=world.judge_aptika.user, proposal=aptika, scores=full_scores(competition)
            )
        # Another agency's proposal is fine.
        services.scorecard_save(
            judge=world.judge.user, proposal=team, scores=full_scores(competition)
        )
        assert Scorecard.objects.count() == 1


class JudgeIsolationTests:
    def test_judges_do_not_see_each_others_scores(self, client, world, judged):
        competition, team, _aptika = judged
        services.scorecard_save(
            judge=world.judge.user,
            proposal=team,
            scores=full_scores(competition, [3, 3, 3]),
            comment="Komentar rahasia juri satu",
        )
        client.force_login(world.judge_aptika.user)
        queue = client.get(reverse("innovation:judging")).content.decode()
        assert "Antrean daring" in queue
        assert "36.00" not in queue  # judge one's total: 9 + 15 + 12
        assert "not scored yet" in queue
        page = client.get(reverse("innovation:score", args=[team.pk])).content.decode()
        assert "Komentar rahasia juri satu" not in page
        assert 'value="3"' not in page
        # Judge one sees their own.
        client.force_login(world.judge.user)
        assert "36.00" in client.get(reverse("innovation:judging")).content.decode()
        page = client.get(reverse("innovation:score", args=[team.pk])).content.decode()
        assert 'value="3"' in page


class JudgingPhaseTests:
    @pytest.mark.parametrize("phase", ["submission", "awaiting_results"])
    def test_scoring_only_during_judging(self, world, judged, phase):
        competition, team, _aptika = judged
        set_phase(competition, phase)
        with pytest.raises(InnovationRefused) as caught:
            services.scorecard_save(
                judge=world.judge.user, proposal=team, scores=full_scores(competition)
            )
        assert "while judging is open" in caught.value.message

    def test_no_scoring_after_results_are_published(self, world, judged):
        competition, team, _aptika = judged
        services.competition_publish_results(by=world.admin, competition=competition)
        with pytest.raises(InnovationRefused):
            services.scorecard_save(
                judge=world.judge.user, proposal=team, scores=full_scores(competition)
            )
        assert not Scorecard.objects.exists()

    def test_drafts_are_not_judged(self, world):
        competition = make_competition(world.city, judges=[world.judge.user], admin=world.admin)
        draft = make_proposal(competition, world.lead, submit=False)
        set_phase(competition, "judging")
        with pytest.raises(InnovationRefused):
            services.scorecard_save(
                judge=world.judge.user, proposal=draft, scores=full_scores(competition)
            )
