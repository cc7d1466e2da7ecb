"""The dark order book of one symbol: hidden orders matched by price-time priority.

Pure and deterministic: state changes only in response to a command, every command
carries its own time, and the events returned say everything that happened, in order.
Risk, margin and reduce-only are the perps layer's, checked before a command gets here.

Every command leaves the book *uncrossed*: while the reference is tradable, no two
resting orders that could trade with each other remain (see `_uncross`).
"""

from __future__ import annotations

import heapq
from collections import deque
from datetime import datetime

from engine.matching.events import (
    AmendRejected,
    BookEvent,
    CancelReason,
    CancelRejected,
    DuplicateClientOrderId,
    OrderAccepted,
    OrderAmended,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    OrderRested,
    RejectCode,
    TradeExecuted,
)
from engine.matching.model import (
    IMMEDIATE_TIME_IN_FORCE,
    MIN_PRICE_TICKS,
    NO_REFERENCE,
    PEG_TYPES,
    AmendOrder,
    BookCommand,
    CancelAllOrders,
    CancelOrder,
    Liquidity,
    Order,
    OrderStatus,
    OrderType,
    OrderView,
    PlaceOrder,
    ReferencePrices,
    Side,
    TimeInForce,
    UpdateReference,
)
from engine.matching.pricing import execution_price, floating_price
from engine.matching.sides import BookSide
from engine.matching.snapshot import (
    SNAPSHOT_FORMAT,
    BookSnapshot,
    order_from_record,
    order_record,
    snapshot_hash,
)

# A retried PlaceOrder must find its first attempt even after that order has closed
# (an IOC is closed before the reply leaves): this many closed client order ids are
# remembered per book, oldest forgotten first. Open orders' ids are always remembered.
CLOSED_CLIENT_ORDER_ID_MEMORY = 10_000


# Reading an enum member through its class (Side.BUY) takes EnumType's slow attribute
# path in Python 3.11 (about 0.2 µs each); the matching path uses these names instead.
_BUY, _SELL = Side.BUY, Side.SELL
_LIMIT, _MARKET = OrderType.LIMIT, OrderType.MARKET
_IOC, _FOK, _GTC, _GTD = TimeInForce.IOC, TimeInForce.FOK, TimeInForce.GTC, TimeInForce.GTD
_PARTIALLY_FILLED, _FILLED = OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED
_CANCELLED, _EXPIRED = OrderStatus.CANCELLED, OrderStatus.EXPIRED
_MAKER, _TAKER = Liquidity.MAKER, Liquidity.TAKER

_ORDER_NOT_FOUND = (RejectCode.ORDER_NOT_FOUND, "no open order with this id for this account")


