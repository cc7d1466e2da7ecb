"""Hourly funding between longs and shorts, and liquidation through the book."""

from __future__ import annotations

from datetime import timedelta

from engine.matching import Side
from engine.trading import accounts
from engine.trading.commands import SweepLiquidations, UpdatePrices
from engine.trading.events import FundingPaid, MarginCall, PositionLiquidated
from tests.unit.trading.helpers import SYMBOL, Venue, px


def open_pair(venue: Venue, leverage: int = 10) -> None:
    """Alice long 0.1 BTC and Bob short 0.1 BTC at 60,000."""
    for name in ("alice", "bob", "carol"):
        venue.fund(name, 10_000)
    venue.prices("59990", "60010")
    assert venue.limit("alice", Side.BUY, "0.1", "60000", leverage=leverage).accepted
    assert venue.market("bob", Side.SELL, "0.1", leverage=leverage).accepted


def test_an_hour_of_premium_makes_longs_pay_shorts_exactly() -> None:
    venue = Venue()
    open_pair(venue)
    ledger = venue.exchange.ledger
    alice_before = ledger.balance(accounts.collateral("alice", SYMBOL))
    bob_before = ledger.balance(accounts.collateral("bob", SYMBOL))
    index, mark = px("60000"), px("60030")  # mark 0.05 % over index: longs pay
    paid = []
    for _ in range(3700):  # past the next whole hour
        outcome = venue.do(
            UpdatePrices(SYMBOL, index, mark, px("60020"), px("60040"), True, venue.tick())
        )
        paid += [e for e in outcome.events if isinstance(e, FundingPaid)]
    [funding] = paid
    assert funding.rate > 0
    alice_paid = alice_before - ledger.balance(accounts.collateral("alice", SYMBOL))
    bob_received = ledger.balance(accounts.collateral("bob", SYMBOL)) - bob_before
    assert alice_paid > 0 and bob_received > 0
    residue = ledger.balance(accounts.INSURANCE_FUND)
    assert alice_paid == bob_received + residue  # zero-sum, the rounding booked
    assert venue.exchange.positions[("alice", SYMBOL)].collateral == ledger.balance(
        accounts.collateral("alice", SYMBOL)
    )
    assert venue.total_money() == 0


def test_a_position_past_maintenance_is_liquidated_into_the_book() -> None:
    venue = Venue()
    open_pair(venue, leverage=100)
    # Carol bids below: the liquidation's market sell will meet her.
    assert venue.limit("carol", Side.BUY, "0.1", "59450", leverage=10).accepted
    # Alice at 100x: 1 % margin, maintenance 0.5 %: liquidated about 0.5 % below entry.
    venue.prices("59790", "59810")
    warned = venue.do(SweepLiquidations(venue.tick()))
    assert any(isinstance(e, MarginCall) and e.account == "alice" for e in warned.events)

    venue.prices("59500", "59520")
    swept = venue.do(SweepLiquidations(venue.tick()))
    [liquidation] = [e for e in swept.events if isinstance(e, PositionLiquidated)]
    assert liquidation.side == "LONG"
    remaining = venue.exchange.positions.get(("alice", SYMBOL))
    assert remaining is None or remaining.size < 10_000_000
    ledger = venue.exchange.ledger
    assert ledger.balance(accounts.INSURANCE_FUND) > 0
    assert ledger.balance(accounts.LIQUIDATOR) > 0
    assert venue.total_money() == 0


def test_no_liquidation_on_an_unhealthy_price() -> None:
    venue = Venue()
    open_pair(venue, leverage=100)
    venue.limit("carol", Side.BUY, "0.1", "50000", leverage=10)
    venue.prices("55000", "55020", healthy=False)
    swept = venue.do(SweepLiquidations(venue.tick() + timedelta(seconds=1)))
    assert not [e for e in swept.events if isinstance(e, PositionLiquidated)]
    assert ("alice", SYMBOL) in venue.exchange.positions


