"""Who may do what in a competition, asked by services (before writing), selectors
(when listing) and views alike, so a rule lives in one place.

Conflict of interest: a judge may not score a proposal when the judge is on its team,
or when any team member works in the judge's own agency (OPD). An agency is its
top-level unit in the city's agency tree, so a judge of Dinas Kominfo is conflicted with
a proposal from its Bidang Aplikasi Informatika as well.
"""

from django.db.models import Exists, OuterRef, Q

from lms.innovation.models import Competition, Proposal, ProposalMember
from lms.people import permissions
from lms.people.models import Agency, LearnerProfile


def opd_path(agency_path: str | None) -> str | None:
    """The materialised path of the agency's top-level unit (its OPD)."""
    if not agency_path:
        return None
    return agency_path[: Agency.steplen]


def judge_opd_path(judge) -> str | None:
    path = (
        LearnerProfile.objects.filter(user_id=judge.pk)
        .values_list("agency__path", flat=True)
        .first()
    )
    return opd_path(path)


def conflict_condition(judge) -> Q:
    """A filter on Proposal matching the proposals this judge is conflicted on."""
    members = ProposalMember.objects.filter(proposal=OuterRef("pk"))
    condition = Q(learner__user_id=judge.pk)
    root = judge_opd_path(judge)
    if root:
        condition |= Q(learner__agency__path__startswith=root)
    return Q(Exists(members.filter(condition)))


def has_conflict(judge, proposal: Proposal) -> bool:
    return Proposal.objects.filter(pk=proposal.pk).filter(conflict_condition(judge)).exists()


def is_judge(user, competition: Competition) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return competition.judges.filter(pk=user.pk).exists()


def is_member(profile: LearnerProfile | None, proposal: Proposal) -> bool:
    if profile is None:
        return False
    return proposal.members.filter(learner=profile).exists()


def may_take_part(profile: LearnerProfile | None, competition: Competition) -> bool:
    """Learners of the competition's city take part; teams may mix agencies."""
    return profile is not None and profile.is_active and profile.city_id == competition.city_id


def can_manage(user, competition: Competition) -> bool:
    return permissions.can_manage_city(user, competition.city_id)