class OrderBook:
    """One symbol's hidden book. Not thread-safe: its sequencer is its only writer."""

    def __init__(
        self,
        symbol: str,
        reference: ReferencePrices = NO_REFERENCE,
        *,
        client_order_id_memory: int = CLOSED_CLIENT_ORDER_ID_MEMORY,
    ) -> None:
        self._symbol = symbol
        self._reference = reference
        self._tradable = reference.tradable
        # The last tradable reference: pegs stand where it puts them while trading halts.
        self._peg_reference: ReferencePrices | None = reference if reference.tradable else None
        self._bids = BookSide(_BUY)
        self._asks = BookSide(_SELL)
        self._orders: dict[str, Order] = {}  # every open order, in sequence order
        self._orders_by_account: dict[str, dict[str, Order]] = {}
        self._floating: dict[str, Order] = {}  # open pegs and resting MARKETs
        self._unpriced: dict[str, Order] = {}  # floating, before any tradable reference
        self._expiries: list[tuple[datetime, int, str]] = []  # heap; stale entries skipped
        self._client_order_ids: dict[tuple[str, str], str] = {}
        self._closed_client_order_ids: deque[tuple[str, str]] = deque()
        self._client_order_id_memory = client_order_id_memory
        self._next_sequence = 1
        self._trade_count = 0

    # --- commands ---

    def handle(self, command: BookCommand) -> list[BookEvent]:
        """Apply any journaled command: the single entry point for replay."""
        if isinstance(command, PlaceOrder):
            return self.place(command)
        if isinstance(command, CancelOrder):
            return self.cancel(command)
        if isinstance(command, CancelAllOrders):
            return self.cancel_all(command)
        if isinstance(command, AmendOrder):
            return self.amend(command)
        if isinstance(command, UpdateReference):
            return self.reprice(command.reference, command.at)
        return self.expire(command.now)

    def place(self, command: PlaceOrder) -> list[BookEvent]:
        """Accept (or refuse) a new order, trade what it may, then rest or cancel the rest."""
        events: list[BookEvent] = []
        at = command.at
        if self._expiries and self._expiries[0][0] <= at:
            self._expire_due(at, events)
        client_order_id = command.client_order_id
        if client_order_id is not None:
            existing = self._client_order_ids.get((command.account_id, client_order_id))
            if existing is not None:
                events.append(
                    DuplicateClientOrderId(
                        command.order_id, command.account_id, client_order_id, existing, at
                    )
                )
                return events
        refusal = self._refusal(command)
        if refusal is not None:
            code, message = refusal
            events.append(OrderRejected(command.order_id, command.account_id, code, message, at))
            return events
        order = self._accept(command, events)
        if not self._tradable:
            self._hold_while_halted(order, at, events)
            return events
        self._match_incoming(order, at, events)
        bid_prices, ask_prices = self._bids.prices, self._asks.prices
        if bid_prices and ask_prices and bid_prices[-1] >= ask_prices[0]:
            self._uncross(at, events)  # rare: see _uncross
        return events

    def cancel(self, command: CancelOrder) -> list[BookEvent]:
        events: list[BookEvent] = []
        self._expire_due(command.at, events)
        order = self._own_open_order(command.order_id, command.account_id)
        if order is None:
            code, message = _ORDER_NOT_FOUND
            events.append(
                CancelRejected(command.order_id, command.account_id, code, message, command.at)
            )
        else:
            self._cancel(order, CancelReason.USER, command.at, events)
        return events

    def cancel_all(self, command: CancelAllOrders) -> list[BookEvent]:
        events: list[BookEvent] = []
        self._expire_due(command.at, events)
        for order in list(self._orders_by_account.get(command.account_id, {}).values()):
            self._cancel(order, CancelReason.USER, command.at, events)
        return events

    def amend(self, command: AmendOrder) -> list[BookEvent]:
        """Reduce an order's size in place: it keeps its sequence, so its time priority."""
        events: list[BookEvent] = []
        at = command.at
        self._expire_due(at, events)
        order = self._own_open_order(command.order_id, command.account_id)
        new_size = command.new_size
        refusal = _ORDER_NOT_FOUND if order is None else self._amend_refusal(order, new_size)
        if refusal is not None:
            code, message = refusal
            events.append(AmendRejected(command.order_id, command.account_id, code, message, at))
        elif order is not None:
            self._reduce_size(order, new_size, at, events)
        return events

    @staticmethod
    def _amend_refusal(order: Order, new_size: int) -> tuple[RejectCode, str] | None:
        if new_size <= 0:
            return RejectCode.INVALID_SIZE, "the new size must be positive"
        if new_size > order.size:
            return RejectCode.SIZE_INCREASE_NOT_ALLOWED, "an order's size can only go down"
        return None

    def _reduce_size(
        self, order: Order, new_size: int, at: datetime, events: list[BookEvent]
    ) -> None:
        if new_size <= order.filled:
            self._cancel(order, CancelReason.AMENDED_TO_FILLED, at, events)
            return
        order.remaining = new_size - order.filled
        order.size = new_size
        events.append(
            OrderAmended(order.order_id, order.account_id, order.size, order.remaining, at)
        )
        # A smaller remainder can fit a resting all-or-none or minimum-quantity order.
        self._uncross(at, events)

    def reprice(self, reference: ReferencePrices, at: datetime) -> list[BookEvent]:
        """Take a new reference NBBO: move every peg, then trade what now crosses.

        Pegs keep their original sequence: a peg's instruction did not change when the
        market moved, so at its new level it ranks by when it was placed. Re-stamping it
        would send every peg to the back of the queue on every NBBO tick.
        """
        events: list[BookEvent] = []
        self._expire_due(at, events)
        self._reference = reference
        self._tradable = reference.tradable
        if self._tradable:
            if reference != self._peg_reference:
                self._peg_reference = reference
                self._move_floating_orders(reference)
            self._uncross(at, events)
        return events

    def expire(self, now: datetime) -> list[BookEvent]:
        """Expire every GTD order whose time has come; each is reported exactly once."""
        events: list[BookEvent] = []
        self._expire_due(now, events)
        return events

    def next_expiry(self) -> datetime | None:
        """When `expire` next has work to do, for the scheduler; None if no GTD rests."""
        expiries = self._expiries
        while expiries and not self._is_current_expiry(expiries[0]):
            heapq.heappop(expiries)
        return expiries[0][0] if expiries else None

    # --- queries for the engine only: dark means these never reach a public API ---

    @property
    def symbol(self) -> str:
        return self._symbol

    @property
    def reference(self) -> ReferencePrices:
        return self._reference

    def order(self, order_id: str) -> OrderView | None:
        order = self._orders.get(order_id)
        return None if order is None else order.view()

    def open_orders(self, account_id: str) -> tuple[OrderView, ...]:
        orders = self._orders_by_account.get(account_id, {})
        return tuple(order.view() for order in orders.values())

    def resting_orders(self) -> tuple[OrderView, ...]:
        """Every open order, in sequence order (recovery checks and tests)."""
        return tuple(order.view() for order in self._orders.values())

    def best_bid(self) -> int | None:
        """Highest resting buy level, for the perps layer's risk checks only."""
        return self._bids.best_price()

    def best_ask(self) -> int | None:
        return self._asks.best_price()

    def order_count(self) -> int:
        return len(self._orders)

    def account_order_count(self, account_id: str) -> int:
        return len(self._orders_by_account.get(account_id, ()))

    # --- snapshot and recovery ---

    def snapshot(self) -> BookSnapshot:
        pegs_at = self._peg_reference
        return BookSnapshot(
            format=SNAPSHOT_FORMAT,
            symbol=self._symbol,
            reference=(self._reference.bid, self._reference.ask),
            peg_reference=None if pegs_at is None else (pegs_at.bid, pegs_at.ask),
            next_sequence=self._next_sequence,
            trade_count=self._trade_count,
            client_order_id_memory=self._client_order_id_memory,
            orders=[order_record(order) for order in self._orders.values()],
            client_order_ids=[
                (account_id, client_order_id, order_id)
                for (account_id, client_order_id), order_id in sorted(
                    self._client_order_ids.items()
                )
            ],
            closed_client_order_ids=list(self._closed_client_order_ids),
        )

    @classmethod
    def restore(cls, snapshot: BookSnapshot) -> OrderBook:
        if snapshot["format"] != SNAPSHOT_FORMAT:
            raise ValueError(f"unknown book snapshot format {snapshot['format']}")
        bid, ask = snapshot["reference"]
        book = cls(
            snapshot["symbol"],
            ReferencePrices(bid, ask),
            client_order_id_memory=snapshot["client_order_id_memory"],
        )
        peg_reference = snapshot["peg_reference"]
        book._peg_reference = (
            None if peg_reference is None else ReferencePrices(peg_reference[0], peg_reference[1])
        )
        book._next_sequence = snapshot["next_sequence"]
        book._trade_count = snapshot["trade_count"]
        for record in sorted(snapshot["orders"], key=lambda record: record["sequence"]):
            book._insert_resting(order_from_record(record))
        for account_id, client_order_id, order_id in snapshot["client_order_ids"]:
            book._client_order_ids[(account_id, client_order_id)] = order_id
        book._closed_client_order_ids.extend(
            (account_id, client_order_id)
            for account_id, client_order_id in snapshot["closed_client_order_ids"]
        )
        return book

    def state_hash(self) -> str:
        return snapshot_hash(self.snapshot())

    # --- accepting ---

    def _refusal(self, command: PlaceOrder) -> tuple[RejectCode, str] | None:
        """Why the book cannot take this order, or None. Risk was checked upstream."""
        order_type = command.order_type
        if command.size <= 0:
            return RejectCode.INVALID_SIZE, "size must be a positive number of lots"
        if command.order_id in self._orders:
            return RejectCode.DUPLICATE_ORDER_ID, "an open order already has this id"
        if order_type is _LIMIT and command.limit_price is None:
            return RejectCode.INVALID_PRICE, "a LIMIT order needs a limit price"
        if order_type is _MARKET and command.limit_price is not None:
            return RejectCode.INVALID_PRICE, "a MARKET order takes no limit price; use LIMIT"
        if command.limit_price is not None and command.limit_price < MIN_PRICE_TICKS:
            return RejectCode.INVALID_PRICE, "a limit price must be at least one tick"
        if command.peg_offset_ticks != 0 and order_type not in PEG_TYPES:
            return RejectCode.INVALID_PEG_OFFSET, "only peg orders take a peg offset"
        if not 0 <= command.min_quantity <= command.size:
            return RejectCode.INVALID_MIN_QUANTITY, "minimum quantity must be within the size"
        if command.time_in_force is _GTD or command.expires_at is not None:
            return self._expiry_refusal(command)
        return None

    @staticmethod
    def _expiry_refusal(command: PlaceOrder) -> tuple[RejectCode, str] | None:
        if command.time_in_force is _GTD:
            if command.expires_at is None:
                return RejectCode.INVALID_EXPIRY, "a GTD order needs an expiry time"
            if command.expires_at <= command.at:
                return RejectCode.INVALID_EXPIRY, "the expiry time has already passed"
        elif command.expires_at is not None:
            return RejectCode.INVALID_EXPIRY, "only GTD orders take an expiry time"
        return None

    def _accept(self, command: PlaceOrder, events: list[BookEvent]) -> Order:
        time_in_force = command.time_in_force
        if time_in_force is None:
            is_market = command.order_type is _MARKET
            time_in_force = _IOC if is_market else _GTC
        sequence = self._next_sequence
        self._next_sequence = sequence + 1
        order = Order(
            command.order_id,
            command.account_id,
            command.client_order_id,
            command.side,
            command.order_type,
            time_in_force,
            command.size,
            command.limit_price,
            command.peg_offset_ticks,
            command.min_quantity,
            command.all_or_none,
            command.nbbo_protection,
            command.expires_at,
            sequence,
            command.at,
        )
        if command.client_order_id is not None:
            self._client_order_ids[(command.account_id, command.client_order_id)] = order.order_id
        events.append(
            OrderAccepted(order.order_id, order.account_id, order.client_order_id, command.at)
        )
        return order

    def _hold_while_halted(self, order: Order, at: datetime, events: list[BookEvent]) -> None:
        """No trade without a tradable reference: resting orders wait, immediate ones go."""
        if order.time_in_force in IMMEDIATE_TIME_IN_FORCE:
            self._cancel(order, CancelReason.REFERENCE_NOT_TRADABLE, at, events)
        else:
            self._rest(order, at, events)

    # --- matching an incoming order ---

    def _match_incoming(self, order: Order, at: datetime, events: list[BookEvent]) -> None:
        price = order.limit_price if order.order_type is _LIMIT else self._incoming_price(order)
        if not self._reaches_other_side(order.side is _BUY, price):
            stopped_by_self_trade = False  # most orders: nothing to trade with, so no search
        elif order.all_or_none or order.time_in_force is _FOK:
            stopped_by_self_trade = self._trade_all_or_nothing(order, price, at, events)
        else:
            stopped_by_self_trade = self._take_liquidity(order, price, at, events)
        if order.remaining == 0:
            return
        if stopped_by_self_trade:
            self._cancel(order, CancelReason.SELF_TRADE, at, events)
        elif order.time_in_force in IMMEDIATE_TIME_IN_FORCE:
            self._cancel(order, self._unfilled_reason(order), at, events)
        else:
            self._rest(order, at, events)

    @staticmethod
    def _unfilled_reason(order: Order) -> CancelReason:
        """Why an IOC or FOK order's remainder goes once it has traded all it may."""
        if order.time_in_force is _FOK:
            return CancelReason.FOK_UNFILLED  # and nothing traded
        if order.all_or_none:
            return CancelReason.ALL_OR_NONE_UNFILLED  # and nothing traded
        return CancelReason.IOC_REMAINDER

    def _take_liquidity(
        self, taker: Order, taker_price: int | None, at: datetime, events: list[BookEvent]
    ) -> bool:
        """Trade with the best eligible maker until filled; True if a self-trade stopped it.

        Each fill starts again from the best level, with the taker's remainder as it is
        now: a smaller remainder can satisfy a maker's (or its own) terms that a larger
        one did not, and the best-ranked maker that can trade always trades first.
        """
        while taker.remaining:
            found = self._best_eligible_maker(taker, taker_price, taker.remaining, None)
            if found is None:
                return False
            maker, price = found
            if maker.account_id == taker.account_id:
                return True
            remaining = taker.remaining
            size = remaining if remaining < maker.remaining else maker.remaining
            self._trade(taker, maker, size, price, at, events)
        return False

    def _trade_all_or_nothing(
        self, taker: Order, taker_price: int | None, at: datetime, events: list[BookEvent]
    ) -> bool:
        """FOK and all-or-none: trade only if the whole size can fill now; True on self-trade.

        The dry run makes the same choices the real run will (same walk, same remainders,
        a used-up maker skipped as if gone), so a complete dry run means a complete fill.
        """
        remaining = taker.remaining
        used_up: set[str] = set()
        while remaining:
            found = self._best_eligible_maker(taker, taker_price, remaining, used_up)
            if found is None:
                return False
            maker = found[0]
            if maker.account_id == taker.account_id:
                return True
            remaining -= min(remaining, maker.remaining)
            used_up.add(maker.order_id)
        return self._take_liquidity(taker, taker_price, at, events)

    def _best_eligible_maker(
        self, taker: Order, taker_price: int | None, remaining: int, used_up: set[str] | None
    ) -> tuple[Order, int] | None:
        """The maker that trades next with `remaining` lots of the taker, and its price.

        Best level first, earliest first within it. A maker whose terms (or the taker's)
        forbid the fill is skipped and keeps its place: price-time priority among the
        orders that can trade.
        """
        buying = taker.side is _BUY
        opposite = self._asks if buying else self._bids
        levels = opposite.levels
        for level_price in opposite.prices if buying else reversed(opposite.prices):
            if taker_price is not None and (
                taker_price < level_price if buying else taker_price > level_price
            ):
                return None
            for maker in levels[level_price]:
                if used_up and maker.order_id in used_up:
                    continue
                price = execution_price(taker_price, level_price, maker.floating)
                if (taker.has_terms or maker.has_terms) and self._terms_forbid(
                    taker, remaining, maker, maker.remaining, price, True
                ):
                    continue
                return maker, price
        return None

    def _reaches_other_side(self, buying: bool, taker_price: int | None) -> bool:
        """Whether the best opposite level is within the taker's price at all."""
        if buying:
            asks = self._asks.prices
            return bool(asks) and (taker_price is None or taker_price >= asks[0])
        bids = self._bids.prices
        return bool(bids) and (taker_price is None or taker_price <= bids[-1])

    def _incoming_price(self, order: Order) -> int | None:
        """The price an arriving MARKET (None: any price) or peg matches at."""
        if order.order_type is _MARKET:
            return None
        return self._floating_level(order)

    def _terms_forbid(
        self,
        taker: Order,
        taker_remaining: int,
        maker: Order,
        maker_remaining: int,
        price: int,
        taker_is_incoming: bool,
    ) -> bool:
        """Whether the terms of either order forbid this crossing pair to trade now.

        A fill must complete an all-or-none order, and reach an order's minimum quantity
        unless it completes that order. An arriving all-or-none order may gather its size
        from several makers (the whole of it must fill in the call); a resting one trades
        in one piece. NBBO protection keeps the price within [reference bid, ask].
        """
        size = taker_remaining if taker_remaining < maker_remaining else maker_remaining
        if size < maker_remaining and (maker.all_or_none or size < maker.min_quantity):
            return True
        if size < taker_remaining and (
            (taker.all_or_none and not taker_is_incoming) or size < taker.min_quantity
        ):
            return True
        protected = taker.nbbo_protection or maker.nbbo_protection
        return protected and not self._reference.contains(price)

    def _trade(
        self,
        taker: Order,
        maker: Order,
        size: int,
        price: int,
        at: datetime,
        events: list[BookEvent],
    ) -> None:
        self._trade_count += 1
        trade = TradeExecuted(
            f"{self._symbol}-{self._trade_count}",
            self._symbol,
            price,
            size,
            maker.order_id,
            taker.order_id,
            maker.account_id,
            taker.account_id,
            taker.side,
            at,
        )
        events.append(trade)
        self._fill(taker, trade, _TAKER, events)
        self._fill(maker, trade, _MAKER, events)

    def _fill(
        self, order: Order, trade: TradeExecuted, liquidity: Liquidity, events: list[BookEvent]
    ) -> None:
        remaining = order.remaining - trade.size
        order.remaining = remaining
        if remaining:
            order.status = _PARTIALLY_FILLED
            events.append(OrderPartiallyFilled(trade, liquidity, remaining))
        else:
            order.status = _FILLED
            events.append(OrderFilled(trade, liquidity))
            self._close(order)

    # --- resting orders ---

    def _rest(self, order: Order, at: datetime, events: list[BookEvent]) -> None:
        if order.floating:
            order.price = self._floating_level(order)
        self._insert_resting(order)
        events.append(OrderRested(order.order_id, order.account_id, order.remaining, at))

    def _floating_level(self, order: Order) -> int | None:
        reference = self._peg_reference
        if reference is None or reference.bid is None or reference.ask is None:
            return None
        return floating_price(
            order.order_type,
            order.side,
            order.peg_offset_ticks,
            order.limit_price,
            reference.bid,
            reference.ask,
        )

    def _insert_resting(self, order: Order) -> None:
        """Index a resting order: the newest yet, or one restored in sequence order."""
        order_id = order.order_id
        self._orders[order_id] = order
        by_account = self._orders_by_account.get(order.account_id)
        if by_account is None:
            self._orders_by_account[order.account_id] = {order_id: order}
        else:
            by_account[order_id] = order
        if order.floating:
            self._floating[order_id] = order
        if order.price is None:
            self._unpriced[order_id] = order
        else:
            (self._bids if order.side is _BUY else self._asks).append(order)
        if order.expires_at is not None:
            heapq.heappush(self._expiries, (order.expires_at, order.sequence, order_id))

    def _close(self, order: Order) -> None:
        """Forget a finished order: out of the book if it rested, its client id aged."""
        order_id = order.order_id
        if self._orders.pop(order_id, None) is not None:
            by_account = self._orders_by_account[order.account_id]
            del by_account[order_id]
            if not by_account:
                del self._orders_by_account[order.account_id]
            if order.floating:
                del self._floating[order_id]
            if order.price is None:
                del self._unpriced[order_id]
            else:
                (self._bids if order.side is _BUY else self._asks).remove(order)
        if order.client_order_id is not None:
            self._age_client_order_id((order.account_id, order.client_order_id))

    def _age_client_order_id(self, key: tuple[str, str]) -> None:
        closed = self._closed_client_order_ids
        closed.append(key)
        if len(closed) > self._client_order_id_memory:
            del self._client_order_ids[closed.popleft()]

    def _cancel(
        self, order: Order, reason: CancelReason, at: datetime, events: list[BookEvent]
    ) -> None:
        order.status = _CANCELLED
        events.append(OrderCancelled(order.order_id, order.account_id, reason, order.remaining, at))
        self._close(order)

    def _own_open_order(self, order_id: str, account_id: str) -> Order | None:
        order = self._orders.get(order_id)
        if order is None or order.account_id != account_id:
            return None
        return order

    # --- the reference moves ---

    def _move_floating_orders(self, reference: ReferencePrices) -> None:
        bid, ask = reference.bid, reference.ask
        assert bid is not None and ask is not None  # a tradable reference is two-sided
        for order in self._floating.values():
            level = floating_price(
                order.order_type, order.side, order.peg_offset_ticks, order.limit_price, bid, ask
            )
            side = self._bids if order.side is _BUY else self._asks
            if self._unpriced.pop(order.order_id, None) is None:
                if level == order.price:
                    continue
                side.remove(order)
            order.price = level
            side.insert_by_sequence(order)

    def _uncross(self, at: datetime, events: list[BookEvent]) -> None:
        """Trade resting orders that cross, until no crossing pair may trade.

        Resting orders can cross when the reference moves pegs, when trading reopens
        after a halt, or when a smaller remainder (a fill, an amend) lifts an
        all-or-none or minimum-quantity block. Pairs are tried best bid first, each
        against the asks best first; the newer order of a pair is its taker, so the
        price is the one it would have had arriving. One trade at a time, then again
        from the top: cheap, because in a normal book the best bid is below the best ask.
        """
        bid_prices, ask_prices = self._bids.prices, self._asks.prices
        while self._tradable and bid_prices and ask_prices and bid_prices[-1] >= ask_prices[0]:
            if not self._trade_one_crossing_pair(ask_prices[0], at, events):
                return

    def _trade_one_crossing_pair(
        self, best_ask: int, at: datetime, events: list[BookEvent]
    ) -> bool:
        for bid_price, bid_level in self._bids.levels_best_first():
            if bid_price < best_ask:
                return False
            for bid in bid_level:
                for ask_price, ask_level in self._asks.levels_best_first():
                    if ask_price > bid_price:
                        break
                    for ask in ask_level:
                        if self._settle_resting_pair(bid, ask, at, events):
                            return True
        return False

    def _settle_resting_pair(
        self, bid: Order, ask: Order, at: datetime, events: list[BookEvent]
    ) -> bool:
        """Trade (or self-trade-cancel) two crossing resting orders if their terms allow."""
        taker, maker = (bid, ask) if bid.sequence > ask.sequence else (ask, bid)
        assert maker.price is not None
        price = execution_price(taker.price, maker.price, maker.floating)
        if self._terms_forbid(taker, taker.remaining, maker, maker.remaining, price, False):
            return False
        if taker.account_id == maker.account_id:
            self._cancel(taker, CancelReason.SELF_TRADE, at, events)
        else:
            self._trade(taker, maker, min(taker.remaining, maker.remaining), price, at, events)
        return True

    # --- expiry ---

    def _expire_due(self, now: datetime, events: list[BookEvent]) -> None:
        expiries = self._expiries
        while expiries and expiries[0][0] <= now:
            entry = heapq.heappop(expiries)
            if self._is_current_expiry(entry):
                order = self._orders[entry[2]]
                order.status = _EXPIRED
                events.append(OrderExpired(order.order_id, order.account_id, order.remaining, now))
                self._close(order)

    def _is_current_expiry(self, entry: tuple[datetime, int, str]) -> bool:
        """A heap entry is stale once its order closed (its id may even be reused)."""
        order = self._orders.get(entry[2])
        return order is not None and order.sequence == entry[1]
