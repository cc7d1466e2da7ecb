"""Commands the trading engine accepts, and their journal encoding.

A command is an immutable value carrying everything its effect depends on, including
the time the sequencer stamped on it, so replaying the journal reproduces every effect.
Prices are oracle price units (1e-10 USDT), sizes base units (1e-8), money micro-USDT.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime
from enum import Enum
from typing import Any

from engine.flash.markets import DEFAULT_FLASH_FEE_BPS, DEFAULT_FLASH_LIQUIDITY
from engine.matching import OrderType, Side, TimeInForce
from engine.records import record


@record
class Deposit:
    account: str
    amount: int
    reference: str  # the caller's idempotency key
    at: datetime


@record
class Withdraw:
    account: str
    amount: int
    reference: str
    at: datetime


@record
class SubmitOrder:
    account: str
    symbol: str
    side: Side
    order_type: OrderType
    size: int
    leverage: int
    at: datetime
    limit_price: int | None = None
    time_in_force: TimeInForce | None = None
    reduce_only: bool = False
    client_order_id: str | None = None
    min_quantity: int = 0
    all_or_none: bool = False
    nbbo_protection: bool = False
    expires_at: datetime | None = None


@record
class CancelOrder:
    account: str
    symbol: str
    order_id: str
    at: datetime


@record
class CancelAllOrders:
    account: str
    symbol: str
    at: datetime


@record
class AmendOrder:
    account: str
    symbol: str
    order_id: str
    new_size: int
    at: datetime


@record
class ClosePosition:
    account: str
    symbol: str
    at: datetime


@record
class AdjustMargin:
    account: str
    symbol: str
    amount: int  # positive adds, negative removes
    at: datetime


@record
class SetTpSl:
    """Take-profit and stop-loss on a position: closed at market when the mark reaches
    either. None clears that trigger."""

    account: str
    symbol: str
    take_profit: int | None
    stop_loss: int | None
    at: datetime


@record
class UpdatePrices:
    """The oracle's view of one market, journaled so replays see the same prices."""

    symbol: str
    index: int | None
    mark: int | None
    bid: int | None
    ask: int | None
    healthy: bool
    at: datetime


@record
class ExpireOrders:
    at: datetime


@record
class TripCircuitBreaker:
    """Put a market in reduce-only for a while (e.g. on the oracle's manipulation alarm)."""

    symbol: str
    reason: str
    at: datetime


@record
class SetEmergencyPause:
    """Seed 004 "Emergency Pause Mechanism": level 0 lifts the pause; 1 stops new orders,
    2 all trading, 3 everything but withdrawals, 4 everything. Levels 1 and 2 lift
    themselves after 5 and 15 minutes."""

    level: int
    reason: str
    at: datetime


@record
class SweepLiquidations:
    """Check every position against its market's mark and liquidate what must be."""

    at: datetime


@record
class ConfigureMarket:
    """An operator's market change (approved and timelocked before it gets here): adds the
    market when the symbol is new, else replaces its fees and risk parameters."""

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
    at: datetime


@record
class WithdrawInsuranceFund:
    """An operator's withdrawal from the insurance fund to outside the venue."""

    amount: int  # micro-USDT
    reference: str  # the caller's idempotency key
    at: datetime


@record
class PayReferralReward:
    """A referrer's share of the fees its referees paid in one day, from the venue's fee
    revenue (engine/accounts/referrals.py decides the amount from the stored ledger)."""

    referrer: str
    amount: int  # micro-USDT
    reference: str  # one per (referrer, day): a day is never paid twice
    at: datetime


