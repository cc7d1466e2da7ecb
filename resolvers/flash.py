"""Flash markets: the public list, odds and quotes; your bets; the keeper's emergency collapse;
micro-bets on pre-funded sessions (docs/micro-bets.md) and player protection.

Reads go to `venue.exchange.flash` (the FlashBook, read between commands); bets and collapses
are engine commands. Prices travel as probabilities with 6 decimals, money as USDT.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from decimal import ROUND_DOWN
from decimal import Decimal as PyDecimal
from typing import Any

from engine.accounts.roles import Action
from engine.flash import markets as model
from engine.flash import micro as micro_model
from engine.flash import protection
from engine.flash.amm import Quote
from engine.flash.book import FlashBook
from engine.flash.markets import PPM, FlashError, slot_start
from engine.ledger.assets import USDT, format_units
from engine.trading import commands
from engine.trading.events import FlashBetPlaced as BetPlacedEvent
from engine.trading.events import MicroSessionClosed as MicroClosedEvent
from engine.trading.publication import (
    FLASH_MARKETS_TOPIC,
    FLASH_MICRO_MARKETS_TOPIC,
    flash_bets_topic,
    flash_market_topic,
    micro_session_topic,
    micro_stream_topic,
    protection_topic,
)
from resolvers.context import Info
from resolvers.errors import InvalidArgument
from resolvers.trading import _reader, _submit, _trader, _within_limits
from schema import scalars
from schema.errors import InvalidRequestError, UserError
from schema.flash import (
    FLASH_ERRORS,
    MICRO_ERRORS,
    PROTECTION_ERRORS,
    CloseMicroSessionResult,
    CollapseType,
    EmergencyCollapseResult,
    FlashBet,
    FlashBetPlaced,
    FlashBetStatus,
    FlashBetUpdate,
    FlashCollapse,
    FlashMarket,
    FlashMarketCollapsed,
    FlashMarketDetail,
    FlashMarketStatus,
    FlashMarketUpdate,
    FlashNode,
    FlashNodeLevel,
    FlashOutcome,
    FlashPricePoint,
    FlashQuote,
    FlashUpdateKind,
    LimitInput,
    LimitKind,
    LimitPeriod,
    MicroBet,
    MicroBetPlaced,
    MicroBetStatus,
    MicroBetType,
    MicroEvent,
    MicroEventKind,
    MicroMarket,
    MicroOutcome,
    MicroSession,
    MicroSessionClosed,
    MicroSessionStatus,
    OpenMicroSessionResult,
    PendingLimit,
    PlaceFlashBetInput,
    PlaceFlashBetResult,
    PlaceMicroBetInput,
    PlaceMicroBetResult,
    ProtectionLimit,
    QuoteFlashResult,
    RealityCheck,
    ResponsibleGaming,
    ResponsibleGamingResult,
    StreetEvent,
    TooFastError,
)

# Issue 7: the ticker sends a market at most every 400 ms (one slot); newer prices wait and
# replace older ones, so a subscriber always ends on the latest.
TICKER_GAP_SECONDS = 0.4
MAX_MY_BETS = 200
DECIMAL_ODDS_STEP = PyDecimal("0.01")
_UPDATE_KINDS = {
    "FlashMarketOpened": FlashUpdateKind.OPENED,
    "FlashPriceChanged": FlashUpdateKind.PRICE,
    "FlashMarketStatusChanged": FlashUpdateKind.STATUS,
    "MarketCollapsed": FlashUpdateKind.COLLAPSED,
    "FlashMarketVoided": FlashUpdateKind.VOIDED,
}


# --- queries --------------------------------------------------------------------------


def flash_markets(
    info: Info, status: FlashMarketStatus | None = None, sport: str | None = None
) -> list[FlashMarket]:
    """Markets still in memory (open ones, and collapsed ones for 15 minutes), soonest first."""
    wanted = None if status is None else model.MarketStatus(status.value)
    found = _book(info).list_markets(wanted, sport)
    return [_market(m) for m in sorted(found, key=lambda m: (m.deadline, m.market_id))]


def flash_market(info: Info, id: str) -> FlashMarketDetail | None:
    book = _book(info)
    market = book.market(id)
    if market is None:
        return None
    parent = book.node(market.parent_id)
    return FlashMarketDetail(
        market=_market(market),
        parent=None if parent is None else _node(parent),
        lineage=[_node(n) for n in (book.node(i) for i in book.lineage(id)) if n is not None],
        children=[_node(child) for child in book.children(id)],
        price_history=[
            FlashPricePoint(time=slot_start(slot), prices=[_probability(p) for p in ps])
            for slot, ps in market.history
        ],
    )


def quote_flash(
    info: Info, market_id: str, outcome: str, stake: scalars.Decimal
) -> QuoteFlashResult:
    """What a bet would get now; the clamp, house limits and your funds are checked on placing."""
    try:
        units = _stake(stake)
        quote = _book(info).quote(market_id, outcome, units, info.context.venue.clock.now())
    except _Refusal as refusal:
        return refusal.error  # type: ignore[return-value]
    except FlashError as error:
        return _error(error.code, error.message)  # type: ignore[return-value]
    return _quote(market_id, quote, info.context.venue.clock.now())


def my_flash_bets(info: Info, limit: int = 50) -> list[FlashBet]:
    """Your recent bets, newest first: open ones, and settled ones for 15 minutes."""
    if not 1 <= limit <= MAX_MY_BETS:
        raise InvalidArgument(f"limit must be between 1 and {MAX_MY_BETS}")
    book = _book(info)
    return [_bet(book, bet) for bet in book.bets_of(_reader(info))[:limit]]


# --- mutations ------------------------------------------------------------------------


async def place_flash_bet(info: Info, input: PlaceFlashBetInput) -> PlaceFlashBetResult:
    account = _trader(info)
    if isinstance(account, UserError):
        return account  # type: ignore[return-value]
    limited = await _within_limits(info, account)
    if limited is not None:
        return limited  # type: ignore[return-value]
    try:
        command = commands.PlaceFlashBet(
            account=account,
            market_id=input.market_id,
            outcome=input.outcome,
            stake=_stake(input.stake),
            at=info.context.venue.clock.now(),
            client_bet_id=input.client_bet_id,
            max_average_price=(
                None if input.max_average_price is None else _ppm_of(input.max_average_price)
            ),
        )
    except _Refusal as refusal:
        return refusal.error  # type: ignore[return-value]
    outcome = await _submit(info, command)
    if isinstance(outcome, UserError):
        return _error(outcome.code, outcome.message)  # type: ignore[return-value]
    book = _book(info)
    bet = book.bets.get(outcome.order_id or "")
    if bet is None:  # collapsed and forgotten already: cannot happen within 15 minutes
        return _error("ENGINE_UNAVAILABLE", "the bet was placed; see myFlashBets")  # type: ignore[return-value]
    return FlashBetPlaced(bet=_bet(book, bet), replayed=outcome.replay_of is not None)


async def emergency_collapse(
    info: Info, market_id: str, reason: str, void: bool = False
) -> EmergencyCollapseResult:
    """Admins only: collapse now by seed 001's rules (type EMERGENCY), or void and refund."""
    info.context.require(Action.ADMINISTER)
    venue = info.context.venue
    outcome = await _submit(
        info, commands.EmergencyCollapse(market_id, reason, venue.clock.now(), void)
    )
    if isinstance(outcome, UserError):
        return _error(outcome.code, outcome.message)  # type: ignore[return-value]
    market = _book(info).market(market_id)
    if market is None:
        return _error("UNKNOWN_FLASH_MARKET", f"no flash market {market_id[:40]!r}")  # type: ignore[return-value]
    return FlashMarketCollapsed(market=_market(market))


