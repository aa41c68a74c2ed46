"""Demo innovation competitions for one city, built through the same services as the admin
screens and the learner pages: a finished competition with published results (for the
leaderboard and the innovation library) and one open for proposals. Re-runnable: a city
that already has the demo competitions is left as it is.

Needs the city's demo learners and admin (lms.core load_demo_data makes them first).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from lms.innovation import rules, services
from lms.innovation.models import Competition, Criterion
from lms.innovation.services import CriterionData
from lms.people.models import CityRole, LearnerProfile, User

FINISHED_TITLE = "Kompetisi Inovasi Pelayanan Publik 2026"
OPEN_TITLE = "Kompetisi Inovasi Digital ASN 2027"
RUBRIC = [
    CriterionData("Kebaruan gagasan", 25, 10),
    CriterionData("Dampak bagi warga", 40, 10),
    CriterionData("Kelayakan pelaksanaan", 20, 10),
    CriterionData("Keberlanjutan", 15, 5),
]
PROPOSALS = [
    (
        "Antrean daring puskesmas",
        "Warga mengantre berjam-jam di loket puskesmas sejak subuh.",
        "Nomor antrean diambil dari ponsel lewat WhatsApp dan situs kota.",
        "Waktu tunggu turun separuh; loket lebih tertib.",
    ),
    (
        "Satu data perizinan",
        "Data izin usaha tersebar di tiga dinas dan sering tidak cocok.",
        "Satu basis data bersama dengan layanan API untuk tiap dinas.",
        "Izin terbit dalam tiga hari, bukan dua minggu.",
    ),
    (
        "Arsip digital kelurahan",
        "Berkas kependudukan di kelurahan rusak dan sulit dicari.",
        "Pemindaian berkas dan pencarian berdasarkan NIK.",
        "Layanan surat keterangan selesai dalam satu kunjungan.",
    ),
]
# Each judge's scores per proposal, in rubric order.
SCORES = [
    [[9, 9, 8, 4], [8, 9, 7, 5]],
    [[7, 8, 8, 4], [8, 7, 8, 4]],
    [[6, 7, 9, 3], [7, 6, 8, 3]],
]


def _dates(opens_days: int, closes_days: int, judging_days: int) -> dict:
    now = timezone.now()
    return {
        "submission_opens_at": now + datetime.timedelta(days=opens_days),
        "submission_closes_at": now + datetime.timedelta(days=closes_days),
        "judging_closes_at": now + datetime.timedelta(days=judging_days),
    }


def _save(admin, city, competition, judges, **dates):
    return services.competition_save(
        by=admin,
        competition=competition,
        city=city,
        title=competition.title if competition else dates.pop("title"),
        theme=competition.theme if competition else dates.pop("theme"),
        description=competition.description if competition else dates.pop("description"),
        winners_count=2,
        judges=judges,
        criteria=[
            CriterionData(c.name, c.weight, c.max_score)
            for c in Criterion.objects.filter(competition=competition)
        ]
        if competition
        else RUBRIC,
        **dates,
    )


@transaction.atomic
def load_demo_competitions(city) -> None:
    if Competition.objects.filter(city=city, title=FINISHED_TITLE).exists():
        return
    admin = (
        User.objects.filter(
            groups__city_role__city=city, groups__city_role__role=CityRole.Role.CITY_ADMIN
        )
        .order_by("pk")
        .first()
    )
    learners = list(
        LearnerProfile.objects.filter(city=city, is_active=True)
        .select_related("agency")
        .order_by("nip")
    )
    if admin is None or len(learners) < 6:
        return
    by_opd: dict[str, list[LearnerProfile]] = {}
    for learner in learners:
        root = rules.opd_path(learner.agency.path if learner.agency else None) or ""
        by_opd.setdefault(root, []).append(learner)
    groups = [group for root, group in sorted(by_opd.items()) if root and len(group) >= 2]
    if len(groups) < 3:
        return
    # Judges come from one OPD; the teams mix the others, so no judge is conflicted.
    judge_pool, *team_pools = sorted(groups, key=len, reverse=True)
    judges = [judge_pool[0].user, judge_pool[1].user]

    competition = _save(
        admin,
        city,
        None,
        judges,
        title=FINISHED_TITLE,
        theme="Pelayanan publik yang lebih cepat",
        description="Gagasan ASN untuk memangkas antrean dan berkas pelayanan publik.",
        **_dates(-1, 1, 2),
    )
    # Distinct leads first, then one partner from another agency per team, nobody twice.
    leads = [
        team_pools[n % len(team_pools)][(n // len(team_pools)) % 2] for n in range(len(PROPOSALS))
    ]
    taken = {lead.pk for lead in leads}
    proposals = []
    for n, (title, problem, solution, impact) in enumerate(PROPOSALS):
        lead = leads[n]
        proposal = services.proposal_create(
            learner=lead,
            competition=competition,
            title=title,
            problem=problem,
            solution=solution,
            expected_impact=impact,
        )
        other = team_pools[(n + 1) % len(team_pools)]
        partner = next((p for p in other if p.pk not in taken), None)
        if partner is not None:
            taken.add(partner.pk)
            services.proposal_member_add(by=lead, proposal=proposal, new_member=partner)
        services.proposal_submit(learner=lead, proposal=proposal)
        proposals.append(proposal)

    competition = _save(admin, city, competition, judges, **_dates(-3, -1, 1))
    criteria = list(competition.criteria.all())
    for proposal, per_judge in zip(proposals, SCORES, strict=True):
        for judge, values in zip(judges, per_judge, strict=True):
            services.scorecard_save(
                judge=judge,
                proposal=proposal,
                scores={c.pk: v for c, v in zip(criteria, values, strict=True)},
                comment="",
            )
    competition = _save(admin, city, competition, judges, **_dates(-5, -3, -1))
    services.competition_publish_results(by=admin, competition=competition)

    _save(
        admin,
        city,
        None,
        judges,
        title=OPEN_TITLE,
        theme="Layanan digital untuk warga",
        description="Usulkan aplikasi atau proses digital yang memudahkan warga kota.",
        **_dates(-1, 30, 45),
    )
