"""PayReferralReward in the engine: fee revenue to the referrer, once per reference, never
more than the fee revenue holds, and the same after a journal round trip."""

from __future__ import annotations

from engine.matching import Side
from engine.trading import accounts
from engine.trading.commands import PayReferralReward, decode, encode
from tests.unit.trading.helpers import T0, Venue

REFERENCE = "referral:acc_referrer:2026-06-01"


def venue_with_fee_revenue() -> tuple[Venue, int]:
    venue = Venue()
    venue.fund("maker", 10_000)
    venue.fund("taker", 10_000)
    venue.prices("59990", "60010")
    venue.limit("maker", Side.SELL, "0.1", "60000")
    assert venue.market("taker", Side.BUY, "0.1").accepted
    revenue = venue.exchange.ledger.balance(accounts.FEES)
    assert revenue > 0
    return venue, revenue


def test_a_reward_moves_fee_revenue_to_the_referrer_once() -> None:
    venue, revenue = venue_with_fee_revenue()
    paid = venue.do(PayReferralReward("acc_referrer", 1_000, REFERENCE, T0))
    assert paid.accepted
    again = venue.do(PayReferralReward("acc_referrer", 1_000, REFERENCE, T0))
    assert again.accepted and again.replay_of == paid.sequence

    ledger = venue.exchange.ledger
    assert ledger.balance(accounts.available("acc_referrer")) == 1_000
    assert ledger.balance(accounts.FEES) == revenue - 1_000


def test_a_reward_larger_than_the_fee_revenue_is_refused_and_can_be_retried() -> None:
    venue, revenue = venue_with_fee_revenue()
    refused = venue.do(PayReferralReward("acc_referrer", revenue + 1, REFERENCE, T0))
    assert not refused.accepted and refused.code == "INSUFFICIENT_FUNDS"
    assert venue.exchange.ledger.balance(accounts.FEES) == revenue
    # Nothing was remembered: the same day pays once there is revenue enough.
    assert venue.do(PayReferralReward("acc_referrer", revenue, REFERENCE, T0)).accepted
    assert venue.exchange.ledger.balance(accounts.available("acc_referrer")) == revenue


def test_the_command_survives_the_journal() -> None:
    command = PayReferralReward("acc_referrer", 1_000, REFERENCE, T0)
    assert decode(*encode(command)) == command
