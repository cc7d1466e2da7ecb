"""Operator commands: configuring markets and withdrawing from the insurance fund."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from engine.matching import OrderType, Side, TimeInForce
from engine.perps import MarketConfig
from engine.trading import accounts
from engine.trading.commands import (
    Command,
    ConfigureMarket,
    SetEmergencyPause,
    SubmitOrder,
    SweepLiquidations,
    UpdatePrices,
    WithdrawInsuranceFund,
    decode,
    encode,
)
from engine.trading.events import InsuranceFundWithdrawn, MarketConfigured, OrderFill
from engine.trading.exchange import Exchange, Outcome
from engine.trading.snapshot import restore_exchange, snapshot_exchange, state_hash
from tests.unit.trading.helpers import BTC, SYMBOL, USDT, Venue, px, qty

ETH = "ETH-USDT-PERP"


def configure(venue: Venue, market: MarketConfig, **changes: object) -> ConfigureMarket:
    """A ConfigureMarket carrying `market`'s parameters with `changes` applied."""
    fields = {f.name: getattr(market, f.name) for f in dataclasses.fields(ConfigureMarket)[:-1]}
    return ConfigureMarket(**(fields | changes | {"at": venue.tick()}))  # type: ignore[arg-type]


def eth_market(venue: Venue) -> ConfigureMarket:
    return configure(
        venue,
        BTC,
        symbol=ETH,
        base_asset="ETH",
        tick_size=px("0.01"),
        step_size=qty("0.01"),
        min_order_size=qty("0.01"),
        max_order_size=qty("1000"),
        max_leverage=50,
    )


def fill_of(venue: Venue, account: str, side: Side) -> OrderFill:
    """Alice rests a 0.1 BTC buy at 60,000 and Bob sells into it; `account`'s fill."""
    assert venue.limit("alice", Side.BUY, "0.1", "60000").accepted
    outcome = venue.market("bob", Side.SELL, "0.1")
    return next(e for e in outcome.events if isinstance(e, OrderFill) and e.account == account)


def state(venue: Venue) -> dict[str, Any]:
    """Everything in the exchange but the sequence and time, which every command moves."""
    snapshot = snapshot_exchange(venue.exchange)
    del snapshot["sequence"], snapshot["now"]
    return snapshot


def funded_venue() -> Venue:
    venue = Venue()
    venue.fund("alice", 10_000)
    venue.fund("bob", 10_000)
    venue.prices("59990", "60010")
    return venue


def liquidated_venue() -> Venue:
    """A venue whose insurance fund received 8.51 USDT from a full liquidation."""
    venue = funded_venue()
    venue.fund("carol", 10_000)
    assert venue.limit("alice", Side.BUY, "0.1", "60000", leverage=100).accepted
    assert venue.market("bob", Side.SELL, "0.1", leverage=100).accepted
    assert venue.limit("carol", Side.BUY, "0.1", "59600", leverage=10).accepted
    venue.prices("59640", "59660")
    venue.do(SweepLiquidations(venue.tick()))
    assert venue.exchange.ledger.balance(accounts.INSURANCE_FUND) == 8_510_000
    return venue


# --- ConfigureMarket ---------------------------------------------------------------------


def test_a_fee_change_applies_to_the_next_fill() -> None:
    venue = funded_venue()
    changed = venue.do(configure(venue, BTC, taker_fee_bps=10, maker_fee_bps=0))
    assert changed.accepted, changed.message
    [event] = [e for e in changed.events if isinstance(e, MarketConfigured)]
    assert event.changes == ("CHANGE_FEES",)
    assert (event.taker_fee_bps, event.maker_fee_bps) == (10, 0)

    taker = fill_of(venue, "bob", Side.SELL)
    assert taker.fee == 6 * USDT  # 0.10 % of 6,000, was 0.05 %
    maker = next(iter(venue.exchange.fills_of["alice"]))
    assert maker.fee == 0  # no rebate any more
    assert venue.exchange.ledger.balance(accounts.FEES) == 6 * USDT
    assert venue.total_money() == 0


def test_a_lowered_leverage_cap_refuses_new_orders_above_it_and_keeps_positions() -> None:
    venue = funded_venue()
    assert venue.limit("alice", Side.BUY, "0.1", "60000", leverage=50).accepted
    assert venue.market("bob", Side.SELL, "0.1", leverage=50).accepted
    collateral = venue.exchange.ledger.balance(accounts.collateral("alice", SYMBOL))

    changed = venue.do(configure(venue, BTC, max_leverage=20))
    assert changed.accepted, changed.message
    [event] = [e for e in changed.events if isinstance(e, MarketConfigured)]
    assert event.changes == ("CHANGE_RISK_PARAMETERS",)

    venue.fund("carol", 10_000)
    refused = venue.limit("carol", Side.BUY, "0.1", "59000", leverage=25)
    assert not refused.accepted and refused.code == "LEVERAGE_NOT_ALLOWED"
    assert venue.limit("carol", Side.BUY, "0.1", "59000", leverage=20).accepted
    # The 50x position opened before the change keeps its margin and leverage.
    assert venue.exchange.positions[("alice", SYMBOL)].leverage == 50
    assert venue.exchange.ledger.balance(accounts.collateral("alice", SYMBOL)) == collateral


