"""Micro-bets on a live stream (seed 002): the offers, their odds, multi-observer consensus,
and the pre-funded session (activation reserve + betting balance) with its risk controls.

Pure and deterministic: no I/O, no clock reads (every method takes `at`), integer micro-USDT.
Money never moves here: each money-moving method returns `Movement`s that the engine turns
into ledger postings. Player protection (engine/flash/protection.py) runs before these checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any, Protocol, TypeVar

from engine.errors import DomainError

N = TypeVar("N", int, float)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
BASIS_POINTS = 10_000

# -- the vocabulary of the street stream ---------------------------------------------------


class Kind(StrEnum):
    CAR = "car"
    BUS = "bus"
    TRUCK = "truck"
    CYCLIST = "cyclist"
    PEDESTRIAN = "pedestrian"


class Colour(StrEnum):
    WHITE = "white"
    BLACK = "black"
    GREY = "grey"
    SILVER = "silver"
    BLUE = "blue"
    RED = "red"
    GREEN = "green"
    YELLOW = "yellow"


class Direction(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    STRAIGHT = "straight"


class Sighting(Protocol):
    """One event as somebody saw it: the simulation's truth or an observer's report."""

    @property
    def kind(self) -> Kind: ...

    @property
    def colour(self) -> Colour | None: ...

    @property
    def direction(self) -> Direction | None: ...

    @property
    def occurred_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a market counts: any of `kinds`, optionally of one colour or direction."""

    kinds: tuple[Kind, ...]
    colour: Colour | None = None
    direction: Direction | None = None

    def matches(self, sighting: Sighting) -> bool:
        return (
            sighting.kind in self.kinds
            and (self.colour is None or sighting.colour is self.colour)
            and (self.direction is None or sighting.direction is self.direction)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kinds": [kind.value for kind in self.kinds],
            "colour": None if self.colour is None else self.colour.value,
            "direction": None if self.direction is None else self.direction.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EventFilter:
        colour, direction = data["colour"], data["direction"]
        return cls(
            tuple(Kind(kind) for kind in data["kinds"]),
            None if colour is None else Colour(colour),
            None if direction is None else Direction(direction),
        )


class RateModel(Protocol):
    """The stream's known rates: matching events per second (a Poisson process per filter)."""

    def rate(self, subject: EventFilter) -> float: ...


# -- errors ---------------------------------------------------------------------------------


class InvalidBet(DomainError):
    """Unknown outcome, stake not a whole number of micro-USDT or below the minimum."""

    code = "INVALID_BET"


class InvalidMarket(DomainError):
    """A market whose window is outside its bet type's range, or whose odds are unusable."""

    code = "INVALID_MARKET"


class InvalidDeposit(DomainError):
    """A deposit that does not exceed the activation reserve."""

    code = "INVALID_DEPOSIT"


class MarketClosed(DomainError):
    """Betting is open from a market's listing until its window opens, not after."""

    code = "MARKET_CLOSED"


class InsufficientBalance(DomainError):
    """The stake is above the betting balance (the reserve is never bettable)."""

    code = "INSUFFICIENT_BALANCE"


class StakeTooLarge(DomainError):
    """The stake is above the policy's share of the betting balance."""

    code = "STAKE_TOO_LARGE"


class TooManyBets(DomainError):
    """The session already has the policy's maximum of open bets."""

    code = "TOO_MANY_BETS"


class TooFast(DomainError):
    """Inside the minimum interval between bets, or the session's token bucket is empty."""

    code = "TOO_FAST"

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SessionClosed(DomainError):
    """The session was closed: its money went back to the account, no more bets."""

    code = "SESSION_CLOSED"


# -- bet types, windows, odds ---------------------------------------------------------------


class BetType(StrEnum):
    BINARY = "binary"  # yes/no: does a matching event happen in the window?
    QUANTITY = "quantity"  # which band does the count of matching events fall in?
    TIMING = "timing"  # when does the first matching event happen (or not at all)?
    PATTERN = "pattern"  # are the next events, in order, this sequence?


# Seed 002 section 2.1: the observation window of each bet type, in seconds, inclusive.
WINDOW_SECONDS: dict[BetType, tuple[int, int]] = {
    BetType.BINARY: (5, 120),
    BetType.QUANTITY: (10, 300),
    BetType.TIMING: (5, 600),
    BetType.PATTERN: (10, 300),
}

# The house margin, a constant: odds = 1 / (p x (1 + margin)), so a market's implied
# probabilities sum to 1 + margin (a little more after rounding the odds down).
HOUSE_MARGIN_BPS = 500  # 5%
ODDS_SCALE = 100  # odds are integer hundredths: 185 is 1.85
MIN_ODDS = 101  # 1.01: below this a winning bet would pay back less than a cent per dollar
MAX_ODDS = 10_000  # 100.00: longer shots are not offered

YES, NO, NONE = "YES", "NO", "NONE"


def decimal_odds(probability: float, margin_bps: int = HOUSE_MARGIN_BPS) -> int:
    """1 / (p x (1 + margin)) in integer hundredths, rounded down (in the house's favour)."""
    if not 0.0 < probability <= 1.0:
        raise InvalidMarket(f"probability {probability} is outside (0, 1]")
    return math.floor(ODDS_SCALE * BASIS_POINTS / (probability * (BASIS_POINTS + margin_bps)))


def outcome_labels(bet_type: BetType, cuts: Sequence[int]) -> tuple[str, ...]:
    """The outcomes of a market, derived from its type and cut points.

    QUANTITY cuts are the lowest counts of every band after the first: (5,) is "0-4", "5+".
    TIMING cuts are seconds after the window opens, the last one the window's end:
    (60, 180) is "0-60s", "60-180s", "NONE" (no matching event in the window).
    """
    if bet_type in (BetType.BINARY, BetType.PATTERN):
        return (YES, NO)
    if bet_type is BetType.QUANTITY:
        lows = (0, *cuts)
        bands = [f"{low}-{high - 1}" if high - 1 > low else str(low) for low, high in _pairs(lows)]
        return (*bands, f"{lows[-1]}+")
    starts = (0, *cuts)
    return (*(f"{low}-{high}s" for low, high in _pairs(starts)), NONE)


def _pairs(values: Sequence[N]) -> list[tuple[N, N]]:
    return list(pairwise(values))


@dataclass(frozen=True, slots=True)
class MarketOutcome:
    label: str
    probability: float  # the model's, from the stream's known rates
    odds: int  # hundredths, margin included, rounded down


@dataclass(frozen=True, slots=True)
class MicroMarket:
    """One offer. Bets are taken from `listed_at` until `opens_at`; the question is about
    what happens in the observation window [opens_at, closes_at)."""

    market_id: str
    bet_type: BetType
    question: str
    listed_at: datetime
    opens_at: datetime
    closes_at: datetime
    subject: EventFilter
    outcomes: tuple[MarketOutcome, ...]
    cuts: tuple[int, ...] = ()  # QUANTITY count bands, TIMING second bands
    sequence: tuple[str, ...] = ()  # PATTERN: the values expected, in order
    sequence_attribute: str = "kind"  # PATTERN: "kind", "colour" or "direction"
    margin_bps: int = HOUSE_MARGIN_BPS

    def __post_init__(self) -> None:
        self._check_window()
        self._check_shape()
        labels = outcome_labels(self.bet_type, self.cuts)
        if tuple(outcome.label for outcome in self.outcomes) != labels:
            raise InvalidMarket(f"{self.market_id}: outcomes must be {labels}")
        for outcome in self.outcomes:
            if not MIN_ODDS <= outcome.odds <= MAX_ODDS:
                raise InvalidMarket(f"{self.market_id}: odds {outcome.odds} of {outcome.label}")

    def _check_window(self) -> None:
        low, high = WINDOW_SECONDS[self.bet_type]
        window = self.window.total_seconds()
        if not low <= window <= high:
            raise InvalidMarket(
                f"{self.bet_type} windows are {low}-{high} s; {self.market_id} has {window:g} s"
            )
        if self.listed_at > self.opens_at:
            raise InvalidMarket(f"{self.market_id} is listed after its window opens")

    def _check_shape(self) -> None:
        increasing = all(a < b for a, b in _pairs(self.cuts))
        if self.bet_type is BetType.QUANTITY and not (
            self.cuts and self.cuts[0] > 0 and increasing
        ):
            raise InvalidMarket(f"{self.market_id}: count bands need increasing cuts above 0")
        if self.bet_type is BetType.TIMING and not (
            self.cuts
            and self.cuts[0] > 0
            and increasing
            and self.cuts[-1] == self.window.total_seconds()
        ):
            raise InvalidMarket(f"{self.market_id}: timing cuts must rise to the window's end")
        if self.bet_type is BetType.PATTERN and (
            len(self.sequence) < 2 or self.sequence_attribute not in _ATTRIBUTES
        ):
            raise InvalidMarket(f"{self.market_id}: a pattern is two or more kinds/colours")

    @property
    def window(self) -> timedelta:
        return self.closes_at - self.opens_at

    def odds_of(self, label: str) -> int | None:
        for outcome in self.outcomes:
            if outcome.label == label:
                return outcome.odds
        return None

    def is_open_for_bets(self, at: datetime) -> bool:
        return self.listed_at <= at < self.opens_at

    @classmethod
    def priced(
        cls,
        market_id: str,
        bet_type: BetType,
        question: str,
        listed_at: datetime,
        opens_at: datetime,
        closes_at: datetime,
        subject: EventFilter,
        rates: RateModel,
        cuts: tuple[int, ...] = (),
        sequence: tuple[str, ...] = (),
        sequence_attribute: str = "kind",
        margin_bps: int = HOUSE_MARGIN_BPS,
    ) -> MicroMarket:
        """A market with each outcome's model probability and odds from `rates`."""
        seconds = (closes_at - opens_at).total_seconds()
        probabilities = _probabilities(
            bet_type, rates, subject, seconds, cuts, sequence, sequence_attribute
        )
        labels = outcome_labels(bet_type, cuts)
        outcomes = tuple(
            MarketOutcome(label, p, decimal_odds(p, margin_bps))
            for label, p in zip(labels, probabilities, strict=True)
        )
        return cls(
            market_id,
            bet_type,
            question,
            listed_at,
            opens_at,
            closes_at,
            subject,
            outcomes,
            cuts,
            sequence,
            sequence_attribute,
            margin_bps,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "market_id": self.market_id,
            "bet_type": self.bet_type.value,
            "question": self.question,
            "listed_at": self.listed_at.isoformat(),
            "opens_at": self.opens_at.isoformat(),
            "closes_at": self.closes_at.isoformat(),
            "subject": self.subject.to_dict(),
            "outcomes": [[o.label, o.probability, o.odds] for o in self.outcomes],
            "cuts": list(self.cuts),
            "sequence": list(self.sequence),
            "sequence_attribute": self.sequence_attribute,
            "margin_bps": self.margin_bps,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MicroMarket:
        return cls(
            data["market_id"],
            BetType(data["bet_type"]),
            data["question"],
            datetime.fromisoformat(data["listed_at"]),
            datetime.fromisoformat(data["opens_at"]),
            datetime.fromisoformat(data["closes_at"]),
            EventFilter.from_dict(data["subject"]),
            tuple(MarketOutcome(label, p, odds) for label, p, odds in data["outcomes"]),
            tuple(data["cuts"]),
            tuple(data["sequence"]),
            data["sequence_attribute"],
            data["margin_bps"],
        )


_ATTRIBUTES = ("kind", "colour", "direction")


def _token_filter(domain: EventFilter, attribute: str, token: str) -> EventFilter:
    if attribute == "kind":
        return replace(domain, kinds=(Kind(token),))
    if attribute == "colour":
        return replace(domain, colour=Colour(token))
    return replace(domain, direction=Direction(token))


def _poisson_pmf(mean: float, count: int) -> list[float]:
    """P(N = 0), ..., P(N = count - 1) for N ~ Poisson(mean)."""
    probabilities = [math.exp(-mean)]
    for k in range(1, count):
        probabilities.append(probabilities[-1] * mean / k)
    return probabilities[:count]


def _probabilities(
    bet_type: BetType,
    rates: RateModel,
    subject: EventFilter,
    seconds: float,
    cuts: Sequence[int],
    sequence: Sequence[str],
    attribute: str,
) -> list[float]:
    """Exact for a Poisson stream: counts are Poisson, first arrivals exponential, and the
    marks of successive events independent draws."""
    rate = rates.rate(subject)
    if bet_type is BetType.BINARY:
        yes = 1.0 - math.exp(-rate * seconds)
        return [yes, 1.0 - yes]
    if bet_type is BetType.QUANTITY:
        pmf = _poisson_pmf(rate * seconds, cuts[-1])
        bands = [sum(pmf[low:high]) for low, high in _pairs((0, *cuts))]
        return [*bands, max(0.0, 1.0 - sum(bands))]
    if bet_type is BetType.TIMING:
        survival = [math.exp(-rate * s) for s in (0, *cuts)]
        return [a - b for a, b in _pairs(survival)] + [survival[-1]]
    if rate <= 0:
        return [0.0, 1.0]
    marks = math.prod(
        rates.rate(_token_filter(subject, attribute, token)) / rate for token in sequence
    )
    enough_events = 1.0 - sum(_poisson_pmf(rate * seconds, len(sequence)))
    yes = marks * enough_events
    return [yes, 1.0 - yes]


# -- what happened: one observer's outcome, then consensus ----------------------------------


def outcome_of(market: MicroMarket, sightings: Iterable[Sighting]) -> str:
    """The outcome that `sightings` (the truth, or one observer's reports) say happened."""
    in_window = sorted(
        (s for s in sightings if market.opens_at <= s.occurred_at < market.closes_at),
        key=lambda s: s.occurred_at,
    )
    labels = [outcome.label for outcome in market.outcomes]
    matching = [s for s in in_window if market.subject.matches(s)]
    if market.bet_type is BetType.BINARY:
        return YES if matching else NO
    if market.bet_type is BetType.QUANTITY:
        return labels[sum(1 for cut in market.cuts if len(matching) >= cut)]
    if market.bet_type is BetType.TIMING:
        if not matching:
            return NONE
        offset = (matching[0].occurred_at - market.opens_at).total_seconds()
        return labels[sum(1 for cut in market.cuts if offset >= cut)]
    first = matching[: len(market.sequence)]
    seen = tuple(_attribute(s, market.sequence_attribute) for s in first)
    return YES if seen == market.sequence else NO


def _attribute(sighting: Sighting, attribute: str) -> str | None:
    value: Kind | Colour | Direction | None = getattr(sighting, attribute)
    return None if value is None else value.value


QUORUM = 2  # seed 002 section 5.2: a result counts when at least 2 of the 3 observers agree


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str | None  # None: no consensus, every bet on the market is voided

    @property
    def is_consensus(self) -> bool:
        return self.outcome is not None


NO_CONSENSUS = Verdict(None)


def consensus(outcomes_by_observer: Mapping[str, str | None]) -> Verdict:
    """The outcome that at least QUORUM observers report, if exactly one does; else
    NO_CONSENSUS. An observer that reported nothing (None) agrees with nobody."""
    counts: dict[str, int] = {}
    for outcome in outcomes_by_observer.values():
        if outcome is not None:
            counts[outcome] = counts.get(outcome, 0) + 1
    agreed = [outcome for outcome, count in counts.items() if count >= QUORUM]
    return Verdict(agreed[0]) if len(agreed) == 1 else NO_CONSENSUS


def resolve(
    market: MicroMarket, sightings_by_observer: Mapping[str, Iterable[Sighting]]
) -> Verdict:
    """Each observer's outcome from its own reports, then the 2-of-3 consensus."""
    return consensus(
        {observer: outcome_of(market, s) for observer, s in sightings_by_observer.items()}
    )


# -- the offers -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarketTemplate:
    """A market listed again every `cycle_seconds`; betting runs for one cycle, then the
    window opens."""

    key: str
    bet_type: BetType
    question: str
    subject: EventFilter
    window_seconds: int
    cycle_seconds: int
    cuts: tuple[int, ...] = ()
    sequence: tuple[str, ...] = ()
    sequence_attribute: str = "kind"


_ROAD_USERS = (Kind.CAR, Kind.BUS, Kind.TRUCK, Kind.CYCLIST)

STREET_TEMPLATES: tuple[MarketTemplate, ...] = (
    MarketTemplate(
        "red-car-30s",
        BetType.BINARY,
        "Will a red car pass in the next 30 s?",
        EventFilter((Kind.CAR,), colour=Colour.RED),
        30,
        15,
    ),
    MarketTemplate(
        "bus-60s",
        BetType.BINARY,
        "Will a bus pass in the next 60 s?",
        EventFilter((Kind.BUS,)),
        60,
        30,
    ),
    MarketTemplate(
        "left-turns-60s",
        BetType.QUANTITY,
        "How many cars turn left in the next 60 s: 4 or fewer, or more than 4?",
        EventFilter((Kind.CAR,), direction=Direction.LEFT),
        60,
        30,
        cuts=(5,),
    ),
    MarketTemplate(
        "pedestrians-60s",
        BetType.QUANTITY,
        "How many pedestrians cross in the next 60 s?",
        EventFilter((Kind.PEDESTRIAN,)),
        60,
        30,
        cuts=(5, 8),
    ),
    MarketTemplate(
        "next-bus-600s",
        BetType.TIMING,
        "When does the next bus pass?",
        EventFilter((Kind.BUS,)),
        600,
        60,
        cuts=(60, 180, 600),
    ),
    MarketTemplate(
        "truck-30s",
        BetType.TIMING,
        "Will a truck pass within 30 s?",
        EventFilter((Kind.TRUCK,)),
        30,
        15,
        cuts=(30,),
    ),
    MarketTemplate(
        "car-cyclist-car-60s",
        BetType.PATTERN,
        "Are the next three road users a car, a cyclist, then a car (within 60 s)?",
        EventFilter(_ROAD_USERS),
        60,
        30,
        sequence=(Kind.CAR.value, Kind.CYCLIST.value, Kind.CAR.value),
    ),
    MarketTemplate(
        "straight-then-left-30s",
        BetType.PATTERN,
        "Do the next two cars go straight on, then turn left (within 30 s)?",
        EventFilter((Kind.CAR,)),
        30,
        15,
        sequence=(Direction.STRAIGHT.value, Direction.LEFT.value),
        sequence_attribute="direction",
    ),
    MarketTemplate(
        "two-white-cars-30s",
        BetType.PATTERN,
        "Are the next two cars both white (within 30 s)?",
        EventFilter((Kind.CAR,)),
        30,
        15,
        sequence=(Colour.WHITE.value, Colour.WHITE.value),
        sequence_attribute="colour",
    ),
)


def offers(
    at: datetime,
    rates: RateModel,
    templates: Sequence[MarketTemplate] = STREET_TEMPLATES,
    stream: str = "street",
) -> list[MicroMarket]:
    """The markets taking bets at `at`: one per template, a function of `at` alone."""
    markets: list[MicroMarket] = []
    now = _micros(at)
    for template in templates:
        cycle = template.cycle_seconds * 1_000_000
        listed_at = EPOCH + MICROSECOND * (now - now % cycle)
        opens_at = listed_at + timedelta(seconds=template.cycle_seconds)
        markets.append(
            MicroMarket.priced(
                f"{stream}:{template.key}:{_micros(opens_at) // 1_000_000}",
                template.bet_type,
                template.question,
                listed_at,
                opens_at,
                opens_at + timedelta(seconds=template.window_seconds),
                template.subject,
                rates,
                template.cuts,
                template.sequence,
                template.sequence_attribute,
            )
        )
    return markets


def _micros(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return (at - EPOCH) // MICROSECOND


# -- the session ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Seed 002 sections 1 and 5.1. Amounts in micro-USDT."""

    reserve_bps: int = 1_000  # the activation reserve: 10% of the deposit ...
    minimum_reserve: int = 1_000_000  # ... and at least 1 USDT
    minimum_stake: int = 10_000  # 0.01 USDT
    max_stake_bps: int = 1_000  # a stake is at most 10% of the betting balance
    min_interval_ms: int = 1_000  # between two accepted bets
    max_open_bets: int = 5
    bucket_capacity: int = 3  # token bucket: a burst of 3 bets ...
    bucket_refill_per_minute: int = 10  # ... then 10 bets a minute

    def reserve_for(self, deposit: int) -> int:
        return max(deposit * self.reserve_bps // BASIS_POINTS, self.minimum_reserve)

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: Mapping[str, int]) -> SessionPolicy:
        return cls(**data)


class MovementKind(StrEnum):
    RESERVE = "reserve"  # account -> session reserve (open)
    FUND = "fund"  # account -> betting balance (open)
    STAKE = "stake"  # betting balance -> bets in play
    RETURN = "return"  # bets in play -> betting balance: a winning bet's stake
    WINNINGS = "winnings"  # house -> betting balance: payout minus stake
    LOSS = "loss"  # bets in play -> house
    REFUND = "refund"  # bets in play -> betting balance: a voided bet
    RELEASE = "release"  # session reserve -> account (close)
    WITHDRAW = "withdraw"  # betting balance -> account (close)


@dataclass(frozen=True, slots=True)
class Movement:
    """A movement of money for the engine to post; `reference` is its idempotency key."""

    kind: MovementKind
    amount: int
    reference: str


class BetStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    VOID = "void"


@dataclass(frozen=True, slots=True)
class MicroBet:
    bet_id: str
    market_id: str
    outcome: str
    stake: int
    odds: int  # hundredths, fixed when the bet was placed
    placed_at: datetime
    closes_at: datetime  # the market's window end: not settled before
    status: BetStatus = BetStatus.OPEN
    returned: int = 0  # credited back to the betting balance on settlement

    @property
    def payout(self) -> int:
        """What a win pays: stake x odds, rounded down to the micro-USDT."""
        return self.stake * self.odds // ODDS_SCALE

    def to_dict(self) -> dict[str, Any]:
        return {
            "bet_id": self.bet_id,
            "market_id": self.market_id,
            "outcome": self.outcome,
            "stake": self.stake,
            "odds": self.odds,
            "placed_at": self.placed_at.isoformat(),
            "closes_at": self.closes_at.isoformat(),
            "status": self.status.value,
            "returned": self.returned,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MicroBet:
        return cls(
            data["bet_id"],
            data["market_id"],
            data["outcome"],
            data["stake"],
            data["odds"],
            datetime.fromisoformat(data["placed_at"]),
            datetime.fromisoformat(data["closes_at"]),
            BetStatus(data["status"]),
            data["returned"],
        )


class SessionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


# One token of the bucket in integer units: refill is `per minute`, time is in microseconds.
_TOKEN_UNITS = 60 * 1_000_000


@dataclass(slots=True)
class MicroSession:
    """A pre-funded session: deposit = activation reserve + betting balance (seed 002 1.1).

    The reserve is never bettable and goes back on close with whatever balance is left.
    """

    session_id: str
    account: str
    policy: SessionPolicy
    opened_at: datetime
    deposit: int
    reserve: int
    available: int  # the betting balance
    status: SessionStatus = SessionStatus.OPEN
    closed_at: datetime | None = None
    bets: dict[str, MicroBet] = field(default_factory=dict)
    bet_count: int = 0
    last_bet_at: datetime | None = None
    bucket_units: int = 0
    bucket_at: datetime | None = None
    _open_by_market: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _in_play: int = 0

    @classmethod
    def open(
        cls,
        account: str,
        deposit: int,
        at: datetime,
        policy: SessionPolicy | None = None,
        session_id: str | None = None,
    ) -> tuple[MicroSession, list[Movement]]:
        policy = SessionPolicy() if policy is None else policy
        if not _is_amount(deposit):
            raise InvalidDeposit("the deposit must be a whole number of micro-USDT")
        reserve = policy.reserve_for(deposit)
        if deposit <= reserve:
            raise InvalidDeposit(f"the deposit must exceed the activation reserve of {reserve}")
        session_id = f"{account}.{_micros(at)}" if session_id is None else session_id
        session = cls(
            session_id,
            account,
            policy,
            at,
            deposit,
            reserve,
            deposit - reserve,
            bucket_units=policy.bucket_capacity * _TOKEN_UNITS,
            bucket_at=at,
        )
        return session, _nonzero(
            Movement(MovementKind.RESERVE, reserve, session._reference("reserve")),
            Movement(MovementKind.FUND, deposit - reserve, session._reference("fund")),
        )

    # -- reading --

    @property
    def in_play(self) -> int:
        """The stakes of open bets."""
        return self._in_play

    @property
    def open_bets(self) -> int:
        return sum(len(bet_ids) for bet_ids in self._open_by_market.values())

    def max_stake(self) -> int:
        return self.available * self.policy.max_stake_bps // BASIS_POINTS

    def wait_before_next_bet(self, at: datetime) -> timedelta:
        """How long the pace rules (interval, token bucket) hold the next bet; zero: none."""
        try:
            self._check_pace(at)
        except TooFast as too_fast:
            return too_fast.retry_after
        return timedelta(0)

    # -- commands --

    def place_bet(
        self, market: MicroMarket, outcome: str, stake: int, at: datetime
    ) -> tuple[MicroBet, list[Movement]]:
        self._check_open()
        odds = market.odds_of(outcome)
        if odds is None:
            raise InvalidBet(f"{outcome!r} is not an outcome of {market.market_id}")
        if not _is_amount(stake) or stake < self.policy.minimum_stake:
            raise InvalidBet(f"the stake must be at least {self.policy.minimum_stake}")
        if not market.is_open_for_bets(at):
            raise MarketClosed(f"{market.market_id} takes bets until {market.opens_at}")
        if stake > self.available:
            raise InsufficientBalance(f"the betting balance is {self.available}")
        if stake > self.max_stake():
            raise StakeTooLarge(f"the largest stake now is {self.max_stake()}")
        if self.open_bets >= self.policy.max_open_bets:
            raise TooManyBets(f"at most {self.policy.max_open_bets} open bets")
        bucket_units = self._check_pace(at)

        self.bet_count += 1
        bet = MicroBet(
            f"{self.session_id}:{self.bet_count}",
            market.market_id,
            outcome,
            stake,
            odds,
            at,
            market.closes_at,
        )
        self.bets[bet.bet_id] = bet
        self._open_by_market.setdefault(market.market_id, []).append(bet.bet_id)
        self.available -= stake
        self._in_play += stake
        self.last_bet_at = at
        self.bucket_units, self.bucket_at = bucket_units - _TOKEN_UNITS, at
        return bet, [Movement(MovementKind.STAKE, stake, self._bet_reference(bet, "stake"))]

    def _check_pace(self, at: datetime) -> int:
        """The bucket's units at `at` if a bet may be placed now; TooFast otherwise."""
        policy = self.policy
        if self.last_bet_at is not None:
            wait = timedelta(milliseconds=policy.min_interval_ms) - (at - self.last_bet_at)
            if wait > timedelta(0):
                raise TooFast(f"at most one bet every {policy.min_interval_ms} ms", wait)
        since = 0 if self.bucket_at is None else max(0, _micros(at) - _micros(self.bucket_at))
        capacity = policy.bucket_capacity * _TOKEN_UNITS
        units = min(capacity, self.bucket_units + since * policy.bucket_refill_per_minute)
        if units < _TOKEN_UNITS:
            missing = -(-(_TOKEN_UNITS - units) // policy.bucket_refill_per_minute)
            raise TooFast(
                f"at most {policy.bucket_refill_per_minute} bets a minute", missing * MICROSECOND
            )
        return units

    def settle(self, market_id: str, verdict: Verdict, at: datetime) -> list[Movement]:
        """Settle this session's open bets on a market: winners get stake x odds (rounded
        down), losers lose the stake, NO_CONSENSUS refunds it. Settling again does nothing."""
        bet_ids = self._open_by_market.get(market_id, [])
        if bet_ids and at < self.bets[bet_ids[0]].closes_at:
            raise ValueError(f"{market_id} is settled after its window closes")
        movements: list[Movement] = []
        for bet_id in self._open_by_market.pop(market_id, []):
            movements += self._settle_bet(self.bets[bet_id], verdict)
        return movements

    def _settle_bet(self, bet: MicroBet, verdict: Verdict) -> list[Movement]:
        self._in_play -= bet.stake
        if verdict.outcome is None:
            status, returned = BetStatus.VOID, bet.stake
            movements = [
                Movement(MovementKind.REFUND, bet.stake, self._bet_reference(bet, "refund"))
            ]
        elif verdict.outcome == bet.outcome:
            status, returned = BetStatus.WON, bet.payout
            movements = _nonzero(
                Movement(MovementKind.RETURN, bet.stake, self._bet_reference(bet, "return")),
                Movement(
                    MovementKind.WINNINGS,
                    bet.payout - bet.stake,
                    self._bet_reference(bet, "winnings"),
                ),
            )
        else:
            status, returned = BetStatus.LOST, 0
            movements = [Movement(MovementKind.LOSS, bet.stake, self._bet_reference(bet, "loss"))]
        self.available += returned
        self.bets[bet.bet_id] = replace(bet, status=status, returned=returned)
        return movements

    def close(self, at: datetime) -> list[Movement]:
        """Void and refund every open bet, then return the reserve and the betting balance
        to the account in one step. The session takes no more bets."""
        self._check_open()
        movements: list[Movement] = []
        for market_id in sorted(self._open_by_market):
            for bet_id in self._open_by_market.pop(market_id):
                movements += self._settle_bet(self.bets[bet_id], NO_CONSENSUS)
        movements += _nonzero(
            Movement(MovementKind.RELEASE, self.reserve, self._reference("release")),
            Movement(MovementKind.WITHDRAW, self.available, self._reference("withdraw")),
        )
        self.status, self.closed_at = SessionStatus.CLOSED, at
        self.available = 0
        return movements

    def _check_open(self) -> None:
        if self.status is SessionStatus.CLOSED:
            raise SessionClosed(f"session {self.session_id} is closed")

    def _reference(self, what: str) -> str:
        return f"micro:{self.session_id}:{what}"

    def _bet_reference(self, bet: MicroBet, what: str) -> str:
        return f"micro:{bet.bet_id}:{what}"

    # -- snapshots --

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "account": self.account,
            "policy": self.policy.to_dict(),
            "opened_at": self.opened_at.isoformat(),
            "deposit": self.deposit,
            "reserve": self.reserve,
            "available": self.available,
            "status": self.status.value,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "bets": [bet.to_dict() for bet in self.bets.values()],
            "bet_count": self.bet_count,
            "last_bet_at": None if self.last_bet_at is None else self.last_bet_at.isoformat(),
            "bucket_units": self.bucket_units,
            "bucket_at": None if self.bucket_at is None else self.bucket_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MicroSession:
        bets = [MicroBet.from_dict(bet) for bet in data["bets"]]
        session = cls(
            data["session_id"],
            data["account"],
            SessionPolicy.from_dict(data["policy"]),
            datetime.fromisoformat(data["opened_at"]),
            data["deposit"],
            data["reserve"],
            data["available"],
            SessionStatus(data["status"]),
            _optional_time(data["closed_at"]),
            {bet.bet_id: bet for bet in bets},
            data["bet_count"],
            _optional_time(data["last_bet_at"]),
            data["bucket_units"],
            _optional_time(data["bucket_at"]),
        )
        for bet in bets:
            if bet.status is BetStatus.OPEN:
                session._open_by_market.setdefault(bet.market_id, []).append(bet.bet_id)
                session._in_play += bet.stake
        return session


def _optional_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _is_amount(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _nonzero(*movements: Movement) -> list[Movement]:
    """Zero amounts are not postings: a session closed with nothing left returns no WITHDRAW."""
    return [movement for movement in movements if movement.amount > 0]
