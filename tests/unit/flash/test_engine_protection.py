"""Every player-protection rule, enforced through Exchange.apply on flash bets and on micro bets:
limits (lowering at once, raising after 24 h), cool-off, self-exclusion, reality checks that
block until acknowledged, and the loss-velocity monitor that slows play."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from engine.flash.micro import MicroMarket
from engine.flash.protection import ProtectionPolicy
from engine.trading import accounts
from engine.trading.commands import (
    AcknowledgeRealityCheck,
    FlashTick,
    OpenMicroSession,
    RecordLimitPromptSeen,
    SelfExclude,
    SetProtectionLimit,
    StartCoolOff,
)
from engine.trading.events import MicroSessionClosed, ProtectionChanged, RealityCheckDue
from engine.trading.exchange import Outcome
from engine.trading.publication import topics_of
from tests.unit.flash.play_venue import T0, PlayVenue
from tests.unit.trading.helpers import USDT

DAY = 24 * 3600

Bet = Callable[[datetime, float], Outcome]


class Flash:
    """Bets on a fresh flash market for each time asked (markets last 60 s)."""

    name = "flash"

    def __init__(self, venue: PlayVenue) -> None:
        self.venue = venue
        self._markets: dict[datetime, str] = {}
        self.outcome = "YES"

    def bet(self, at: datetime, usdt: float) -> Outcome:
        start = at.replace(second=0, microsecond=0)
        if start not in self._markets:
            self._markets[start] = self.venue.open_flash(start)
        return self.venue.flash_bet("alice", self._markets[start], self.outcome, usdt, at)

    def lose_everything(self, at: datetime) -> None:
        for market_id in self._markets.values():
            if self.venue.exchange.flash.markets[market_id].is_active:
                assert self.venue.resolve_flash(market_id, "NO", at).accepted


class Micro:
    """Bets from one session on the bus-in-60-s offer listed at each half minute asked."""

    name = "micro"

    def __init__(self, venue: PlayVenue) -> None:
        self.venue = venue
        self.session = venue.open_session("alice", 1_000, T0)
        self._markets: dict[datetime, MicroMarket] = {}

    def bet(self, at: datetime, usdt: float) -> Outcome:
        start = at.replace(second=at.second // 30 * 30, microsecond=0)
        if start not in self._markets:
            self._markets[start] = self.venue.list_micro(start)["bus-60s"]
        return self.venue.micro_bet("alice", self.session, self._markets[start], "YES", usdt, at)

    def lose_everything(self, at: datetime) -> None:
        for market in self._markets.values():
            if self.venue.exchange.micro.verdict(market.market_id) is None:
                assert self.venue.settle(market, "NO", "NO", "NO").accepted


KINDS = [Flash, Micro]


def play(kind: type[Flash] | type[Micro], policy: ProtectionPolicy | None = None) -> Flash | Micro:
    return kind(PlayVenue(policy))


def refused(outcome: Outcome, code: str) -> None:
    assert not outcome.accepted and outcome.code == code, (outcome.code, outcome.message)


def accepted(outcome: Outcome) -> None:
    assert outcome.accepted, (outcome.code, outcome.message)


@pytest.mark.parametrize("kind", KINDS)
def test_a_loss_limit_refuses_a_bet_whose_worst_case_breaks_it(kind: type[Flash]) -> None:
    player = play(kind)
    accepted(player.venue.do(SetProtectionLimit("alice", "loss", "day", 15 * USDT, T0)))
    accepted(player.bet(T0 + timedelta(seconds=1), 10))
    refused(player.bet(T0 + timedelta(seconds=3), 10), "LIMIT_REACHED")
    accepted(player.bet(T0 + timedelta(seconds=5), 5))
    status = player.venue.exchange.protection_status("alice", T0 + timedelta(seconds=6))
    loss_day = next(s for s in status.limits if (s.kind.value, s.period.value) == ("loss", "day"))
    assert (loss_day.used, loss_day.remaining) == (15 * USDT, 0)


@pytest.mark.parametrize("kind", KINDS)
def test_lowering_applies_at_once_and_raising_after_24_hours(kind: type[Flash]) -> None:
    player = play(kind)
    do = player.venue.do
    accepted(do(SetProtectionLimit("alice", "loss", "day", 20 * USDT, T0)))
    accepted(player.bet(T0 + timedelta(seconds=1), 15))
    lowered = do(SetProtectionLimit("alice", "loss", "day", 10 * USDT, T0 + timedelta(seconds=2)))
    assert isinstance(change := lowered.events[0], ProtectionChanged)
    assert change.effective_at == T0 + timedelta(seconds=2)
    refused(player.bet(T0 + timedelta(seconds=3), 1), "LIMIT_REACHED")
    raised = do(SetProtectionLimit("alice", "loss", "day", 100 * USDT, T0 + timedelta(seconds=4)))
    assert isinstance(change := raised.events[0], ProtectionChanged)
    assert change.effective_at == T0 + timedelta(seconds=4, hours=24)
    refused(player.bet(T0 + timedelta(seconds=5), 1), "LIMIT_REACHED")
    refused(player.bet(T0 + timedelta(hours=23, minutes=59), 1), "LIMIT_REACHED")
    accepted(player.bet(T0 + timedelta(hours=24, seconds=5), 5))


def test_a_limit_of_an_unknown_kind_is_refused() -> None:
    venue = PlayVenue()
    refused(venue.do(SetProtectionLimit("alice", "stake", "day", 1, T0)), "INVALID_LIMIT")
    refused(venue.do(SetProtectionLimit("alice", "loss", "year", 1, T0)), "INVALID_LIMIT")
    refused(venue.do(SetProtectionLimit("alice", "loss", "day", -1, T0)), "INVALID_LIMIT")


@pytest.mark.parametrize("kind", KINDS)
def test_cool_off_refuses_bets_and_deposits_and_cannot_be_shortened(kind: type[Flash]) -> None:
    player = play(kind)
    do = player.venue.do
    refused(do(StartCoolOff("alice", 3600, T0)), "INVALID_LIMIT")  # under 24 h
    accepted(do(StartCoolOff("alice", 2 * DAY, T0)))
    refused(player.bet(T0 + timedelta(seconds=1), 1), "COOLING_OFF")
    refused(do(OpenMicroSession("alice", 100 * USDT, T0 + timedelta(seconds=2))), "COOLING_OFF")
    refused(do(StartCoolOff("alice", DAY, T0 + timedelta(seconds=3))), "COOLING_OFF")
    refused(player.bet(T0 + timedelta(days=1, hours=23), 1), "COOLING_OFF")
    accepted(player.bet(T0 + timedelta(days=2, seconds=1), 1))


@pytest.mark.parametrize("kind", KINDS)
def test_self_exclusion_refuses_everything_and_returns_session_money(kind: type[Flash]) -> None:
    player = play(kind)
    venue = player.venue
    accepted(player.bet(T0 + timedelta(seconds=1), 10))
    refused(venue.do(SelfExclude("alice", 30 * DAY, T0)), "INVALID_LIMIT")  # under 6 months
    excluded = venue.do(SelfExclude("alice", 200 * DAY, T0 + timedelta(seconds=2)))
    accepted(excluded)
    if isinstance(player, Micro):
        # The session's money (the open bet refunded) is back in the wallet at once.
        closed = [e for e in excluded.events if isinstance(e, MicroSessionClosed)]
        assert [(c.reserve_returned, c.balance_returned) for c in closed] == [
            (100 * USDT, 900 * USDT)
        ]
        assert venue.available("alice") == 10_000 * USDT
        assert not venue.exchange.ledger.has_account(accounts.micro_balance(player.session))
    refused(player.bet(T0 + timedelta(seconds=3), 1), "SELF_EXCLUDED")
    refused(
        venue.do(OpenMicroSession("alice", 100 * USDT, T0 + timedelta(seconds=4))), "SELF_EXCLUDED"
    )
    refused(venue.do(SelfExclude("alice", 181 * DAY, T0 + timedelta(seconds=5))), "SELF_EXCLUDED")
    assert venue.total() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_reality_check_blocks_play_until_acknowledged(kind: type[Flash]) -> None:
    player = play(kind)
    venue = player.venue
    for minute in (0, 10, 20, 29):
        accepted(player.bet(T0 + timedelta(minutes=minute, seconds=1), 1))
    at = T0 + timedelta(minutes=31, seconds=1)
    first = player.bet(at, 1)
    refused(first, "REALITY_CHECK_DUE")
    [due] = [e for e in first.events if isinstance(e, RealityCheckDue)]
    assert (due.account, due.due_at, due.reason) == (
        "alice",
        T0 + timedelta(minutes=30, seconds=1),
        "interval",
    )
    assert due.time_played_seconds == 30 * 60  # the whole period up to the due time
    assert topics_of(due) == ("flash.protection.alice",)
    assert venue.exchange.reality_check("alice", at) is not None
    # Announced once, however often the next bets are refused.
    refused(again := player.bet(at + timedelta(seconds=2), 1), "REALITY_CHECK_DUE")
    assert again.events == []
    acknowledged = venue.do(AcknowledgeRealityCheck("alice", at + timedelta(seconds=3)))
    assert [type(e) for e in acknowledged.events] == [ProtectionChanged]
    accepted(player.bet(at + timedelta(seconds=4), 1))
    assert venue.exchange.reality_check("alice", at + timedelta(seconds=4)) is None


def test_the_tick_announces_a_reality_check_once_for_players_in_play() -> None:
    player = Flash(PlayVenue())
    for minute in (0, 10, 20, 29):
        accepted(player.bet(T0 + timedelta(minutes=minute, seconds=1), 1))
    quiet = player.venue.do(FlashTick(T0 + timedelta(minutes=30)))
    assert not [e for e in quiet.events if isinstance(e, RealityCheckDue)]
    due = player.venue.do(FlashTick(T0 + timedelta(minutes=30, seconds=2)))
    assert [e.account for e in due.events if isinstance(e, RealityCheckDue)] == ["alice"]
    later = player.venue.do(FlashTick(T0 + timedelta(minutes=30, seconds=3)))
    assert not [e for e in later.events if isinstance(e, RealityCheckDue)]


@pytest.mark.parametrize("kind", KINDS)
def test_rapid_losses_force_a_reality_check_and_slow_play(kind: type[Flash]) -> None:
    # Net loss above 1 USDT a minute over 10 minutes: more than 10 USDT lost.
    player = play(kind, ProtectionPolicy(velocity_threshold_per_minute=1 * USDT))
    venue = player.venue
    accepted(player.bet(T0 + timedelta(seconds=1), 8))
    accepted(player.bet(T0 + timedelta(seconds=2), 8))
    player.lose_everything(T0 + timedelta(seconds=95))
    at = T0 + timedelta(seconds=100)
    status = venue.exchange.protection_status("alice", at)
    assert status.slowed_until is not None
    assert status.slowed_until >= T0 + timedelta(seconds=90, minutes=15)  # 15 min from the loss
    check = player.bet(at, 1)
    refused(check, "REALITY_CHECK_DUE")
    assert [e.reason for e in check.events if isinstance(e, RealityCheckDue)] == ["loss_velocity"]
    accepted(venue.do(AcknowledgeRealityCheck("alice", at + timedelta(seconds=1))))
    accepted(player.bet(at + timedelta(seconds=2), 1))
    refused(player.bet(at + timedelta(seconds=5), 1), "TOO_FAST")  # 10 s between bets now
    accepted(player.bet(at + timedelta(seconds=12), 1))


def test_the_limit_prompt_is_recorded_once() -> None:
    venue = PlayVenue()
    assert venue.exchange.protection_status("alice", T0).needs_limit_prompt
    assert len(venue.do(RecordLimitPromptSeen("alice", T0)).events) == 1
    assert venue.do(RecordLimitPromptSeen("alice", T0 + timedelta(seconds=1))).events == []
    assert not venue.exchange.protection_status("alice", T0).needs_limit_prompt


def test_a_deposit_limit_refuses_a_session_deposit_over_it() -> None:
    venue = PlayVenue()
    accepted(venue.do(SetProtectionLimit("alice", "deposit", "week", 150 * USDT, T0)))
    venue.open_session("alice", 100, T0)
    refused(
        venue.do(OpenMicroSession("alice", 60 * USDT, T0 + timedelta(seconds=1))), "LIMIT_REACHED"
    )
    venue.open_session("alice", 50, T0 + timedelta(seconds=2))