# --- subscriptions --------------------------------------------------------------------


async def flash_ticker(info: Info) -> AsyncGenerator[FlashMarketUpdate, None]:
    """Every active market now (SNAPSHOT), then each change, at most every 400 ms a market."""
    venue = info.context.venue
    async with venue.bus.subscribe(FLASH_MARKETS_TOPIC) as events:
        now = venue.clock.now()
        for entry in _book(info).odds_feed().markets:
            market = _book(info).market(entry.market_id)
            if market is not None:
                yield _update(FlashUpdateKind.SNAPSHOT, market, None, None, now)
        async for event in _coalesced(events, TICKER_GAP_SECONDS):
            update = _update_of(info, event)
            if update is not None:
                yield update


async def flash_market_updates(info: Info, id: str) -> AsyncGenerator[FlashMarketUpdate, None]:
    """The market now (SNAPSHOT), then every price change (one a slot), status and collapse."""
    if _book(info).market(id) is None:
        raise InvalidArgument(f"no flash market {id[:40]!r}")
    venue = info.context.venue
    async with venue.bus.subscribe(flash_market_topic(id)) as events:
        market = _book(info).market(id)
        if market is not None:
            yield _update(FlashUpdateKind.SNAPSHOT, market, None, None, venue.clock.now())
        async for event in events:
            update = _update_of(info, event)
            if update is not None:
                yield update


