"""Flash markets: the model (ids, hierarchy, slots, price history, bets) and seed 001's collapse
rules (settle slot, MAX_PROBABILITY with the lexical tie rule, the 2 %/slot price clamp and the
5 %-over-4-slots halt). Pure logic: the FlashBook (engine/flash/book.py) moves the money.

Prices here are integer parts per million of probability (PPM); a price "moving 2 %" means two
percentage points of probability, 20,000 ppm. Shares are micro-shares: one share pays 1 USDT.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from engine.errors import DomainError

PPM = 1_000_000
# Seed 001, "Time-based Collapse at settle_slot": slots of 400 ms (a Solana slot).
SLOT = timedelta(milliseconds=400)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Seed 001, "Price Clamp 2%/slot (PRICE_CLAMP_PER_SLOT_BPS = 200)": 2 points of probability.
PRICE_CLAMP_PER_SLOT_PPM = 20_000
# Seed 001, "Flash Loan Prevention": halt when a price moved more than 5 % over 4 slots.
FLASH_LOAN_WINDOW_SLOTS = 4
FLASH_LOAN_THRESHOLD_PPM = 50_000
# Seed 000, "Flash Verse System": markets of 5-60 s, and up to 5 minutes for an event market.
MIN_MARKET_SECONDS = 5
MAX_FLASH_SECONDS = 60
MAX_MARKET_SECONDS = 300
# Seed 000, "Hierarchy Management": game -> period -> flash -> micro, at most 32 deep.
MAX_DEPTH = 32
# Seed 000, "<10 second resolution": after the deadline (bets closed) the quorum has this long
# to decide; the settle slot is the slot this ends in. An outcome known earlier settles at once.
RESOLUTION_WINDOW = timedelta(seconds=10)
# The house LP's depth per market (the pm-AMM's L, whole USDT) and the fee on every stake.
DEFAULT_FLASH_LIQUIDITY = 5_000
DEFAULT_FLASH_FEE_BPS = 100
MAX_FLASH_LIQUIDITY = 1_000_000
MAX_FLASH_FEE_BPS = 1_000
MAX_OUTCOMES = 16
MAX_OUTCOME_LENGTH = 32
MAX_TITLE_LENGTH = 160
MARKET_ID_PREFIX = "fm_"
GROUP_ID_PREFIX = "fg_"
ID_HASH_CHARACTERS = 20  # 80 bits of sha-256: collision-free for any realistic number of markets


class FlashError(DomainError):
    code = "FLASH_ERROR"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MarketStatus(StrEnum):
    OPEN = "OPEN"
    HALTED = "HALTED"  # the flash-loan guard: no bets until the window is calm again
    CLOSED = "CLOSED"  # past the deadline, waiting for the quorum's outcome until the settle slot
    COLLAPSED = "COLLAPSED"
    VOIDED = "VOIDED"


ACTIVE_STATUSES = frozenset({MarketStatus.OPEN, MarketStatus.HALTED, MarketStatus.CLOSED})


class CollapseType(StrEnum):
    """Seed 001's CollapseType: SETTLE_SLOT (0) the attested outcome, MAX_PROBABILITY (1) the
    settle slot came without one, EMERGENCY (2) a keeper or admin collapsed the market."""

    SETTLE_SLOT = "SETTLE_SLOT"
    MAX_PROBABILITY = "MAX_PROBABILITY"
    EMERGENCY = "EMERGENCY"


class NodeLevel(StrEnum):
    GAME = "GAME"
    PERIOD = "PERIOD"
    FLASH = "FLASH"
    MICRO = "MICRO"


class ProbabilitySource(StrEnum):
    QUORUM = "QUORUM"  # the provider quorum quotes this market
    MODEL = "MODEL"  # derived from the quorum's odds by a sport model (docs/flash.md)


class BetStatus(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"
    REFUNDED = "REFUNDED"


def slot_of(at: datetime) -> int:
    """The 400 ms slot an instant falls in, counted from the Unix epoch: exact integers."""
    return (at - EPOCH) // SLOT


def slot_start(slot: int) -> datetime:
    return EPOCH + SLOT * slot


def _short_hash(*parts: str) -> str:
    text = "\x1f".join(parts)
    return hashlib.sha256(text.encode()).hexdigest()[:ID_HASH_CHARACTERS]


def flash_market_id(sport: str, event_id: str, market_type: str, opens_at: datetime) -> str:
    """Seed 000's verse id: a hash of sport, game and market type, plus the window's start so
    every window of the same question is its own market."""
    opened_ms = (opens_at - EPOCH) // timedelta(milliseconds=1)
    return MARKET_ID_PREFIX + _short_hash(sport, event_id, market_type, str(opened_ms))


def game_node_id(sport: str, event_id: str) -> str:
    return GROUP_ID_PREFIX + _short_hash(sport, event_id)


def period_node_id(sport: str, event_id: str, period: int) -> str:
    return GROUP_ID_PREFIX + _short_hash(sport, event_id, f"period-{period}")


@dataclass(frozen=True, slots=True)
class MarketGroup:
    """A node above flash markets: a game, or a period of it. It holds no money."""

    node_id: str
    parent_id: str | None
    level: NodeLevel
    depth: int
    title: str
    sport: str
    event_id: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """An outcome the provider quorum decided (signed, or a score change it reported)."""

    outcome: str
    proposal_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Collapse:
    proposal_id: str
    winning_outcome: str | None  # None when voided
    probability: int  # ppm of the winning outcome at the collapse
    collapse_type: CollapseType | None  # None when voided
    at: datetime


@dataclass
class FlashBet:
    """A position in a flash market: what the account paid and the shares it holds.

    `claims` is what the position is paid under each outcome; the book computes the house's
    exposure and every payout from it alone, so positions holding several outcomes ("quantum"
    positions) or borrowing part of their stake (leverage) only need their own claims.
    """

    bet_id: str
    account: str
    market_id: str
    outcome: str
    stake: int  # micro-USDT paid, fee included
    fee: int
    shares: int  # micro-shares: micro-USDT paid if `outcome` wins
    average_price: float
    placed_at: datetime
    client_bet_id: str | None = None
    status: BetStatus = BetStatus.OPEN
    payout: int = 0

    @property
    def net_stake(self) -> int:
        return self.stake - self.fee

    def claims(self) -> dict[str, int]:
        return {self.outcome: self.shares}

    def payout_for(self, winning_outcome: str) -> int:
        return self.claims().get(winning_outcome, 0)


@dataclass
class FlashMarket:
    market_id: str
    parent_id: str
    level: NodeLevel
    depth: int
    title: str
    sport: str
    event_id: str
    market_type: str
    source_market: str | None  # the oracle market it follows, e.g. MATCH_WINNER
    outcomes: tuple[str, ...]
    opening_probabilities: tuple[int, ...]  # ppm, summing to PPM
    probability_source: ProbabilitySource
    opened_at: datetime
    deadline: datetime
    liquidity: int  # whole USDT: the pm-AMM's L (its depth one minute before the deadline)
    fee_bps: int
    prices: tuple[int, ...]  # current ppm per outcome
    status: MarketStatus = MarketStatus.OPEN
    # (slot, prices) of the last slots that saw a price: what the clamp and the halt read.
    history: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    last_trade_slot: int | None = None
    last_trade_prices: tuple[int, ...] | None = None
    halted_slot: int | None = None
    resolution: Resolution | None = None
    collapse: Collapse | None = None
    bet_ids: list[str] = field(default_factory=list)
    # Shares owed per outcome and the net stakes (fees excluded) bettors put in.
    liability: dict[str, int] = field(default_factory=dict)
    net_stakes: int = 0
    volume: int = 0  # stakes, fees included
    published_slot: int | None = None
    published_prices: tuple[int, ...] | None = None

    @property
    def settle_slot(self) -> int:
        return slot_of(self.deadline + RESOLUTION_WINDOW)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def has_price_history(self) -> bool:
        """Prices the market itself discovered: at least one bet moved them. Opening odds are
        an input, not a market price."""
        return self.last_trade_slot is not None

    def price_of(self, outcome: str) -> int:
        return self.prices[self.outcomes.index(outcome)]

    def worst_case_loss(self) -> int:
        """What the house LP loses if the outcome it owes most on wins (0 if none)."""
        return max(0, max(self.liability.values(), default=0) - self.net_stakes)

    def record_prices(self, slot: int, prices: tuple[int, ...]) -> None:
        """The slot's latest prices; only the halt's window of slots is kept."""
        self.prices = prices
        if self.history and self.history[-1][0] == slot:
            self.history[-1] = (slot, prices)
        else:
            self.history.append((slot, prices))
        oldest = slot - FLASH_LOAN_WINDOW_SLOTS
        while len(self.history) > 1 and self.history[1][0] <= oldest:
            del self.history[0]


# --- the rules ---------------------------------------------------------------------------------


def to_ppm(prices: Sequence[float]) -> tuple[int, ...]:
    """Float probabilities -> integer ppm, rounded half up, the last taking the remainder of
    the others when they must sum to PPM (they do for mutually exclusive outcomes)."""
    rounded = [int(p * PPM + 0.5) for p in prices]
    rounded[-1] = PPM - sum(rounded[:-1])
    return tuple(rounded)


def check_price_clamp(
    reference: int, price_after: int, last_trade_slot: int | None, slot: int
) -> None:
    """Seed 001's price clamp: a trade may move a price at most 2 points per slot elapsed since
    the last trade (at least one slot; the opening counts as the first trade)."""
    elapsed = 1 if last_trade_slot is None else max(1, slot - last_trade_slot)
    allowed = PRICE_CLAMP_PER_SLOT_PPM * elapsed
    if abs(price_after - reference) > allowed:
        raise FlashError(
            "PRICE_CLAMP",
            f"the bet would move the price by {abs(price_after - reference) / PPM:.2%}, more "
            f"than the {allowed / PPM:.0%} allowed over {elapsed} slot(s): bet less or wait",
        )


def window_move(history: Iterable[tuple[int, tuple[int, ...]]], slot: int) -> int:
    """The largest move of any outcome's price over the last 4 slots (ppm): the slots after
    `slot - 4`, plus the last price before them as the window's starting point."""
    oldest = slot - FLASH_LOAN_WINDOW_SLOTS
    samples: list[tuple[int, ...]] = []
    for sample_slot, prices in history:
        if sample_slot <= oldest:
            samples = [prices]
        else:
            samples.append(prices)
    if len(samples) < 2:
        return 0
    moves: list[int] = [max(column) - min(column) for column in zip(*samples, strict=True)]
    return max(moves)


