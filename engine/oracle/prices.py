"""The price oracle service: takes venue events in, publishes index, mark and NBBO out.

Ingest validates every event (a bad one is counted and dropped, never applied); a tick
recomputes each asset at most TICKS_PER_SECOND times a second and publishes a ticker;
it feeds the candles, and once a second the manipulation guard.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from engine.clock import Clock
from engine.oracle.candles import Candle, CandleBuilder, CandleInterval, PriceKind
from engine.oracle.guard import ManipulationGuard, PriceAnomaly
from engine.oracle.index import PRICE_STALENESS, SOURCE_WEIGHTS_BPS, IndexPrice, compute_index
from engine.oracle.mark import MarkPriceTracker
from engine.oracle.model import (
    SourceBook,
    SourceEvent,
    SourceQuote,
    SourceTrade,
    format_price,
)
from engine.oracle.nbbo import (
    ReferenceBook,
    ReferenceQuote,
    compute_reference_book,
    compute_reference_quote,
)
from engine.oracle.sources import SourceState

TICKS_PER_SECOND = 10
# Venue clocks drift; a timestamp further in the future than this is a bad payload.
MAX_CLOCK_SKEW = timedelta(seconds=2)
# A print this many times away from the source's own last price is a bad payload, not news.
ABSURD_PRICE_RATIO = 10
GUARD_SAMPLE_INTERVAL = timedelta(seconds=1)

Publish = Callable[[str, dict[str, Any]], Awaitable[None]]
SaveCandles = Callable[[list[Candle]], Awaitable[None]]

log = structlog.get_logger("godark.oracle")


@dataclass(frozen=True, slots=True)
class MarketPrice:
    """Everything the venue knows about an asset's price at one instant."""

    asset: str
    index: IndexPrice
    mark: int | None
    reference: ReferenceQuote
    computed_at: datetime

    @property
    def healthy(self) -> bool:
        return self.index.healthy and self.mark is not None


class PriceOracle:
    def __init__(
        self,
        assets: Iterable[str],
        clock: Clock,
        publish: Publish,
        save_candles: SaveCandles | None = None,
        weights_bps: dict[str, int] | None = None,
    ) -> None:
        self.assets = tuple(assets)
        self._clock = clock
        self._publish = publish
        self._save_candles = save_candles
        self._weights = weights_bps if weights_bps is not None else dict(SOURCE_WEIGHTS_BPS)
        self._states: dict[str, dict[str, SourceState]] = {asset: {} for asset in self.assets}
        self._marks = {asset: MarkPriceTracker() for asset in self.assets}
        self._guards = {asset: ManipulationGuard(asset) for asset in self.assets}
        self._latest: dict[str, MarketPrice] = {}
        self._volume_since_sample: Counter[str] = Counter()
        self._candles = CandleBuilder()
        self._last_sample: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self.rejections: Counter[tuple[str, str]] = Counter()
        self.anomalies: list[PriceAnomaly] = []  # the latest hundred
        self.anomaly_count = 0

    # -- input ---------------------------------------------------------------------------

    def ingest(self, event: SourceEvent) -> bool:
        """Apply a venue event, or count and drop it. Returns whether it was applied."""
        reason = self._rejection(event)
        if reason is not None:
            self.rejections[(event.source, reason)] += 1
            log.debug(
                "oracle_event_rejected", source=event.source, asset=event.asset, reason=reason
            )
            return False
        state = self._state(event.asset, event.source)
        if isinstance(event, SourceTrade):
            state.add_trade(event)
            self._volume_since_sample[event.asset] += event.size
        elif isinstance(event, SourceQuote):
            state.set_quote(event)
        else:
            state.set_book(event)
        return True

    def reject(self, source: str, reason: str) -> None:
        """Count a payload an adapter could not even parse."""
        self.rejections[(source, reason)] += 1

    def record_trade(self, asset: str, price: int, when: datetime) -> None:
        """Our own perp trade, which moves the mark's basis."""
        self._marks[asset].record_trade(price, when)

    # -- output --------------------------------------------------------------------------

    def latest(self, asset: str) -> MarketPrice | None:
        return self._latest.get(asset)

    def reference_book(self, asset: str, depth: int) -> ReferenceBook:
        now = self._clock.now()
        latest = self._latest.get(asset)
        accepted = [] if latest is None else [r.source for r in latest.index.accepted()]
        return compute_reference_book(asset, self._states.get(asset, {}), accepted, now, depth)

    def open_candle(self, asset: str, kind: PriceKind, interval: CandleInterval) -> Candle | None:
        return self._candles.open_candle(asset, kind, interval)

    def compute(self, asset: str, now: datetime) -> MarketPrice:
        states = self._states[asset]
        index = compute_index(asset, states, now, self._weights)
        accepted = [reading.source for reading in index.accepted()]
        reference = compute_reference_quote(asset, states, accepted, now)
        mark = None
        if index.price is not None:
            mark = self._marks[asset].update(index.price, reference, now)
        price = MarketPrice(asset, index, mark, reference, now)
        self._latest[asset] = price
        return price

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="price-oracle")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def tick(self) -> None:
        """One round: recompute and publish every asset; sample once a second."""
        now = self._clock.now()
        prices = [self.compute(asset, now) for asset in self.assets]
        for price in prices:
            await self._publish(f"ticker.{price.asset}", ticker_event(price))
        closed = self._add_to_candles(prices, now)
        if closed and self._save_candles is not None:
            await self._save_candles(closed)
        if self._last_sample is None or now - self._last_sample >= GUARD_SAMPLE_INTERVAL:
            self._last_sample = now
            await self._watch_for_anomalies(prices, now)

    async def _run(self) -> None:
        interval = 1.0 / TICKS_PER_SECOND
        while True:
            try:
                await self.tick()
            except Exception:  # a fault in one tick must not stop the prices for good
                log.exception("oracle_tick_failed")
            await asyncio.sleep(interval)

    def _add_to_candles(self, prices: list[MarketPrice], now: datetime) -> list[Candle]:
        closed: list[Candle] = []
        for price in prices:
            if price.index.price is None or not price.index.healthy:
                continue
            volume = self._volume_since_sample.pop(price.asset, 0)
            closed += self._candles.add(
                price.asset, PriceKind.INDEX, price.index.price, volume, now
            )
            if price.mark is not None:
                closed += self._candles.add(price.asset, PriceKind.MARK, price.mark, 0, now)
        return closed

    async def _watch_for_anomalies(self, prices: list[MarketPrice], now: datetime) -> None:
        for price in prices:
            if price.index.price is None or not price.index.healthy:
                continue
            anomaly = self._guards[price.asset].observe(price.index.price, now)
            if anomaly is not None:
                await self._raise_anomaly(anomaly)

    async def _raise_anomaly(self, anomaly: PriceAnomaly) -> None:
        self.anomalies.append(anomaly)
        self.anomaly_count += 1
        del self.anomalies[:-100]
        log.warning(
            "oracle_price_anomaly",
            asset=anomaly.asset,
            kind=anomaly.kind.value,
            move_bps=anomaly.move_bps,
            limit_bps=anomaly.limit_bps,
        )
        await self._publish(
            "oracle.anomaly",
            {
                "asset": anomaly.asset,
                "kind": anomaly.kind.value,
                "price": format_price(anomaly.price),
                "referencePrice": format_price(anomaly.reference_price),
                "moveBps": anomaly.move_bps,
                "limitBps": anomaly.limit_bps,
                "at": anomaly.at.isoformat(),
            },
        )

    # -- validation ----------------------------------------------------------------------

    def _rejection(self, event: SourceEvent) -> str | None:
        if event.asset not in self._states:
            return "UNKNOWN_ASSET"
        if event.source not in self._weights:
            return "UNKNOWN_SOURCE"
        if event.venue_time > event.received_at + MAX_CLOCK_SKEW:
            return "FUTURE_TIMESTAMP"
        if event.received_at - event.venue_time > PRICE_STALENESS:
            return "STALE"
        reason = _shape_problem(event)
        if reason is not None:
            return reason
        state = self._states[event.asset].get(event.source)
        if state is not None and _out_of_order(event, state):
            return "OUT_OF_ORDER"
        reference = self._reference_price(event.asset, state)
        if reference is not None and _absurd(_representative_price(event), reference):
            return "ABSURD_PRICE"
        return None

    def _reference_price(self, asset: str, state: SourceState | None) -> int | None:
        """The source's own last price or, for a source we have not heard yet, the index."""
        if state is not None:
            own = state.last_price()
            if own is not None:
                return own
        latest = self._latest.get(asset)
        return None if latest is None else latest.index.price

    def _state(self, asset: str, source: str) -> SourceState:
        states = self._states[asset]
        state = states.get(source)
        if state is None:
            state = states[source] = SourceState(source)
        return state