async def my_flash_bet_updates(info: Info) -> AsyncGenerator[FlashBetUpdate, None]:
    """Your bets as they are placed (from any device) and settled."""
    account = _reader(info)
    async with info.context.venue.bus.subscribe(flash_bets_topic(account)) as events:
        async for event in events:
            book = _book(info)
            bet = book.bets.get(event["bet_id"])
            if bet is None:
                continue
            kind = "PLACED" if event["type"] == BetPlacedEvent.__name__ else "SETTLED"
            yield FlashBetUpdate(
                kind=kind, bet=_bet(book, bet), time=datetime.fromisoformat(event["at"])
            )


async def _coalesced(
    events: AsyncIterator[dict[str, Any]], gap: float
) -> AsyncIterator[dict[str, Any]]:
    """Events of the ticker topic, at most one per market per `gap` seconds: the latest wins."""
    pending: dict[str, dict[str, Any]] = {}
    last_sent: dict[str, float] = {}
    iterator = events.__aiter__()
    receive: asyncio.Future[dict[str, Any]] = asyncio.ensure_future(iterator.__anext__())
    try:
        while True:
            now = time.monotonic()
            for market_id in [m for m in pending if now - last_sent.get(m, 0.0) >= gap]:
                last_sent[market_id] = now
                yield pending.pop(market_id)
            wait = (
                None
                if not pending
                else max(0.0, min(last_sent[m] + gap for m in pending) - time.monotonic())
            )
            done, _ = await asyncio.wait({receive}, timeout=wait)
            if receive in done:
                event = receive.result()
                pending[event["market_id"]] = event
                receive = asyncio.ensure_future(iterator.__anext__())
    finally:
        receive.cancel()


# --- helpers --------------------------------------------------------------------------


class _Refusal(Exception):
    def __init__(self, error: UserError) -> None:
        super().__init__(error.message)
        self.error = error


def _book(info: Info) -> FlashBook:
    return info.context.venue.exchange.flash


def _error(code: str, message: str) -> UserError:
    return FLASH_ERRORS.get(code, InvalidRequestError)(code=code, message=message)


def _stake(value: scalars.Decimal) -> int:
    scaled = PyDecimal(value).scaleb(USDT.decimals)
    if scaled <= 0 or scaled != scaled.to_integral_value():
        raise _Refusal(
            _error("INVALID_BET", "the stake must be positive, in USDT with at most 6 decimals")
        )
    return int(scaled)


def _ppm_of(probability: scalars.Decimal) -> int:
    scaled = PyDecimal(probability).scaleb(6)
    if not 0 < scaled <= PPM or scaled != scaled.to_integral_value():
        raise _Refusal(
            _error("INVALID_BET", "maxAveragePrice is a probability in (0, 1], 6 decimals at most")
        )
    return int(scaled)


def _usdt(units: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(format_units(units, USDT)))


def _probability(ppm: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(ppm).scaleb(-6))


def _probability_of(value: float) -> scalars.Decimal:
    return _probability(int(value * PPM + (0.5 if value >= 0 else -0.5)))


def _odds(ppm: int) -> scalars.Decimal | None:
    if ppm <= 0:
        return None
    return scalars.Decimal((PyDecimal(PPM) / ppm).quantize(DECIMAL_ODDS_STEP, ROUND_DOWN))


