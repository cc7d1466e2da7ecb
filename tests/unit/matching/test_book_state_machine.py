"""Random command sequences against one book, its invariants checked after every step.

The checks restate the rules independently of the engine's code: quantity conserved,
no crossing pair left that could trade, price-time priority for every incoming order's
trades, no fill beyond a limit or outside a protected NBBO, no trade without a tradable
reference, GTD expiry once, and a snapshot twin that behaves identically from then on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from math import ceil, floor

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from engine.matching import (
    AmendOrder,
    BookCommand,
    CancelAllOrders,
    CancelOrder,
    DuplicateClientOrderId,
    ExpireOrders,
    OrderAccepted,
    OrderAmended,
    OrderBook,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRested,
    OrderType,
    OrderView,
    PlaceOrder,
    ReferencePrices,
    Side,
    TimeInForce,
    TradeExecuted,
    UpdateReference,
)
from engine.matching.events import BookEvent
from tests.unit.matching.helpers import AT

ACCOUNTS = st.sampled_from(["A", "B", "C"])
SIDES = st.sampled_from([Side.BUY, Side.SELL])
PRICES = st.integers(96, 114)
SIZES = st.integers(1, 6)
CLIENT_IDS = st.sampled_from([None, None, None, "c1", "c2"])
TIME_IN_FORCE = st.sampled_from([None, TimeInForce.IOC, TimeInForce.FOK, TimeInForce.GTC, "GTD"])
REFERENCES = st.sampled_from(
    [
        ReferencePrices(100, 110),
        ReferencePrices(102, 106),
        ReferencePrices(98, 103),
        ReferencePrices(104, 105),
        ReferencePrices(100, 111),
        ReferencePrices(106, 116),
        ReferencePrices(94, 99),
        ReferencePrices(None, 110),
        ReferencePrices(100, None),
        ReferencePrices(105, 105),
        ReferencePrices(107, 104),
    ]
)


@st.composite
def order_terms(draw: st.DrawFn) -> tuple[bool, int, bool]:
    """(all_or_none, min_quantity, nbbo_protection), mostly plain."""
    plain = draw(st.integers(0, 2)) > 0
    if plain:
        return False, 0, False
    return draw(st.booleans()), draw(st.integers(0, 4)), draw(st.booleans())


@dataclass
class Tracked:
    command: PlaceOrder
    size: int
    filled: int = 0
    open: bool = True


def level_of(
    order_type: OrderType, side: Side, offset: int, cap: int | None, ref: ReferencePrices
) -> int:
    """Where a peg (or resting MARKET) stands, restated from the rules."""
    assert ref.bid is not None and ref.ask is not None
    base = {
        OrderType.PEG_BID: ref.bid,
        OrderType.PEG_ASK: ref.ask,
        OrderType.PEG_MID: (ref.bid + ref.ask) // 2,
        OrderType.MARKET: (ref.bid + ref.ask) // 2,
    }[order_type]
    level = max(base + offset, 1)
    if cap is not None:
        level = min(level, cap) if side is Side.BUY else max(level, cap)
    return level


def trade_price(taker_price: int | None, maker: OrderView) -> int:
    assert maker.price is not None
    if taker_price is None or maker.order_type is not OrderType.LIMIT:
        return maker.price
    midpoint = Fraction(taker_price + maker.price, 2)
    # A half tick goes toward the resting (maker) limit.
    return floor(midpoint) if maker.price <= taker_price else ceil(midpoint)


def could_trade(
    taker_side: Side,
    taker_price: int | None,
    taker_remaining: int,
    taker_terms: tuple[bool, int, bool],
    taker_is_incoming: bool,
    maker: OrderView,
    ref: ReferencePrices,
) -> bool:
    """Whether the rules allow this pair to trade now (self-trade aside: that would
    cancel the newer order, so such a pair must not survive either)."""
    assert maker.price is not None
    if taker_price is not None and (
        taker_price < maker.price if taker_side is Side.BUY else taker_price > maker.price
    ):
        return False
    all_or_none, min_quantity, protected = taker_terms
    size = min(taker_remaining, maker.remaining)
    if size < maker.remaining and (maker.all_or_none or size < maker.min_quantity):
        return False
    if size < taker_remaining and ((all_or_none and not taker_is_incoming) or size < min_quantity):
        return False
    price = trade_price(taker_price, maker)
    assert ref.bid is not None and ref.ask is not None
    return not ((protected or maker.nbbo_protection) and not ref.bid <= price <= ref.ask)


def ranks_before(first: OrderView, second: OrderView) -> bool:
    """Price-time priority between two resting orders of one side."""
    assert first.price is not None and second.price is not None
    if first.price != second.price:
        return first.price > second.price if first.side is Side.BUY else first.price < second.price
    return first.sequence < second.sequence


class BookMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = OrderBook("TEST-PERP", ReferencePrices(100, 110))
        self.twin: OrderBook | None = None
        self.now: datetime = AT
        self.next_id = 0
        self.orders: dict[str, Tracked] = {}
        self.expired: set[str] = set()
        self.bought = 0
        self.sold = 0

    # --- rules ---

    @rule(
        side=SIDES,
        price=PRICES,
        size=SIZES,
        account=ACCOUNTS,
        tif=TIME_IN_FORCE,
        terms=order_terms(),
        client_order_id=CLIENT_IDS,
        wait=st.integers(0, 2),
    )
    def place_limit(
        self,
        side: Side,
        price: int,
        size: int,
        account: str,
        tif: TimeInForce | str | None,
        terms: tuple[bool, int, bool],
        client_order_id: str | None,
        wait: int,
    ) -> None:
        self._place(OrderType.LIMIT, side, size, account, tif, terms, client_order_id, wait, price)

    @rule(
        order_type=st.sampled_from([OrderType.PEG_MID, OrderType.PEG_BID, OrderType.PEG_ASK]),
        side=SIDES,
        size=SIZES,
        account=ACCOUNTS,
        tif=TIME_IN_FORCE,
        terms=order_terms(),
        offset=st.integers(-2, 2),
        cap=st.none() | PRICES,
    )
    def place_peg(
        self,
        order_type: OrderType,
        side: Side,
        size: int,
        account: str,
        tif: TimeInForce | str | None,
        terms: tuple[bool, int, bool],
        offset: int,
        cap: int | None,
    ) -> None:
        self._place(order_type, side, size, account, tif, terms, None, 0, cap, offset)

    @rule(side=SIDES, size=SIZES, account=ACCOUNTS, tif=TIME_IN_FORCE, terms=order_terms())
    def place_market(
        self,
        side: Side,
        size: int,
        account: str,
        tif: TimeInForce | str | None,
        terms: tuple[bool, int, bool],
    ) -> None:
        self._place(OrderType.MARKET, side, size, account, tif, terms, None, 0, None)

    @rule(pick=st.integers(0, 1000), own=st.booleans())
    def cancel(self, pick: int, own: bool) -> None:
        order_id, account = self._pick(pick)
        self._apply(CancelOrder(order_id, account if own else "X", self.now))

    @rule(account=ACCOUNTS)
    def cancel_all(self, account: str) -> None:
        self._apply(CancelAllOrders(account, self.now))

    @rule(pick=st.integers(0, 1000), new_size=st.integers(0, 7))
    def amend(self, pick: int, new_size: int) -> None:
        order_id, account = self._pick(pick)
        self._apply(AmendOrder(order_id, account, new_size, self.now))

    @rule(reference=REFERENCES)
    def reprice(self, reference: ReferencePrices) -> None:
        self._apply(UpdateReference(reference, self.now))

    @rule(bid=st.integers(96, 110), spread=st.integers(1, 8))
    def move_reference(self, bid: int, spread: int) -> None:
        """A tradable reference among the orders' prices, so pegs cross resting limits."""
        self._apply(UpdateReference(ReferencePrices(bid, bid + spread), self.now))

    @rule(seconds=st.integers(0, 6))
    def expire(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        self._apply(ExpireOrders(self.now))

    @rule()
    def take_snapshot(self) -> None:
        """From here on a twin restored from a JSON snapshot must do exactly the same."""
        self.twin = OrderBook.restore(json.loads(json.dumps(self.book.snapshot())))
        assert self.twin.state_hash() == self.book.state_hash()

    # --- invariants ---

    @invariant()
    def quantities_are_conserved(self) -> None:
        views = {view.order_id: view for view in self.book.resting_orders()}
        assert set(views) == {order_id for order_id, t in self.orders.items() if t.open}
        for order_id, view in views.items():
            tracked = self.orders[order_id]
            assert view.size == tracked.size
            assert view.filled == tracked.filled
            assert view.filled + view.remaining == view.size
            assert view.remaining > 0
        buy_fills = sum(t.filled for t in self.orders.values() if t.command.side is Side.BUY)
        sell_fills = sum(t.filled for t in self.orders.values() if t.command.side is Side.SELL)
        assert buy_fills == sell_fills == self.bought == self.sold

    @invariant()
    def all_or_none_orders_fill_whole_or_not_at_all(self) -> None:
        for tracked in self.orders.values():
            if tracked.command.all_or_none:
                assert tracked.filled in (0, tracked.size)

    @invariant()
    def no_resting_pair_could_trade(self) -> None:
        ref = self.book.reference
        if not ref.tradable:
            return
        views = [view for view in self.book.resting_orders() if view.price is not None]
        for bid in (view for view in views if view.side is Side.BUY):
            for ask in (view for view in views if view.side is Side.SELL):
                taker, maker = (bid, ask) if bid.sequence > ask.sequence else (ask, bid)
                terms = (taker.all_or_none, taker.min_quantity, taker.nbbo_protection)
                assert not could_trade(
                    taker.side, taker.price, taker.remaining, terms, False, maker, ref
                ), (bid, ask)

    @invariant()
    def floating_orders_stand_at_the_reference(self) -> None:
        ref = self.book.reference
        for view in self.book.resting_orders():
            if view.order_type is OrderType.LIMIT:
                assert view.price == view.limit_price
            elif ref.tradable:
                cap = view.limit_price
                expected = level_of(view.order_type, view.side, view.peg_offset_ticks, cap, ref)
                assert view.price == expected

    @invariant()
    def nothing_rests_past_its_expiry(self) -> None:
        for view in self.book.resting_orders():
            assert view.expires_at is None or view.expires_at > self.now

    @invariant()
    def twin_has_the_same_state(self) -> None:
        if self.twin is not None:
            assert self.twin.state_hash() == self.book.state_hash()

    # --- applying a command and checking what it reported ---

    def _place(
        self,
        order_type: OrderType,
        side: Side,
        size: int,
        account: str,
        tif: TimeInForce | str | None,
        terms: tuple[bool, int, bool],
        client_order_id: str | None,
        wait: int,
        limit_price: int | None,
        offset: int = 0,
    ) -> None:
        self.now += timedelta(seconds=wait)
        self.next_id += 1
        all_or_none, min_quantity, protected = terms
        gtd = tif == "GTD"
        command = PlaceOrder(
            order_id=f"o{self.next_id}",
            account_id=account,
            side=side,
            order_type=order_type,
            size=size,
            at=self.now,
            limit_price=limit_price,
            time_in_force=TimeInForce.GTD if gtd else tif,  # type: ignore[arg-type]
            client_order_id=client_order_id,
            peg_offset_ticks=offset,
            min_quantity=min(min_quantity, size),
            all_or_none=all_or_none,
            nbbo_protection=protected,
            expires_at=self.now + timedelta(seconds=1 + self.next_id % 7) if gtd else None,
        )
        self._apply(command)

    def _pick(self, pick: int) -> tuple[str, str]:
        open_orders = sorted(
            (order_id, t.command.account_id) for order_id, t in self.orders.items() if t.open
        )
        if not open_orders:
            return "missing", "A"
        return open_orders[pick % len(open_orders)]

    def _apply(self, command: BookCommand) -> None:
        before = {view.order_id: view for view in self.book.resting_orders()}
        events = self.book.handle(command)
        if self.twin is not None:
            assert self.twin.handle(command) == events
        incoming = command if isinstance(command, PlaceOrder) else None
        taker_remaining = incoming.size if incoming is not None else 0
        arriving = incoming is not None  # until it rests: then its terms are a resting order's
        for event in events:
            if isinstance(event, TradeExecuted):
                if arriving and incoming is not None and event.taker_order_id == incoming.order_id:
                    self._check_priority(event, incoming, taker_remaining, before)
                    taker_remaining -= event.size
                self._check_trade(event, incoming)
            else:
                arriving = arriving and not isinstance(event, OrderRested)
                self._track(event, incoming)

    def _track(self, event: BookEvent, incoming: PlaceOrder | None) -> None:
        if isinstance(event, OrderAccepted):
            assert incoming is not None and event.order_id == incoming.order_id
            self.orders[event.order_id] = Tracked(incoming, incoming.size)
        elif isinstance(event, OrderFilled | OrderPartiallyFilled):
            tracked = self.orders[event.order_id]
            left = event.remaining if isinstance(event, OrderPartiallyFilled) else 0
            assert tracked.size - tracked.filled == left
            tracked.open = left > 0
            if left:  # a fill that does not complete the order reaches its minimum
                assert event.size >= tracked.command.min_quantity
        elif isinstance(event, OrderCancelled | OrderExpired):
            tracked = self.orders[event.order_id]
            gone = event.cancelled_size if isinstance(event, OrderCancelled) else event.expired_size
            assert tracked.open and gone == tracked.size - tracked.filled > 0
            tracked.open = False
            if isinstance(event, OrderExpired):
                assert event.order_id not in self.expired
                self.expired.add(event.order_id)
                assert tracked.command.expires_at is not None
                assert tracked.command.expires_at <= event.at
        elif isinstance(event, OrderAmended):
            tracked = self.orders[event.order_id]
            assert event.size < tracked.size or event.size == tracked.size
            tracked.size = event.size
            assert event.remaining == tracked.size - tracked.filled > 0
        elif isinstance(event, DuplicateClientOrderId):
            assert self.orders[event.existing_order_id].command.account_id == event.account_id
            assert self.book.order(event.order_id) is None or event.order_id in self.orders

    def _check_trade(self, trade: TradeExecuted, incoming: PlaceOrder | None) -> None:
        ref = self.book.reference
        assert ref.tradable, "a trade while the reference is not tradable"
        assert ref.bid is not None and ref.ask is not None
        assert trade.size > 0
        buyer = self.orders[trade.buy_order_id]
        seller = self.orders[trade.sell_order_id]
        assert buyer.command.side is Side.BUY and seller.command.side is Side.SELL
        assert buyer.command.account_id != seller.command.account_id, "self-trade"
        for tracked in (buyer, seller):
            bound = self._limit_at_trade(tracked, ref, incoming)
            if bound is not None:
                is_buy = tracked.command.side is Side.BUY
                assert trade.price <= bound if is_buy else trade.price >= bound, (trade, bound)
            if tracked.command.nbbo_protection:
                assert ref.bid <= trade.price <= ref.ask
        buyer.filled += trade.size
        seller.filled += trade.size
        self.bought += trade.size
        self.sold += trade.size
        assert buyer.filled <= buyer.size and seller.filled <= seller.size

    @staticmethod
    def _limit_at_trade(
        tracked: Tracked, ref: ReferencePrices, incoming: PlaceOrder | None
    ) -> int | None:
        command = tracked.command
        if command.order_type is OrderType.LIMIT:
            return command.limit_price
        if command.order_type is OrderType.MARKET and command is incoming:
            return None  # an arriving MARKET takes any price
        return level_of(
            command.order_type, command.side, command.peg_offset_ticks, command.limit_price, ref
        )

    def _check_priority(
        self,
        trade: TradeExecuted,
        incoming: PlaceOrder,
        taker_remaining: int,
        before: dict[str, OrderView],
    ) -> None:
        """No order ranking ahead of this trade's maker could have traded instead."""
        ref = self.book.reference
        maker = before[trade.maker_order_id]
        if incoming.order_type is OrderType.LIMIT:
            taker_price: int | None = incoming.limit_price
        elif incoming.order_type is OrderType.MARKET:
            taker_price = None
        else:
            taker_price = level_of(
                incoming.order_type,
                incoming.side,
                incoming.peg_offset_ticks,
                incoming.limit_price,
                ref,
            )
        terms = (incoming.all_or_none, incoming.min_quantity, incoming.nbbo_protection)
        for other in before.values():
            if other.side is not maker.side or other.order_id == maker.order_id:
                continue
            if other.price is None or not ranks_before(other, maker):
                continue
            after = self.book.order(other.order_id)
            if after is None or after.remaining != other.remaining:
                continue  # it traded (or left) in this command too
            assert not could_trade(
                incoming.side, taker_price, taker_remaining, terms, True, other, ref
            ), f"{other.order_id} ranks before {maker.order_id} and could have traded"


BookMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestBookStateMachine = BookMachine.TestCase
