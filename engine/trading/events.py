"""What the trading engine tells the world after each command.

`TradePrinted` is public (the tape: no accounts, no orders); every other event is private
to its account. Nothing here describes resting depth: the book stays dark.
"""

from __future__ import annotations

from datetime import datetime

from engine.matching import Side
from engine.records import record


@record
class TradePrinted:
    trade_id: str
    symbol: str
    price: int
    size: int
    aggressor_side: Side
    at: datetime
    # The lit reference NBBO the engine held when it matched (None while the oracle was not
    # healthy): the quote the aggressor would otherwise have crossed, for execution quality.
    # Defaults keep snapshots taken before these fields restorable.
    reference_bid: int | None = None
    reference_ask: int | None = None


@record
class OrderEntered:
    """Private: the engine accepted an order, before any of its fills. `notional` is its size
    at the price its margin was reserved at (the limit, else the reference touch), in
    micro-USDT: the liquidity it submitted. Only daily aggregates of it leave (engine/stats)."""

    account: str
    symbol: str
    order_id: str
    side: Side
    order_type: str
    size: int
    notional: int
    at: datetime


@record
class OrderUpdated:
    account: str
    symbol: str
    order_id: str
    client_order_id: str | None
    status: str  # OPEN, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, REJECTED
    side: Side
    order_type: str
    size: int
    filled: int
    remaining: int
    limit_price: int | None
    reason: str | None
    at: datetime
    # When the engine accepted the order: time to fill is measured from it.
    placed_at: datetime | None = None


@record
class OrderFill:
    account: str
    symbol: str
    order_id: str
    trade_id: str
    side: Side
    price: int
    size: int
    fee: int  # micro-USDT; negative is a rebate
    liquidity: str  # MAKER or TAKER
    realised_pnl: int
    at: datetime


@record
class PositionChanged:
    account: str
    symbol: str
    side: str | None  # LONG, SHORT, or None once closed
    size: int
    entry_price: int
    collateral: int
    leverage: int
    realised_pnl: int
    at: datetime


@record
class BalanceChanged:
    account: str
    available: int
    at: datetime


@record
class FundingPaid:
    """Public: the hourly funding of a market. Positive rates: longs paid shorts."""

    symbol: str
    rate: int  # 1e-12 per hour
    total_paid: int  # micro-USDT moved from payers to receivers
    at: datetime


@record
class PositionLiquidated:
    """Public: a liquidation (no account): what was closed and where."""

    symbol: str
    side: str  # the side of the position that was liquidated
    size: int
    mark: int
    at: datetime
    # True when the insurance fund could not cover it and opposite positions took it over.
    auto_deleveraged: bool = False


@record
class MarginCall:
    """Private: the position is below 150 % of its maintenance margin."""

    account: str
    symbol: str
    margin_ratio_bps: int
    at: datetime


@record
class MarketStatusChanged:
    """Public: a market went reduce-only (a circuit breaker) or reopened."""

    symbol: str
    status: str  # OPEN or REDUCE_ONLY
    reason: str | None
    until: datetime | None
    at: datetime


@record
class EmergencyPauseChanged:
    """Public: the venue-wide emergency pause level changed."""

    level: int
    reason: str
    until: datetime | None  # automatic resume for levels 1 and 2
    at: datetime


@record
class MarketConfigured:
    """Public: a market was added or its parameters changed; carries the new parameters.
    `changes` names what changed: ADD_MARKET, CHANGE_FEES, CHANGE_RISK_PARAMETERS."""

    symbol: str
    base_asset: str
    tick_size: int
    step_size: int
    min_order_size: int
    max_order_size: int
    max_leverage: int
    maker_fee_bps: int
    taker_fee_bps: int
    is_active: bool
    changes: tuple[str, ...]
    at: datetime


@record
class InsuranceFundWithdrawn:
    """Public: money left the insurance fund by an operator's decision."""

    amount: int  # micro-USDT
    reference: str
    balance: int  # what the fund holds afterwards
    at: datetime


@record
class FlashMarketOpened:
    """Public: a new flash market, its place in the hierarchy and its opening prices (ppm)."""

    market_id: str
    parent_id: str
    level: str  # FLASH or MICRO
    depth: int
    title: str
    sport: str
    event_id: str
    market_type: str
    outcomes: tuple[str, ...]
    prices: tuple[int, ...]  # ppm per outcome
    probability_source: str
    deadline: datetime
    settle_slot: int
    at: datetime


@record
class FlashBetPlaced:
    """Private: a bet was filled. Prices and the average price are ppm of probability."""

    bet_id: str
    account: str
    market_id: str
    outcome: str
    stake: int  # micro-USDT, fee included
    fee: int
    shares: int  # micro-shares: micro-USDT paid if the outcome wins
    average_price: int
    price_before: int
    price_after: int
    client_bet_id: str | None
    at: datetime