def _market(market: model.FlashMarket) -> FlashMarket:
    collapse = market.collapse
    return FlashMarket(
        id=market.market_id,
        title=market.title,
        sport=market.sport,
        event_id=market.event_id,
        market_type=market.market_type,
        level=FlashNodeLevel(market.level.value),
        depth=market.depth,
        parent_id=market.parent_id,
        status=FlashMarketStatus(market.status.value),
        outcomes=[
            FlashOutcome(outcome=o, price=_probability(p), decimal_odds=_odds(p))
            for o, p in zip(market.outcomes, market.prices, strict=True)
        ],
        opened_at=market.opened_at,
        deadline=market.deadline,
        settles_by=slot_start(market.settle_slot),
        fee_percent=scalars.Decimal(PyDecimal(market.fee_bps).scaleb(-2)),
        volume=_usdt(market.volume),
        probability_source=market.probability_source.value,
        collapse=None
        if collapse is None
        else FlashCollapse(
            proposal_id=collapse.proposal_id,
            winning_outcome=collapse.winning_outcome,
            probability=_probability(collapse.probability),
            collapse_type=(
                None
                if collapse.collapse_type is None
                else CollapseType(collapse.collapse_type.value)
            ),
            time=collapse.at,
        ),
    )


def _node(node: model.FlashMarket | model.MarketGroup) -> FlashNode:
    if isinstance(node, model.FlashMarket):
        return FlashNode(
            id=node.market_id,
            parent_id=node.parent_id,
            level=FlashNodeLevel(node.level.value),
            title=node.title,
            sport=node.sport,
            event_id=node.event_id,
            is_market=True,
        )
    return FlashNode(
        id=node.node_id,
        parent_id=node.parent_id,
        level=FlashNodeLevel(node.level.value),
        title=node.title,
        sport=node.sport,
        event_id=node.event_id,
        is_market=False,
    )


def _quote(market_id: str, quote: Quote, at: datetime) -> FlashQuote:
    return FlashQuote(
        market_id=market_id,
        outcome=quote.outcome,
        stake=_usdt(quote.stake),
        fee=_usdt(quote.fee),
        shares=_usdt(quote.shares),
        average_price=_probability_of(quote.average_price),
        price_before=_probability_of(quote.price_before),
        price_after=_probability_of(quote.price_after),
        price_impact=_probability_of(quote.price_impact),
        potential_payout=_usdt(quote.shares),
        time=at,
    )


def _bet(book: FlashBook, bet: model.FlashBet) -> FlashBet:
    market = book.market(bet.market_id)
    return FlashBet(
        id=bet.bet_id,
        client_bet_id=bet.client_bet_id,
        market_id=bet.market_id,
        market_title=None if market is None else market.title,
        outcome=bet.outcome,
        stake=_usdt(bet.stake),
        fee=_usdt(bet.fee),
        shares=_usdt(bet.shares),
        average_price=_probability_of(bet.average_price),
        potential_payout=_usdt(bet.shares),
        status=FlashBetStatus(bet.status.value),
        payout=_usdt(bet.payout),
        placed_at=bet.placed_at,
    )


def _update(
    kind: FlashUpdateKind,
    market: model.FlashMarket,
    reason: str | None,
    total: int | None,
    at: datetime,
) -> FlashMarketUpdate:
    return FlashMarketUpdate(
        kind=kind,
        market=_market(market),
        reason=reason,
        total_payout=None if total is None else _usdt(total),
        time=at,
    )


def _update_of(info: Info, event: dict[str, Any]) -> FlashMarketUpdate | None:
    """A bus message as an update carrying the market as it is now (None once forgotten)."""
    kind = _UPDATE_KINDS.get(event.get("type", ""))
    market = _book(info).market(event.get("market_id", ""))
    if kind is None or market is None:
        return None
    at = event.get("at") or event.get("timestamp")
    total = event.get("total_payout", event.get("refunded"))
    return _update(
        kind,
        market,
        event.get("reason"),
        total,
        info.context.venue.clock.now() if at is None else datetime.fromisoformat(at),
    )


# --- micro-bets on pre-funded sessions ------------------------------------------------

# The street the demo's micro markets are about (engine/flash/street_driver.py).
STREET_STREAM = "street"
_MICRO_EVENT_KINDS = {
    "MicroSessionOpened": MicroEventKind.SESSION_OPENED,
    "MicroBetPlaced": MicroEventKind.BET_PLACED,
    "MicroBetSettled": MicroEventKind.BET_SETTLED,
    "MicroSessionClosed": MicroEventKind.SESSION_CLOSED,
}


