import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from lms.innovation.scoring import (
    RubricItem,
    mean_score,
    rank_entries,
    validate_weights,
    weighted_total,
)

RUBRIC = [
    RubricItem(key=1, name="Kebaruan", weight=30, max_score=10),
    RubricItem(key=2, name="Dampak", weight=50, max_score=10),
    RubricItem(key=3, name="Kelayakan", weight=20, max_score=5),
]


class WeightedTotalTests:
    def test_weights_apply_to_each_criterion_share_of_its_maximum(self):
        # 30 x 8/10 + 50 x 7/10 + 20 x 4/5 = 24 + 35 + 16
        assert weighted_total(RUBRIC, {1: 8, 2: 7, 3: 4}) == Decimal("75.00")

    def test_full_and_zero_marks(self):
        assert weighted_total(RUBRIC, {1: 10, 2: 10, 3: 5}) == Decimal("100.00")
        assert weighted_total(RUBRIC, {1: 0, 2: 0, 3: 0}) == Decimal("0.00")

    def test_rounds_once_at_the_end_half_up_to_two_decimals(self):
        rubric = [
            RubricItem(key="a", name="A", weight=33, max_score=3),
            RubricItem(key="b", name="B", weight=67, max_score=7),
        ]
        # 33 x 1/3 = 11 exactly; 67 x 1/7 = 9.571428... -> 20.571428... -> 20.57
        assert weighted_total(rubric, {"a": 1, "b": 1}) == Decimal("20.57")
        # 67 x 5/7 = 47.857142... + 33 x 2/3 = 22 -> 69.857142... -> 69.86
        assert weighted_total(rubric, {"a": 2, "b": 5}) == Decimal("69.86")
        half = [
            RubricItem(key="a", name="A", weight=1, max_score=8),
            RubricItem(key="b", name="B", weight=99, max_score=1),
        ]
        # 1 x 1/8 = 0.125: exactly half a cent rounds up, never to the even cent.
        assert weighted_total(half, {"a": 1, "b": 0}) == Decimal("0.13")

    def test_result_is_a_decimal_with_two_places(self):
        total = weighted_total(RUBRIC, {1: 1, 2: 1, 3: 1})
        assert isinstance(total, Decimal)
        assert total.as_tuple().exponent == -2

    def test_missing_criterion_refused(self):
        with pytest.raises(ValidationError) as caught:
            weighted_total(RUBRIC, {1: 8, 2: 7})
        assert caught.value.messages == ["Give a score for Kelayakan."]

    @pytest.mark.parametrize("bad", [-1, 6, 2.5, "4", True, None])
    def test_score_outside_the_range_or_not_whole_refused(self, bad):
        with pytest.raises(ValidationError):
            weighted_total(RUBRIC, {1: 8, 2: 7, 3: bad})

    def test_score_for_an_unknown_criterion_refused(self):
        with pytest.raises(ValidationError):
            weighted_total(RUBRIC, {1: 8, 2: 7, 3: 4, 99: 1})


class WeightTests:
    def test_weights_must_sum_to_exactly_100(self):
        validate_weights([30, 50, 20])
        with pytest.raises(ValidationError) as caught:
            validate_weights([30, 50, 21])
        assert "101%" in caught.value.messages[0]
        with pytest.raises(ValidationError):
            validate_weights([30, 50])

    @pytest.mark.parametrize("weights", [[], [0, 100], [101, -1], [50.0, 50]])
    def test_empty_zero_negative_or_fractional_weights_refused(self, weights):
        with pytest.raises(ValidationError):
            validate_weights(weights)

    def test_a_rubric_whose_weights_do_not_sum_to_100_cannot_score(self):
        rubric = [RubricItem(key=1, name="A", weight=60, max_score=10)]
        with pytest.raises(ValidationError):
            weighted_total(rubric, {1: 10})


class MeanAndRankTests:
    def test_mean_of_totals_rounded_half_up(self):
        assert mean_score([Decimal("70.00"), Decimal("75.01")]) == Decimal("72.51")  # 72.505
        assert mean_score([Decimal("80.00"), Decimal("80.00"), Decimal("81.00")]) == Decimal(
            "80.33"
        )
        assert mean_score([]) is None

    def test_ties_share_a_rank_and_the_next_rank_skips(self):
        t = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
        hour = datetime.timedelta(hours=1)
        entries = [
            ("late-80", Decimal("80.00"), t + 3 * hour),
            ("top", Decimal("90.00"), t + 5 * hour),
            ("early-80", Decimal("80.00"), t + hour),
            ("unscored", None, t),
            ("low", Decimal("50.00"), t),
        ]
        ranked = rank_entries(entries, winners=2)
        assert [(r.key, r.rank, r.is_winner) for r in ranked] == [
            ("top", 1, True),
            # equal means: one rank, earlier submission listed first; a tie on the last
            # winning rank makes both winners
            ("early-80", 2, True),
            ("late-80", 2, True),
            ("low", 4, False),
            ("unscored", None, False),
        ]

    def test_tie_beyond_the_winning_ranks_wins_nothing(self):
        t = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
        entries = [("a", Decimal("90"), t), ("b", Decimal("70"), t), ("c", Decimal("70"), t)]
        ranked = rank_entries(entries, winners=1)
        assert [(r.key, r.rank, r.is_winner) for r in ranked] == [
            ("a", 1, True),
            ("b", 2, False),
            ("c", 2, False),
        ]
