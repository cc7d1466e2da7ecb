"""Flash markets inside the exchange: bets, collapse rules, payouts through the ledger, the house
LP's limits, idempotency, the pause, and snapshot + replay."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.flash.book import FlashLimits
from engine.flash.markets import PPM, MarketStatus, NodeLevel, slot_of, slot_start
from engine.ledger import OwnerKind
from engine.trading import accounts
from engine.trading.commands import (
    Command,
    Deposit,
    EmergencyCollapse,
    FlashTick,
    FundFlashLiquidity,
    OpenFlashMarket,
    PlaceFlashBet,
    ResolveFlashMarket,
    SetEmergencyPause,
    decode,
    encode,
)
from engine.trading.events import (
    FlashBetPlaced,
    FlashBetSettled,
    FlashMarketOpened,
    FlashMarketStatusChanged,
    FlashMarketVoided,
    FlashPriceChanged,
    MarketCollapsed,
)
from engine.trading.exchange import Exchange, Outcome
from engine.trading.snapshot import restore_exchange, snapshot_exchange, state_hash
from tests.unit.trading.helpers import BTC, USDT
from tests.unit.trading.helpers import T0 as NOON

# A slot boundary, so slot arithmetic in the tests is plain.
T0 = slot_start(slot_of(NOON))
LP_FUNDS = 100_000 * USDT


class FlashVenue:
    def __init__(self, limits: FlashLimits | None = None) -> None:
        self.exchange = Exchange([BTC], limits)
        self.commands: list[Command] = []
        self.do(FundFlashLiquidity(LP_FUNDS, "lp-seed", T0))
        for name in ("alice", "bob", "carol"):
            self.do(Deposit(name, 1_000 * USDT, f"d-{name}", T0))

    def do(self, command: Command) -> Outcome:
        self.commands.append(command)
        return self.exchange.apply(self.exchange.sequence + 1, command)

    def open(self, seconds: int = 60, liquidity: int = 5_000, **changes: object) -> str:
        values: dict[str, object] = {
            "sport": "SOCCER",
            "event_id": "game-1",
            "event_title": "Northport United v Eastham Rovers",
            "period": 2,
            "market_type": "GOAL_IN_60S",
            "title": "Goal in the next 60 s?",
            "outcomes": ("NO", "YES"),
            "opening_probabilities": (500_000, 500_000),
            "deadline": T0 + timedelta(seconds=seconds),
            "at": T0,
            "liquidity": liquidity,
        }
        values.update(changes)
        outcome = self.do(OpenFlashMarket(**values))  # type: ignore[arg-type]
        assert outcome.accepted, (outcome.code, outcome.message)
        opened = outcome.events[0]
        assert isinstance(opened, FlashMarketOpened)
        return opened.market_id

    def bet(
        self, account: str, market_id: str, outcome: str, usdt: float, at_ms: int = 1_000
    ) -> Outcome:
        return self.do(
            PlaceFlashBet(
                account, market_id, outcome, int(usdt * USDT), T0 + timedelta(milliseconds=at_ms)
            )
        )

    def balance(self, key: accounts.AccountKey) -> int:
        """An emptied account that was closed (a collapsed market's escrow) holds zero."""
        ledger = self.exchange.ledger
        return ledger.balance(key) if ledger.has_account(key) else 0

    def available(self, account: str) -> int:
        return self.balance(accounts.available(account))

    def tick(self, seconds: float) -> Outcome:
        return self.do(FlashTick(T0 + timedelta(seconds=seconds)))


def placed(outcome: Outcome) -> FlashBetPlaced:
    assert outcome.accepted, (outcome.code, outcome.message)
    return next(e for e in outcome.events if isinstance(e, FlashBetPlaced))


def assert_balanced(venue: FlashVenue) -> None:
    """Double entry: every balance sums to zero (WORLD holds minus what came in)."""
    assert sum(venue.exchange.ledger.balances().values()) == 0


def test_a_bet_moves_stake_fee_and_cover_through_the_ledger() -> None:
    venue = FlashVenue()
    market_id = venue.open()
    bet = placed(venue.bet("alice", market_id, "YES", 10))
    assert bet.stake == 10 * USDT and bet.fee == 100_000  # 1 % inside the stake
    assert bet.shares > bet.stake - bet.fee  # at a price below 1, a share costs less than 1
    assert venue.available("alice") == 990 * USDT
    assert venue.balance(accounts.FEES) == 100_000
    escrow = venue.balance(accounts.flash_escrow(market_id))
    # The escrow holds exactly what the market owes if YES wins; the LP put in the rest.
    assert escrow == bet.shares
    assert venue.balance(accounts.FLASH_LP) == LP_FUNDS - (bet.shares - (bet.stake - bet.fee))
    assert bet.price_after > bet.price_before == 500_000
    assert_balanced(venue)


def test_attested_winner_is_paid_exactly_and_the_escrow_ends_at_zero() -> None:
    venue = FlashVenue()
    market_id = venue.open()
    yes = placed(venue.bet("alice", market_id, "YES", 10))
    no = placed(venue.bet("bob", market_id, "NO", 25, at_ms=2_000))
    also_yes = placed(venue.bet("carol", market_id, "YES", 5, at_ms=3_000))
    lp_before = venue.balance(accounts.FLASH_LP)
    escrow = venue.balance(accounts.flash_escrow(market_id))

    outcome = venue.do(
        ResolveFlashMarket(market_id, "YES", "quorum-42", T0 + timedelta(seconds=20))
    )

    assert outcome.accepted, outcome.message
    collapsed = next(e for e in outcome.events if isinstance(e, MarketCollapsed))
    assert (collapsed.proposal_id, collapsed.winning_outcome, collapsed.collapse_type) == (
        "quorum-42",
        "YES",
        "SETTLE_SLOT",
    )
    assert collapsed.total_payout == yes.shares + also_yes.shares
    assert venue.available("alice") == 990 * USDT + yes.shares
    assert venue.available("carol") == 995 * USDT + also_yes.shares
    assert venue.available("bob") == 975 * USDT
    assert venue.balance(accounts.flash_escrow(market_id)) == 0
    assert venue.balance(accounts.FLASH_LP) == lp_before + escrow - collapsed.total_payout
    settled = {e.bet_id: e for e in outcome.events if isinstance(e, FlashBetSettled)}
    assert settled[no.bet_id].status == "LOST" and settled[no.bet_id].payout == 0
    assert settled[yes.bet_id].payout == yes.shares
    assert venue.exchange.flash.markets[market_id].status is MarketStatus.COLLAPSED
    # The LP's result is what the bettors put in (fees excluded) minus what it paid.
    net_in = sum(b.stake - b.fee for b in (yes, no, also_yes))
    assert venue.balance(accounts.FLASH_LP) == LP_FUNDS + net_in - collapsed.total_payout
    assert venue.exchange.flash.lp_realised_today == net_in - collapsed.total_payout
    assert_balanced(venue)


def test_settle_slot_without_attestation_collapses_to_max_probability() -> None:
    venue = FlashVenue()
    market_id = venue.open(seconds=10)
    yes = placed(venue.bet("alice", market_id, "YES", 20))
    closed = venue.tick(10)
    assert any(
        isinstance(e, FlashMarketStatusChanged) and e.status == "CLOSED" for e in closed.events
    )
    assert not venue.bet("bob", market_id, "NO", 1, at_ms=10_500).accepted
    assert venue.tick(19.6).events == []  # the settle slot is the one 10 s after the deadline
    outcome = venue.tick(20)
    collapsed = next(e for e in outcome.events if isinstance(e, MarketCollapsed))
    assert (collapsed.winning_outcome, collapsed.collapse_type) == ("YES", "MAX_PROBABILITY")
    assert collapsed.probability == yes.price_after
    assert venue.available("alice") == 980 * USDT + yes.shares
    assert venue.balance(accounts.flash_escrow(market_id)) == 0
    assert_balanced(venue)


def test_a_late_attestation_within_the_resolution_window_still_decides() -> None:
    venue = FlashVenue()
    market_id = venue.open(seconds=10)
    placed(venue.bet("alice", market_id, "YES", 20))  # YES is the favourite now
    venue.tick(10)
    outcome = venue.do(ResolveFlashMarket(market_id, "NO", "quorum-7", T0 + timedelta(seconds=14)))
    collapsed = next(e for e in outcome.events if isinstance(e, MarketCollapsed))
    assert (collapsed.winning_outcome, collapsed.collapse_type) == ("NO", "SETTLE_SLOT")
    assert venue.available("alice") == 980 * USDT
    refused = venue.do(ResolveFlashMarket(market_id, "YES", "again", T0 + timedelta(seconds=15)))
    assert refused.code == "MARKET_CLOSED"


def test_no_quorum_and_no_price_history_voids() -> None:
    venue = FlashVenue()
    market_id = venue.open(seconds=5)
    outcome = venue.tick(15)
    voided = next(e for e in outcome.events if isinstance(e, FlashMarketVoided))
    assert voided.refunded == 0 and voided.reason == "NO_QUORUM_NO_PRICE_HISTORY"
    assert venue.exchange.flash.markets[market_id].status is MarketStatus.VOIDED
    assert venue.balance(accounts.flash_escrow(market_id)) == 0


def test_emergency_void_refunds_stakes_and_fees_exactly() -> None:
    venue = FlashVenue()
    market_id = venue.open()
    placed(venue.bet("alice", market_id, "YES", 10))
    placed(venue.bet("bob", market_id, "NO", 7.5, at_ms=2_000))
    placed(venue.bet("alice", market_id, "NO", 3.25, at_ms=3_000))
    outcome = venue.do(
        EmergencyCollapse(market_id, "match abandoned", T0 + timedelta(seconds=5), void=True)
    )
    voided = next(e for e in outcome.events if isinstance(e, FlashMarketVoided))
    assert voided.refunded == int(20.75 * USDT) and voided.reason == "match abandoned"
    for name in ("alice", "bob"):
        assert venue.available(name) == 1_000 * USDT
    assert venue.balance(accounts.FEES) == 0
    assert venue.balance(accounts.FLASH_LP) == LP_FUNDS
    assert venue.balance(accounts.flash_escrow(market_id)) == 0
    assert_balanced(venue)


def test_emergency_collapse_uses_the_probability_rule_with_type_emergency() -> None:
    venue = FlashVenue()
    market_id = venue.open()
    placed(venue.bet("alice", market_id, "NO", 10))
    outcome = venue.do(EmergencyCollapse(market_id, "keeper", T0 + timedelta(seconds=5)))
    collapsed = next(e for e in outcome.events if isinstance(e, MarketCollapsed))
    assert (collapsed.winning_outcome, collapsed.collapse_type) == ("NO", "EMERGENCY")


def test_the_clamp_refuses_a_bet_moving_the_price_more_than_two_points_per_slot() -> None:
    venue = FlashVenue()
    market_id = venue.open(liquidity=1_000)
    # About 3 points at L = 1,000, in the opening's slot: one slot's 2 % allowed.
    refused = venue.bet("alice", market_id, "YES", 40, at_ms=300)
    assert refused.code == "PRICE_CLAMP"
    assert venue.available("alice") == 1_000 * USDT  # nothing moved
    assert venue.exchange.flash.markets[market_id].prices == (500_000, 500_000)
    assert venue.bet("alice", market_id, "YES", 40, at_ms=500).code == "PRICE_CLAMP"
    # Two slots after the opening, 4 % is allowed.
    first = placed(venue.bet("alice", market_id, "YES", 40, at_ms=800))
    # The next trade in the same slot is measured from this one: 2 % again.
    assert venue.bet("bob", market_id, "YES", 40, at_ms=900).code == "PRICE_CLAMP"
    assert first.price_after - first.price_before > 20_000


def test_moving_more_than_five_points_in_four_slots_halts_trading() -> None:
    venue = FlashVenue()
    market_id = venue.open(liquidity=1_000)
    moves = []
    for step in range(4):  # ~1.6 points a slot: each under the clamp, 6+ points together
        bet = placed(venue.bet("alice", market_id, "YES", 20, at_ms=1_000 + 400 * step))
        moves.append(bet.price_after)
    outcome = venue.bet("alice", market_id, "YES", 20, at_ms=1_000 + 400 * 3)
    assert outcome.code == "TRADING_HALTED"
    market = venue.exchange.flash.markets[market_id]
    assert market.status is MarketStatus.HALTED
    assert moves[-1] - 500_000 > 50_000
    # A halt lasts a whole window (4 slots) and until the window is calm.
    venue.tick(2.6)
    venue.tick(3.4)
    assert market.status is MarketStatus.HALTED
    assert venue.bet("bob", market_id, "NO", 5, at_ms=3_500).code == "TRADING_HALTED"
    reopened = venue.tick(3.6)
    assert market.status is MarketStatus.OPEN
    assert any(isinstance(e, FlashMarketStatusChanged) for e in reopened.events)
    assert placed(venue.bet("bob", market_id, "NO", 5, at_ms=3_700))


def test_loss_limit_refuses_the_losing_side_only() -> None:
    venue = FlashVenue(FlashLimits(market_loss_limit=30 * USDT))
    market_id = venue.open()
    placed(venue.bet("alice", market_id, "YES", 20))  # the house now loses ~20 if YES wins
    refused = venue.bet("alice", market_id, "YES", 20, at_ms=2_000)
    assert refused.code == "LIMIT_REACHED"
    # A bet on NO reduces the house's worst case: taken.
    placed(venue.bet("bob", market_id, "NO", 20, at_ms=3_000))
    assert venue.exchange.flash.markets[market_id].worst_case_loss() <= 30 * USDT


def test_daily_loss_limit_counts_every_open_market() -> None:
    venue = FlashVenue(FlashLimits(market_loss_limit=1_000 * USDT, daily_loss_limit=30 * USDT))
    first = venue.open()
    second = venue.open(market_type="GOAL_IN_60S_B")
    placed(venue.bet("alice", first, "YES", 20))
    assert venue.bet("bob", second, "YES", 20, at_ms=2_000).code == "LIMIT_REACHED"
    placed(venue.bet("bob", second, "YES", 5, at_ms=2_000))


def test_the_lp_must_cover_the_bet() -> None:
    drained = FlashVenue()
    balances = drained.exchange.ledger.balances()
    balances[accounts.WORLD] += balances[accounts.FLASH_LP] - 1  # an LP with 1 micro-USDT
    balances[accounts.FLASH_LP] = 1
    drained.exchange.ledger.restore(balances)
    market_id = drained.open()
    assert drained.bet("alice", market_id, "YES", 10).code == "LIMIT_REACHED"


def test_client_bet_id_makes_a_retry_harmless() -> None:
    venue = FlashVenue()
    market_id = venue.open()
    command = PlaceFlashBet(
        "alice", market_id, "YES", 10 * USDT, T0 + timedelta(seconds=1), client_bet_id="c-1"
    )
    first = venue.do(command)
    again = venue.do(command)
    assert first.accepted and again.accepted and again.events == []
    assert again.order_id == first.order_id and again.replay_of == first.sequence
    assert venue.available("alice") == 990 * USDT
    other = PlaceFlashBet(
        "alice", market_id, "NO", 10 * USDT, T0 + timedelta(seconds=2), client_bet_id="c-1"
    )
    assert venue.do(other).code == "IDEMPOTENCY_KEY_REUSED"
    # Another account may use the same client id.
    assert venue.do(
        PlaceFlashBet("bob", market_id, "YES", USDT, T0 + timedelta(seconds=3), client_bet_id="c-1")
    ).accepted


def test_pause_refuses_new_bets_and_markets_but_settles() -> None:
    venue = FlashVenue()
    market_id = venue.open(seconds=10)
    placed(venue.bet("alice", market_id, "YES", 10))
    venue.do(SetEmergencyPause(1, "incident", T0 + timedelta(seconds=2)))
    assert venue.bet("bob", market_id, "NO", 1, at_ms=3_000).code == "VENUE_PAUSED"
    refused = venue.do(
        OpenFlashMarket(
            "SOCCER",
            "game-1",
            "g",
            2,
            "OTHER",
            "t",
            ("NO", "YES"),
            (500_000, 500_000),
            T0 + timedelta(seconds=30),
            T0 + timedelta(seconds=3),
        )
    )
    assert refused.code == "VENUE_PAUSED"
    outcome = venue.do(ResolveFlashMarket(market_id, "YES", "q", T0 + timedelta(seconds=4)))
    assert outcome.accepted  # money owed is paid during a level-1 pause


def test_refusals_and_their_codes() -> None:
    venue = FlashVenue()
    market_id = venue.open()
    assert venue.bet("alice", "fm_nope", "YES", 1).code == "UNKNOWN_FLASH_MARKET"
    assert venue.bet("alice", market_id, "MAYBE", 1).code == "INVALID_BET"
    assert venue.bet("alice", market_id, "YES", 5_000).code in ("INSUFFICIENT_FUNDS", "PRICE_CLAMP")
    assert venue.bet("nobody", market_id, "YES", 1).code == "INSUFFICIENT_FUNDS"
    slippage = venue.do(
        PlaceFlashBet(
            "alice",
            market_id,
            "YES",
            10 * USDT,
            T0 + timedelta(seconds=1),
            max_average_price=500_000,
        )
    )
    assert slippage.code == "PRICE_MOVED"
    assert venue.bet("alice", market_id, "YES", 1, at_ms=60_000).code == "MARKET_CLOSED"
    duplicate = venue.do(
        OpenFlashMarket(
            "SOCCER",
            "game-1",
            "g",
            2,
            "GOAL_IN_60S",
            "t",
            ("NO", "YES"),
            (500_000, 500_000),
            T0 + timedelta(seconds=60),
            T0,
        )
    )
    assert duplicate.code == "DUPLICATE_FLASH_MARKET"
    assert_balanced(venue)


def test_hierarchy_game_period_flash_micro() -> None:
    venue = FlashVenue()
    flash_id = venue.open()
    micro_id = venue.open(
        seconds=20, market_type="MICRO", title="Corner in 20 s?", parent_market_id=flash_id
    )
    book = venue.exchange.flash
    flash = book.markets[flash_id]
    micro = book.markets[micro_id]
    assert (flash.level, flash.depth, micro.level, micro.depth) == (
        NodeLevel.FLASH,
        2,
        NodeLevel.MICRO,
        3,
    )
    period, game = book.lineage(flash_id)
    assert book.lineage(micro_id) == [flash_id, period, game]
    assert book.groups[period].title.endswith("second half")
    assert [c.market_id for c in book.children(flash_id)] == [micro_id]  # type: ignore[union-attr]
    assert {getattr(c, "node_id", None) for c in book.children(game)} == {period}


def test_price_changes_go_out_once_per_slot() -> None:
    venue = FlashVenue()
    market_id = venue.open()
    first = venue.tick(0.5)
    assert [type(e) for e in first.events] == [FlashPriceChanged]
    assert venue.tick(0.6).events == []  # same slot
    assert venue.tick(1.2).events == []  # no change
    placed(venue.bet("alice", market_id, "YES", 10, at_ms=1_300))
    changed = venue.tick(1.4).events
    assert len(changed) == 1 and isinstance(changed[0], FlashPriceChanged)
    feed = venue.exchange.flash.odds_feed()
    assert feed.as_of == T0 + timedelta(seconds=1.4)
    assert feed.markets[0].prices == changed[0].prices
    assert sum(feed.markets[0].prices) == PPM


def test_collapsed_markets_leave_memory_after_retention() -> None:
    venue = FlashVenue()
    market_id = venue.open(seconds=5)
    placed(venue.bet("alice", market_id, "YES", 1))
    venue.tick(15)
    assert market_id in venue.exchange.flash.markets
    assert venue.exchange.flash.bets_of("alice")[0].status.value == "WON"
    venue.tick(15 + 16 * 60)
    assert market_id not in venue.exchange.flash.markets
    assert venue.exchange.flash.groups == {}
    assert venue.exchange.flash.bets_of("alice") == []


def test_commands_survive_the_journal_encoding() -> None:
    venue = FlashVenue()
    market_id = venue.open()
    venue.bet("alice", market_id, "YES", 10)
    for command in venue.commands:
        kind, payload = encode(command)
        assert decode(kind, json.loads(json.dumps(payload))) == command


def test_snapshot_and_replay_restore_open_bets_exactly() -> None:
    venue = FlashVenue()
    first = venue.open()
    second = venue.open(
        seconds=30,
        market_type="NEXT",
        outcomes=("AWAY", "HOME", "NONE"),
        opening_probabilities=(300_000, 450_000, 250_000),
    )
    placed(venue.bet("alice", first, "YES", 10))
    placed(venue.bet("bob", second, "NONE", 12))
    venue.tick(2)

    data = json.loads(json.dumps(snapshot_exchange(venue.exchange)))
    restored = restore_exchange([BTC], data)
    assert state_hash(restored) == state_hash(venue.exchange)

    replay = Exchange([BTC])
    for sequence, command in enumerate(venue.commands, start=1):
        replay.apply(sequence, command)
    assert state_hash(replay) == state_hash(venue.exchange)

    later = [
        PlaceFlashBet("carol", first, "NO", 8 * USDT, T0 + timedelta(seconds=3)),
        PlaceFlashBet("carol", second, "HOME", 4 * USDT, T0 + timedelta(seconds=3.5)),
        ResolveFlashMarket(first, "NO", "quorum-1", T0 + timedelta(seconds=20)),
        FlashTick(T0 + timedelta(seconds=40)),
    ]
    for exchange in (venue.exchange, restored, replay):
        for command in later:
            outcome = exchange.apply(exchange.sequence + 1, command)
            assert outcome.accepted, outcome.message
    assert state_hash(restored) == state_hash(venue.exchange) == state_hash(replay)
    assert restored.ledger.balances() == venue.exchange.ledger.balances()
    escrows = [
        balance
        for key, balance in venue.exchange.ledger.balances().items()
        if key.owner_kind is OwnerKind.MARKET and key.owner_id.startswith("flash/")
    ]
    assert escrows == []  # both collapsed: their emptied escrows were closed


@pytest.mark.parametrize("bettors", [1, 130])
def test_payout_of_many_bets_splits_into_entries_under_the_leg_cap(bettors: int) -> None:
    venue = FlashVenue()
    market_id = venue.open(liquidity=50_000)
    names = [f"u{i}" for i in range(bettors)]
    for name in names:
        venue.do(Deposit(name, 10 * USDT, f"d-{name}", T0))
    shares = {}
    for i, name in enumerate(names):
        shares[name] = placed(venue.bet(name, market_id, "YES", 1, at_ms=1_000 + i)).shares
    venue.exchange.ledger.drain()
    venue.do(ResolveFlashMarket(market_id, "YES", "q", T0 + timedelta(seconds=30)))
    entries = venue.exchange.ledger.drain()
    assert all(len(entry.legs) <= 64 for entry in entries)
    for name in names:
        assert venue.available(name) == 9 * USDT + shares[name]
    assert venue.balance(accounts.flash_escrow(market_id)) == 0
    assert_balanced(venue)