def micro_markets(info: Info) -> list[MicroMarket]:
    """Public: the offers taking bets now, soonest window first."""
    venue = info.context.venue
    offers = venue.exchange.micro_offers(venue.clock.now())
    return [_micro_market(m) for m in sorted(offers, key=lambda m: (m.opens_at, m.market_id))]


async def micro_markets_updates(info: Info) -> AsyncGenerator[list[MicroMarket], None]:
    """The offers now, then the whole list again whenever an offer is listed or settled
    (an offer stops taking bets at its window's opening, which the client can see)."""
    async with info.context.venue.bus.subscribe(FLASH_MICRO_MARKETS_TOPIC) as events:
        yield micro_markets(info)
        async for _ in events:
            yield micro_markets(info)


def micro_session(info: Info, id: str) -> MicroSession | None:
    """Your session; null for an unknown id or another account's session."""
    found = info.context.venue.exchange.micro_session(_reader(info), id)
    return None if found is None else _micro_session(info, found)


def my_micro_sessions(info: Info) -> list[MicroSession]:
    """Your sessions, newest first (closed ones stay 24 h)."""
    exchange = info.context.venue.exchange
    return [_micro_session(info, s) for s in exchange.micro_sessions_of(_reader(info))]


def my_micro_bets(info: Info, limit: int = 50) -> list[MicroBet]:
    """Your recent micro-bets across sessions, newest first."""
    if not 1 <= limit <= MAX_MY_BETS:
        raise InvalidArgument(f"limit must be between 1 and {MAX_MY_BETS}")
    bets = info.context.venue.exchange.micro_bets_of(_reader(info))[:limit]
    return [_micro_bet(info, bet) for bet in bets]


async def open_micro_session(info: Info, deposit: scalars.Decimal) -> OpenMicroSessionResult:
    """Deposit from available USDT: 10% (at least 1 USDT) becomes the protected reserve."""
    account = _trader(info)
    if isinstance(account, UserError):
        return account  # type: ignore[return-value]
    try:
        units = _amount(deposit, "INVALID_DEPOSIT", "the deposit")
    except _Refusal as refusal:
        return refusal.error  # type: ignore[return-value]
    command = commands.OpenMicroSession(account, units, info.context.venue.clock.now())
    outcome = await _submit(info, command)
    if isinstance(outcome, UserError):
        return _micro_error(info, outcome.code, outcome.message)  # type: ignore[return-value]
    session = info.context.venue.exchange.micro_session(account, outcome.order_id or "")
    if session is None:
        return _micro_error(info, "ENGINE_UNAVAILABLE", "opened; see myMicroSessions")  # type: ignore[return-value]
    return _micro_session(info, session)


async def place_micro_bet(info: Info, input: PlaceMicroBetInput) -> PlaceMicroBetResult:
    """Player protection first, then the session's risk controls; the stake goes in play."""
    account = _trader(info)
    if isinstance(account, UserError):
        return account  # type: ignore[return-value]
    limited = await _within_limits(info, account)
    if limited is not None:
        return limited  # type: ignore[return-value]
    venue = info.context.venue
    try:
        stake = _amount(input.stake, "INVALID_BET", "the stake")
    except _Refusal as refusal:
        return refusal.error  # type: ignore[return-value]
    command = commands.PlaceMicroBet(
        account,
        input.session_id,
        input.market_id,
        input.outcome,
        stake,
        venue.clock.now(),
        input.client_bet_id,
    )
    outcome = await _submit(info, command)
    if isinstance(outcome, UserError):
        return _micro_error(info, outcome.code, outcome.message, account, input.session_id)  # type: ignore[return-value]
    session = venue.exchange.micro_session(account, input.session_id)
    bet = None if session is None else session.bets.get(outcome.order_id or "")
    if session is None or bet is None:
        return _micro_error(info, "ENGINE_UNAVAILABLE", "placed; see myMicroBets")  # type: ignore[return-value]
    return MicroBetPlaced(
        bet=_micro_bet(info, bet),
        session=_micro_session(info, session),
        replayed=not outcome.events,
    )


