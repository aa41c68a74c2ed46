"""Reads for the innovation pages. Lists fetch their rows in a fixed number of queries
(select_related / prefetch_related), whatever the number of rows."""

from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from lms.innovation import rules
from lms.innovation.models import (
    Attachment,
    Competition,
    InnovationCertificate,
    Proposal,
    ProposalMember,
    Scorecard,
)
from lms.people import permissions
from lms.people.models import City, LearnerProfile

LIBRARY_PAGE_SIZE = 20


def _members_prefetch() -> Prefetch:
    return Prefetch(
        "members",
        queryset=ProposalMember.objects.select_related("learner__agency").order_by(
            "-is_lead", "added_at", "pk"
        ),
    )


# --- learners -----------------------------------------------------------------------------


def competitions_of_city(city_id: int) -> QuerySet[Competition]:
    return Competition.objects.filter(city_id=city_id).select_related("city")


def proposal_of_learner(profile: LearnerProfile, competition: Competition) -> Proposal | None:
    return Proposal.objects.filter(competition=competition, members__learner=profile).first()


def proposals_of_learner(profile: LearnerProfile) -> QuerySet[Proposal]:
    return (
        Proposal.objects.filter(members__learner=profile)
        .select_related("competition")
        .order_by("-created_at")
    )


def proposal_for_member(profile: LearnerProfile | None, pk: int) -> Proposal | None:
    """The proposal if the learner is on its team; None otherwise, so others cannot tell a
    draft that exists from one that does not."""
    if profile is None:
        return None
    return (
        Proposal.objects.select_related("competition__city")
        .prefetch_related(_members_prefetch(), "attachments")
        .filter(pk=pk, members__learner=profile)
        .first()
    )


def team_candidates(*, proposal: Proposal, query: str, limit: int = 10) -> list[LearnerProfile]:
    """Colleagues of the competition's city, any agency, matching a name or NIP, who are not
    on a proposal of this competition yet."""
    query = (query or "").strip()
    if len(query) < 3:
        return []
    taken = ProposalMember.objects.filter(
        competition_id=proposal.competition_id, learner=OuterRef("pk")
    )
    return list(
        LearnerProfile.objects.filter(city_id=proposal.competition.city_id, is_active=True)
        .filter(Q(full_name__icontains=query) | Q(nip__startswith=query))
        .exclude(Exists(taken))
        .select_related("agency")
        .order_by("full_name")[:limit]
    )


def attachment_for_user(user, pk: int) -> Attachment | None:
    """An attachment its team, the competition's judges (without a conflict, once judging
    has started) or the city's admins may download."""
    attachment = Attachment.objects.select_related("proposal__competition").filter(pk=pk).first()
    if attachment is None:
        return None
    proposal = attachment.proposal
    competition = proposal.competition
    profile_id = permissions.roles_of(user).profile_id
    if profile_id and proposal.members.filter(learner_id=profile_id).exists():
        return attachment
    if rules.can_manage(user, competition):
        return attachment
    if (
        competition.phase != Competition.Phase.UPCOMING
        and competition.phase != Competition.Phase.SUBMISSION
        and proposal.status == Proposal.Status.SUBMITTED
        and rules.is_judge(user, competition)
        and not rules.has_conflict(user, proposal)
    ):
        return attachment
    return None


# --- judges -------------------------------------------------------------------------------


def judged_competitions(user) -> QuerySet[Competition]:
    return Competition.objects.filter(judges=user).select_related("city")


def judge_queue(user, competition: Competition) -> list[Proposal]:
    """The submitted proposals this judge may score (conflicts left out), each with
    ``my_total``: the judge's own total, never anyone else's."""
    mine = Scorecard.objects.filter(proposal=OuterRef("pk"), judge=user).values("total")[:1]
    return list(
        competition.proposals.filter(status=Proposal.Status.SUBMITTED)
        .exclude(rules.conflict_condition(user))
        .annotate(my_total=Subquery(mine))
        .order_by("submitted_at", "pk")
    )