def should_halt(history: Iterable[tuple[int, tuple[int, ...]]], slot: int) -> bool:
    """Seed 001's flash-loan guard: more than 5 % moved over the last 4 slots."""
    return window_move(history, slot) > FLASH_LOAN_THRESHOLD_PPM


def may_resume(market: FlashMarket, slot: int) -> bool:
    """A halt lasts at least one whole window (4 slots), and until the window is calm: long
    enough that a manipulation cannot be unwound within the window it was made in."""
    halted = market.halted_slot
    return (
        halted is not None
        and slot >= halted + FLASH_LOAN_WINDOW_SLOTS
        and not should_halt(market.history, slot)
    )


def max_probability_outcome(outcomes: Sequence[str], prices: Sequence[int]) -> tuple[str, int]:
    """Seed 001: the outcome of maximum probability; on equal prices the lexically lower id."""
    return min(zip(outcomes, prices, strict=True), key=lambda pair: (-pair[1], pair[0]))


def collapse_proposal_id(market_id: str, collapse_type: str, slot: int) -> str:
    """A deterministic id for a collapse nobody proposed (MAX_PROBABILITY, a void)."""
    return "auto-" + _short_hash(market_id, collapse_type, str(slot))


def decide_collapse(
    market: FlashMarket, at: datetime, *, emergency: bool = False, void: bool = False
) -> Collapse:
    """The collapse seed 001 prescribes: the attested outcome if the quorum gave one, else the
    outcome of maximum probability, else (no quorum and no price history) a void."""
    slot = slot_of(at)
    if void:
        return Collapse(collapse_proposal_id(market.market_id, "VOID", slot), None, 0, None, at)
    resolution = market.resolution
    if resolution is not None:
        kind = CollapseType.EMERGENCY if emergency else CollapseType.SETTLE_SLOT
        probability = market.price_of(resolution.outcome)
        return Collapse(resolution.proposal_id, resolution.outcome, probability, kind, at)
    if market.has_price_history:
        kind = CollapseType.EMERGENCY if emergency else CollapseType.MAX_PROBABILITY
        outcome, probability = max_probability_outcome(market.outcomes, market.prices)
        proposal = collapse_proposal_id(market.market_id, kind, slot)
        return Collapse(proposal, outcome, probability, kind, at)
    return Collapse(collapse_proposal_id(market.market_id, "VOID", slot), None, 0, None, at)


