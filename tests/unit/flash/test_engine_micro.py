"""Micro sessions inside the exchange: exact ledger amounts for open, bet, settle (won, lost,
void) and close, the reserve returned, the house's cover, idempotent retries, the refusals,
and snapshot + replay restoring sessions and protection state exactly."""

from __future__ import annotations

import json
from datetime import timedelta

from engine.flash.micro import BetStatus, SessionStatus
from engine.trading import accounts
from engine.trading.commands import (
    CloseMicroSession,
    FlashTick,
    OpenMicroSession,
    PlaceMicroBet,
    SetProtectionLimit,
    SettleMicroMarket,
    decode,
    encode,
)
from engine.trading.events import (
    MicroBetPlaced,
    MicroBetSettled,
    MicroMarketSettled,
    MicroSessionClosed,
    MicroSessionOpened,
)
from engine.trading.exchange import Exchange
from engine.trading.publication import topics_of
from engine.trading.snapshot import restore_exchange, snapshot_exchange, state_hash
from tests.unit.flash.play_venue import HOUSE_FUNDS, OBSERVERS, T0, PlayVenue
from tests.unit.trading.helpers import BTC, USDT


def test_open_bet_settle_and_close_move_exact_amounts_through_the_ledger() -> None:
    venue = PlayVenue()
    ledger = venue.exchange.ledger
    opened = venue.do(OpenMicroSession("alice", 200 * USDT, T0))
    session_id = opened.order_id
    assert session_id == f"ms-{opened.sequence}"
    assert isinstance(opened.events[0], MicroSessionOpened)
    assert topics_of(opened.events[0]) == (f"flash.micro.{session_id}",)
    reserve, balance = accounts.micro_reserve(session_id), accounts.micro_balance(session_id)
    in_play = accounts.micro_in_play(session_id)
    # 10 % reserve (20 USDT), the rest bettable.
    assert (ledger.balance(reserve), ledger.balance(balance)) == (20 * USDT, 180 * USDT)
    assert venue.available("alice") == 9_800 * USDT

    offers = venue.list_micro(T0)
    bus, red_car, truck = offers["bus-60s"], offers["red-car-30s"], offers["truck-30s"]
    won = venue.micro_bet("alice", session_id, bus, "NO", 10, T0 + timedelta(seconds=1))
    lost = venue.micro_bet("alice", session_id, red_car, "NO", 5, T0 + timedelta(seconds=2))
    void = venue.micro_bet("alice", session_id, truck, "0-30s", 4, T0 + timedelta(seconds=3))
    for outcome in (won, lost, void):
        assert outcome.accepted, outcome.message
    placed = won.events[0]
    assert isinstance(placed, MicroBetPlaced)
    odds_no = bus.odds_of("NO")
    assert odds_no is not None and placed.payout_if_won == 10 * USDT * odds_no // 100
    assert ledger.balance(in_play) == 19 * USDT
    assert ledger.balance(balance) == 161 * USDT

    settled = venue.settle(bus, "NO", "NO", "YES")
    assert settled.accepted
    outcome_event = settled.events[0]
    assert isinstance(outcome_event, MicroMarketSettled) and outcome_event.outcome == "NO"
    paid = 10 * USDT * odds_no // 100
    assert ledger.balance(balance) == 161 * USDT + paid
    assert ledger.balance(accounts.MICRO_HOUSE) == HOUSE_FUNDS - (paid - 10 * USDT)

    assert venue.settle(red_car, "YES", "YES", None).accepted  # NO loses its 5 USDT
    assert ledger.balance(accounts.MICRO_HOUSE) == HOUSE_FUNDS - (paid - 10 * USDT) + 5 * USDT
    voided = venue.settle(truck, "0-30s", "NONE", None)  # no two agree: void, stake back
    assert [e.status for e in voided.events if isinstance(e, MicroBetSettled)] == ["void"]
    assert ledger.balance(in_play) == 0
    assert ledger.balance(balance) == 161 * USDT + paid + 4 * USDT

    closed = venue.do(CloseMicroSession("alice", session_id, T0 + timedelta(minutes=2)))
    assert closed.accepted
    event = next(e for e in closed.events if isinstance(e, MicroSessionClosed))
    assert event.reserve_returned == 20 * USDT  # the reserve comes back whole
    assert event.balance_returned == 165 * USDT + paid
    assert venue.available("alice") == 9_800 * USDT + 20 * USDT + 165 * USDT + paid
    for key in accounts.micro_session_accounts(session_id):
        assert not ledger.has_account(key)  # emptied and closed
    assert venue.total() == 0
    bets = venue.exchange.micro_bets_of("alice")
    assert [b.status for b in bets] == [BetStatus.VOID, BetStatus.LOST, BetStatus.WON]
    session = venue.exchange.micro_session("alice", session_id)
    assert session is not None and session.status is SessionStatus.CLOSED


