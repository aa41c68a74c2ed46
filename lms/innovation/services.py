"""Writes of innovation competitions: authoring a competition and its rubric, proposals and
their teams and attachments, judges' scorecards, and publishing the results (ranking and
winners' certificates). Every service checks who is asking and the competition's phase;
a refusal is an ``InnovationRefused`` with a message for the person, bad input a
ValidationError, and neither writes anything."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.innovation import rules, scoring
from lms.innovation.models import (
    Attachment,
    Competition,
    Criterion,
    InnovationCertificate,
    Proposal,
    ProposalMember,
    Score,
    Scorecard,
)
from lms.people import permissions
from lms.people.models import LearnerProfile, User

ATTACHMENT_MAX_BYTES_DEFAULT = 10 * 1024 * 1024
ATTACHMENTS_PER_PROPOSAL = 5
# Extension -> (content type, signatures the first bytes must start with). The content
# is checked, not only the name, so a renamed program is refused.
ATTACHMENT_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (b"PK\x03\x04",),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
}


class InnovationRefused(Exception):
    """The person may not do this now (role, team, phase); the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def attachment_max_bytes() -> int:
    return getattr(settings, "INNOVATION_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES_DEFAULT)


def _locked(model, pk: int):
    rows = model.objects.all()
    if connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return rows.get(pk=pk)


# --- competitions (city admins) -----------------------------------------------------------


@dataclass(frozen=True)
class CriterionData:
    name: str
    weight: int
    max_score: int = 10


def _check_timeline(opens, closes, judging_closes) -> None:
    if not (opens < closes < judging_closes):
        raise ValidationError(
            {
                "submission_closes_at": _(
                    "Submission must open before it closes, and close before judging ends."
                )
            }
        )


def _check_rubric(criteria: list[CriterionData]) -> None:
    names = [item.name.strip().casefold() for item in criteria]
    if any(not name for name in names):
        raise ValidationError({"rubric": _("Every criterion needs a name.")})
    if len(set(names)) != len(names):
        raise ValidationError({"rubric": _("Two criteria of one rubric cannot share a name.")})
    for item in criteria:
        if not isinstance(item.max_score, int) or not 1 <= item.max_score <= 1000:
            raise ValidationError(
                {"rubric": _("The maximum score must be a whole number from 1 to 1000.")}
            )
    try:
        scoring.validate_weights([item.weight for item in criteria])
    except ValidationError as exc:
        raise ValidationError({"rubric": exc.messages}) from None


@transaction.atomic
def competition_save(
    *,
    by: User,
    city,
    title: str,
    theme: str,
    description: str,
    submission_opens_at: datetime.datetime,
    submission_closes_at: datetime.datetime,
    judging_closes_at: datetime.datetime,
    winners_count: int,
    judges: list[User],
    criteria: list[CriterionData],
    competition: Competition | None = None,
) -> Competition:
    """Create a competition, or change one. Only the city's admins (and national admins)
    may; the rubric is fixed once judging starts, and nothing changes after the results."""
    if not permissions.can_manage_city(by, city):
        raise InnovationRefused(_("You may only manage competitions of your own city."))
    if competition is not None:
        competition = _locked(Competition, competition.pk)
        if not rules.can_manage(by, competition):
            raise InnovationRefused(_("You may only manage competitions of your own city."))
        if competition.results_published_at is not None:
            raise InnovationRefused(
                _("The results of this competition are published; it can no longer change.")
            )
        if competition.city_id != city.pk:
            raise ValidationError({"city": _("A competition cannot move to another city.")})
    _check_timeline(submission_opens_at, submission_closes_at, judging_closes_at)
    _check_rubric(criteria)
    if winners_count < 1:
        raise ValidationError({"winners_count": _("There must be at least one winner.")})

    rubric_frozen = False
    if competition is None:
        competition = Competition(city=city, created_by=by)
    else:
        rubric_frozen = Scorecard.objects.filter(proposal__competition=competition).exists()
    competition.title = title.strip()
    competition.theme = theme.strip()
    competition.description = description.strip()
    competition.submission_opens_at = submission_opens_at
    competition.submission_closes_at = submission_closes_at
    competition.judging_closes_at = judging_closes_at
    competition.winners_count = winners_count
    competition.full_clean(exclude=["city", "created_by", "judges"])
    competition.save()
    competition.judges.set(judges)

    current = [
        CriterionData(name=c.name, weight=c.weight, max_score=c.max_score)
        for c in competition.criteria.all()
    ]
    wanted = [
        CriterionData(name=c.name.strip(), weight=c.weight, max_score=c.max_score) for c in criteria
    ]
    if current != wanted:
        if rubric_frozen:
            raise ValidationError(
                {"rubric": _("Judges have already scored with this rubric; it cannot change.")}
            )
        competition.criteria.all().delete()
        Criterion.objects.bulk_create(
            Criterion(
                competition=competition,
                name=item.name,
                weight=item.weight,
                max_score=item.max_score,
                position=position,
            )
            for position, item in enumerate(wanted)
        )
    return competition


def _certificate_number(competition: Competition, n: int) -> str:
    year = timezone.localtime(competition.judging_closes_at).year
    return f"{n:03d}/INOVASI/{competition.city.slug.upper()[:12]}/{year}/{competition.pk}"


@transaction.atomic
def competition_publish_results(*, by: User, competition: Competition) -> bool:
    """Rank the submitted proposals by their current judges' mean score
    (lms.innovation.scoring),
    store mean, rank and winner on each, issue the winners' certificates, and open the
    leaderboard. Only once judging has started; returns False, changing nothing, when the
    results were already published."""
    competition = _locked(Competition, competition.pk)
    if not rules.can_manage(by, competition):
        raise InnovationRefused(_("You may only manage competitions of your own city."))
    if competition.results_published_at is not None:
        return False
    if competition.phase not in (Competition.Phase.JUDGING, Competition.Phase.AWAITING_RESULTS):
        raise InnovationRefused(_("Results can be published only after submission has closed."))
    proposals = list(competition.proposals.filter(status=Proposal.Status.SUBMITTED).order_by("pk"))
    totals: dict[int, list] = {proposal.pk: [] for proposal in proposals}
    # A judge the admin removed from the panel no longer counts.
    for proposal_id, total in Scorecard.objects.filter(
        proposal__in=[p.pk for p in proposals], judge__in=competition.judges.all()
    ).values_list("proposal_id", "total"):
        totals[proposal_id].append(total)
    by_pk = {proposal.pk: proposal for proposal in proposals}
    ranked = scoring.rank_entries(
        [(p.pk, scoring.mean_score(totals[p.pk]), p.submitted_at) for p in proposals],
        winners=competition.winners_count,
    )
    for entry in ranked:
        proposal = by_pk[entry.key]
        proposal.mean_score = entry.mean
        proposal.rank = entry.rank
        proposal.is_winner = entry.is_winner
        proposal.scorecard_count = len(totals[entry.key])
    Proposal.objects.bulk_update(proposals, ["mean_score", "rank", "is_winner", "scorecard_count"])
    now = timezone.now()
    competition.results_published_at = now
    competition.save(update_fields=["results_published_at"])

    winners = [by_pk[entry.key] for entry in ranked if entry.is_winner]
    members = ProposalMember.objects.filter(proposal__in=winners).order_by(
        "proposal__rank", "proposal_id", "-is_lead", "pk"
    )
    certificates = [
        InnovationCertificate(
            proposal_id=member.proposal_id,
            learner_id=member.learner_id,
            number=_certificate_number(competition, n),
            issued_at=now,
        )
        for n, member in enumerate(members, start=1)
    ]
    InnovationCertificate.objects.bulk_create(certificates)
    return True


# --- proposals (learners) -----------------------------------------------------------------


def _require_submission_phase(competition: Competition) -> None:
    if competition.phase != Competition.Phase.SUBMISSION:
        raise InnovationRefused(
            _("Proposals can only be written and changed while submission is open.")
        )


def _require_member(profile: LearnerProfile | None, proposal: Proposal) -> None:
    if not rules.is_member(profile, proposal):
        raise InnovationRefused(_("Only the proposal's team members may change it."))


def _clean_text(proposal: Proposal) -> None:
    for field in ("title", "problem", "solution", "expected_impact"):
        setattr(proposal, field, (getattr(proposal, field) or "").strip())
    proposal.full_clean(exclude=["competition", "created_by"])


@transaction.atomic
def proposal_create(
    *,
    learner: LearnerProfile,
    competition: Competition,
    title: str,
    problem: str,
    solution: str,
    expected_impact: str,
) -> Proposal:
    """A new draft proposal with the learner as team lead. A learner is on at most one
    proposal per competition: asking again (a double submit) returns the proposal they
    are already on, unchanged."""
    competition = _locked(Competition, competition.pk)
    if not rules.may_take_part(learner, competition):
        raise InnovationRefused(
            _("Only civil servants of %(city)s may take part in this competition.")
            % {"city": competition.city.name}
        )
    _require_submission_phase(competition)
    existing = Proposal.objects.filter(competition=competition, members__learner=learner).first()
    if existing is not None:
        return existing
    proposal = Proposal(
        competition=competition,
        created_by=learner,
        title=title,
        problem=problem,
        solution=solution,
        expected_impact=expected_impact,
    )
    _clean_text(proposal)
    proposal.save()
    ProposalMember.objects.create(
        proposal=proposal, competition=competition, learner=learner, is_lead=True
    )
    return proposal


@transaction.atomic
def proposal_update(
    *,
    learner: LearnerProfile,
    proposal: Proposal,
    title: str,
    problem: str,
    solution: str,
    expected_impact: str,
) -> Proposal:
    proposal = _locked(Proposal, proposal.pk)
    _require_member(learner, proposal)
    _require_submission_phase(proposal.competition)
    proposal.title, proposal.problem = title, problem
    proposal.solution, proposal.expected_impact = solution, expected_impact
    _clean_text(proposal)
    proposal.save()
    return proposal


@transaction.atomic
def proposal_submit(*, learner: LearnerProfile, proposal: Proposal) -> bool:
    """Hand the proposal in for judging. Team members may still edit it until submission
    closes. Returns False, changing nothing, when it was already submitted."""
    proposal = _locked(Proposal, proposal.pk)
    _require_member(learner, proposal)
    _require_submission_phase(proposal.competition)
    if proposal.status == Proposal.Status.SUBMITTED:
        return False
    proposal.status = Proposal.Status.SUBMITTED
    proposal.submitted_at = timezone.now()
    proposal.save(update_fields=["status", "submitted_at", "updated_at"])
    return True


@transaction.atomic
def proposal_member_add(
    *, by: LearnerProfile, proposal: Proposal, new_member: LearnerProfile
) -> ProposalMember:
    """Add a colleague of the same city (any agency) to the team."""
    proposal = _locked(Proposal, proposal.pk)
    competition = proposal.competition
    _require_member(by, proposal)
    _require_submission_phase(competition)
    if not rules.may_take_part(new_member, competition):
        raise ValidationError(
            {
                "nip": _("Only active civil servants of %(city)s can join this team.")
                % {"city": competition.city.name}
            }
        )
    if ProposalMember.objects.filter(competition=competition, learner=new_member).exists():
        raise ValidationError(
            {
                "nip": _("%(name)s is already on a proposal in this competition.")
                % {"name": new_member.full_name}
            }
        )
    try:
        with transaction.atomic():
            return ProposalMember.objects.create(
                proposal=proposal, competition=competition, learner=new_member
            )
    except IntegrityError:
        raise ValidationError(
            {
                "nip": _("%(name)s is already on a proposal in this competition.")
                % {"name": new_member.full_name}
            }
        ) from None


@transaction.atomic
def proposal_member_remove(
    *, by: LearnerProfile, proposal: Proposal, member: ProposalMember
) -> None:
    """The team lead removes a member, or a member leaves; the lead stays."""
    proposal = _locked(Proposal, proposal.pk)
    _require_member(by, proposal)
    _require_submission_phase(proposal.competition)
    if member.proposal_id != proposal.pk:
        raise InnovationRefused(_("This person is not on this team."))
    if member.is_lead:
        raise InnovationRefused(_("The team lead cannot be removed."))
    lead = proposal.members.filter(is_lead=True, learner=by).exists()
    if not lead and member.learner_id != by.pk:
        raise InnovationRefused(_("Only the team lead may remove other members."))
    member.delete()


def _detect_type(upload) -> str:
    """The extension the upload's name and content agree on; refuse otherwise."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = ", ".join(sorted({ext.upper() for ext in ATTACHMENT_TYPES} - {"JPEG"}))
    if extension not in ATTACHMENT_TYPES:
        raise ValidationError(
            {
                "file": _("Files of this type cannot be attached. Allowed types: %(types)s.")
                % {"types": allowed}
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in ATTACHMENT_TYPES[extension][1]):
        raise ValidationError(
            {
                "file": _("The file's content is not a %(type)s file. Allowed types: %(types)s.")
                % {"type": extension.upper(), "types": allowed}
            }
        )
    return extension


def attachment_add(*, by: LearnerProfile, proposal: Proposal, upload) -> Attachment:
    """Attach an uploaded file. Checked before anything is stored: the type (name and
    content), the size and the number of files per proposal."""
    with transaction.atomic():
        proposal = _locked(Proposal, proposal.pk)
        _require_member(by, proposal)
        _require_submission_phase(proposal.competition)
        limit = attachment_max_bytes()
        if upload.size > limit:
            raise ValidationError(
                {
                    "file": _("The file is too large: at most %(limit)s MB is allowed.")
                    % {"limit": f"{limit / (1024 * 1024):g}"}
                }
            )
        if upload.size == 0:
            raise ValidationError({"file": _("The file is empty.")})
        extension = _detect_type(upload)
        if proposal.attachments.count() >= ATTACHMENTS_PER_PROPOSAL:
            raise ValidationError(
                {
                    "file": _("A proposal can have at most %(count)d attachments.")
                    % {"count": ATTACHMENTS_PER_PROPOSAL}
                }
            )
        attachment = Attachment(
            proposal=proposal,
            original_name=(upload.name or "")[-200:],
            size=upload.size,
            content_type=ATTACHMENT_TYPES[extension][0],
            uploaded_by=by,
        )
        attachment.file.save(upload.name, upload, save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment


def attachment_delete(*, by: LearnerProfile, attachment: Attachment) -> None:
    with transaction.atomic():
        proposal = _locked(Proposal, attachment.proposal_id)
        _require_member(by, proposal)
        _require_submission_phase(proposal.competition)
        name = attachment.file.name
        attachment.delete()
    # The file goes only once the row is gone for good.
    from django.core.files.storage import default_storage

    transaction.on_commit(lambda: default_storage.delete(name))


# --- judging ------------------------------------------------------------------------------


@transaction.atomic
def scorecard_save(
    *, judge: User, proposal: Proposal, scores: dict[int, int], comment: str = ""
) -> Scorecard:
    """The judge's scores of a proposal (a criterion id -> whole-number score), replacing
    their earlier ones. Only the competition's judges, only during judging, only on
    submitted proposals, and never on a proposal from the judge's own agency."""
    proposal = _locked(Proposal, proposal.pk)
    competition = proposal.competition
    if not rules.is_judge(judge, competition):
        raise InnovationRefused(_("Only this competition's judges may score its proposals."))
    if competition.phase != Competition.Phase.JUDGING:
        raise InnovationRefused(_("Proposals can only be scored while judging is open."))
    if proposal.status != Proposal.Status.SUBMITTED:
        raise InnovationRefused(_("This proposal was not submitted, so it is not judged."))
    if rules.has_conflict(judge, proposal):
        raise InnovationRefused(
            _(
                "You cannot score this proposal: a member of its team works in your own "
                "agency (conflict of interest)."
            )
        )
    criteria = list(competition.criteria.all())
    rubric = [
        scoring.RubricItem(key=c.pk, name=c.name, weight=c.weight, max_score=c.max_score)
        for c in criteria
    ]
    total = scoring.weighted_total(rubric, scores)
    scorecard, _created = Scorecard.objects.update_or_create(
        proposal=proposal,
        judge=judge,
        defaults={"total": total, "comment": (comment or "").strip(), "scored_at": timezone.now()},
    )
    scorecard.scores.all().delete()
    Score.objects.bulk_create(
        Score(scorecard=scorecard, criterion_id=c.pk, value=scores[c.pk]) for c in criteria
    )
    return scorecard