def test_a_new_market_trades_once_its_prices_arrive() -> None:
    venue = funded_venue()
    added = venue.do(eth_market(venue))
    assert added.accepted, added.message
    [event] = [e for e in added.events if isinstance(e, MarketConfigured)]
    assert (event.symbol, event.changes, event.max_leverage) == (ETH, ("ADD_MARKET",), 50)

    def buy() -> SubmitOrder:
        return SubmitOrder(
            "alice", ETH, Side.BUY, OrderType.LIMIT, qty("1"), 10, venue.tick(), px("3000")
        )

    early = venue.do(buy())
    assert not early.accepted and early.code == "ORACLE_UNHEALTHY"

    mid = px("3000")
    priced = venue.do(
        UpdatePrices(ETH, mid, mid, px("2999.5"), px("3000.5"), True, venue.tick(0.1))
    )
    assert priced.accepted, priced.message
    assert venue.do(buy()).accepted
    sold = venue.do(
        SubmitOrder(
            "bob",
            ETH,
            Side.SELL,
            OrderType.MARKET,
            qty("1"),
            10,
            venue.tick(),
            time_in_force=TimeInForce.IOC,
        )
    )
    assert sold.accepted, sold.message
    assert venue.exchange.positions[("alice", ETH)].size == qty("1")
    assert venue.exchange.ledger.balance(accounts.settlement(ETH)) == 0
    assert venue.total_money() == 0


def test_an_invalid_config_is_refused_with_its_code_and_changes_nothing() -> None:
    venue = funded_venue()
    before = state(venue)
    for bad in (
        configure(venue, BTC, max_leverage=5_000),
        configure(venue, BTC, tick_size=0),
        configure(venue, BTC, maker_fee_bps=-20, taker_fee_bps=5),
        configure(venue, BTC, min_order_size=qty("0.0015")),
        configure(venue, BTC, symbol="", base_asset="X"),
        configure(venue, BTC, symbol="DOGE-USDT-PERP", base_asset="DOGE", tick_size=-1),
        configure(venue, BTC, base_asset="ETH"),
    ):
        outcome = venue.do(bad)
        assert not outcome.accepted
        assert outcome.code == "INVALID_MARKET_CONFIG"
        assert outcome.message and outcome.events == []
    assert state(venue) == before
    assert "DOGE-USDT-PERP" not in venue.exchange.markets


def test_tick_and_step_stay_while_orders_rest_but_fees_may_change() -> None:
    venue = funded_venue()
    resting = venue.limit("alice", Side.BUY, "0.1", "59000")
    assert resting.accepted
    for change in (
        {"tick_size": px("1")},
        {"step_size": qty("0.01"), "min_order_size": qty("0.01")},
    ):
        refused = venue.do(configure(venue, BTC, **change))
        assert not refused.accepted and refused.code == "MARKET_HAS_ORDERS"
    closed = venue.do(configure(venue, BTC, is_active=False))
    assert not closed.accepted and closed.code == "MARKET_HAS_ORDERS"
    assert venue.exchange.markets[SYMBOL] == BTC
    assert venue.do(configure(venue, BTC, taker_fee_bps=8)).accepted


def test_market_configuration_passes_every_pause_level() -> None:
    venue = funded_venue()
    assert venue.do(SetEmergencyPause(4, "incident", venue.tick())).accepted
    outcome = venue.do(configure(venue, BTC, taker_fee_bps=7))
    assert outcome.accepted, outcome.message
    assert venue.exchange.markets[SYMBOL].taker_fee_bps == 7


# --- WithdrawInsuranceFund ------------------------------------------------------------------


