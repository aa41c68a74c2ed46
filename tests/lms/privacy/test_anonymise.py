"""Anonymising a departed learner: identity replaced through the people services, login
closed, statements stripped, every counter and city total unchanged, the certificate still
verifies (showing the pseudonym)."""

import pytest
from django.db.models import Sum
from django.urls import reverse

from lms.people import services as people_services
from lms.people.models import LearnerProfile
from lms.privacy import services
from lms.privacy.models import Anonymisation, DeletionRequest
from lms.records import models as records
from tests.factories import PASSWORD, city_admin

from .conftest import fill_records

pytestmark = pytest.mark.django_db


def city_totals(city) -> dict:
    """Every figure a dashboard of the city reads."""
    totals = {}
    for model, fields in (
        (
            records.Rollup,
            ("started", "completed", "jp", "scored", "score_sum", "passed", "met_minimum"),
        ),
        (records.RollupWeek, ("started", "completed", "jp")),
        (records.RollupActive, ("learners",)),
        (records.RollupDue, ("open",)),
    ):
        sums = model.objects.filter(city_id=city.pk).aggregate(**{f: Sum(f) for f in fields})
        totals.update({f"{model.__name__}.{k}": v for k, v in sums.items()})
    totals["completions"] = records.CourseCompletion.objects.filter(city=city).count()
    totals["jp_ledger"] = records.JpCredit.objects.filter(learner__city=city).aggregate(
        s=Sum("jp")
    )["s"]
    return totals


@pytest.fixture
def departed(client, team, world):
    filled = fill_records(client, world, team.ani, team.budi)
    people_services.learner_deactivate(profile=team.ani)
    return filled