async def close_micro_session(info: Info, session_id: str) -> CloseMicroSessionResult:
    """Voids open bets (stakes back), returns reserve + balance to available in one step."""
    account = _trader(info)
    if isinstance(account, UserError):
        return account  # type: ignore[return-value]
    outcome = await _submit(
        info, commands.CloseMicroSession(account, session_id, info.context.venue.clock.now())
    )
    if isinstance(outcome, UserError):
        return _micro_error(info, outcome.code, outcome.message)  # type: ignore[return-value]
    closed = next((e for e in outcome.events if isinstance(e, MicroClosedEvent)), None)
    session = info.context.venue.exchange.micro_session(account, session_id)
    if closed is None or session is None:
        return _micro_error(info, "ENGINE_UNAVAILABLE", "closed; see myMicroSessions")  # type: ignore[return-value]
    return MicroSessionClosed(
        session=_micro_session(info, session),
        reserve_returned=_usdt(closed.reserve_returned),
        balance_returned=_usdt(closed.balance_returned),
        total_returned=_usdt(closed.reserve_returned + closed.balance_returned),
    )


async def micro_events(info: Info, session_id: str) -> AsyncGenerator[MicroEvent, None]:
    """Your session now (SNAPSHOT), its bets placed and settled, its closing, and the street
    as the observers agree on it. Only the session's owner may subscribe."""
    account = _reader(info)
    venue = info.context.venue
    if venue.exchange.micro_session(account, session_id) is None:
        raise InvalidArgument(f"no session {session_id[:40]!r}")
    bus = venue.bus
    async with (
        bus.subscribe(micro_session_topic(session_id)) as own,
        bus.subscribe(micro_stream_topic(STREET_STREAM)) as street,
    ):
        session = venue.exchange.micro_session(account, session_id)
        if session is not None:
            yield MicroEvent(
                kind=MicroEventKind.SNAPSHOT,
                time=venue.clock.now(),
                session=_micro_session(info, session),
                bet=None,
                street=None,
            )
        async for event in _merged(own, street):
            yield _micro_event(info, account, session_id, event)


async def _merged(
    *streams: AsyncIterator[dict[str, Any]],
) -> AsyncIterator[dict[str, Any]]:
    """Messages of several subscriptions, in the order they arrive."""
    iterators = [stream.__aiter__() for stream in streams]
    pending = {asyncio.ensure_future(it.__anext__()): it for it in iterators}
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                iterator = pending.pop(future)
                try:
                    message = future.result()
                except StopAsyncIteration:
                    continue
                pending[asyncio.ensure_future(iterator.__anext__())] = iterator
                yield message
    finally:
        for future in pending:
            future.cancel()


def _micro_event(info: Info, account: str, session_id: str, event: dict[str, Any]) -> MicroEvent:
    at = datetime.fromisoformat(event.get("at") or event["occurred_at"])
    if event.get("type") == "StreetEventObserved":
        street = StreetEvent(
            stream=event["stream"],
            occurred_at=datetime.fromisoformat(event["occurred_at"]),
            kind=event["kind"],
            colour=event.get("colour"),
            direction=event.get("direction"),
            observers=int(event["observers"]),
        )
        return MicroEvent(
            kind=MicroEventKind.STREET_EVENT, time=at, session=None, bet=None, street=street
        )
    session = info.context.venue.exchange.micro_session(account, session_id)
    bet_id = event.get("bet_id")
    bet = None if session is None or bet_id is None else session.bets.get(bet_id)
    return MicroEvent(
        kind=_MICRO_EVENT_KINDS.get(event.get("type", ""), MicroEventKind.SNAPSHOT),
        time=at,
        session=None if session is None else _micro_session(info, session),
        bet=None if bet is None else _micro_bet(info, bet),
        street=None,
    )


def _amount(value: scalars.Decimal, code: str, what: str) -> int:
    scaled = PyDecimal(value).scaleb(USDT.decimals)
    if scaled <= 0 or scaled != scaled.to_integral_value():
        raise _Refusal(
            _micro_error_of(code, f"{what} must be positive, in USDT with at most 6 decimals")
        )
    return int(scaled)


def _micro_error_of(code: str, message: str) -> UserError:
    return MICRO_ERRORS.get(code, InvalidRequestError)(code=code, message=message)


