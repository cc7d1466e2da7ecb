"""The FlashBook: every flash market's state machine inside the trading engine's sequencer.

Open, bet, tick, resolve, collapse, void and pay, each as one journaled command, with all money
moving through the exchange's ledger in balanced entries: a bettor's stake goes from their
available USDT into the market's escrow (the fee to FEES), the house LP tops the escrow up to
the most the market can owe, and the collapse pays winners from the escrow and returns the rest
to the LP, leaving the escrow at zero. Nothing here reads a clock or the system: time is the
command's, so replaying the journal rebuilds the same book.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.flash.amm import MICRO, OutcomePricer, Quote, pricer_for, pricer_from_dict
from engine.flash.markets import (
    MARKET_ID_PREFIX,
    MAX_DEPTH,
    MAX_FLASH_FEE_BPS,
    MAX_FLASH_LIQUIDITY,
    MAX_TITLE_LENGTH,
    PPM,
    BetStatus,
    Collapse,
    CollapseType,
    FlashBet,
    FlashError,
    FlashMarket,
    MarketGroup,
    MarketStatus,
    NodeLevel,
    ProbabilitySource,
    Resolution,
    check_price_clamp,
    decide_collapse,
    flash_market_id,
    game_node_id,
    may_resume,
    period_node_id,
    should_halt,
    slot_of,
    to_ppm,
    validate_outcomes,
    validate_window,
)
from engine.ledger import AccountKey
from engine.ledger.memory import MemoryLedger
from engine.trading import accounts
from engine.trading.commands import (
    EmergencyCollapse,
    FlashTick,
    OpenFlashMarket,
    PlaceFlashBet,
    ResolveFlashMarket,
)
from engine.trading.events import (
    BalanceChanged,
    EngineEvent,
    FlashBetPlaced,
    FlashBetSettled,
    FlashMarketOpened,
    FlashMarketStatusChanged,
    FlashMarketVoided,
    FlashPriceChanged,
    MarketCollapsed,
)

# Issue 7, "Resolution and payout": the house LP's loss limits (configurable per venue).
DEFAULT_MARKET_LOSS_LIMIT = 1_000 * MICRO
DEFAULT_DAILY_LOSS_LIMIT = 20_000 * MICRO
# A collapsed market (and its bets) stays queryable this long, then leaves memory.
MARKET_RETENTION = timedelta(minutes=15)
ACCOUNT_BET_HISTORY = 200
# Payout legs per ledger entry, under the ledger's 64-leg cap (one leg is the escrow's).
PAYOUT_LEGS_PER_ENTRY = 60
MAX_CLIENT_BET_ID_LENGTH = 64
MAX_PROPOSAL_ID_LENGTH = 128
MAX_REASON_LENGTH = 200

Post = Callable[[str, list[tuple[AccountKey, int]]], None]


@dataclass(frozen=True, slots=True)
class FlashLimits:
    market_loss_limit: int = DEFAULT_MARKET_LOSS_LIMIT  # micro-USDT
    daily_loss_limit: int = DEFAULT_DAILY_LOSS_LIMIT


@dataclass(frozen=True, slots=True)
class OddsEntry:
    """One open market in the public odds feed (ticker and widget)."""

    market_id: str
    parent_id: str
    title: str
    sport: str
    event_id: str
    status: str
    outcomes: tuple[str, ...]
    prices: tuple[int, ...]  # ppm
    deadline: datetime
    volume: int


@dataclass(frozen=True, slots=True)
class OddsFeed:
    as_of: datetime  # the last slot the engine saw: under 5 s old while the timers run
    markets: tuple[OddsEntry, ...]


@dataclass(frozen=True, slots=True)
class LiquidityStatus:
    balance: int  # what the LP account holds, escrow cover excluded
    committed: int  # the LP's cover in open markets' escrows
    open_worst_case_loss: int
    realised_today: int  # the LP's result on markets settled today (negative: a loss)
    day: date | None


class FlashBook:
    def __init__(self, ledger: MemoryLedger, post: Post, limits: FlashLimits | None = None) -> None:
        self.ledger = ledger
        self._post = post
        self.limits = limits if limits is not None else FlashLimits()
        self.markets: dict[str, FlashMarket] = {}
        self.groups: dict[str, MarketGroup] = {}
        self.bets: dict[str, FlashBet] = {}
        self._pricers: dict[str, OutcomePricer] = {}
        self._active: dict[str, None] = {}  # an ordered set: ticks walk it in opening order
        self._collapsed_at: dict[str, datetime] = {}
        self._client_bets: dict[tuple[str, str], str] = {}
        self._bets_of: dict[str, deque[str]] = {}
        self._lp_contributed: dict[str, int] = {}
        self.open_worst_case = 0
        self.lp_day: date | None = None
        self.lp_realised_today = 0
        self.as_of: datetime | None = None

    # --- commands --------------------------------------------------------------------------

    def open_market(self, command: OpenFlashMarket) -> list[EngineEvent]:
        validate_window(command.at, command.deadline)
        validate_outcomes(command.outcomes, command.opening_probabilities)
        if not 0 < len(command.title) <= MAX_TITLE_LENGTH:
            raise FlashError("INVALID_FLASH_MARKET", "a title is 1 to 160 characters")
        if not 0 < command.liquidity <= MAX_FLASH_LIQUIDITY:
            raise FlashError("INVALID_FLASH_MARKET", "liquidity is 1 to 1,000,000 USDT")
        if not 0 <= command.fee_bps <= MAX_FLASH_FEE_BPS:
            raise FlashError("INVALID_FLASH_MARKET", "the fee is 0 to 1,000 bps")
        try:
            source = ProbabilitySource(command.probability_source)
        except ValueError:
            raise FlashError(
                "INVALID_FLASH_MARKET", "probability source is QUORUM or MODEL"
            ) from None
        market_id = flash_market_id(
            command.sport, command.event_id, command.market_type, command.at
        )
        if market_id in self.markets:
            raise FlashError("DUPLICATE_FLASH_MARKET", f"{market_id} is open already")
        parent_id, level, depth = self._place_in_hierarchy(command)
        pricer = pricer_for(
            command.outcomes,
            [p / PPM for p in command.opening_probabilities],
            float(command.liquidity),
            command.at.timestamp(),
            command.deadline.timestamp(),
        )
        prices = self._prices_of(pricer, command.outcomes, command.at)
        market = FlashMarket(
            market_id=market_id,
            parent_id=parent_id,
            level=level,
            depth=depth,
            title=command.title,
            sport=command.sport,
            event_id=command.event_id,
            market_type=command.market_type,
            source_market=command.source_market,
            outcomes=command.outcomes,
            opening_probabilities=command.opening_probabilities,
            probability_source=source,
            opened_at=command.at,
            deadline=command.deadline,
            liquidity=command.liquidity,
            fee_bps=command.fee_bps,
            prices=prices,
            liability=dict.fromkeys(command.outcomes, 0),
        )
        # The opening prices start the history the halt's window looks back on.
        market.record_prices(slot_of(command.at), prices)
        self.markets[market_id] = market
        self._pricers[market_id] = pricer
        self._active[market_id] = None
        self._lp_contributed[market_id] = 0
        self.ledger.open_accounts([accounts.flash_escrow(market_id)])
        return [
            FlashMarketOpened(
                market_id,
                parent_id,
                level.value,
                depth,
                market.title,
                market.sport,
                market.event_id,
                market.market_type,
                market.outcomes,
                prices,
                source.value,
                market.deadline,
                market.settle_slot,
                command.at,
            )
        ]

    def place_bet(self, command: PlaceFlashBet, bet_id: str) -> tuple[FlashBet, list[EngineEvent]]:
        """Quote, check (status, slippage, clamp, LP limits, funds), post, then apply. Nothing
        changes unless every check passed. A repeated client_bet_id returns the first bet and
        no events."""
        repeated = self._repeated_bet(command)
        if repeated is not None:
            return repeated, []
        market = self._open_for_bets(command.market_id, command.at)
        pricer = self._pricers[market.market_id]
        now = command.at.timestamp()
        quote = pricer.quote(command.outcome, command.stake, now, market.fee_bps)
        self._check_slippage(command, quote)
        slot = slot_of(command.at)
        index = market.outcomes.index(command.outcome)
        price_after = _ppm(quote.price_after)
        reference = (
            market.last_trade_prices[index]
            if market.last_trade_prices is not None
            else market.prices[index]
        )
        last_slot = (
            market.last_trade_slot
            if market.last_trade_slot is not None
            else slot_of(market.opened_at)
        )
        check_price_clamp(reference, price_after, last_slot, slot)
        topup = self._check_house_limits(market, command.outcome, quote)
        self._require_funds(command.account, quote.stake)
        net = quote.stake - quote.fee
        self._post(
            "flash_bet",
            [
                (accounts.available(command.account), -quote.stake),
                (accounts.FEES, quote.fee),
                (accounts.flash_escrow(market.market_id), net + topup),
                (accounts.FLASH_LP, -topup),
            ],
        )
        # From here on nothing can refuse: the money moved, the state follows.
        pricer.apply(quote, now)
        self.open_worst_case -= market.worst_case_loss()
        market.liability[command.outcome] += quote.shares
        market.net_stakes += net
        market.volume += quote.stake
        self.open_worst_case += market.worst_case_loss()
        self._lp_contributed[market.market_id] += topup
        prices = self._prices_of(pricer, market.outcomes, command.at)
        market.record_prices(slot, prices)
        market.last_trade_slot = slot
        market.last_trade_prices = prices
        bet = FlashBet(
            bet_id=bet_id,
            account=command.account,
            market_id=market.market_id,
            outcome=command.outcome,
            stake=quote.stake,
            fee=quote.fee,
            shares=quote.shares,
            average_price=quote.average_price,
            placed_at=command.at,
            client_bet_id=command.client_bet_id,
        )
        self._remember_bet(bet)
        market.bet_ids.append(bet_id)
        events: list[EngineEvent] = [
            FlashBetPlaced(
                bet_id,
                bet.account,
                bet.market_id,
                bet.outcome,
                bet.stake,
                bet.fee,
                bet.shares,
                _ppm(quote.average_price),
                _ppm(quote.price_before),
                price_after,
                bet.client_bet_id,
                command.at,
            )
        ]
        if should_halt(market.history, slot):
            market.status = MarketStatus.HALTED
            market.halted_slot = slot
            events.append(
                FlashMarketStatusChanged(
                    market.market_id, market.status.value, "FLASH_LOAN_GUARD", command.at
                )
            )
        return bet, events

    def tick(self, command: FlashTick) -> list[EngineEvent]:
        """One slot: lift calm halts, close markets at their deadline, collapse them at their
        settle slot, publish changed prices (once per slot), forget old collapsed markets."""
        at = command.at
        self._roll_day(at)
        self.as_of = at
        slot = slot_of(at)
        events: list[EngineEvent] = []
        for market_id in list(self._active):
            market = self.markets[market_id]
            if market.status is MarketStatus.HALTED and may_resume(market, slot):
                market.status = MarketStatus.OPEN
                market.halted_slot = None
                events.append(FlashMarketStatusChanged(market_id, "OPEN", "CALM", at))
            if market.status in (MarketStatus.OPEN, MarketStatus.HALTED) and at >= market.deadline:
                market.status = MarketStatus.CLOSED
                events.append(FlashMarketStatusChanged(market_id, "CLOSED", "DEADLINE", at))
            if slot >= market.settle_slot:
                events += self._collapse(market, decide_collapse(market, at))
                continue
            if market.prices != market.published_prices and market.published_slot != slot:
                market.published_prices = market.prices
                market.published_slot = slot
                events.append(
                    FlashPriceChanged(
                        market_id, market.outcomes, market.prices, market.status.value, slot, at
                    )
                )
        self._forget_before(at - MARKET_RETENTION)
        return events

    def resolve(self, command: ResolveFlashMarket) -> list[EngineEvent]:
        market = self._active_market(command.market_id)
        if command.outcome not in market.outcomes:
            raise FlashError(
                "INVALID_OUTCOME", f"{command.outcome!r} is not an outcome of {market.market_id}"
            )
        if not 0 < len(command.proposal_id) <= MAX_PROPOSAL_ID_LENGTH:
            raise FlashError("INVALID_PROPOSAL", "a proposal id is 1 to 128 characters")
        self._roll_day(command.at)
        market.resolution = Resolution(command.outcome, command.proposal_id, command.at)
        return self._collapse(market, decide_collapse(market, command.at))

    def emergency_collapse(self, command: EmergencyCollapse) -> list[EngineEvent]:
        market = self._active_market(command.market_id)
        if not 0 < len(command.reason) <= MAX_REASON_LENGTH:
            raise FlashError("INVALID_REASON", "a reason is 1 to 200 characters")
        self._roll_day(command.at)
        collapse = decide_collapse(market, command.at, emergency=True, void=command.void)
        return self._collapse(market, collapse, command.reason)

    # --- queries for the API -----------------------------------------------------------------

    def market(self, market_id: str) -> FlashMarket | None:
        return self.markets.get(market_id)

    def node(self, node_id: str) -> FlashMarket | MarketGroup | None:
        return self.markets.get(node_id) or self.groups.get(node_id)

    def children(self, node_id: str) -> list[FlashMarket | MarketGroup]:
        found: list[FlashMarket | MarketGroup] = [
            g for g in self.groups.values() if g.parent_id == node_id
        ]
        found += [m for m in self.markets.values() if m.parent_id == node_id]
        return found

    def list_markets(
        self, status: MarketStatus | None = None, sport: str | None = None
    ) -> list[FlashMarket]:
        return [
            market
            for market in self.markets.values()
            if (status is None or market.status is status)
            and (sport is None or market.sport == sport.upper())
        ]

    def quote(self, market_id: str, outcome: str, stake: int, at: datetime) -> Quote:
        """What a bet would get now (no state changes); the same refusals as placing it, but
        the house limits, the clamp and the bettor's funds are checked only when placing."""
        market = self._open_for_bets(market_id, at)
        return self._pricers[market.market_id].quote(outcome, stake, at.timestamp(), market.fee_bps)

    def bets_of(self, account: str) -> list[FlashBet]:
        """The account's recent bets, newest first (open ones and settled ones still kept)."""
        ids = self._bets_of.get(account, ())
        return [self.bets[bet_id] for bet_id in reversed(ids) if bet_id in self.bets]

    def odds_feed(self) -> OddsFeed:
        """The public odds of every open market: cheap, read by resolvers between commands."""
        entries = tuple(
            OddsEntry(
                m.market_id,
                m.parent_id,
                m.title,
                m.sport,
                m.event_id,
                m.status.value,
                m.outcomes,
                m.prices,
                m.deadline,
                m.volume,
            )
            for m in (self.markets[market_id] for market_id in self._active)
        )
        as_of = self.as_of if self.as_of is not None else datetime.min.replace(tzinfo=UTC)
        return OddsFeed(as_of, entries)

    def liquidity(self) -> LiquidityStatus:
        balance = (
            self.ledger.balance(accounts.FLASH_LP)
            if self.ledger.has_account(accounts.FLASH_LP)
            else 0
        )
        committed = sum(self._lp_contributed.get(m, 0) for m in self._active)
        return LiquidityStatus(
            balance, committed, self.open_worst_case, self.lp_realised_today, self.lp_day
        )

    def lineage(self, node_id: str) -> list[str]:
        """The node's ancestors, nearest first."""
        found: list[str] = []
        node = self.node(node_id)
        while node is not None and node.parent_id is not None:
            found.append(node.parent_id)
            node = self.node(node.parent_id)
        return found

    def repeated_bet(self, command: PlaceFlashBet) -> FlashBet | None:
        """The bet a retried client_bet_id already placed, if any (nothing changes)."""
        return self._repeated_bet(command)

    # --- checks ------------------------------------------------------------------------------

    def _repeated_bet(self, command: PlaceFlashBet) -> FlashBet | None:
        client_id = command.client_bet_id
        if client_id is None:
            return None
        if not 0 < len(client_id) <= MAX_CLIENT_BET_ID_LENGTH:
            raise FlashError("INVALID_BET", "a client bet id is 1 to 64 characters")
        bet_id = self._client_bets.get((command.account, client_id))
        if bet_id is None or bet_id not in self.bets:
            return None
        bet = self.bets[bet_id]
        if (bet.market_id, bet.outcome, bet.stake) != (
            command.market_id,
            command.outcome,
            command.stake,
        ):
            raise FlashError(
                "IDEMPOTENCY_KEY_REUSED", f"client bet id {client_id!r} was used for another bet"
            )
        return bet

    def _open_for_bets(self, market_id: str, at: datetime) -> FlashMarket:
        market = self.markets.get(market_id)
        if market is None:
            raise FlashError("UNKNOWN_FLASH_MARKET", f"no flash market {market_id[:40]!r}")
        if market.status is MarketStatus.HALTED:
            raise FlashError(
                "TRADING_HALTED",
                f"{market_id}: prices moved more than 5 % in 4 slots; trading resumes when calm",
            )
        if market.status is not MarketStatus.OPEN or at >= market.deadline or at < market.opened_at:
            raise FlashError("MARKET_CLOSED", f"{market_id} takes no more bets")
        return market

    def _active_market(self, market_id: str) -> FlashMarket:
        market = self.markets.get(market_id)
        if market is None:
            raise FlashError("UNKNOWN_FLASH_MARKET", f"no flash market {market_id[:40]!r}")
        if not market.is_active:
            raise FlashError("MARKET_CLOSED", f"{market_id} has already collapsed")
        return market

    @staticmethod
    def _check_slippage(command: PlaceFlashBet, quote: Quote) -> None:
        limit = command.max_average_price
        if limit is not None and _ppm(quote.average_price) > limit:
            raise FlashError(
                "PRICE_MOVED",
                f"the average price would be {quote.average_price:.4f}, above the "
                f"{limit / PPM:.4f} accepted: quote again",
            )

    def _check_house_limits(self, market: FlashMarket, outcome: str, quote: Quote) -> int:
        """The LP's cover this bet needs; LIMIT_REACHED when it would push the LP's worst-case
        loss past a limit (bets that reduce it always pass) or the LP cannot pay the cover."""
        net = quote.stake - quote.fee
        liability = dict(market.liability)
        liability[outcome] += quote.shares
        loss_before = market.worst_case_loss()
        loss_after = max(0, max(liability.values()) - (market.net_stakes + net))
        if loss_after > loss_before:
            if loss_after > self.limits.market_loss_limit:
                raise FlashError(
                    "LIMIT_REACHED",
                    f"{market.market_id} takes no more bets on {outcome}: the house's loss "
                    "limit for this market is reached",
                )
            today = max(0, -self.lp_realised_today) + self.open_worst_case
            if today - loss_before + loss_after > self.limits.daily_loss_limit:
                raise FlashError(
                    "LIMIT_REACHED",
                    f"{market.market_id} takes no more bets on {outcome}: the house's daily "
                    "loss limit is reached",
                )
        escrow = self.ledger.balance(accounts.flash_escrow(market.market_id))
        topup = max(0, max(liability.values()) - escrow - net)
        self.ledger.open_accounts([accounts.FLASH_LP])
        if topup > self.ledger.balance(accounts.FLASH_LP):
            raise FlashError(
                "LIMIT_REACHED", "the house liquidity cannot cover this bet: try a smaller one"
            )
        return topup

    def _require_funds(self, account: str, amount: int) -> None:
        key = accounts.available(account)
        held = self.ledger.balance(key) if self.ledger.has_account(key) else 0
        if held < amount:
            raise FlashError(
                "INSUFFICIENT_FUNDS", f"the bet costs {amount} micro-USDT; {held} available"
            )

    # --- collapse and payout -----------------------------------------------------------------

    def _collapse(
        self, market: FlashMarket, collapse: Collapse, reason: str | None = None
    ) -> list[EngineEvent]:
        """Pay (or refund) every bet from the escrow in the same command, return the rest to
        the LP, and retire the market."""
        at = collapse.at
        escrow = accounts.flash_escrow(market.market_id)
        held = self.ledger.balance(escrow)
        winner = collapse.winning_outcome
        credits: dict[str, int] = {}
        fees_back: dict[str, int] = {}
        events: list[EngineEvent] = []
        bets = [self.bets[bet_id] for bet_id in market.bet_ids]
        for bet in bets:
            if winner is None:
                bet.status, bet.payout = BetStatus.REFUNDED, bet.stake
                credits[bet.account] = credits.get(bet.account, 0) + bet.net_stake
                fees_back[bet.account] = fees_back.get(bet.account, 0) + bet.fee
            else:
                bet.payout = bet.payout_for(winner)
                bet.status = BetStatus.WON if bet.payout > 0 else BetStatus.LOST
                if bet.payout:
                    credits[bet.account] = credits.get(bet.account, 0) + bet.payout
        paid = sum(credits.values())
        if paid > held:
            raise AssertionError(f"{market.market_id}: escrow {held} cannot pay {paid}")
        for chunk in _chunks(sorted(credits.items())):
            legs = [(accounts.available(account), amount) for account, amount in chunk]
            self._post("flash_payout", [(escrow, -sum(a for _, a in chunk)), *legs])
        for chunk in _chunks(sorted(fees_back.items())):
            legs = [(accounts.available(account), amount) for account, amount in chunk]
            self._post("flash_fee_refund", [(accounts.FEES, -sum(a for _, a in chunk)), *legs])
        remainder = held - paid
        if remainder:
            self.ledger.open_accounts([accounts.FLASH_LP])
            self._post("flash_lp_return", [(escrow, -remainder), (accounts.FLASH_LP, remainder)])
        # Emptied: ~10k markets a day would otherwise stay in memory as zero balances.
        self.ledger.close_account(escrow)
        self.open_worst_case -= market.worst_case_loss()
        self.lp_realised_today += remainder - self._lp_contributed.pop(market.market_id, 0)
        market.collapse = collapse
        market.status = MarketStatus.VOIDED if winner is None else MarketStatus.COLLAPSED
        del self._active[market.market_id]
        self._pricers.pop(market.market_id, None)
        self._collapsed_at[market.market_id] = at
        for bet in bets:
            events.append(
                FlashBetSettled(
                    bet.bet_id,
                    bet.account,
                    bet.market_id,
                    bet.outcome,
                    bet.status.value,
                    bet.payout,
                    at,
                )
            )
        if winner is None:
            why = reason if reason is not None else "NO_QUORUM_NO_PRICE_HISTORY"
            refunded = sum(bet.stake for bet in bets)
            events.append(
                FlashMarketVoided(market.market_id, collapse.proposal_id, why, refunded, at)
            )
        else:
            kind = collapse.collapse_type if collapse.collapse_type else CollapseType.SETTLE_SLOT
            events.append(
                MarketCollapsed(
                    market.market_id,
                    collapse.proposal_id,
                    winner,
                    collapse.probability,
                    kind.value,
                    at,
                    paid,
                )
            )
        for account in sorted(set(credits) | set(fees_back)):
            events.append(
                BalanceChanged(account, self.ledger.balance(accounts.available(account)), at)
            )
        return events

    # --- bookkeeping -------------------------------------------------------------------------

    def _place_in_hierarchy(self, command: OpenFlashMarket) -> tuple[str, NodeLevel, int]:
        if command.parent_market_id is not None:
            parent = self.markets.get(command.parent_market_id)
            if parent is None or not parent.is_active:
                raise FlashError("UNKNOWN_FLASH_MARKET", "a micro market needs an open parent")
            if parent.depth + 1 > MAX_DEPTH:
                raise FlashError("MAX_DEPTH_EXCEEDED", f"markets nest at most {MAX_DEPTH} deep")
            return parent.market_id, NodeLevel.MICRO, parent.depth + 1
        game_id = game_node_id(command.sport, command.event_id)
        if game_id not in self.groups:
            self.groups[game_id] = MarketGroup(
                game_id,
                None,
                NodeLevel.GAME,
                0,
                command.event_title,
                command.sport,
                command.event_id,
            )
        if command.period <= 0:
            return game_id, NodeLevel.FLASH, 1
        period_id = period_node_id(command.sport, command.event_id, command.period)
        if period_id not in self.groups:
            self.groups[period_id] = MarketGroup(
                period_id,
                game_id,
                NodeLevel.PERIOD,
                1,
                f"{command.event_title}: {period_name(command.sport, command.period)}",
                command.sport,
                command.event_id,
            )
        return period_id, NodeLevel.FLASH, 2

    @staticmethod
    def _prices_of(
        pricer: OutcomePricer, outcomes: tuple[str, ...], at: datetime
    ) -> tuple[int, ...]:
        prices = pricer.prices(at.timestamp())
        return to_ppm([prices[outcome] for outcome in outcomes])

    def _remember_bet(self, bet: FlashBet) -> None:
        self.bets[bet.bet_id] = bet
        if bet.client_bet_id is not None:
            self._client_bets[(bet.account, bet.client_bet_id)] = bet.bet_id
        history = self._bets_of.get(bet.account)
        if history is None:
            history = self._bets_of[bet.account] = deque(maxlen=ACCOUNT_BET_HISTORY)
        history.append(bet.bet_id)

    def _roll_day(self, at: datetime) -> None:
        today = at.date()
        if self.lp_day != today:
            self.lp_day = today
            self.lp_realised_today = 0

    def _forget_before(self, cutoff: datetime) -> None:
        old = [m for m, at in self._collapsed_at.items() if at < cutoff]
        if not old:
            return
        for market_id in old:
            del self._collapsed_at[market_id]
            market = self.markets.pop(market_id)
            for bet_id in market.bet_ids:
                bet = self.bets.pop(bet_id, None)
                if bet is not None and bet.client_bet_id is not None:
                    self._client_bets.pop((bet.account, bet.client_bet_id), None)
        for account in [
            a for a, ids in self._bets_of.items() if not any(i in self.bets for i in ids)
        ]:
            del self._bets_of[account]
        used: set[str] = set()
        for market in self.markets.values():
            used.add(market.parent_id)
        for group in list(self.groups.values()):
            if group.node_id in used and group.parent_id is not None:
                used.add(group.parent_id)
        self.groups = {g: group for g, group in self.groups.items() if g in used}

    # --- snapshot ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "markets": [
                _market_dict(m, self._pricers.get(m.market_id)) for m in self.markets.values()
            ],
            "groups": [_plain_fields(g) for g in self.groups.values()],
            "bets": [_plain_fields(b) for b in self.bets.values()],
            "active": list(self._active),
            "collapsed_at": {m: at.isoformat() for m, at in self._collapsed_at.items()},
            "bets_of": {a: list(ids) for a, ids in self._bets_of.items()},
            "lp_contributed": dict(self._lp_contributed),
            "open_worst_case": self.open_worst_case,
            "lp_day": None if self.lp_day is None else self.lp_day.isoformat(),
            "lp_realised_today": self.lp_realised_today,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
        }

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        ledger: MemoryLedger,
        post: Post,
        limits: FlashLimits | None = None,
    ) -> FlashBook:
        book = cls(ledger, post, limits)
        for plain in data["markets"]:
            market, pricer = _market_from(plain)
            book.markets[market.market_id] = market
            if pricer is not None:
                book._pricers[market.market_id] = pricer
        for plain in data["groups"]:
            group = MarketGroup(
                plain["node_id"],
                plain["parent_id"],
                NodeLevel(plain["level"]),
                plain["depth"],
                plain["title"],
                plain["sport"],
                plain["event_id"],
            )
            book.groups[group.node_id] = group
        for plain in data["bets"]:
            bet = _bet_from(plain)
            book.bets[bet.bet_id] = bet
            if bet.client_bet_id is not None:
                book._client_bets[(bet.account, bet.client_bet_id)] = bet.bet_id
        book._active = dict.fromkeys(data["active"])
        book._collapsed_at = {
            m: datetime.fromisoformat(at) for m, at in data["collapsed_at"].items()
        }
        book._bets_of = {
            a: deque(ids, maxlen=ACCOUNT_BET_HISTORY) for a, ids in data["bets_of"].items()
        }
        book._lp_contributed = {m: int(v) for m, v in data["lp_contributed"].items()}
        book.open_worst_case = data["open_worst_case"]
        book.lp_day = None if data["lp_day"] is None else date.fromisoformat(data["lp_day"])
        book.lp_realised_today = data["lp_realised_today"]
        book.as_of = None if data["as_of"] is None else datetime.fromisoformat(data["as_of"])
        return book