@record
class FlashPriceChanged:
    """Public, for the ticker: a market's prices, at most once per slot per market."""

    market_id: str
    outcomes: tuple[str, ...]
    prices: tuple[int, ...]
    status: str
    slot: int
    at: datetime


@record
class FlashMarketStatusChanged:
    """Public: halted by the flash-loan guard, reopened, or closed at its deadline."""

    market_id: str
    status: str  # OPEN, HALTED, CLOSED
    reason: str
    at: datetime


@record
class MarketCollapsed:
    """Public, seed 001's event: the market collapsed to its winning outcome and was paid."""

    market_id: str
    proposal_id: str
    winning_outcome: str
    probability: int  # ppm of the winning outcome when it collapsed
    collapse_type: str  # SETTLE_SLOT, MAX_PROBABILITY or EMERGENCY
    timestamp: datetime
    total_payout: int  # micro-USDT paid to winners


@record
class FlashMarketVoided:
    """Public: no quorum and no price history (or an admin's void): every bet refunded."""

    market_id: str
    proposal_id: str
    reason: str
    refunded: int  # micro-USDT returned, fees included
    at: datetime


@record
class FlashBetSettled:
    """Private: what one bet was paid when its market collapsed or was voided."""

    bet_id: str
    account: str
    market_id: str
    outcome: str
    status: str  # WON, LOST or REFUNDED
    payout: int  # micro-USDT credited
    at: datetime


@record
class FlashLiquidityFunded:
    """Public: money went into the house LP account that backs flash markets."""

    amount: int
    reference: str
    balance: int
    at: datetime


# --- player protection: private to the account (`flash.protection.<account>`) ---------------


@record
class RealityCheckDue:
    """A reality check came due: the next bet is refused until it is acknowledged."""

    account: str
    due_at: datetime
    period_started_at: datetime
    session_started_at: datetime | None
    time_played_seconds: int
    net_result: int  # micro-USDT since the last check (negative: a loss)
    reason: str  # interval or loss_velocity
    at: datetime


@record
class ProtectionChanged:
    """A protection setting changed: a limit (at once or pending), a cool-off, a
    self-exclusion, an acknowledged reality check, the limit prompt seen."""

    account: str
    action: (
        str  # LIMIT_SET, COOL_OFF, SELF_EXCLUSION, REALITY_CHECK_ACKNOWLEDGED, LIMIT_PROMPT_SEEN
    )
    kind: str | None
    period: str | None
    amount: int | None
    effective_at: datetime | None  # when the limit applies, or the end of a cool-off/exclusion
    at: datetime


# --- micro-bets: offers are public (`flash.micro.markets`), sessions private -----------------


@record
class MicroMarketListed:
    market_id: str
    bet_type: str
    question: str
    listed_at: datetime
    opens_at: datetime
    closes_at: datetime
    outcomes: tuple[str, ...]
    odds: tuple[int, ...]  # hundredths: 185 is 1.85
    at: datetime


@record
class MicroMarketSettled:
    market_id: str
    outcome: str | None  # None: no 2-of-3 consensus, every bet voided
    observers: tuple[str, ...]
    reported: tuple[str | None, ...]
    bets_settled: int
    at: datetime


@record
class MicroSessionOpened:
    session_id: str
    account: str
    deposit: int
    reserve: int
    available: int
    at: datetime


@record
class MicroBetPlaced:
    session_id: str
    account: str
    bet_id: str
    market_id: str
    outcome: str
    stake: int
    odds: int
    payout_if_won: int
    available: int  # the session's betting balance after the bet
    client_bet_id: str | None
    at: datetime


@record
class MicroBetSettled:
    session_id: str
    account: str
    bet_id: str
    market_id: str
    outcome: str
    status: str  # won, lost or void
    returned: int  # credited to the betting balance
    available: int
    at: datetime


@record
class MicroSessionClosed:
    session_id: str
    account: str
    reserve_returned: int
    balance_returned: int
    at: datetime


@record
class MicroHouseFunded:
    amount: int
    reference: str
    balance: int
    at: datetime


ProtectionEvent = RealityCheckDue | ProtectionChanged
MicroEvent = (
    MicroMarketListed
    | MicroMarketSettled
    | MicroSessionOpened
    | MicroBetPlaced
    | MicroBetSettled
    | MicroSessionClosed
    | MicroHouseFunded
)


FlashEvent = (
    FlashMarketOpened
    | FlashBetPlaced
    | FlashPriceChanged
    | FlashMarketStatusChanged
    | MarketCollapsed
    | FlashMarketVoided
    | FlashBetSettled
    | FlashLiquidityFunded
)

EngineEvent = (
    TradePrinted
    | OrderEntered
    | OrderUpdated
    | OrderFill
    | PositionChanged
    | BalanceChanged
    | FundingPaid
    | PositionLiquidated
    | MarginCall
    | MarketStatusChanged
    | EmergencyPauseChanged
    | MarketConfigured
    | InsuranceFundWithdrawn
    | FlashEvent
    | ProtectionEvent
    | MicroEvent
)