def _micro_error(
    info: Info,
    code: str,
    message: str,
    account: str | None = None,
    session_id: str | None = None,
) -> UserError:
    """The typed refusal; TOO_FAST says how long to wait (protection's pace or the session's)."""
    if code != "TOO_FAST" or account is None or session_id is None:
        return _micro_error_of(code, message)
    venue = info.context.venue
    now = venue.clock.now()
    waits = [0.0]
    next_bet_at = venue.exchange.protection_status(account, now).next_bet_at
    if next_bet_at is not None:
        waits.append((next_bet_at - now).total_seconds())
    session = venue.exchange.micro_session(account, session_id)
    if session is not None:
        waits.append(session.wait_before_next_bet(now).total_seconds())
    return TooFastError(code=code, message=message, retry_after=max(waits))


def _hundredths(value: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(value).scaleb(-2).quantize(DECIMAL_ODDS_STEP))


def _micro_market(market: micro_model.MicroMarket) -> MicroMarket:
    return MicroMarket(
        id=market.market_id,
        bet_type=MicroBetType(market.bet_type.value),
        question=market.question,
        listed_at=market.listed_at,
        opens_at=market.opens_at,
        closes_at=market.closes_at,
        outcomes=[
            MicroOutcome(
                outcome=o.label,
                probability=_probability_of(o.probability),
                decimal_odds=_hundredths(o.odds),
            )
            for o in market.outcomes
        ],
        house_margin_percent=_hundredths(market.margin_bps),
    )


def _micro_bet(info: Info, bet: micro_model.MicroBet) -> MicroBet:
    market = info.context.venue.exchange.micro.market(bet.market_id)
    return MicroBet(
        id=bet.bet_id,
        session_id=bet.bet_id.rsplit(":", 1)[0],
        market_id=bet.market_id,
        question=None if market is None else market.question,
        outcome=bet.outcome,
        stake=_usdt(bet.stake),
        decimal_odds=_hundredths(bet.odds),
        potential_payout=_usdt(bet.payout),
        status=MicroBetStatus(bet.status.value),
        returned=_usdt(bet.returned),
        placed_at=bet.placed_at,
        closes_at=bet.closes_at,
    )


def _micro_session(info: Info, session: micro_model.MicroSession) -> MicroSession:
    bets = sorted(session.bets.values(), key=lambda b: b.placed_at, reverse=True)
    return MicroSession(
        id=session.session_id,
        status=MicroSessionStatus(session.status.value),
        deposit=_usdt(session.deposit),
        reserve=_usdt(session.reserve),
        balance=_usdt(session.available),
        in_play=_usdt(session.in_play),
        open_bets=session.open_bets,
        max_stake=_usdt(session.max_stake()),
        max_open_bets=session.policy.max_open_bets,
        min_seconds_between_bets=session.policy.min_interval_ms / 1_000,
        opened_at=session.opened_at,
        closed_at=session.closed_at,
        bets=[_micro_bet(info, bet) for bet in bets[:MAX_MY_BETS]],
    )


# --- player protection ----------------------------------------------------------------

HOUR_SECONDS = 3_600
DAY_SECONDS = 86_400


def responsible_gaming(info: Info) -> ResponsibleGaming:
    """Your limits (with pending raises), what they have used, and every protection status."""
    account = _reader(info)
    venue = info.context.venue
    return _protection(venue.exchange.protection_status(account, venue.clock.now()))


async def set_limits(info: Info, limits: list[LimitInput]) -> ResponsibleGamingResult:
    """Lowering a limit applies at once; raising or removing it, after 24 hours."""
    account = _protector(info)
    if not 1 <= len(limits) <= len(LimitKind) * len(LimitPeriod):
        return _protection_error(
            "INVALID_LIMIT", "give 1 to 6 limits (deposit and loss, per day, week, month)"
        )  # type: ignore[return-value]
    for limit in limits:
        try:
            amount = None if limit.amount is None else _stake(limit.amount)
        except _Refusal:
            return _protection_error(  # type: ignore[return-value]
                "INVALID_LIMIT", "a limit is a positive USDT amount with at most 6 decimals"
            )
        command = commands.SetProtectionLimit(
            account, limit.kind.value, limit.period.value, amount, info.context.venue.clock.now()
        )
        outcome = await _submit(info, command)
        if isinstance(outcome, UserError):
            return _protection_error(outcome.code, outcome.message)  # type: ignore[return-value]
    return responsible_gaming(info)