def validate_window(opens_at: datetime, deadline: datetime) -> None:
    seconds = (deadline - opens_at).total_seconds()
    if not MIN_MARKET_SECONDS <= seconds <= MAX_MARKET_SECONDS:
        raise FlashError(
            "INVALID_FLASH_MARKET",
            f"a flash market lasts {MIN_MARKET_SECONDS} to {MAX_MARKET_SECONDS} s, not {seconds:g}",
        )


def validate_outcomes(outcomes: Sequence[str], probabilities: Sequence[int]) -> None:
    if not 2 <= len(outcomes) <= MAX_OUTCOMES or len(set(outcomes)) != len(outcomes):
        raise FlashError("INVALID_FLASH_MARKET", "a market has 2 to 16 distinct outcomes")
    if any(not 0 < len(o) <= MAX_OUTCOME_LENGTH for o in outcomes):
        raise FlashError("INVALID_FLASH_MARKET", "an outcome id is 1 to 32 characters")
    if len(probabilities) != len(outcomes) or any(p <= 0 for p in probabilities):
        raise FlashError("INVALID_FLASH_MARKET", "one positive opening probability per outcome")
    if sum(probabilities) != PPM:
        raise FlashError("INVALID_FLASH_MARKET", "opening probabilities sum to 1,000,000 ppm")