class AnonymiseTests:
    def test_identity_is_replaced_and_login_closed(self, client, departed, world):
        learner = departed.learner
        old_nip, old_email, old_name = learner.nip, learner.email, learner.full_name
        services.learner_anonymise(profile=learner, by=city_admin(world.jakarta))
        learner = LearnerProfile.objects.select_related("user").get(pk=learner.pk)
        assert learner.full_name == f"Anonim {learner.pk}"
        assert learner.nip != old_nip and len(learner.nip) == 18
        assert learner.email == "" and learner.phone == "" and learner.jabatan_name == ""
        user = learner.user
        assert (
            user.username == learner.nip
            and user.email == ""
            and user.first_name == learner.full_name
        )
        assert not user.is_active and not user.has_usable_password()
        assert not client.login(username=old_nip, password=PASSWORD)
        assert Anonymisation.objects.get(learner=learner).statements_stripped > 0
        for statement in records.Statement.objects.filter(learner=learner):
            text = str(statement.payload)
            assert old_nip not in text and old_name not in text
            assert statement.payload["actor"]["account"]["name"] == learner.nip
            assert "verb" in statement.payload
        assert not records.Statement.objects.filter(
            learner=learner, payload__has_key="context"
        ).exists()
        assert old_email not in str(list(LearnerProfile.objects.values()))

    def test_city_totals_and_learning_records_are_unchanged(self, departed, world):
        learner = departed.learner
        before = city_totals(world.jakarta)
        counts = {
            model: model.objects.filter(learner=learner).count()
            for model in (records.ActivityProgress, records.CourseCompletion, records.JpCredit)
        }
        services.learner_anonymise(profile=learner)
        assert city_totals(world.jakarta) == before
        assert before["Rollup.completed"] >= 1 and before["Rollup.jp"] >= 1
        for model, count in counts.items():
            assert model.objects.filter(learner=learner).count() == count

    def test_the_certificate_still_verifies_with_the_pseudonym(self, client, departed):
        certificate = departed.certificate
        old_name = departed.learner.full_name
        services.learner_anonymise(profile=departed.learner)
        response = client.get(f"/sertifikat/v/{certificate.verification_code}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "This certificate is valid." in html
        assert f"Anonim {departed.learner.pk}" in html
        assert old_name not in html
        certificate.refresh_from_db()
        assert certificate.number == departed.certificate.number and not certificate.pdf

    def test_anonymising_twice_changes_nothing(self, departed):
        first = services.learner_anonymise(profile=departed.learner)
        second = services.learner_anonymise(profile=departed.learner)
        assert first.pk == second.pk and Anonymisation.objects.count() == 1


class DeletionRequestTests:
    def test_learner_asks_and_admin_anonymises(self, client, team, world):
        learner = team.cici
        client.force_login(learner.user)
        response = client.post(reverse("privacy:deletion-request"), {"reason": "Pensiun"})
        assert response.status_code == 302
        request = DeletionRequest.objects.get(learner=learner)
        assert request.status == "open" and request.city_id == world.jakarta.pk

        again = client.post(reverse("privacy:deletion-request"), {"reason": "lagi"})
        assert again.status_code == 400
        assert DeletionRequest.objects.count() == 1

        admin = city_admin(world.jakarta)
        client.force_login(admin)
        page = client.get(reverse("privacy_requests"))
        assert page.status_code == 200 and "Pensiun" in page.content.decode()
        decided = client.post(
            reverse("privacy_request_decide", args=[request.pk]), {"decision": "anonymise"}
        )
        assert decided.status_code == 302
        request.refresh_from_db()
        assert request.status == "anonymised" and request.decided_by == admin
        learner.refresh_from_db()
        assert learner.full_name == f"Anonim {learner.pk}" and not learner.is_active

    def test_rejecting_needs_a_note(self, client, team, world):
        request = services.deletion_request_create(learner=team.cici, reason="")
        client.force_login(city_admin(world.jakarta))
        url = reverse("privacy_request_decide", args=[request.pk])
        client.post(url, {"decision": "reject", "note": ""})
        request.refresh_from_db()
        assert request.status == "open"
        client.post(url, {"decision": "reject", "note": "Masih bertugas"})
        request.refresh_from_db()
        assert request.status == "rejected" and request.decision_note == "Masih bertugas"

    def test_an_admin_of_another_city_is_refused(self, client, team, world):
        request = services.deletion_request_create(learner=team.cici, reason="x")
        client.force_login(city_admin(world.sorong))
        page = client.get(reverse("privacy_requests"))
        assert page.status_code == 200 and team.cici.nip not in page.content.decode()
        response = client.post(
            reverse("privacy_request_decide", args=[request.pk]), {"decision": "anonymise"}
        )
        assert response.status_code == 404
        request.refresh_from_db()
        assert request.status == "open"

    def test_a_learner_cannot_open_the_admin_screen(self, client, team):
        client.force_login(team.cici.user)
        response = client.get(reverse("privacy_requests"))
        assert response.status_code in (302, 403)

    def test_too_long_a_reason_is_refused_and_nothing_written(self, client, team):
        client.force_login(team.cici.user)
        response = client.post(reverse("privacy:deletion-request"), {"reason": "x" * 1001})
        assert response.status_code == 400
        assert not DeletionRequest.objects.exists()


class AnonymiseByNipTests:
    def test_an_active_learner_is_refused_a_departed_one_anonymised(self, client, team, world):
        client.force_login(city_admin(world.jakarta))
        url = reverse("privacy_anonymise")
        response = client.post(url, {"nip": team.dedi.nip, "confirm": "on"})
        assert response.status_code == 400
        assert not Anonymisation.objects.exists()
        people_services.learner_deactivate(profile=team.dedi)
        response = client.post(url, {"nip": team.dedi.nip, "confirm": "on"})
        assert response.status_code == 302
        assert Anonymisation.objects.filter(learner=team.dedi).exists()

    def test_a_learner_of_another_city_is_not_found(self, client, team, world):
        people_services.learner_deactivate(profile=team.sorong_staff)
        client.force_login(city_admin(world.jakarta))
        response = client.post(
            reverse("privacy_anonymise"), {"nip": team.sorong_staff.nip, "confirm": "on"}
        )
        assert response.status_code == 400
        assert not Anonymisation.objects.exists()
