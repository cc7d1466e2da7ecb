"""Net deltas per (account, symbol), and the balance of every batch."""

from __future__ import annotations

from hypothesis import given

from engine.perps.units import NOTIONAL_DIVISOR
from engine.settlement.netting import NetDelta, Transfer, net_deltas, trade_notional
from engine.settlement.trades import SettledTrade
from tests.unit.settlement.helpers import trade, trade_lists


def test_buyer_pays_and_seller_receives_the_notional_and_each_pays_its_fee() -> None:
    result = net_deltas([trade(price=65_000 * 10**10, size=2 * 10**8)])
    notional = 130_000 * 10**6  # 130,000 USDT in micro-USDT
    assert result.deltas == (
        NetDelta("alice", "BTC-PERP", 2 * 10**8, -notional, 32_500),
        NetDelta("bob", "BTC-PERP", -2 * 10**8, notional, -6_500),
    )
    assert result.venue_fee_income == 26_000
    assert result.is_balanced()


def test_trades_of_one_account_net_into_one_delta_per_symbol() -> None:
    result = net_deltas(
        [
            trade("t-1", buyer="alice", seller="bob", size=3, price=NOTIONAL_DIVISOR),
            trade("t-2", buyer="bob", seller="alice", size=1, price=NOTIONAL_DIVISOR),
            trade("t-3", buyer="alice", seller="bob", size=1, symbol="ETH-PERP", price=1),
        ]
    )
    alice_btc = next(d for d in result.deltas if (d.account, d.symbol) == ("alice", "BTC-PERP"))
    assert (alice_btc.size_change, alice_btc.collateral_change) == (2, -2)
    assert alice_btc.fees == 32_500 - 6_500
    assert [(d.account, d.symbol) for d in result.deltas] == [
        ("alice", "BTC-PERP"),
        ("alice", "ETH-PERP"),
        ("bob", "BTC-PERP"),
        ("bob", "ETH-PERP"),
    ]


def test_accounts_whose_trades_cancel_out_move_nothing() -> None:
    result = net_deltas(
        [
            trade("t-1", buyer="alice", seller="bob", buyer_fee=0, seller_fee=0),
            trade("t-2", buyer="bob", seller="alice", buyer_fee=0, seller_fee=0),
        ]
    )
    assert result.transfers() == []
    assert net_deltas([trade(buyer_fee=5, seller_fee=0)]).transfers()[0] == Transfer(
        "alice", "BTC-PERP", -trade_notional(trade()), 5
    )


@given(trade_lists)
def test_every_batch_balances_against_the_venues_accounts(trades: list[SettledTrade]) -> None:
    result = net_deltas(trades)
    assert result.is_balanced()
    collateral = sum(delta.collateral_change for delta in result.deltas)
    fees = sum(delta.fees for delta in result.deltas)
    # What accounts gain, less the fees they pay, plus the venue's fee income, is zero.
    assert collateral - fees + result.venue_fee_income == 0
    assert sum(t.buyer_fee + t.seller_fee for t in trades) == result.venue_fee_income
    # Transfers carry the same money as the deltas.
    transfers = result.transfers()
    assert sum(t.collateral_delta for t in transfers) == 0
    assert sum(t.fee for t in transfers) == result.venue_fee_income


@given(trade_lists)
def test_netting_does_not_depend_on_trade_order(trades: list[SettledTrade]) -> None:
    assert net_deltas(trades) == net_deltas(list(reversed(trades)))


def test_an_unbalanced_result_is_detected() -> None:
    result = net_deltas([trade()])
    tampered = type(result)(result.deltas, result.venue_fee_income + 1)
    assert not tampered.is_balanced()
