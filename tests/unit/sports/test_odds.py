"""Odds conversion, margin removal and ppm rounding, with exact hand-computed numbers."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.oracle.sports.model import PPM, InvalidOdds
from engine.oracle.sports.odds import (
    american_to_probability,
    decimal_to_probability,
    parse_american,
    parse_decimal_odds,
    remove_margin,
    to_ppm,
)


@pytest.mark.parametrize(
    ("odds", "probability"),
    [
        (150, Fraction(2, 5)),  # 100 / (150 + 100)
        (-200, Fraction(2, 3)),  # 200 / (200 + 100)
        (100, Fraction(1, 2)),
        (-100, Fraction(1, 2)),
        (-110, Fraction(11, 21)),  # 110 / 210
        (550, Fraction(2, 13)),  # 100 / 650
        (100_000, Fraction(1, 1001)),
    ],
)
def test_american_odds_convert_exactly(odds: int, probability: Fraction) -> None:
    assert american_to_probability(odds) == probability


@pytest.mark.parametrize("odds", [0, 99, -99, 50, -50, 100_001, -100_001])
def test_american_odds_inside_evens_or_absurd_are_refused(odds: int) -> None:
    with pytest.raises(InvalidOdds):
        american_to_probability(odds)


@pytest.mark.parametrize(
    ("text", "odds"), [("+150", 150), ("-200", -200), ("250", 250), (-110, -110)]
)
def test_american_odds_are_read_from_strings_and_numbers(text: object, odds: int) -> None:
    assert parse_american(text) == odds


@pytest.mark.parametrize(
    "text", ["", "+", "1.5", "abc", True, 1.5, None, "+1e5", "\u0661\u0665\u0660"]
)
def test_american_odds_that_are_not_integers_are_refused(text: object) -> None:
    with pytest.raises(InvalidOdds):
        parse_american(text)


@pytest.mark.parametrize(
    ("odds", "probability"),
    [
        (Decimal("2.50"), Fraction(2, 5)),
        (Decimal("1.60"), Fraction(5, 8)),
        (Decimal("3.40"), Fraction(5, 17)),
        (Decimal("1.01"), Fraction(100, 101)),
        (Decimal("1001"), Fraction(1, 1001)),
    ],
)
def test_decimal_odds_convert_exactly(odds: Decimal, probability: Fraction) -> None:
    assert decimal_to_probability(odds) == probability


@pytest.mark.parametrize("odds", ["1", "1.00", "0", "-2.5", "1001.01", "NaN", "Infinity"])
def test_decimal_odds_at_or_below_evens_money_back_or_absurd_are_refused(odds: str) -> None:
    with pytest.raises(InvalidOdds):
        decimal_to_probability(Decimal(odds))


def test_decimal_odds_decoded_as_floats_are_refused_not_guessed() -> None:
    with pytest.raises(InvalidOdds):
        parse_decimal_odds(2.1)
    assert parse_decimal_odds(Decimal("2.1")) == Decimal("2.1")
    assert parse_decimal_odds("2.10") == Decimal("2.10")


def test_margin_removal_of_a_two_way_market() -> None:
    # -110 / -110: each 11/21, the book sums to 22/21 (4.76% overround); fair is 1/2 each.
    implied = [american_to_probability(-110), american_to_probability(-110)]
    assert sum(implied) == Fraction(22, 21)
    assert remove_margin(implied) == (Fraction(1, 2), Fraction(1, 2))


def test_margin_removal_of_a_three_way_market() -> None:
    # 2.00 / 3.40 / 4.00: 1/2 + 5/17 + 1/4 = 71/68, so fair = 34/71, 20/71, 17/71.
    implied = [decimal_to_probability(Decimal(odds)) for odds in ("2.00", "3.40", "4.00")]
    fair = remove_margin(implied)
    assert fair == (Fraction(34, 71), Fraction(20, 71), Fraction(17, 71))
    assert sum(fair) == 1


@pytest.mark.parametrize(
    "implied",
    [
        [Fraction(1, 2)],  # one outcome is not a market
        [Fraction(2, 5), Fraction(2, 5)],  # 80%: pays out more than it takes
        [Fraction(9, 10), Fraction(9, 10)],  # 180%: nobody bets into that
    ],
)
def test_books_that_are_not_real_markets_are_refused(implied: list[Fraction]) -> None:
    with pytest.raises(InvalidOdds):
        remove_margin(implied)


def test_ppm_rounding_gives_the_missing_unit_to_the_largest_remainder() -> None:
    # 34/71 = 478873.239..., 20/71 = 281690.140..., 17/71 = 239436.619... ppm: the floors
    # sum to 999,999 and the unit goes to 17/71, whose remainder (.619) is largest.
    assert to_ppm([Fraction(34, 71), Fraction(20, 71), Fraction(17, 71)]) == (
        478873,
        281690,
        239437,
    )


def test_ppm_rounding_breaks_ties_towards_the_earlier_outcome() -> None:
    third = Fraction(1, 3)
    assert to_ppm([third, third, third]) == (333334, 333333, 333333)


def test_ppm_rounding_refuses_probabilities_that_do_not_sum_to_one() -> None:
    with pytest.raises(ValueError):
        to_ppm([Fraction(1, 2), Fraction(1, 3)])


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=2, max_size=6))
def test_ppm_always_sums_to_a_million_within_one_unit_of_exact(weights: list[int]) -> None:
    total = sum(weights)
    exact = [Fraction(weight, total) for weight in weights]
    ppm = to_ppm(exact)
    assert sum(ppm) == PPM
    assert all(
        abs(Fraction(part) - share * PPM) < 1 for part, share in zip(ppm, exact, strict=True)
    )
