"""The arithmetic of judging, in one place, with Decimal only (no float ever touches a score).

- A rubric's weights are whole percentages that sum to exactly 100.
- A judge's weighted total is, over every criterion, weight/100 x score/max_score x 100:
  a number from 0 to 100, rounded once, at the end, to two decimals, half up
  (ROUND_HALF_UP: 82.345 -> 82.35), so the same scores always give the same total.
- A proposal's mean score is the mean of its judges' (already rounded) totals, rounded
  the same way.
- Ranking: higher mean first. Equal means (to the cent) share a rank and the next rank
  skips ("1, 2, 2, 4", standard competition ranking); within a tie, the earlier
  submission is listed first, but that changes only the order, never the rank. A
  proposal that no judge scored has no mean and no rank. Winners are the proposals whose
  rank is at most the competition's number of winners, so a tie on the last winning
  rank makes every tied proposal a winner.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TOTAL_WEIGHT = 100
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RubricItem:
    """What the arithmetic needs of a criterion."""

    key: int | str
    name: str
    weight: int
    max_score: int


def round_score(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def validate_weights(weights: Sequence[int]) -> None:
    """Weights are whole percentages from 1 to 100 that add up to 100."""
    if not weights:
        raise ValidationError(_("The rubric needs at least one criterion."), code="empty")
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            raise ValidationError(
                _("Each weight must be a whole percentage from 1 to 100."), code="weight"
            )
    total = sum(weights)
    if total != TOTAL_WEIGHT:
        raise ValidationError(
            _("The weights add up to %(total)d%%; they must add up to exactly 100%%."),
            code="weights_total",
            params={"total": total},
        )


def weighted_total(rubric: Sequence[RubricItem], scores: Mapping) -> Decimal:
    """The weighted total (0-100, two decimals) of one judge's scores, keyed by the rubric
    items' keys. Every criterion must be scored, as a whole number from 0 to its maximum;
    a score for a criterion that is not in the rubric is refused too."""
    validate_weights([item.weight for item in rubric])
    known = {item.key for item in rubric}
    unknown = [key for key in scores if key not in known]
    if unknown:
        raise ValidationError(_("A score was given for a criterion not in the rubric."))
    total = Decimal(0)
    for item in rubric:
        value = scores.get(item.key)
        if value is None or value == "":
            raise ValidationError(
                _("Give a score for %(criterion)s."),
                code="missing",
                params={"criterion": item.name},
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= item.max_score
        ):
            raise ValidationError(
                _("The score for %(criterion)s must be a whole number from 0 to %(max)d."),
                code="range",
                params={"criterion": item.name, "max": item.max_score},
            )
        total += Decimal(item.weight) * Decimal(value) / Decimal(item.max_score)
    # sum(weight x value/max) is already on a 0-100 scale because the weights sum to 100.
    return round_score(total)


def mean_score(totals: Iterable[Decimal]) -> Decimal | None:
    totals = list(totals)
    if not totals:
        return None
    return round_score(sum(totals, Decimal(0)) / Decimal(len(totals)))


@dataclass(frozen=True)
class Ranked:
    key: object
    mean: Decimal | None
    rank: int | None
    is_winner: bool


def rank_entries(entries: Sequence[tuple], *, winners: int) -> list[Ranked]:
    """Rank (key, mean or None, submitted_at) entries by the rules in the module docstring;
    returns them in leaderboard order."""
    scored = sorted(
        (entry for entry in entries if entry[1] is not None),
        key=lambda entry: (-entry[1], entry[2]),
    )
    ranked: list[Ranked] = []
    previous_mean, previous_rank = None, 0
    for position, (key, mean, _submitted_at) in enumerate(scored, start=1):
        rank = previous_rank if mean == previous_mean else position
        previous_mean, previous_rank = mean, rank
        ranked.append(Ranked(key=key, mean=mean, rank=rank, is_winner=rank <= winners))
    unscored = sorted((entry for entry in entries if entry[1] is None), key=lambda e: e[2])
    ranked.extend(Ranked(key=key, mean=None, rank=None, is_winner=False) for key, *_ in unscored)
    return ranked