@record
class OpenFlashMarket:
    """A flash market on a live event (docs/flash.md). Its id is derived from sport, event,
    market type and `at` (the window's start); game and period nodes are created as needed.
    `parent_market_id` names a flash market to hang a micro market under instead of a period."""

    sport: str
    event_id: str
    event_title: str
    period: int  # 0: no period node (the market hangs under the game)
    market_type: str  # e.g. GOAL_IN_60S, NEXT_SCORE_30S, MATCH_WINNER_FINAL
    title: str
    outcomes: tuple[str, ...]
    opening_probabilities: tuple[int, ...]  # ppm, summing to 1,000,000
    deadline: datetime  # bets close; the market collapses by the settle slot 10 s later
    at: datetime
    source_market: str | None = None  # the oracle market whose outcome resolves it
    probability_source: str = "QUORUM"  # QUORUM or MODEL
    parent_market_id: str | None = None
    liquidity: int = DEFAULT_FLASH_LIQUIDITY  # whole USDT: the pm-AMM's L
    fee_bps: int = DEFAULT_FLASH_FEE_BPS


@record
class PlaceFlashBet:
    """Buy shares of one outcome for `stake` micro-USDT (fee included). `client_bet_id` makes a
    retry harmless; `max_average_price` (ppm) refuses a fill worse than the quote shown."""

    account: str
    market_id: str
    outcome: str
    stake: int
    at: datetime
    client_bet_id: str | None = None
    max_average_price: int | None = None


@record
class FlashTick:
    """Every slot (400 ms): record slot prices, lift calm halts, close and collapse markets."""

    at: datetime


@record
class ResolveFlashMarket:
    """The provider quorum decided the market's outcome (a signed result, or a score change it
    reported): the market collapses and pays in this command, before or after its deadline."""

    market_id: str
    outcome: str
    proposal_id: str  # what the quorum decided from: a signed outcome or a reported score
    at: datetime


@record
class EmergencyCollapse:
    """A keeper's or admin's collapse (authorised by the resolvers): the attested outcome, else
    the outcome of maximum probability, else a void; `void` refunds every bet instead."""

    market_id: str
    reason: str
    at: datetime
    void: bool = False


@record
class FundFlashLiquidity:
    """Money into the house LP account that backs every flash market, from outside the venue."""

    amount: int  # micro-USDT
    reference: str  # idempotency key
    at: datetime


# --- player protection (docs/player-protection.md) -------------------------------------------


@record
class SetProtectionLimit:
    """A deposit or loss limit per day, week or month; None removes it. Lowering applies at
    once, raising or removing after 24 h."""

    account: str
    kind: str  # deposit or loss
    period: str  # day, week or month
    amount: int | None  # micro-USDT
    at: datetime


@record
class StartCoolOff:
    """No bets or session deposits for 24 h to 6 weeks; cannot be shortened or lifted."""

    account: str
    duration_seconds: int
    at: datetime


@record
class SelfExclude:
    """No bets or session deposits for 6 months to 5 years; open micro sessions are closed."""

    account: str
    duration_seconds: int
    at: datetime


@record
class AcknowledgeRealityCheck:
    account: str
    at: datetime


@record
class RecordLimitPromptSeen:
    """The player was shown the prompt to set limits (at first deposit)."""

    account: str
    at: datetime


# --- micro-bets on pre-funded sessions (docs/micro-bets.md) ----------------------------------


@record
class FundMicroHouse:
    """Money into the micro-bets house account (pays winnings), from outside the venue."""

    amount: int  # micro-USDT
    reference: str  # idempotency key
    at: datetime


@record
class OpenMicroMarket:
    """One micro offer (engine/flash/micro.py MicroMarket), journaled so that bets and their
    settlement replay against the very odds and window that were offered."""

    market_id: str
    bet_type: str
    question: str
    listed_at: datetime
    opens_at: datetime
    closes_at: datetime
    subject_kinds: tuple[str, ...]
    subject_colour: str | None
    subject_direction: str | None
    outcome_labels: tuple[str, ...]
    probabilities: tuple[float, ...]
    odds: tuple[int, ...]  # hundredths
    at: datetime
    cuts: tuple[int, ...] = ()
    sequence: tuple[str, ...] = ()
    sequence_attribute: str = "kind"
    margin_bps: int = 500