def _shape_problem(event: SourceEvent) -> str | None:
    if isinstance(event, SourceTrade):
        return None if event.price > 0 and event.size > 0 else "NON_POSITIVE"
    if isinstance(event, SourceQuote):
        if min(event.bid, event.ask, event.bid_size, event.ask_size) <= 0:
            return "NON_POSITIVE"
        return "CROSSED_QUOTE" if event.bid >= event.ask else None
    if not event.bids or not event.asks:
        return "EMPTY_BOOK"
    levels = event.bids + event.asks
    if any(level.price <= 0 or level.size <= 0 for level in levels):
        return "NON_POSITIVE"
    if event.bids[0].price >= event.asks[0].price:
        return "CROSSED_QUOTE"
    return None


def _out_of_order(event: SourceEvent, state: SourceState) -> bool:
    if isinstance(event, SourceTrade):
        last = state.last_trade_time
    elif isinstance(event, SourceQuote):
        last = None if state.quote is None else state.quote.venue_time
    else:
        last = None if state.book is None else state.book.venue_time
    return last is not None and event.venue_time < last


def _representative_price(event: SourceEvent) -> int:
    if isinstance(event, SourceTrade):
        return event.price
    if isinstance(event, SourceQuote):
        return (event.bid + event.ask) // 2
    assert isinstance(event, SourceBook)
    return (event.bids[0].price + event.asks[0].price) // 2


def _absurd(price: int, reference: int) -> bool:
    return price > reference * ABSURD_PRICE_RATIO or price * ABSURD_PRICE_RATIO < reference


def ticker_event(price: MarketPrice) -> dict[str, Any]:
    """The JSON a `ticker` subscriber receives: prices as exact decimal strings."""
    reference = price.reference
    return {
        "asset": price.asset,
        "indexPrice": _text(price.index.price),
        "markPrice": _text(price.mark),
        "bid": _text(reference.bid),
        "ask": _text(reference.ask),
        "mid": _text(reference.mid),
        "confidence": price.index.confidence,
        "healthy": price.healthy,
        "tier": price.index.tier.value,
        "at": price.computed_at.isoformat(),
    }


def _text(units: int | None) -> str | None:
    return None if units is None else format_price(units)