def proposal_for_judge(user, pk: int) -> Proposal | None:
    """A submitted proposal of a competition the user judges and has no conflict on."""
    proposal = (
        Proposal.objects.select_related("competition__city")
        .prefetch_related("attachments")
        .filter(pk=pk, status=Proposal.Status.SUBMITTED, competition__judges=user)
        .first()
    )
    if proposal is None:
        return None
    return proposal


def own_scores(user, proposal: Proposal) -> dict[int, int]:
    """The judge's own scores of the proposal, by criterion id."""
    card = (
        Scorecard.objects.filter(proposal=proposal, judge=user).prefetch_related("scores").first()
    )
    if card is None:
        return {}
    return {score.criterion_id: score.value for score in card.scores.all()}


# --- admins -------------------------------------------------------------------------------


def manageable_competitions(user) -> QuerySet[Competition]:
    return (
        Competition.objects.filter(city__in=permissions.manageable_cities(user))
        .select_related("city")
        .order_by("-submission_opens_at", "-pk")
    )


def competition_progress(competition: Competition) -> dict:
    proposals = competition.proposals.all()
    return {
        "drafts": proposals.filter(status=Proposal.Status.DRAFT).count(),
        "submitted": proposals.filter(status=Proposal.Status.SUBMITTED).count(),
        "scorecards": Scorecard.objects.filter(proposal__competition=competition).count(),
    }


# --- results, leaderboard, library --------------------------------------------------------


def published_competition(pk: int) -> Competition | None:
    return (
        Competition.objects.select_related("city")
        .filter(pk=pk, results_published_at__isnull=False)
        .first()
    )


def leaderboard(competition: Competition) -> list[Proposal]:
    """The submitted proposals in rank order (unscored last): three queries, whatever the
    number of proposals."""
    return list(
        competition.proposals.filter(status=Proposal.Status.SUBMITTED)
        .prefetch_related(_members_prefetch())
        .order_by(F("rank").asc(nulls_last=True), "submitted_at", "pk")
    )


def published_competitions_of_city(city: City) -> QuerySet[Competition]:
    return Competition.objects.filter(city=city, results_published_at__isnull=False).order_by(
        "-results_published_at"
    )


def library_page(*, query: str = "", page: int | str = 1):
    """A page of the innovation library: the submitted proposals of every city's published
    competitions, best ranked and newest first, searchable by proposal title, competition
    title or theme."""
    proposals = Proposal.objects.filter(
        status=Proposal.Status.SUBMITTED, competition__results_published_at__isnull=False
    )
    query = (query or "").strip()[:100]
    if query:
        proposals = proposals.filter(
            Q(title__icontains=query)
            | Q(competition__title__icontains=query)
            | Q(competition__theme__icontains=query)
        )
    proposals = proposals.select_related("competition__city").order_by(
        "-competition__results_published_at", "competition_id", F("rank").asc(nulls_last=True), "pk"
    )
    return Paginator(proposals, LIBRARY_PAGE_SIZE).get_page(page)


def library_proposal(pk: int) -> Proposal | None:
    return (
        Proposal.objects.select_related("competition__city")
        .prefetch_related(_members_prefetch())
        .filter(
            pk=pk,
            status=Proposal.Status.SUBMITTED,
            competition__results_published_at__isnull=False,
        )
        .first()
    )


# --- certificates -------------------------------------------------------------------------


def certificates_of_learner(profile: LearnerProfile) -> QuerySet[InnovationCertificate]:
    return InnovationCertificate.objects.filter(learner=profile).select_related(
        "proposal__competition"
    )


def certificate_by_code(code: str) -> InnovationCertificate | None:
    if not code or len(code) > 32:
        return None
    return (
        InnovationCertificate.objects.select_related("learner", "proposal__competition__city")
        .filter(verification_code=code)
        .first()
    )


def certificate_for_owner(profile: LearnerProfile | None, pk: int):
    if profile is None:
        return None
    return (
        InnovationCertificate.objects.select_related("learner", "proposal__competition__city")
        .filter(pk=pk, learner=profile)
        .first()
    )