@record
class OpenMicroSession:
    """Move `deposit` from available USDT into a new session: activation reserve + betting
    balance. `session_id` (1-40 of A-Z a-z 0-9 _ -) makes a retry harmless; the engine
    names the session `ms-<sequence>` when it is None."""

    account: str
    deposit: int  # micro-USDT
    at: datetime
    session_id: str | None = None


@record
class PlaceMicroBet:
    account: str
    session_id: str
    market_id: str
    outcome: str
    stake: int  # micro-USDT
    at: datetime
    client_bet_id: str | None = None


@record
class SettleMicroMarket:
    """The observers' reports of a market's outcome (None: reported nothing usable); the
    engine applies the 2-of-3 consensus, and a market without one is voided."""

    market_id: str
    observers: tuple[str, ...]
    reported: tuple[str | None, ...]
    at: datetime


@record
class CloseMicroSession:
    """Void open bets (stakes refunded), then reserve and balance back to available."""

    account: str
    session_id: str
    at: datetime


Command = (
    Deposit
    | Withdraw
    | SubmitOrder
    | CancelOrder
    | CancelAllOrders
    | AmendOrder
    | ClosePosition
    | AdjustMargin
    | UpdatePrices
    | ExpireOrders
    | SweepLiquidations
    | TripCircuitBreaker
    | SetTpSl
    | SetEmergencyPause
    | ConfigureMarket
    | WithdrawInsuranceFund
    | PayReferralReward
    | OpenFlashMarket
    | PlaceFlashBet
    | FlashTick
    | ResolveFlashMarket
    | EmergencyCollapse
    | FundFlashLiquidity
    | SetProtectionLimit
    | StartCoolOff
    | SelfExclude
    | AcknowledgeRealityCheck
    | RecordLimitPromptSeen
    | FundMicroHouse
    | OpenMicroMarket
    | OpenMicroSession
    | PlaceMicroBet
    | SettleMicroMarket
    | CloseMicroSession
)

COMMAND_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        Deposit,
        Withdraw,
        SubmitOrder,
        CancelOrder,
        CancelAllOrders,
        AmendOrder,
        ClosePosition,
        AdjustMargin,
        UpdatePrices,
        ExpireOrders,
        SweepLiquidations,
        TripCircuitBreaker,
        SetTpSl,
        SetEmergencyPause,
        ConfigureMarket,
        WithdrawInsuranceFund,
        PayReferralReward,
        OpenFlashMarket,
        PlaceFlashBet,
        FlashTick,
        ResolveFlashMarket,
        EmergencyCollapse,
        FundFlashLiquidity,
        SetProtectionLimit,
        StartCoolOff,
        SelfExclude,
        AcknowledgeRealityCheck,
        RecordLimitPromptSeen,
        FundMicroHouse,
        OpenMicroMarket,
        OpenMicroSession,
        PlaceMicroBet,
        SettleMicroMarket,
        CloseMicroSession,
    )
}


def encode(command: Command) -> tuple[str, dict[str, Any]]:
    """(kind, JSON-safe payload) for the journal."""
    payload: dict[str, Any] = {}
    for field in dataclasses.fields(command):
        value = getattr(command, field.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Enum):
            value = value.value
        payload[field.name] = value
    return type(command).__name__, payload


def decode(kind: str, payload: dict[str, Any]) -> Command:
    cls = COMMAND_TYPES[kind]
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for name, raw in payload.items():
        values[name] = None if raw is None else _typed(hints[name], raw)
    command: Command = cls(**values)
    return command


def _typed(hint: Any, raw: Any) -> Any:
    if typing.get_origin(hint) is tuple:
        return tuple(raw)  # JSON has only lists
    for candidate in typing.get_args(hint) or (hint,):
        if candidate is datetime:
            return datetime.fromisoformat(raw)
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate(raw)
    return raw