def test_an_insurance_withdrawal_moves_exactly_the_amount_out() -> None:
    venue = liquidated_venue()
    ledger = venue.exchange.ledger
    world = ledger.balance(accounts.WORLD)
    outcome = venue.do(WithdrawInsuranceFund(3 * USDT, "ops-2026-06-01", venue.tick()))
    assert outcome.accepted, outcome.message
    assert ledger.balance(accounts.INSURANCE_FUND) == 5_510_000
    assert ledger.balance(accounts.WORLD) == world + 3 * USDT
    assert outcome.events == [
        InsuranceFundWithdrawn(3 * USDT, "ops-2026-06-01", 5_510_000, outcome.events[0].at)
    ]
    assert venue.total_money() == 0

    again = venue.do(WithdrawInsuranceFund(3 * USDT, "ops-2026-06-01", venue.tick()))
    assert again.accepted and again.replay_of == outcome.sequence and again.events == []
    assert ledger.balance(accounts.INSURANCE_FUND) == 5_510_000
    reused = venue.do(WithdrawInsuranceFund(1 * USDT, "ops-2026-06-01", venue.tick()))
    assert not reused.accepted and reused.code == "IDEMPOTENCY_KEY_REUSED"


def test_an_insurance_withdrawal_above_the_fund_or_not_positive_is_refused() -> None:
    venue = liquidated_venue()
    before = state(venue)
    for amount, code in (
        (8_510_001, "INSUFFICIENT_FUNDS"),
        (0, "INVALID_AMOUNT"),
        (-1, "INVALID_AMOUNT"),
    ):
        outcome = venue.do(WithdrawInsuranceFund(amount, f"ops-{amount}", venue.tick()))
        assert not outcome.accepted and outcome.code == code
    assert state(venue) == before
    # The whole fund can go.
    assert venue.do(WithdrawInsuranceFund(8_510_000, "ops-all", venue.tick())).accepted
    assert venue.exchange.ledger.balance(accounts.INSURANCE_FUND) == 0


def test_an_insurance_withdrawal_stops_only_at_pause_level_four() -> None:
    venue = liquidated_venue()
    assert venue.do(SetEmergencyPause(3, "incident", venue.tick())).accepted
    assert venue.do(WithdrawInsuranceFund(1 * USDT, "ops-level-3", venue.tick())).accepted
    assert venue.do(SetEmergencyPause(4, "incident", venue.tick())).accepted
    refused = venue.do(WithdrawInsuranceFund(1 * USDT, "ops-level-4", venue.tick()))
    assert not refused.accepted and refused.code == "VENUE_PAUSED"
    assert venue.exchange.ledger.balance(accounts.INSURANCE_FUND) == 7_510_000


# --- journal and snapshot -------------------------------------------------------------------


def test_both_commands_survive_the_journal_encoding() -> None:
    venue = Venue()
    for command in (eth_market(venue), WithdrawInsuranceFund(5, "ops-1", venue.tick())):
        kind, payload = encode(command)
        stored = json.loads(json.dumps(payload))
        assert decode(kind, stored) == command


class RecordingVenue(Venue):
    """A venue that keeps its journal, encoded as the sequencer stores it."""

    def __init__(self) -> None:
        super().__init__()
        self.journal: list[tuple[str, str]] = []

    def do(self, command: Command) -> Outcome:
        kind, payload = encode(command)
        self.journal.append((kind, json.dumps(payload)))
        return super().do(command)


def test_a_configured_market_survives_snapshot_and_replay() -> None:
    venue = RecordingVenue()
    venue.fund("alice", 10_000)
    assert venue.do(eth_market(venue)).accepted
    assert venue.do(configure(venue, BTC, taker_fee_bps=9, max_leverage=100)).accepted
    venue.fund("bob", 10_000)
    venue.prices("59990", "60010")
    assert fill_of(venue, "bob", Side.SELL).fee == 5_400_000  # 0.09 % of 6,000
    assert venue.do(WithdrawInsuranceFund(0, "ops-nothing", venue.tick())).code == (
        "INVALID_AMOUNT"
    )

    # A snapshot restored with the table's older markets keeps the configured ones.
    saved = json.loads(json.dumps(snapshot_exchange(venue.exchange)))
    restored = restore_exchange([BTC], saved)
    assert restored.markets == venue.exchange.markets
    assert restored.markets[SYMBOL].taker_fee_bps == 9
    assert state_hash(restored) == state_hash(venue.exchange)

    # Replaying the decoded journal into the start-up markets gives the same state.
    replayed = Exchange([BTC])
    for sequence, (kind, payload) in enumerate(venue.journal, start=1):
        replayed.apply(sequence, decode(kind, json.loads(payload)))
    assert replayed.markets == venue.exchange.markets
    assert state_hash(replayed) == state_hash(venue.exchange)

    # The new market goes on the same way on the original and the restored exchange.
    mid = px("3000")
    prices = UpdatePrices(ETH, mid, mid, px("2999"), px("3001"), True, venue.tick())
    for exchange in (venue.exchange, restored):
        assert exchange.apply(exchange.sequence + 1, prices).accepted
    assert state_hash(restored) == state_hash(venue.exchange)
