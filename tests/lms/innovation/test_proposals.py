"""Learners write proposals alone or in teams across agencies, during submission only;
only team members see or change a draft; attachments are checked before anything is
stored."""

import os

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lms.innovation import services
from lms.innovation.models import Attachment, Proposal, ProposalMember
from lms.innovation.services import InnovationRefused
from tests.lms.innovation.factories import make_competition, make_proposal, set_phase

pytestmark = pytest.mark.django_db

PROPOSAL_FORM = {
    "title": "Antrean daring puskesmas",
    "problem": "Warga antre berjam-jam.",
    "solution": "Antrean lewat ponsel.",
    "expected_impact": "Waktu tunggu turun separuh.",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def stored_files() -> list[str]:
    root = os.path.join(settings.MEDIA_ROOT, "innovation")
    found = []
    for directory, _dirs, files in os.walk(root):
        found += [os.path.join(directory, name) for name in files]
    return found


class ProposalTests:
    def test_learner_writes_a_draft_and_submitting_twice_makes_one_proposal(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        client.force_login(world.lead.user)
        url = reverse("innovation:competition", args=[competition.pk])
        first = client.post(url, PROPOSAL_FORM)
        second = client.post(url, {**PROPOSAL_FORM, "title": "Lagi"})
        assert first.status_code == second.status_code == 302
        proposal = Proposal.objects.get()
        assert first["Location"] == second["Location"]
        assert proposal.title == PROPOSAL_FORM["title"]
        assert proposal.status == Proposal.Status.DRAFT
        assert list(proposal.members.values_list("learner", "is_lead")) == [(world.lead.pk, True)]

        submit = reverse("innovation:proposal-submit", args=[proposal.pk])
        client.post(submit)
        proposal.refresh_from_db()
        submitted_at = proposal.submitted_at
        client.post(submit)
        proposal.refresh_from_db()
        assert proposal.status == Proposal.Status.SUBMITTED
        assert proposal.submitted_at == submitted_at

    def test_empty_fields_refused_with_form_errors(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        client.force_login(world.lead.user)
        response = client.post(
            reverse("innovation:competition", args=[competition.pk]), {"title": " "}
        )
        assert response.status_code == 400
        assert not Proposal.objects.exists()

    def test_team_across_agencies_added_by_nip_and_found_by_search(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead, submit=False)
        client.force_login(world.lead.user)
        page = client.get(reverse("innovation:proposal", args=[proposal.pk]), {"cari": "Budi"})
        assert world.colleague.full_name in page.content.decode()
        response = client.post(
            reverse("innovation:member-add", args=[proposal.pk]), {"nip": world.colleague.nip}
        )
        assert response.status_code == 302
        assert set(proposal.members.values_list("learner__agency__code", flat=True)) == {
            "DINKES",
            "DUKCAPIL",
        }
        # The new member may edit the draft too.
        client.force_login(world.colleague.user)
        response = client.post(
            reverse("innovation:proposal", args=[proposal.pk]),
            {**PROPOSAL_FORM, "title": "Judul baru"},
        )
        assert response.status_code == 302
        proposal.refresh_from_db()
        assert proposal.title == "Judul baru"

    def test_other_city_or_taken_colleague_cannot_join(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead, submit=False)
        make_proposal(competition, world.colleague, title="Lain", submit=False)
        client.force_login(world.lead.user)
        url = reverse("innovation:member-add", args=[proposal.pk])
        response = client.post(url, {"nip": world.outsider.nip})
        assert response.status_code == 400
        assert "No active civil servant of Kota Bukittinggi has this NIP." in (
            response.content.decode()
        )
        response = client.post(url, {"nip": world.colleague.nip})
        assert response.status_code == 400
        assert "is already on a proposal in this competition" in response.content.decode()
        assert proposal.members.count() == 1

    def test_non_member_learner_cannot_see_or_edit_a_draft(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead, submit=False)
        client.force_login(world.bystander.user)
        assert client.get(reverse("innovation:proposal", args=[proposal.pk])).status_code == 404
        response = client.post(
            reverse("innovation:proposal", args=[proposal.pk]),
            {**PROPOSAL_FORM, "title": "Dibajak"},
        )
        assert response.status_code == 404
        assert (
            client.post(
                reverse("innovation:member-add", args=[proposal.pk]), {"nip": world.bystander.nip}
            ).status_code
            == 404
        )
        proposal.refresh_from_db()
        assert proposal.title != "Dibajak"
        assert proposal.members.count() == 1
        with pytest.raises(InnovationRefused):
            services.proposal_update(
                learner=world.bystander, proposal=proposal, **{**PROPOSAL_FORM, "title": "X"}
            )

    def test_other_city_learner_cannot_open_or_enter_the_competition(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        client.force_login(world.outsider.user)
        url = reverse("innovation:competition", args=[competition.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, PROPOSAL_FORM).status_code == 404
        with pytest.raises(InnovationRefused):
            services.proposal_create(
                learner=world.outsider, competition=competition, **PROPOSAL_FORM
            )
        assert not Proposal.objects.exists()


class PhaseTests:
    @pytest.mark.parametrize("phase", ["upcoming", "judging", "awaiting_results"])
    def test_no_new_proposal_outside_submission(self, world, phase):
        competition = set_phase(make_competition(world.city, admin=world.admin), phase)
        with pytest.raises(InnovationRefused) as caught:
            services.proposal_create(learner=world.lead, competition=competition, **PROPOSAL_FORM)
        assert "while submission is open" in caught.value.message
        assert not Proposal.objects.exists()

    def test_team_cannot_edit_after_the_deadline(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead)
        set_phase(competition, "judging")
        client.force_login(world.lead.user)
        response = client.post(
            reverse("innovation:proposal", args=[proposal.pk]), {**PROPOSAL_FORM, "title": "Telat"}
        )
        assert response.status_code == 403
        assert "while submission is open" in response.content.decode()
        proposal.refresh_from_db()
        assert proposal.title == "Antrean daring"
        with pytest.raises(InnovationRefused):
            services.proposal_member_add(
                by=world.lead, proposal=proposal, new_member=world.colleague
            )
        assert ProposalMember.objects.count() == 1


class AttachmentTests:
    def upload(self, client, proposal, name, content, content_type="application/pdf"):
        return client.post(
            reverse("innovation:attachment-add", args=[proposal.pk]),
            {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        )

    def test_pdf_is_stored_through_default_storage_and_downloadable_by_team(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead, submit=False)
        client.force_login(world.lead.user)
        response = self.upload(client, proposal, "rencana.pdf", PDF)
        assert response.status_code == 302
        attachment = Attachment.objects.get()
        assert attachment.original_name == "rencana.pdf"
        assert attachment.content_type == "application/pdf"
        assert attachment.file.name.startswith(f"innovation/proposals/{proposal.pk}/")
        download = client.get(reverse("innovation:attachment", args=[attachment.pk]))
        assert b"".join(download.streaming_content) == PDF
        client.force_login(world.bystander.user)
        assert client.get(reverse("innovation:attachment", args=[attachment.pk])).status_code == 404

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("virus.exe", b"MZ\x90\x00", "Files of this type cannot be attached."),
            ("rencana.pdf", b"MZ\x90\x00not a pdf", "is not a PDF file"),
            ("foto.png", PDF, "is not a PNG file"),
            ("tanpa-ekstensi", PDF, "Files of this type cannot be attached."),
        ],
    )
    def test_bad_type_refused_with_message_and_nothing_stored(
        self, client, world, name, content, message
    ):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead, submit=False)
        client.force_login(world.lead.user)
        before = stored_files()
        response = self.upload(client, proposal, name, content)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not Attachment.objects.exists()
        assert stored_files() == before

    def test_too_large_refused_with_message_and_nothing_stored(self, client, world, settings):
        settings.INNOVATION_ATTACHMENT_MAX_BYTES = 1024 * 1024
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead, submit=False)
        client.force_login(world.lead.user)
        before = stored_files()
        response = self.upload(client, proposal, "besar.pdf", PDF + b"0" * (1024 * 1024))
        assert response.status_code == 400
        assert "The file is too large: at most 1 MB is allowed." in response.content.decode()
        assert not Attachment.objects.exists()
        assert stored_files() == before

    def test_indonesian_message_for_a_refused_type(self, id_client, world):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead, submit=False)
        id_client.force_login(world.lead.user)
        response = self.upload(id_client, proposal, "virus.exe", b"MZ")
        assert response.status_code == 400
        assert response.headers["Content-Language"] == "id"

    def test_service_refuses_non_members_before_storing(self, world):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(competition, world.lead, submit=False)
        with pytest.raises(InnovationRefused):
            services.attachment_add(
                by=world.bystander,
                proposal=proposal,
                upload=SimpleUploadedFile("a.pdf", PDF),
            )
        with pytest.raises(ValidationError):
            services.attachment_add(
                by=world.lead, proposal=proposal, upload=SimpleUploadedFile("a.pdf", b"")
            )
        assert not Attachment.objects.exists()


class TeamMembershipTests:
    def test_lead_removes_a_member_a_member_leaves_but_cannot_remove_others(self, client, world):
        competition = make_competition(world.city, admin=world.admin)
        proposal = make_proposal(
            competition, world.lead, submit=False, members=[world.colleague, world.bystander]
        )
        lead_row = proposal.members.get(learner=world.lead)
        colleague_row = proposal.members.get(learner=world.colleague)
        bystander_row = proposal.members.get(learner=world.bystander)
        client.force_login(world.colleague.user)
        # A member may not remove another member, nor the lead.
        for row in (bystander_row, lead_row):
            response = client.post(reverse("innovation:member-remove", args=[proposal.pk, row.pk]))
            assert response.status_code == 403
        # ...but may leave.
        client.post(reverse("innovation:member-remove", args=[proposal.pk, colleague_row.pk]))
        client.force_login(world.lead.user)
        client.post(reverse("innovation:member-remove", args=[proposal.pk, bystander_row.pk]))
        assert list(proposal.members.values_list("learner", flat=True)) == [world.lead.pk]