def test_closing_voids_open_bets_and_returns_everything_in_one_step() -> None:
    venue = PlayVenue()
    session_id = venue.open_session("alice", 100, T0)
    bus = venue.list_micro(T0)["bus-60s"]
    assert venue.micro_bet("alice", session_id, bus, "YES", 9, T0 + timedelta(seconds=1)).accepted
    closed = venue.do(CloseMicroSession("alice", session_id, T0 + timedelta(seconds=2)))
    statuses = [e.status for e in closed.events if isinstance(e, MicroBetSettled)]
    assert statuses == ["void"]
    assert venue.available("alice") == 10_000 * USDT
    assert venue.exchange.micro.house_exposure == 0
    # The market settles later with nothing left to settle.
    later = venue.settle(bus, "YES", "YES", "YES")
    assert [e.bets_settled for e in later.events if isinstance(e, MicroMarketSettled)] == [0]
    refused = venue.do(CloseMicroSession("alice", session_id, T0 + timedelta(seconds=3)))
    assert refused.code == "SESSION_CLOSED"
    assert venue.total() == 0


def test_refusals_change_nothing() -> None:
    venue = PlayVenue()
    session_id = venue.open_session("alice", 100, T0)
    offers = venue.list_micro(T0)
    bus = offers["bus-60s"]
    before = _state_but_the_clock(venue.exchange)
    at = T0 + timedelta(seconds=1)
    cases = {
        "UNKNOWN_SESSION": PlaceMicroBet("bob", session_id, bus.market_id, "YES", USDT, at),
        "UNKNOWN_MICRO_MARKET": PlaceMicroBet("alice", session_id, "street:x", "YES", USDT, at),
        "STAKE_TOO_LARGE": PlaceMicroBet("alice", session_id, bus.market_id, "YES", 10 * USDT, at),
        "INVALID_BET": PlaceMicroBet("alice", session_id, bus.market_id, "MAYBE", USDT, at),
        "MARKET_CLOSED": PlaceMicroBet(
            "alice", session_id, bus.market_id, "YES", USDT, bus.opens_at
        ),
        "INSUFFICIENT_FUNDS": OpenMicroSession("alice", 20_000 * USDT, at),
        "INVALID_DEPOSIT": OpenMicroSession("alice", USDT, at),  # not above the 1 USDT reserve
        "INVALID_SESSION": OpenMicroSession("alice", 10 * USDT, at, "has.a.dot"),
        "MARKET_OPEN": SettleMicroMarket(bus.market_id, OBSERVERS, ("YES",) * 3, at),
        "INVALID_VERDICT": SettleMicroMarket(
            bus.market_id, OBSERVERS[:2], ("YES",) * 2, bus.closes_at
        ),
    }
    for code, command in cases.items():
        outcome = venue.do(command)
        assert (outcome.accepted, outcome.code) == (False, code), (code, outcome.message)
    # Refused commands leave the same state (the sequence and time aside).
    assert _state_but_the_clock(venue.exchange) == before
    assert venue.total() == 0


def _state_but_the_clock(exchange: Exchange) -> dict[str, object]:
    data = snapshot_exchange(exchange)
    del data["sequence"], data["now"]
    return data


