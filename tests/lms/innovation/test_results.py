"""Publishing results: ranking by mean score, the public leaderboard (only once
published), winners' certificates, and the innovation library every city can read."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from lms.innovation import services
from lms.innovation.models import Competition, InnovationCertificate, Proposal
from lms.innovation.services import InnovationRefused
from tests.factories import LearnerFactory
from tests.lms.innovation.factories import full_scores, make_competition, make_proposal, set_phase

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(world):
    """Three proposals in judging; two judges (Kominfo and Aptika, neither conflicted)."""
    judges = [world.judge.user, world.judge_dukcapil.user]
    competition = make_competition(
        world.city, judges=judges, admin=world.admin, winners_count=1, title="Lomba Inovasi 2026"
    )
    first = make_proposal(competition, world.lead, title="Antrean daring")
    second = make_proposal(competition, world.bystander, title="Rekam medis elektronik")
    unscored = make_proposal(competition, world.judge_aptika, title="Belum dinilai")
    set_phase(competition, "judging")
    # means: first (75 + 87)/2 = 81.00; second 64.00 (only judge one, Dukcapil is free too)
    services.scorecard_save(
        judge=world.judge.user, proposal=first, scores=full_scores(competition, [8, 7, 4])
    )
    services.scorecard_save(
        judge=world.judge_dukcapil.user, proposal=first, scores=full_scores(competition, [9, 8, 5])
    )
    services.scorecard_save(
        judge=world.judge.user, proposal=second, scores=full_scores(competition, [6, 6, 4])
    )
    return competition, first, second, unscored


class PublishTests:
    def test_leaderboard_hidden_before_publishing_then_shown(self, client, world, scored):
        competition, first, second, unscored = scored
        url = reverse("innovation:results", args=[competition.pk])
        before = client.get(url)
        assert before.status_code == 404
        body = before.content.decode()
        assert "not published yet" in body
        assert "Antrean daring" not in body
        city_page = client.get(reverse("innovation:city-results", args=["bukittinggi"]))
        assert "Antrean daring" not in city_page.content.decode()

        services.competition_publish_results(by=world.admin, competition=competition)

        after = client.get(url)  # public: no login
        assert after.status_code == 200
        body = after.content.decode()
        assert (
            body.index("Antrean daring") < body.index("Rekam medis") < body.index("Belum dinilai")
        )
        assert "81.00" in body and "64.00" in body
        assert (
            "Antrean daring"
            in client.get(reverse("innovation:city-results", args=["bukittinggi"])).content.decode()
        )

    def test_ranks_means_and_winners_are_stored(self, world, scored):
        competition, first, second, unscored = scored
        assert services.competition_publish_results(by=world.admin, competition=competition)
        rows = {p.pk: p for p in Proposal.objects.all()}
        assert (rows[first.pk].mean_score, rows[first.pk].rank, rows[first.pk].is_winner) == (
            Decimal("81.00"),
            1,
            True,
        )
        assert (rows[second.pk].mean_score, rows[second.pk].rank) == (Decimal("64.00"), 2)
        assert not rows[second.pk].is_winner
        assert (rows[unscored.pk].mean_score, rows[unscored.pk].rank) == (None, None)
        assert rows[first.pk].scorecard_count == 2
        # Publishing twice changes nothing.
        assert not services.competition_publish_results(by=world.admin, competition=competition)
        assert InnovationCertificate.objects.count() == 1

    def test_a_judge_removed_from_the_panel_does_not_count(self, world, scored):
        competition, first, *_ = scored
        competition.judges.remove(world.judge_dukcapil.user)
        services.competition_publish_results(by=world.admin, competition=competition)
        first.refresh_from_db()
        assert (first.mean_score, first.scorecard_count) == (Decimal("75.00"), 1)

    def test_cannot_publish_while_submission_is_open(self, world):
        competition = make_competition(world.city, admin=world.admin)
        with pytest.raises(InnovationRefused):
            services.competition_publish_results(by=world.admin, competition=competition)
        assert Competition.objects.get().results_published_at is None

    def test_admin_publishes_from_the_wagtail_admin(self, client, world, scored):
        competition = scored[0]
        client.force_login(world.admin)
        response = client.post(reverse("innovation_admin_publish", args=[competition.pk]))
        assert response.status_code == 302
        competition.refresh_from_db()
        assert competition.results_published_at is not None


class CertificateTests:
    def test_winner_gets_a_numbered_pdf_with_a_public_verification_link(
        self, client, world, scored
    ):
        competition, first, *_ = scored
        services.competition_publish_results(by=world.admin, competition=competition)
        certificate = InnovationCertificate.objects.get()
        assert certificate.learner == world.lead
        assert certificate.number.startswith("001/INOVASI/BUKITTINGGI/")
        client.force_login(world.lead.user)
        response = client.get(reverse("innovation:certificate-download", args=[certificate.pk]))
        assert response.status_code == 200
        text = "".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
        assert certificate.number in text
        assert world.lead.full_name in text
        assert f"/inovasi/sertifikat/v/{certificate.verification_code}/" in text
        # Not someone else's to download.
        client.force_login(world.bystander.user)
        assert (
            client.get(
                reverse("innovation:certificate-download", args=[certificate.pk])
            ).status_code
            == 404
        )
        client.logout()
        page = client.get(
            reverse("innovation:certificate-verify", args=[certificate.verification_code])
        )
        assert page.status_code == 200
        body = page.content.decode()
        assert world.lead.full_name in body and "Lomba Inovasi 2026" in body
        assert world.lead.nip not in body
        assert (
            client.get(reverse("innovation:certificate-verify", args=["x" * 22])).status_code == 404
        )


class LeaderboardQueryTests:
    def build(self, world, count):
        competition = make_competition(world.city, admin=world.admin, title=f"Lomba {count}")
        for n in range(count):
            learner = LearnerFactory(city=world.city, agency=world.dinkes)
            make_proposal(
                competition,
                learner,
                title=f"Usulan {n}",
                members=[LearnerFactory(city=world.city, agency=world.dukcapil)],
            )
        set_phase(competition, "judging")
        services.competition_publish_results(by=world.admin, competition=competition)
        return competition

    def test_leaderboard_query_count_does_not_grow_with_proposals(
        self, client, world, django_assert_max_num_queries
    ):
        small = self.build(world, 2)
        large = self.build(world, 8)
        with django_assert_max_num_queries(6) as small_queries:
            client.get(reverse("innovation:results", args=[small.pk]))
        with django_assert_max_num_queries(len(small_queries)) as _large_queries:
            response = client.get(reverse("innovation:results", args=[large.pk]))
        assert response.content.decode().count("Usulan") == 8


class LibraryTests:
    def publish(self, world, *, title, theme, proposals):
        competition = make_competition(world.city, admin=world.admin, title=title, theme=theme)
        for proposal_title in proposals:
            make_proposal(competition, LearnerFactory(city=world.city), title=proposal_title)
        set_phase(competition, "judging")
        services.competition_publish_results(by=world.admin, competition=competition)
        return competition

    def test_other_cities_learners_browse_and_search_published_proposals(self, client, world):
        self.publish(
            world,
            title="Lomba Kesehatan",
            theme="Layanan kesehatan",
            proposals=["Posyandu digital"],
        )
        self.publish(
            world, title="Lomba Arsip", theme="Tata kelola arsip", proposals=["Arsip elektronik"]
        )
        running = make_competition(world.city, admin=world.admin, title="Lomba Berjalan")
        make_proposal(running, world.lead, title="Masih rahasia")

        client.force_login(world.outsider.user)  # a learner of Sorong
        body = client.get(reverse("innovation:library")).content.decode()
        assert "Posyandu digital" in body and "Arsip elektronik" in body
        assert "Masih rahasia" not in body
        found = client.get(reverse("innovation:library"), {"q": "kesehatan"}).content.decode()
        assert "Posyandu digital" in found and "Arsip elektronik" not in found
        found = client.get(reverse("innovation:library"), {"q": "elektronik"}).content.decode()
        assert "Arsip elektronik" in found and "Posyandu digital" not in found
        proposal = Proposal.objects.get(title="Posyandu digital")
        assert (
            client.get(reverse("innovation:library-detail", args=[proposal.pk])).status_code == 200
        )
        hidden = Proposal.objects.get(title="Masih rahasia")
        assert client.get(reverse("innovation:library-detail", args=[hidden.pk])).status_code == 404

    def test_library_paginates_with_a_constant_query_count(
        self, client, world, django_assert_max_num_queries
    ):
        self.publish(world, title="Lomba A", theme="Tema", proposals=["Usulan A1", "Usulan A2"])
        client.force_login(world.outsider.user)
        with django_assert_max_num_queries(12) as small:
            client.get(reverse("innovation:library"))
        self.publish(
            world, title="Lomba B", theme="Tema", proposals=[f"Usulan B{n}" for n in range(24)]
        )
        with django_assert_max_num_queries(len(small)):
            page_one = client.get(reverse("innovation:library"))
        with django_assert_max_num_queries(len(small)):
            page_two = client.get(reverse("innovation:library"), {"page": 2})
        first = page_one.content.decode().count("Usulan ")
        second = page_two.content.decode().count("Usulan ")
        assert (first, second) == (20, 6)


class DemoDataTests:
    def test_demo_competitions_load_through_the_services_and_rerun_safely(self, world):
        from lms.innovation.demo import FINISHED_TITLE, OPEN_TITLE, load_demo_competitions

        load_demo_competitions(world.city)
        load_demo_competitions(world.city)
        finished = Competition.objects.get(title=FINISHED_TITLE)
        assert finished.results_published_at is not None
        assert finished.proposals.filter(rank=1, is_winner=True).exists()
        assert InnovationCertificate.objects.filter(proposal__competition=finished).exists()
        assert finished.proposals.filter(status=Proposal.Status.SUBMITTED).count() == 3
        assert finished.proposals.filter(scorecard_count=2).count() == 3
        assert Competition.objects.get(title=OPEN_TITLE).phase == Competition.Phase.SUBMISSION
        assert Competition.objects.count() == 2
