"""What a book reports after each command: immutable events, in the order things happened.

Events about an order go to its owner only; `TradeExecuted` is the one public fact
(after the trade). None of them carries the price or depth of a resting order.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from engine.matching.model import Liquidity, Side
from engine.records import record


class CancelReason(StrEnum):
    USER = "USER"  # cancel or cancel-all from the owner
    IOC_REMAINDER = "IOC_REMAINDER"  # an IOC (or MARKET) traded what it could
    FOK_UNFILLED = "FOK_UNFILLED"  # a FOK could not fill completely: nothing traded
    ALL_OR_NONE_UNFILLED = "ALL_OR_NONE_UNFILLED"  # an IOC all-or-none, same
    SELF_TRADE = "SELF_TRADE"  # the newer of two orders of one account that would trade
    REFERENCE_NOT_TRADABLE = "REFERENCE_NOT_TRADABLE"  # IOC/FOK while trading is halted
    AMENDED_TO_FILLED = "AMENDED_TO_FILLED"  # amended to no more than already filled


class RejectCode(StrEnum):
    INVALID_SIZE = "INVALID_SIZE"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_PEG_OFFSET = "INVALID_PEG_OFFSET"
    INVALID_MIN_QUANTITY = "INVALID_MIN_QUANTITY"
    INVALID_EXPIRY = "INVALID_EXPIRY"
    DUPLICATE_ORDER_ID = "DUPLICATE_ORDER_ID"
    # Also for another account's order: a book never confirms that someone else's exists.
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    SIZE_INCREASE_NOT_ALLOWED = "SIZE_INCREASE_NOT_ALLOWED"


@record
class OrderAccepted:
    """The book took the order. Its sequence stays inside: it would tell how busy we are."""

    order_id: str
    account_id: str
    client_order_id: str | None
    at: datetime


@record
class OrderRejected:
    order_id: str
    account_id: str
    code: RejectCode
    message: str
    at: datetime


@record
class DuplicateClientOrderId:
    """The account already used this client order id: no second order was created."""

    order_id: str  # the id the duplicate would have had
    account_id: str
    client_order_id: str
    existing_order_id: str
    at: datetime


@record
class OrderRested:
    order_id: str
    account_id: str
    remaining: int
    at: datetime


@record
class TradeExecuted:
    trade_id: str
    symbol: str
    price: int
    size: int
    maker_order_id: str
    taker_order_id: str
    maker_account_id: str
    taker_account_id: str
    aggressor_side: Side  # the taker's side
    at: datetime

    @property
    def buy_order_id(self) -> str:
        return self.taker_order_id if self.aggressor_side is Side.BUY else self.maker_order_id

    @property
    def sell_order_id(self) -> str:
        return self.maker_order_id if self.aggressor_side is Side.BUY else self.taker_order_id

    @property
    def buyer_account_id(self) -> str:
        buy_is_taker = self.aggressor_side is Side.BUY
        return self.taker_account_id if buy_is_taker else self.maker_account_id

    @property
    def seller_account_id(self) -> str:
        buy_is_taker = self.aggressor_side is Side.BUY
        return self.maker_account_id if buy_is_taker else self.taker_account_id


class _TradeSide:
    """One order's side of a trade: everything about the fill is in the trade itself."""

    __slots__ = ()
    trade: TradeExecuted
    liquidity: Liquidity

    @property
    def order_id(self) -> str:
        trade = self.trade
        return trade.maker_order_id if self.liquidity is Liquidity.MAKER else trade.taker_order_id

    @property
    def account_id(self) -> str:
        trade = self.trade
        if self.liquidity is Liquidity.MAKER:
            return trade.maker_account_id
        return trade.taker_account_id

    @property
    def trade_id(self) -> str:
        return self.trade.trade_id

    @property
    def price(self) -> int:
        return self.trade.price

    @property
    def size(self) -> int:
        return self.trade.size

    @property
    def at(self) -> datetime:
        return self.trade.at


@record
class OrderPartiallyFilled(_TradeSide):
    """A fill of `trade` for an order that still has `remaining` lots open."""

    trade: TradeExecuted
    liquidity: Liquidity
    remaining: int


@record
class OrderFilled(_TradeSide):
    """The fill of `trade` that completed an order."""

    trade: TradeExecuted
    liquidity: Liquidity


@record
class OrderCancelled:
    order_id: str
    account_id: str
    reason: CancelReason
    cancelled_size: int  # the lots that will now never trade
    at: datetime


@record
class OrderExpired:
    order_id: str
    account_id: str
    expired_size: int
    at: datetime


@record
class OrderAmended:
    order_id: str
    account_id: str
    size: int
    remaining: int
    at: datetime


@record
class CancelRejected:
    order_id: str
    account_id: str
    code: RejectCode
    message: str
    at: datetime


@record
class AmendRejected:
    order_id: str
    account_id: str
    code: RejectCode
    message: str
    at: datetime


BookEvent = (
    OrderAccepted
    | OrderRejected
    | DuplicateClientOrderId
    | OrderRested
    | TradeExecuted
    | OrderPartiallyFilled
    | OrderFilled
    | OrderCancelled
    | OrderExpired
    | OrderAmended
    | CancelRejected
    | AmendRejected
)