async def start_cool_off(info: Info, hours: int) -> ResponsibleGamingResult:
    """A break of 24 hours to 6 weeks; it cannot be shortened or lifted."""
    account = _protector(info)
    return await _protect(  # type: ignore[return-value]
        info,
        commands.StartCoolOff(account, hours * HOUR_SECONDS, info.context.venue.clock.now()),
    )


async def self_exclude(info: Info, days: int, confirm: bool) -> ResponsibleGamingResult:
    """Six months to five years without bets or session deposits; cannot be lifted early."""
    account = _protector(info)
    if not confirm:
        return _protection_error(  # type: ignore[return-value]
            "CONFIRMATION_REQUIRED", "self-exclusion cannot be undone early: confirm it"
        )
    return await _protect(  # type: ignore[return-value]
        info, commands.SelfExclude(account, days * DAY_SECONDS, info.context.venue.clock.now())
    )


async def acknowledge_reality_check(info: Info) -> ResponsibleGamingResult:
    account = _protector(info)
    return await _protect(  # type: ignore[return-value]
        info, commands.AcknowledgeRealityCheck(account, info.context.venue.clock.now())
    )


async def reality_checks(info: Info) -> AsyncGenerator[RealityCheck, None]:
    """A reality check that is due now (if any), then each one as it comes due."""
    account = _reader(info)
    venue = info.context.venue
    async with venue.bus.subscribe(protection_topic(account)) as events:
        due = venue.exchange.reality_check(account, venue.clock.now())
        if due is not None:
            yield _reality_check(due)
        async for event in events:
            if event.get("type") != "RealityCheckDue":
                continue
            yield RealityCheck(
                due_at=datetime.fromisoformat(event["due_at"]),
                period_started_at=datetime.fromisoformat(event["period_started_at"]),
                session_started_at=(
                    None
                    if event["session_started_at"] is None
                    else datetime.fromisoformat(event["session_started_at"])
                ),
                time_played_seconds=int(event["time_played_seconds"]),
                net_result=_usdt(int(event["net_result"])),
                reason=event["reason"],
            )


def _protector(info: Info) -> str:
    """Protection is for the person: a session's MANAGE_ACCOUNT, never an API key's."""
    return info.context.require(Action.MANAGE_ACCOUNT).account_id


async def _protect(info: Info, command: commands.Command) -> ResponsibleGaming | UserError:
    outcome = await _submit(info, command)
    if isinstance(outcome, UserError):
        return _protection_error(outcome.code, outcome.message)
    return responsible_gaming(info)


def _protection_error(code: str, message: str) -> UserError:
    return PROTECTION_ERRORS.get(code, InvalidRequestError)(code=code, message=message)


def _reality_check(check: protection.RealityCheck) -> RealityCheck:
    return RealityCheck(
        due_at=check.due_at,
        period_started_at=check.period_started_at,
        session_started_at=check.session_started_at,
        time_played_seconds=int(check.time_played.total_seconds()),
        net_result=_usdt(check.net_result),
        reason=check.reason,
    )


def _protection(status: protection.ProtectionStatus) -> ResponsibleGaming:
    return ResponsibleGaming(
        limits=[
            ProtectionLimit(
                kind=LimitKind(limit.kind.value),
                period=LimitPeriod(limit.period.value),
                amount=None if limit.amount is None else _usdt(limit.amount),
                pending=None
                if limit.pending is None
                else PendingLimit(
                    amount=None if limit.pending.amount is None else _usdt(limit.pending.amount),
                    effective_at=limit.pending.effective_at,
                ),
                used=_usdt(limit.used),
                remaining=None if limit.remaining is None else _usdt(limit.remaining),
            )
            for limit in status.limits
        ],
        open_stakes=_usdt(status.open_stakes),
        cool_off_until=status.cool_off_until,
        self_excluded_until=status.self_excluded_until,
        reality_check=None
        if status.reality_check is None
        else _reality_check(status.reality_check),
        next_reality_check_at=status.next_reality_check_at,
        slowed_until=status.slowed_until,
        next_bet_at=status.next_bet_at,
        loss_velocity_per_minute=_usdt(status.loss_velocity_per_minute),
        needs_limit_prompt=status.needs_limit_prompt,
    )
