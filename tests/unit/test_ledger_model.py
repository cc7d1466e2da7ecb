"""Entry validation and unit conversion: what the ledger refuses before it touches storage."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.ledger import (
    USDT,
    AccountKey,
    AccountPurpose,
    EntryRequest,
    InvalidAmount,
    InvalidEntry,
    Leg,
    OwnerKind,
    UnbalancedEntry,
    format_units,
    to_units,
)
from engine.ledger.model import MAX_LEGS_PER_ENTRY, validate_entry

A = AccountKey(OwnerKind.USER, "a", AccountPurpose.AVAILABLE, "USDT")
B = AccountKey(OwnerKind.USER, "b", AccountPurpose.AVAILABLE, "USDT")
A_SOL = AccountKey(OwnerKind.USER, "a", AccountPurpose.AVAILABLE, "SOL")
B_SOL = AccountKey(OwnerKind.USER, "b", AccountPurpose.AVAILABLE, "SOL")


def entry(*legs: Leg, key: str = "k") -> EntryRequest:
    return EntryRequest(key, "transfer", legs)


def test_a_balanced_entry_passes() -> None:
    validate_entry(entry(Leg(A, -5), Leg(B, 5)))


def test_each_asset_must_balance_on_its_own() -> None:
    # Sums to zero overall, but moves USDT out of nowhere into SOL.
    with pytest.raises(UnbalancedEntry):
        validate_entry(entry(Leg(A, -5), Leg(B_SOL, 5)))
    validate_entry(entry(Leg(A, -5), Leg(B, 5), Leg(A_SOL, -1), Leg(B_SOL, 1)))


@pytest.mark.parametrize(
    "legs",
    [
        (Leg(A, 0), Leg(B, 0)),
        (Leg(A, -5),),
        (Leg(A, -5.0), Leg(B, 5.0)),  # type: ignore[arg-type]
        (Leg(A, True), Leg(B, -1)),  # type: ignore[arg-type]
        (Leg(A, -(2**63)), Leg(B, 2**63)),
    ],
)
def test_malformed_legs_are_refused(legs: tuple[Leg, ...]) -> None:
    with pytest.raises(InvalidEntry):
        validate_entry(entry(*legs))


def test_an_entry_with_too_many_legs_is_refused() -> None:
    legs = [Leg(A, -1), Leg(B, 1)] * (MAX_LEGS_PER_ENTRY // 2 + 1)
    with pytest.raises(InvalidEntry):
        validate_entry(entry(*legs))


@pytest.mark.parametrize("key", ["", "x" * 129])
def test_idempotency_keys_must_be_present_and_short(key: str) -> None:
    with pytest.raises(InvalidEntry):
        validate_entry(entry(Leg(A, -1), Leg(B, 1), key=key))


def test_the_fingerprint_ignores_leg_order_but_not_amounts() -> None:
    one = entry(Leg(A, -5), Leg(B, 5))
    assert one.fingerprint() == entry(Leg(B, 5), Leg(A, -5)).fingerprint()
    assert one.fingerprint() != entry(Leg(A, -6), Leg(B, 6)).fingerprint()


def test_more_decimals_than_the_asset_has_are_refused_not_rounded() -> None:
    assert to_units(Decimal("1.000001"), USDT) == 1_000_001
    with pytest.raises(InvalidAmount):
        to_units(Decimal("1.0000001"), USDT)


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_units_survive_a_round_trip_through_text(units: int) -> None:
    assert to_units(Decimal(format_units(units, USDT)), USDT) == units
