"""Odds to probabilities, exactly: American and decimal odds, margin removal, ppm rounding."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from engine.oracle.sports.model import PPM, InvalidOdds

# American odds are at least 100 in size (+100 and -100 both mean evens); 100,000 (p = 1/1001)
# is beyond anything a sportsbook quotes in play, so a bigger number is a bad payload.
MIN_AMERICAN_ODDS = 100
MAX_AMERICAN_ODDS = 100_000
# Decimal odds are stake-inclusive, so they exceed 1; the cap matches the American one.
MAX_DECIMAL_ODDS = Decimal(1001)
# A book whose implied probabilities sum below 98% pays out more than it takes in (no
# sportsbook quotes that); above 150% it is not a market anyone bets into.
MIN_BOOK_SUM = Fraction(98, 100)
MAX_BOOK_SUM = Fraction(150, 100)


def american_to_probability(odds: int) -> Fraction:
    """+150 -> 100 / 250 = 2/5; -200 -> 200 / 300 = 2/3."""
    if isinstance(odds, bool) or not isinstance(odds, int):
        raise InvalidOdds(f"American odds must be an integer, got {odds!r}")
    if abs(odds) < MIN_AMERICAN_ODDS or abs(odds) > MAX_AMERICAN_ODDS:
        raise InvalidOdds(f"American odds {odds} out of range")
    if odds > 0:
        return Fraction(100, odds + 100)
    return Fraction(-odds, -odds + 100)


def parse_american(text: object) -> int:
    """American odds as a provider writes them: 150, -200, "+150", "-200"."""
    if isinstance(text, bool):
        raise InvalidOdds(f"American odds must be a number, got {text!r}")
    if isinstance(text, int):
        return text
    if isinstance(text, str):
        body = text.strip()
        digits = body[1:] if body[:1] in "+-" else body
        if digits.isascii() and digits.isdigit() and len(digits) <= 7:
            return int(body)
    raise InvalidOdds(f"not American odds: {text!r}")


def decimal_to_probability(odds: Decimal) -> Fraction:
    """2.50 -> 1 / 2.5 = 2/5."""
    if not odds.is_finite() or odds <= 1 or odds > MAX_DECIMAL_ODDS:
        raise InvalidOdds(f"decimal odds {odds} out of range")
    return 1 / Fraction(odds)


def parse_decimal_odds(value: object) -> Decimal:
    """Decimal odds from JSON decoded with `parse_float=Decimal`, or from a string.

    A float here means the JSON was decoded lossily (2.1 is not 21/10 in binary), so it
    is refused rather than guessed at.
    """
    if isinstance(value, (bool, float)):
        raise InvalidOdds(f"decimal odds must be exact, got {value!r}")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str) and len(value) <= 16:
        try:
            return Decimal(value.strip())
        except ArithmeticError:
            pass
    raise InvalidOdds(f"not decimal odds: {value!r}")


def remove_margin(implied: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """Normalise a market's implied probabilities to sum to 1 (proportional method).

    p_fair_i = p_i / sum_j p_j: the overround is taken off every outcome in proportion.
    """
    total = sum(implied, Fraction(0))
    if len(implied) < 2:
        raise InvalidOdds("a market needs at least two outcomes")
    if total < MIN_BOOK_SUM or total > MAX_BOOK_SUM:
        raise InvalidOdds(f"implied probabilities sum to {float(total):.4f}: not a real book")
    return tuple(p / total for p in implied)


def to_ppm(probabilities: Sequence[Fraction]) -> tuple[int, ...]:
    """Exact probabilities summing to 1 -> integer ppm summing to exactly 1,000,000.

    Largest remainder: floor every share, then hand the missing units to the largest
    remainders; equal remainders go to the earlier outcome, so the result is deterministic.
    """
    if sum(probabilities, Fraction(0)) != 1:
        raise ValueError("probabilities must sum to exactly 1")
    scaled = [p * PPM for p in probabilities]
    floors = [int(share) for share in scaled]  # p >= 0, so int() is floor
    missing = PPM - sum(floors)
    by_remainder = sorted(
        range(len(scaled)), key=lambda index: (-(scaled[index] - floors[index]), index)
    )
    for index in by_remainder[:missing]:
        floors[index] += 1
    return tuple(floors)
