"""The dark book's vocabulary: orders, the commands that act on them, the reference NBBO.

Integers only: prices are ticks and sizes are lots of one market (the market config
converts at the edge). Time is never read here; every command carries its own instant.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from engine.records import record


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    PEG_MID = "PEG_MID"
    PEG_BID = "PEG_BID"
    PEG_ASK = "PEG_ASK"


class TimeInForce(StrEnum):
    IOC = "IOC"  # trade what can trade now, cancel the rest
    FOK = "FOK"  # trade the whole size now, or nothing at all
    GTC = "GTC"  # rest until filled or cancelled
    GTD = "GTD"  # rest until filled, cancelled or `expires_at`


class OrderStatus(StrEnum):
    NEW = "NEW"  # accepted, nothing filled yet (resting if GTC/GTD)
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


class Liquidity(StrEnum):
    """Which end of a trade an order was on: the perps layer charges fees by it."""

    MAKER = "MAKER"  # the order that was resting
    TAKER = "TAKER"  # the order that arrived (or, uncrossing two resting orders, the newer)


PEG_TYPES = frozenset({OrderType.PEG_MID, OrderType.PEG_BID, OrderType.PEG_ASK})
# A MARKET order that rests (GTC/GTD) sits at the reference mid and moves with it,
# so the book treats it like a peg to the mid without offset or cap.
FLOATING_TYPES = frozenset({OrderType.MARKET, *PEG_TYPES})
IMMEDIATE_TIME_IN_FORCE = frozenset({TimeInForce.IOC, TimeInForce.FOK})

# Module-level names for members the hot path reads (EnumType's attribute path is slow).
_NEW = OrderStatus.NEW
_LIMIT = OrderType.LIMIT

# No order rests or trades at zero or below, whatever a peg offset says.
MIN_PRICE_TICKS = 1


@record
class ReferencePrices:
    """The lit market's best bid and ask in ticks: the reference every execution needs."""

    bid: int | None
    ask: int | None

    @property
    def tradable(self) -> bool:
        """Dark-pool practice: execute only against a two-sided, uncrossed, unlocked NBBO."""
        return self.bid is not None and self.ask is not None and self.bid < self.ask

    @property
    def mid(self) -> int | None:
        """Midpoint rounded down to a tick, the same rounding as the oracle's quote mid."""
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) // 2

    def contains(self, price: int) -> bool:
        """Whether `price` lies within [bid, ask]: the NBBO protection test."""
        return self.bid is not None and self.ask is not None and self.bid <= price <= self.ask


NO_REFERENCE = ReferencePrices(None, None)


class Order:
    """A live order, owned and mutated only by its book; callers see `OrderView` copies."""

    __slots__ = (
        "account_id",
        "all_or_none",
        "client_order_id",
        "created_at",
        "expires_at",
        "floating",
        "has_terms",
        "limit_price",
        "min_quantity",
        "nbbo_protection",
        "order_id",
        "order_type",
        "peg_offset_ticks",
        "price",
        "remaining",
        "sequence",
        "side",
        "size",
        "status",
        "time_in_force",
    )

    def __init__(
        self,
        order_id: str,
        account_id: str,
        client_order_id: str | None,
        side: Side,
        order_type: OrderType,
        time_in_force: TimeInForce,
        size: int,
        limit_price: int | None,
        peg_offset_ticks: int,
        min_quantity: int,
        all_or_none: bool,
        nbbo_protection: bool,
        expires_at: datetime | None,
        sequence: int,
        created_at: datetime,
    ) -> None:
        self.order_id = order_id
        self.account_id = account_id
        self.client_order_id = client_order_id
        self.side = side
        self.order_type = order_type
        self.time_in_force = time_in_force
        self.size = size
        self.remaining = size
        self.limit_price = limit_price
        self.peg_offset_ticks = peg_offset_ticks
        self.min_quantity = min_quantity
        self.all_or_none = all_or_none
        self.nbbo_protection = nbbo_protection
        self.expires_at = expires_at
        self.sequence = sequence
        self.created_at = created_at
        self.status = _NEW
        # Whether the price follows the reference (pegs and resting MARKETs).
        self.floating = order_type in FLOATING_TYPES
        # Whether any attribute can stop a crossing pair from trading: the matcher asks
        # the full question only of orders that have one.
        self.has_terms = all_or_none or min_quantity > 0 or nbbo_protection
        # Where the order stands in the book right now: the limit for a LIMIT, the
        # reference-derived level for a peg or a resting MARKET; None while it has none.
        self.price: int | None = limit_price if order_type is _LIMIT else None

    @property
    def filled(self) -> int:
        return self.size - self.remaining

    def view(self) -> OrderView:
        return OrderView(
            order_id=self.order_id,
            account_id=self.account_id,
            client_order_id=self.client_order_id,
            side=self.side,
            order_type=self.order_type,
            time_in_force=self.time_in_force,
            size=self.size,
            remaining=self.remaining,
            filled=self.size - self.remaining,
            limit_price=self.limit_price,
            peg_offset_ticks=self.peg_offset_ticks,
            min_quantity=self.min_quantity,
            all_or_none=self.all_or_none,
            nbbo_protection=self.nbbo_protection,
            expires_at=self.expires_at,
            sequence=self.sequence,
            created_at=self.created_at,
            status=self.status,
            price=self.price,
        )

    def __repr__(self) -> str:
        return (
            f"Order({self.order_id!r}, {self.side}, {self.order_type}, {self.time_in_force}, "
            f"seq={self.sequence}, price={self.price}, {self.remaining}/{self.size})"
        )


@record
class OrderView:
    """A read-only copy of an order for the engine's own use; never published as is."""

    order_id: str
    account_id: str
    client_order_id: str | None
    side: Side
    order_type: OrderType
    time_in_force: TimeInForce
    size: int
    remaining: int
    filled: int
    limit_price: int | None
    peg_offset_ticks: int
    min_quantity: int
    all_or_none: bool
    nbbo_protection: bool
    expires_at: datetime | None
    sequence: int
    created_at: datetime
    status: OrderStatus
    price: int | None


# --- commands: what the symbol's sequencer journals and replays, in order ---


@record
class PlaceOrder:
    """A new order, already risk-checked by the perps layer.

    `time_in_force=None` means the type's default: IOC for MARKET, GTC otherwise.
    `limit_price` is required for LIMIT, optional for pegs (a cap: highest price a buy
    peg may reach, lowest for a sell), and refused for MARKET.
    """

    order_id: str
    account_id: str
    side: Side
    order_type: OrderType
    size: int
    at: datetime
    limit_price: int | None = None
    time_in_force: TimeInForce | None = None
    client_order_id: str | None = None
    peg_offset_ticks: int = 0
    min_quantity: int = 0
    all_or_none: bool = False
    nbbo_protection: bool = False
    expires_at: datetime | None = None


@record
class CancelOrder:
    order_id: str
    account_id: str
    at: datetime


@record
class CancelAllOrders:
    account_id: str
    at: datetime


@record
class AmendOrder:
    """Reduce an order's total size to `new_size` lots (fills so far included)."""

    order_id: str
    account_id: str
    new_size: int
    at: datetime


@record
class UpdateReference:
    """A new reference NBBO from the oracle: pegs move, and trading opens or halts."""

    reference: ReferencePrices
    at: datetime


@record
class ExpireOrders:
    now: datetime


BookCommand = (
    PlaceOrder | CancelOrder | CancelAllOrders | AmendOrder | UpdateReference | ExpireOrders
)
