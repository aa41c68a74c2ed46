"""Builders for innovation tests. Competitions are made through the service, then moved to
the wanted phase by shifting their dates (the phase follows from the dates)."""

import datetime

from django.utils import timezone

from lms.innovation import services
from lms.innovation.models import Competition
from lms.innovation.services import CriterionData
from tests.factories import city_admin

DEFAULT_RUBRIC = [
    CriterionData(name="Kebaruan", weight=30, max_score=10),
    CriterionData(name="Dampak", weight=50, max_score=10),
    CriterionData(name="Kelayakan", weight=20, max_score=5),
]

DAY = datetime.timedelta(days=1)

# Phase -> (opens, closes, judging closes) relative to now, in days.
PHASE_OFFSETS = {
    "upcoming": (1, 2, 3),
    "submission": (-1, 1, 2),
    "judging": (-2, -1, 1),
    "awaiting_results": (-3, -2, -1),
}


def phase_dates(phase: str) -> dict:
    now = timezone.now()
    opens, closes, judging = PHASE_OFFSETS[phase]
    return {
        "submission_opens_at": now + opens * DAY,
        "submission_closes_at": now + closes * DAY,
        "judging_closes_at": now + judging * DAY,
    }


def make_competition(
    city, *, phase="submission", judges=(), rubric=None, winners_count=3, admin=None, **fields
) -> Competition:
    values = {
        "title": "Kompetisi Inovasi Pelayanan Publik",
        "theme": "Pelayanan publik digital",
        "description": "Gagasan untuk pelayanan yang lebih cepat.",
        **fields,
    }
    return services.competition_save(
        by=admin or city_admin(city),
        city=city,
        winners_count=winners_count,
        judges=list(judges),
        criteria=list(rubric or DEFAULT_RUBRIC),
        **phase_dates(phase),
        **values,
    )


def set_phase(competition: Competition, phase: str) -> Competition:
    Competition.objects.filter(pk=competition.pk).update(**phase_dates(phase))
    competition.refresh_from_db()
    return competition


def make_proposal(competition, learner, *, title="Antrean daring", submit=True, members=()):
    proposal = services.proposal_create(
        learner=learner,
        competition=competition,
        title=title,
        problem="Warga antre berjam-jam di loket.",
        solution="Antrean daring lewat ponsel.",
        expected_impact="Waktu tunggu turun separuh.",
    )
    for member in members:
        services.proposal_member_add(by=learner, proposal=proposal, new_member=member)
    if submit:
        services.proposal_submit(learner=learner, proposal=proposal)
    return proposal


def full_scores(competition, values=None) -> dict[int, int]:
    criteria = list(competition.criteria.all())
    values = values or [8, 7, 4]
    return {criterion.pk: value for criterion, value in zip(criteria, values, strict=True)}