def test_a_bankruptcy_the_fund_cannot_cover_is_auto_deleveraged() -> None:
    venue = Venue()
    open_pair(venue, leverage=100)  # Alice long 0.1 at 60,000 on 60 USDT; Bob short
    ledger = venue.exchange.ledger
    assert ledger.balance(accounts.INSURANCE_FUND) == 0
    # The market gaps 1.5 % down: Alice owes 90 on 60 of collateral, and the book is empty.
    venue.prices("59090", "59110")
    swept = venue.do(SweepLiquidations(venue.tick()))

    [adl] = [e for e in swept.events if isinstance(e, PositionLiquidated)]
    assert adl.auto_deleveraged and adl.side == "LONG" and adl.size == 10_000_000
    assert ("alice", SYMBOL) not in venue.exchange.positions
    assert ("bob", SYMBOL) not in venue.exchange.positions  # Bob took the other side
    # Alice lost exactly her collateral; Bob's profit stops at her bankruptcy price,
    # 59,400 (60,000 less 60 USDT / 0.1 BTC), not at the 59,100 mark.
    assert venue.available("alice") == (10_000 - 60) * 1_000_000 + 1_200_000
    bob_profit = venue.available("bob") - (10_000 - 3) * 1_000_000
    assert bob_profit == 60 * 1_000_000
    assert ledger.balance(accounts.settlement(SYMBOL)) == 0
    assert venue.total_money() == 0


def test_a_full_liquidation_leaves_nothing_to_the_trader() -> None:
    venue = Venue()
    open_pair(venue, leverage=100)  # Alice: 0.1 BTC long at 60,000 on 60 USDT
    assert venue.limit("carol", Side.BUY, "0.1", "59600", leverage=10).accepted
    available_before = venue.available("alice")
    venue.prices("59640", "59660")  # equity 25 < maintenance 29.8: liquidated in full
    swept = venue.do(SweepLiquidations(venue.tick()))
    assert [e.size for e in swept.events if isinstance(e, PositionLiquidated)] == [10_000_000]
    # Sold at 59,600: 40 of loss and 2.98 of taker fee leave 17.02 of collateral; the
    # liquidation fee (0.5 % of 5,965 = 29.83) takes all of it and no more, so nothing
    # comes back to Alice and nothing is taken from the rest of her account.
    assert venue.available("alice") == available_before
    ledger = venue.exchange.ledger
    assert ledger.balance(accounts.INSURANCE_FUND) == 8_510_000
    assert ledger.balance(accounts.LIQUIDATOR) == 8_510_000
    assert venue.total_money() == 0


def test_half_first_then_the_rest_whose_remainder_goes_to_the_fund() -> None:
    venue = Venue()
    open_pair(venue, leverage=50)  # 0.1 BTC long at 60,000 on 120 USDT, maintenance 1 %
    assert venue.limit("carol", Side.BUY, "0.1", "59380", leverage=10).accepted
    venue.prices("59380", "59400")  # equity 59 < maintenance 59.39
    first = venue.do(SweepLiquidations(venue.tick()))
    assert [e.size for e in first.events if isinstance(e, PositionLiquidated)] == [5_000_000]
    assert venue.exchange.positions[("alice", SYMBOL)].partially_liquidated

    after_half = venue.available("alice")
    insurance = venue.exchange.ledger.balance(accounts.INSURANCE_FUND)
    venue.prices("59370", "59390")  # still below: the rest goes, in full
    second = venue.do(SweepLiquidations(venue.tick(2)))
    assert [e.size for e in second.events if isinstance(e, PositionLiquidated)] == [5_000_000]
    assert ("alice", SYMBOL) not in venue.exchange.positions
    # Nothing of the second liquidation comes back to Alice: fee and remainder to the fund.
    assert venue.available("alice") == after_half
    assert venue.exchange.ledger.balance(accounts.INSURANCE_FUND) > insurance
    assert venue.total_money() == 0