def period_name(sport: str, period: int) -> str:
    if sport == "SOCCER":
        return {1: "first half", 2: "second half"}.get(period, f"extra time {period - 2}")
    if sport == "BASKETBALL":
        return f"Q{period}" if period <= 4 else f"overtime {period - 4}"
    if sport == "TENNIS":
        return f"set {period}"
    return f"period {period}"


def is_flash_market_id(text: str) -> bool:
    return text.startswith(MARKET_ID_PREFIX)


def _ppm(probability: float) -> int:
    return int(probability * PPM + 0.5)


def _chunks(items: list[tuple[str, int]]) -> Iterator[list[tuple[str, int]]]:
    for start in range(0, len(items), PAYOUT_LEGS_PER_ENTRY):
        yield items[start : start + PAYOUT_LEGS_PER_ENTRY]


# --- JSON forms ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value
    return value


def _plain_fields(value: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}


def _market_dict(market: FlashMarket, pricer: OutcomePricer | None) -> dict[str, Any]:
    plain = _plain_fields(market)
    plain["history"] = [[slot, list(prices)] for slot, prices in market.history]
    plain["liability"] = [[o, market.liability[o]] for o in market.outcomes]
    plain["resolution"] = None if market.resolution is None else _plain_fields(market.resolution)
    plain["collapse"] = None if market.collapse is None else _plain_fields(market.collapse)
    plain["pricer"] = None if pricer is None else pricer.to_dict()
    return plain