def test_retries_with_the_same_ids_are_harmless() -> None:
    venue = PlayVenue()
    first = venue.do(OpenMicroSession("alice", 100 * USDT, T0, "alice-s1"))
    again = venue.do(OpenMicroSession("alice", 100 * USDT, T0, "alice-s1"))
    assert (first.order_id, again.order_id, again.events) == ("alice-s1", "alice-s1", [])
    assert venue.do(OpenMicroSession("bob", 100 * USDT, T0, "alice-s1")).code == (
        "IDEMPOTENCY_KEY_REUSED"
    )
    bus = venue.list_micro(T0)["bus-60s"]
    bet = PlaceMicroBet("alice", "alice-s1", bus.market_id, "YES", USDT, T0, "b-1")
    placed, retried = venue.do(bet), venue.do(bet)
    assert placed.order_id == retried.order_id and retried.events == []
    assert venue.available("alice") == 9_900 * USDT
    assert venue.exchange.ledger.balance(accounts.micro_in_play("alice-s1")) == USDT


def test_the_house_must_cover_every_open_bets_winnings() -> None:
    venue = PlayVenue()
    ledger = venue.exchange.ledger
    balances = ledger.balances()
    balances[accounts.WORLD] += balances[accounts.MICRO_HOUSE] - USDT  # a house of 1 USDT
    balances[accounts.MICRO_HOUSE] = USDT
    ledger.restore(balances)
    session_id = venue.open_session("alice", 1_000, T0)
    offers = venue.list_micro(T0)
    long_shot = offers["bus-60s"]  # YES pays several times the stake
    assert venue.micro_bet("alice", session_id, long_shot, "YES", 5, T0).code == "LIMIT_REACHED"
    assert venue.micro_bet("alice", session_id, long_shot, "NO", 4, T0).accepted  # wins 0.88


def test_a_snapshot_and_a_replay_restore_sessions_and_protection_exactly() -> None:
    venue = PlayVenue()
    venue.do(SetProtectionLimit("alice", "loss", "week", 500 * USDT, T0))
    alice = venue.open_session("alice", 300, T0)
    bob = venue.open_session("bob", 100, T0)
    offers = venue.list_micro(T0)
    bus, red_car = offers["bus-60s"], offers["red-car-30s"]
    assert venue.micro_bet("alice", alice, bus, "NO", 10, T0 + timedelta(seconds=1)).accepted
    assert venue.micro_bet("bob", bob, bus, "YES", 2, T0 + timedelta(seconds=1)).accepted
    assert venue.micro_bet("alice", alice, red_car, "YES", 3, T0 + timedelta(seconds=2)).accepted
    assert venue.settle(red_car, "NO", "NO", "NO").accepted

    data = json.loads(json.dumps(snapshot_exchange(venue.exchange)))
    restored = restore_exchange([BTC], data)
    assert state_hash(restored) == state_hash(venue.exchange)
    replay = Exchange([BTC], venue.exchange.flash.limits)
    for sequence, command in enumerate(venue.commands, start=1):
        kind, payload = encode(command)
        replay.apply(sequence, decode(kind, json.loads(json.dumps(payload))))
    assert state_hash(replay) == state_hash(venue.exchange)

    later = [
        SettleMicroMarket(bus.market_id, OBSERVERS, ("NO", "NO", "YES"), bus.closes_at),
        CloseMicroSession("alice", alice, bus.closes_at + timedelta(seconds=1)),
        FlashTick(bus.closes_at + timedelta(seconds=2)),
    ]
    for exchange in (venue.exchange, restored, replay):
        for command in later:
            outcome = exchange.apply(exchange.sequence + 1, command)
            assert outcome.accepted, outcome.message
    assert state_hash(restored) == state_hash(venue.exchange) == state_hash(replay)
    assert restored.ledger.balances() == venue.exchange.ledger.balances()
    status = restored.protection_status("alice", bus.closes_at)
    assert status.open_stakes == 0
    assert sum(venue.exchange.ledger.balances().values()) == 0


def test_offers_are_the_listed_markets_still_taking_bets() -> None:
    venue = PlayVenue()
    listed = venue.list_micro(T0)
    at = T0 + timedelta(seconds=20)
    open_now = {m.market_id for m in venue.exchange.micro_offers(at)}
    assert open_now == {m.market_id for m in listed.values() if m.opens_at > at}
    # Listing the same offer again (a restarted driver) adds nothing.
    from engine.flash.sessions import open_market_command

    again = venue.do(open_market_command(listed["bus-60s"], at))
    assert again.accepted and again.events == []