def _market_from(plain: dict[str, Any]) -> tuple[FlashMarket, OutcomePricer | None]:
    resolution = plain["resolution"]
    collapse = plain["collapse"]
    market = FlashMarket(
        market_id=plain["market_id"],
        parent_id=plain["parent_id"],
        level=NodeLevel(plain["level"]),
        depth=plain["depth"],
        title=plain["title"],
        sport=plain["sport"],
        event_id=plain["event_id"],
        market_type=plain["market_type"],
        source_market=plain["source_market"],
        outcomes=tuple(plain["outcomes"]),
        opening_probabilities=tuple(plain["opening_probabilities"]),
        probability_source=ProbabilitySource(plain["probability_source"]),
        opened_at=datetime.fromisoformat(plain["opened_at"]),
        deadline=datetime.fromisoformat(plain["deadline"]),
        liquidity=plain["liquidity"],
        fee_bps=plain["fee_bps"],
        prices=tuple(plain["prices"]),
        status=MarketStatus(plain["status"]),
        history=[(slot, tuple(prices)) for slot, prices in plain["history"]],
        last_trade_slot=plain["last_trade_slot"],
        last_trade_prices=_tuple_or_none(plain["last_trade_prices"]),
        halted_slot=plain["halted_slot"],
        resolution=None
        if resolution is None
        else Resolution(
            resolution["outcome"],
            resolution["proposal_id"],
            datetime.fromisoformat(resolution["at"]),
        ),
        collapse=None
        if collapse is None
        else Collapse(
            collapse["proposal_id"],
            collapse["winning_outcome"],
            collapse["probability"],
            None if collapse["collapse_type"] is None else CollapseType(collapse["collapse_type"]),
            datetime.fromisoformat(collapse["at"]),
        ),
        bet_ids=list(plain["bet_ids"]),
        liability={o: amount for o, amount in plain["liability"]},
        net_stakes=plain["net_stakes"],
        volume=plain["volume"],
        published_slot=plain["published_slot"],
        published_prices=_tuple_or_none(plain["published_prices"]),
    )
    pricer = None if plain["pricer"] is None else pricer_from_dict(plain["pricer"])
    return market, pricer


def _bet_from(plain: dict[str, Any]) -> FlashBet:
    return FlashBet(
        bet_id=plain["bet_id"],
        account=plain["account"],
        market_id=plain["market_id"],
        outcome=plain["outcome"],
        stake=plain["stake"],
        fee=plain["fee"],
        shares=plain["shares"],
        average_price=plain["average_price"],
        placed_at=datetime.fromisoformat(plain["placed_at"]),
        client_bet_id=plain["client_bet_id"],
        status=BetStatus(plain["status"]),
        payout=plain["payout"],
    )


def _tuple_or_none(raw: list[int] | None) -> tuple[int, ...] | None:
    return None if raw is None else tuple(raw)
