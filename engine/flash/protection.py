"""Player protection for flash bets and micro sessions: deposit and loss limits, reality
checks, cool-off, self-exclusion and the loss-velocity monitor (seed 002, section 6.2).

Pure and deterministic: no I/O and no clock. Every method takes `at` (aware UTC) from the
caller, and the whole state round-trips through `to_dict()`/`from_dict()` so the engine can
snapshot it and replay commands. Every rule here only ever makes play slower or safer:
raising or removing a limit waits `limit_increase_delay`, cool-off and self-exclusion cannot
be shortened, and the velocity monitor only lengthens waits. See docs/player-protection.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from engine.errors import DomainError

MICRO_USDT = 1_000_000

# Periods are rolling windows ending at `at`, not calendar days: a loss weighs on the daily
# limit for exactly the next 24 hours whatever the player's time zone.
PERIOD_WINDOWS: Mapping[str, timedelta] = {
    "day": timedelta(hours=24),
    "week": timedelta(days=7),
    "month": timedelta(days=30),
}
LONGEST_WINDOW = max(PERIOD_WINDOWS.values())

# Deposits and results are kept per minute, keyed by the *end* of their minute, so an entry
# counts for at least its full window and at most one minute longer: never shorter.
BUCKET = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECONDS_PER_MINUTE = 60_000_000


class LimitPeriod(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def window(self) -> timedelta:
        return PERIOD_WINDOWS[self.value]


class LimitKind(StrEnum):
    DEPOSIT = "deposit"
    LOSS = "loss"


# --- refusals ---------------------------------------------------------------------------


class ProtectionRefused(DomainError):
    """A player-protection rule refuses the action; subclasses carry a stable code."""

    code = "PROTECTION_REFUSED"


class LimitReached(ProtectionRefused):
    """A deposit, or the worst case of a bet, would exceed a deposit or loss limit."""

    code = "LIMIT_REACHED"

    def __init__(
        self, kind: LimitKind, period: LimitPeriod, limit: int, used: int, remaining: int
    ) -> None:
        super().__init__(
            f"{kind.value} limit per {period.value} reached: limit {limit} micro-USDT, "
            f"used {used}, {remaining} left"
        )
        self.kind = kind
        self.period = period
        self.limit = limit
        self.used = used
        self.remaining = remaining


class SelfExcluded(ProtectionRefused):
    """Self-excluded: no bets or deposits until `until`; it cannot be lifted early."""

    code = "SELF_EXCLUDED"

    def __init__(self, until: datetime, message: str | None = None) -> None:
        super().__init__(message or f"self-excluded until {until.isoformat()}")
        self.until = until


class CoolingOff(ProtectionRefused):
    """Cooling off: no bets or deposits until `until`; it cannot be shortened or lifted."""

    code = "COOLING_OFF"

    def __init__(self, until: datetime, message: str | None = None) -> None:
        super().__init__(message or f"cooling off until {until.isoformat()}")
        self.until = until


class RealityCheckDue(ProtectionRefused):
    """A reality check must be acknowledged before the next bet."""

    code = "REALITY_CHECK_DUE"

    def __init__(self, reality_check: RealityCheck) -> None:
        super().__init__(
            f"reality check due: {reality_check.time_played} played, "
            f"net result {reality_check.net_result} micro-USDT; acknowledge to continue"
        )
        self.reality_check = reality_check


class TooFast(ProtectionRefused):
    """Play is slowed after rapid losses: the next bet is allowed at `retry_at`."""

    code = "TOO_FAST"

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(f"play is slowed after rapid losses; next bet at {retry_at.isoformat()}")
        self.retry_at = retry_at


class InvalidLimit(ProtectionRefused):
    """A limit amount or a cool-off / self-exclusion duration outside what is allowed."""

    code = "INVALID_LIMIT"


# --- policy -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProtectionPolicy:
    """Venue-wide settings. Defaults are documented in docs/player-protection.md."""

    reality_check_interval: timedelta = timedelta(minutes=30)
    # A session of play ends after this long without a bet or result; the next bet starts a
    # new one (and a new reality-check period).
    play_session_idle_gap: timedelta = timedelta(minutes=30)
    # Loss velocity (seed 002, 6.2, dB/dt): net loss over the window, per minute.
    velocity_window: timedelta = timedelta(minutes=10)
    velocity_threshold_per_minute: int = 50 * MICRO_USDT
    # ...or a net loss in the window above this share (basis points) of the last 24 h's deposits.
    velocity_deposit_share_bps: int = 2_500
    slowed_play_duration: timedelta = timedelta(minutes=15)
    slowed_minimum_bet_gap: timedelta = timedelta(seconds=10)
    limit_increase_delay: timedelta = timedelta(hours=24)
    cool_off_minimum: timedelta = timedelta(hours=24)
    cool_off_maximum: timedelta = timedelta(weeks=6)
    # Six calendar months are at least 181 days; five calendar years at most 1827.
    self_exclusion_minimum: timedelta = timedelta(days=181)
    self_exclusion_maximum: timedelta = timedelta(days=1827)

    def __post_init__(self) -> None:
        positive = (
            self.reality_check_interval,
            self.play_session_idle_gap,
            self.velocity_window,
            self.slowed_play_duration,
            self.slowed_minimum_bet_gap,
            self.limit_increase_delay,
            self.cool_off_minimum,
            self.self_exclusion_minimum,
        )
        if any(value <= timedelta(0) for value in positive):
            raise ValueError("protection durations must be positive")
        if self.velocity_threshold_per_minute <= 0 or self.velocity_deposit_share_bps <= 0:
            raise ValueError("velocity thresholds must be positive")
        if self.cool_off_maximum < self.cool_off_minimum:
            raise ValueError("cool-off maximum below minimum")
        if self.self_exclusion_maximum < self.self_exclusion_minimum:
            raise ValueError("self-exclusion maximum below minimum")


# --- values shown to callers ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitChange:
    kind: LimitKind
    period: LimitPeriod
    previous: int | None
    requested: int | None
    effective_at: datetime
    immediate: bool


@dataclass(frozen=True, slots=True)
class PendingLimit:
    """A raise or removal waiting for `effective_at`; `amount` None means no limit."""

    amount: int | None
    effective_at: datetime


@dataclass(frozen=True, slots=True)
class LimitStatus:
    kind: LimitKind
    period: LimitPeriod
    amount: int | None
    pending: PendingLimit | None
    # Deposits in the window, or net loss in the window plus stakes of unsettled bets.
    used: int
    remaining: int | None


@dataclass(frozen=True, slots=True)
class RealityCheck:
    due_at: datetime
    period_started_at: datetime
    session_started_at: datetime | None
    time_played: timedelta
    net_result: int
    reason: Literal["interval", "loss_velocity"]


@dataclass(frozen=True, slots=True)
class ProtectionStatus:
    limits: tuple[LimitStatus, ...]
    open_stakes: int
    cool_off_until: datetime | None
    self_excluded_until: datetime | None
    reality_check: RealityCheck | None
    next_reality_check_at: datetime | None
    slowed_until: datetime | None
    next_bet_at: datetime | None
    loss_velocity_per_minute: int
    needs_limit_prompt: bool


# --- state ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Limit:
    amount: int | None = None
    pending: PendingLimit | None = None

    def effective(self, at: datetime) -> int | None:
        if self.pending is not None and at >= self.pending.effective_at:
            return self.pending.amount
        return self.amount

    def settle(self, at: datetime) -> None:
        """Apply a pending change whose time has come."""
        if self.pending is not None and at >= self.pending.effective_at:
            self.amount = self.pending.amount
            self.pending = None


def _new_limits() -> dict[tuple[LimitKind, LimitPeriod], _Limit]:
    return {(kind, period): _Limit() for kind in LimitKind for period in LimitPeriod}


@dataclass
class PlayerProtection:
    """The protection state of one account."""

    policy: ProtectionPolicy = field(default_factory=ProtectionPolicy)
    limits: dict[tuple[LimitKind, LimitPeriod], _Limit] = field(default_factory=_new_limits)
    # minute key -> amount; see BUCKET.
    deposits: dict[int, int] = field(default_factory=dict)
    results: dict[int, int] = field(default_factory=dict)
    open_stakes: int = 0
    cool_off_until: datetime | None = None
    self_excluded_until: datetime | None = None
    session_started_at: datetime | None = None
    check_period_started_at: datetime | None = None
    net_result_since_check: int = 0
    last_play_at: datetime | None = None
    last_bet_at: datetime | None = None
    forced_check_at: datetime | None = None
    slowed_until: datetime | None = None
    limit_prompt_seen_at: datetime | None = None

    # --- limits -------------------------------------------------------------------------

    def set_limit(
        self,
        kind: LimitKind | Literal["deposit", "loss"],
        period: LimitPeriod | Literal["day", "week", "month"],
        amount: int | None,
        at: datetime,
    ) -> LimitChange:
        """Lowering (or setting where there was none) applies at once; raising or removing
        applies after `limit_increase_delay`, and asking again restarts the wait."""
        _require_utc(at)
        kind, period = LimitKind(kind), LimitPeriod(period)
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
            raise InvalidLimit("a limit is an integer amount of micro-USDT")
        if amount is not None and amount < 0:
            raise InvalidLimit("a limit cannot be negative")
        limit = self.limits[(kind, period)]
        limit.settle(at)
        previous = limit.amount
        if amount is None and previous is None:
            return LimitChange(kind, period, None, None, at, immediate=True)
        if amount is not None and (previous is None or amount <= previous):
            limit.amount = amount
            limit.pending = None
            return LimitChange(kind, period, previous, amount, at, immediate=True)
        if limit.pending is None or limit.pending.amount != amount:
            limit.pending = PendingLimit(amount, at + self.policy.limit_increase_delay)
        return LimitChange(kind, period, previous, amount, limit.pending.effective_at, False)

    def limit(self, kind: LimitKind, period: LimitPeriod, at: datetime) -> int | None:
        return self.limits[(kind, period)].effective(at)

    # --- deposits -----------------------------------------------------------------------

    def check_deposit(self, amount: int, at: datetime) -> None:
        _require_utc(at)
        _require_positive(amount, "deposit")
        self._check_not_blocked(at)
        for period in LimitPeriod:
            limit = self.limit(LimitKind.DEPOSIT, period, at)
            if limit is None:
                continue
            used = self._deposited(period.window, at)
            if used + amount > limit:
                raise LimitReached(LimitKind.DEPOSIT, period, limit, used, max(0, limit - used))

    def record_deposit(self, amount: int, at: datetime) -> None:
        _require_utc(at)
        _require_positive(amount, "deposit")
        key = _bucket_key(at)
        self.deposits[key] = self.deposits.get(key, 0) + amount
        self._prune(at)

    # --- bets ---------------------------------------------------------------------------

    def check_bet(self, stake: int, at: datetime) -> None:
        """Refuses in this order: self-exclusion, cool-off, reality check, loss limits
        (worst case: the stake and every unsettled stake are lost), slowed play."""
        _require_utc(at)
        _require_positive(stake, "stake")
        self._check_not_blocked(at)
        due = self.reality_check(at)
        if due is not None:
            raise RealityCheckDue(due)
        for period in LimitPeriod:
            limit = self.limit(LimitKind.LOSS, period, at)
            if limit is None:
                continue
            exposure = self._loss_exposure(period.window, at)
            if exposure + stake > limit:
                raise LimitReached(
                    LimitKind.LOSS, period, limit, exposure, max(0, limit - exposure)
                )
        retry_at = self._next_bet_at(at)
        if retry_at is not None:
            raise TooFast(retry_at)

    def record_bet(self, stake: int, at: datetime) -> None:
        """A bet was accepted: its stake is at risk until its result, and it counts as play."""
        _require_utc(at)
        _require_positive(stake, "stake")
        session_over = self.last_play_at is None or at >= self.last_play_at + (
            self.policy.play_session_idle_gap
        )
        if session_over and self.reality_check(at) is None:
            self.session_started_at = at
            self.check_period_started_at = at
            self.net_result_since_check = 0
        self.open_stakes += stake
        self.last_bet_at = _later(self.last_bet_at, at)
        self.last_play_at = _later(self.last_play_at, at)

    def record_result(self, stake: int, payout: int, at: datetime) -> None:
        """A bet settled: `payout` (0 when lost) against `stake`. Feeds the loss limits and
        the loss-velocity monitor."""
        _require_utc(at)
        _require_positive(stake, "stake")
        if isinstance(payout, bool) or not isinstance(payout, int) or payout < 0:
            raise ValueError("payout must be a non-negative integer")
        net = payout - stake
        key = _bucket_key(at)
        self.results[key] = self.results.get(key, 0) + net
        self.open_stakes = max(0, self.open_stakes - stake)
        self.net_result_since_check += net
        self.last_play_at = _later(self.last_play_at, at)
        self._prune(at)
        if self._velocity_exceeded(at):
            self._slow_down(at)

    # --- cool-off and self-exclusion ----------------------------------------------------

    def start_cool_off(self, duration: timedelta, at: datetime) -> None:
        _require_utc(at)
        policy = self.policy
        if not policy.cool_off_minimum <= duration <= policy.cool_off_maximum:
            raise InvalidLimit(
                f"a cool-off lasts from {policy.cool_off_minimum} to {policy.cool_off_maximum}"
            )
        until = at + duration
        current = self._active(self.cool_off_until, at)
        if current is not None and until < current:
            raise CoolingOff(
                current, f"cooling off until {current.isoformat()}; a cool-off cannot be shortened"
            )
        self.cool_off_until = until

    def lift_cool_off(self, at: datetime) -> None:
        """Refused while the cool-off runs; afterwards it has already ended."""
        _require_utc(at)
        current = self._active(self.cool_off_until, at)
        if current is not None:
            raise CoolingOff(
                current,
                f"cooling off until {current.isoformat()}; a cool-off cannot be lifted early",
            )
        self.cool_off_until = None

    def self_exclude(self, duration: timedelta, at: datetime) -> None:
        _require_utc(at)
        policy = self.policy
        if not policy.self_exclusion_minimum <= duration <= policy.self_exclusion_maximum:
            raise InvalidLimit(
                f"self-exclusion lasts from {policy.self_exclusion_minimum.days} "
                f"to {policy.self_exclusion_maximum.days} days"
            )
        until = at + duration
        current = self._active(self.self_excluded_until, at)
        if current is not None and until < current:
            raise SelfExcluded(
                current,
                f"self-excluded until {current.isoformat()}; a self-exclusion cannot be shortened",
            )
        self.self_excluded_until = until

    def lift_self_exclusion(self, at: datetime) -> None:
        """Refused while the exclusion runs; afterwards it has already ended."""
        _require_utc(at)
        current = self._active(self.self_excluded_until, at)
        if current is not None:
            raise SelfExcluded(
                current,
                f"self-excluded until {current.isoformat()}; "
                "a self-exclusion cannot be lifted early",
            )
        self.self_excluded_until = None

    # --- reality checks -----------------------------------------------------------------

    def reality_check(self, at: datetime) -> RealityCheck | None:
        """The check due at `at`, if any: forced by loss velocity, or `reality_check_interval`
        of play since the session started or the last acknowledgement. A session that ended
        (idle gap) before its check came due needs none."""
        _require_utc(at)
        if self.forced_check_at is not None and at >= self.forced_check_at:
            return self._reality_check(self.forced_check_at, at, "loss_velocity")
        due_at = self._interval_check_at()
        if due_at is None or at < due_at:
            return None
        assert self.last_play_at is not None  # set together with the check period
        if self.last_play_at + self.policy.play_session_idle_gap <= due_at:
            return None
        return self._reality_check(due_at, at, "interval")

    def acknowledge_reality_check(self, at: datetime) -> None:
        """The player has seen the check: a new period starts now. Nothing due, nothing done:
        acknowledging early cannot push the next check back."""
        _require_utc(at)
        if self.reality_check(at) is None:
            return
        self.forced_check_at = None
        self.check_period_started_at = at
        self.net_result_since_check = 0

    # --- prompt at first deposit --------------------------------------------------------

    def needs_limit_prompt(self) -> bool:
        return self.limit_prompt_seen_at is None

    def record_limit_prompt_seen(self, at: datetime) -> None:
        _require_utc(at)
        if self.limit_prompt_seen_at is None:
            self.limit_prompt_seen_at = at

    # --- status -------------------------------------------------------------------------

    def status(self, at: datetime) -> ProtectionStatus:
        _require_utc(at)
        return ProtectionStatus(
            limits=tuple(self._limit_status(kind, period, at) for kind, period in self.limits),
            open_stakes=self.open_stakes,
            cool_off_until=self._active(self.cool_off_until, at),
            self_excluded_until=self._active(self.self_excluded_until, at),
            reality_check=self.reality_check(at),
            next_reality_check_at=self._next_reality_check_at(at),
            slowed_until=self._active(self.slowed_until, at),
            next_bet_at=self._next_bet_at(at),
            loss_velocity_per_minute=self.loss_velocity_per_minute(at),
            needs_limit_prompt=self.needs_limit_prompt(),
        )

    def loss_velocity_per_minute(self, at: datetime) -> int:
        """Net loss over `velocity_window` in micro-USDT per minute (0 when winning)."""
        window = self.policy.velocity_window
        return self._net_loss(window, at) * _MICROSECONDS_PER_MINUTE // _microseconds(window)

    # --- snapshot -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values; datetimes as ISO 8601. The policy is configuration and
        is not stored: pass the same one to `from_dict`."""
        return {
            "limits": [
                {
                    "kind": kind.value,
                    "period": period.value,
                    "amount": limit.amount,
                    "pending": None
                    if limit.pending is None
                    else {
                        "amount": limit.pending.amount,
                        "effective_at": limit.pending.effective_at.isoformat(),
                    },
                }
                for (kind, period), limit in self.limits.items()
            ],
            "deposits": [[key, amount] for key, amount in self.deposits.items()],
            "results": [[key, amount] for key, amount in self.results.items()],
            "open_stakes": self.open_stakes,
            "cool_off_until": _iso(self.cool_off_until),
            "self_excluded_until": _iso(self.self_excluded_until),
            "session_started_at": _iso(self.session_started_at),
            "check_period_started_at": _iso(self.check_period_started_at),
            "net_result_since_check": self.net_result_since_check,
            "last_play_at": _iso(self.last_play_at),
            "last_bet_at": _iso(self.last_bet_at),
            "forced_check_at": _iso(self.forced_check_at),
            "slowed_until": _iso(self.slowed_until),
            "limit_prompt_seen_at": _iso(self.limit_prompt_seen_at),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], policy: ProtectionPolicy | None = None
    ) -> PlayerProtection:
        limits = _new_limits()
        for item in data["limits"]:
            pending = item["pending"]
            limits[(LimitKind(item["kind"]), LimitPeriod(item["period"]))] = _Limit(
                amount=_int_or_none(item["amount"]),
                pending=None
                if pending is None
                else PendingLimit(
                    _int_or_none(pending["amount"]), _parse_time(pending["effective_at"])
                ),
            )
        return cls(
            policy=policy if policy is not None else ProtectionPolicy(),
            limits=limits,
            deposits={int(key): int(amount) for key, amount in data["deposits"]},
            results={int(key): int(amount) for key, amount in data["results"]},
            open_stakes=int(data["open_stakes"]),
            cool_off_until=_parse_optional(data["cool_off_until"]),
            self_excluded_until=_parse_optional(data["self_excluded_until"]),
            session_started_at=_parse_optional(data["session_started_at"]),
            check_period_started_at=_parse_optional(data["check_period_started_at"]),
            net_result_since_check=int(data["net_result_since_check"]),
            last_play_at=_parse_optional(data["last_play_at"]),
            last_bet_at=_parse_optional(data["last_bet_at"]),
            forced_check_at=_parse_optional(data["forced_check_at"]),
            slowed_until=_parse_optional(data["slowed_until"]),
            limit_prompt_seen_at=_parse_optional(data["limit_prompt_seen_at"]),
        )

    # --- internals ----------------------------------------------------------------------

    def _check_not_blocked(self, at: datetime) -> None:
        excluded = self._active(self.self_excluded_until, at)
        if excluded is not None:
            raise SelfExcluded(excluded)
        cooling = self._active(self.cool_off_until, at)
        if cooling is not None:
            raise CoolingOff(cooling)

    @staticmethod
    def _active(until: datetime | None, at: datetime) -> datetime | None:
        return until if until is not None and at < until else None

    def _deposited(self, window: timedelta, at: datetime) -> int:
        return _sum_within(self.deposits, window, at)

    def _net_loss(self, window: timedelta, at: datetime) -> int:
        return max(0, -_sum_within(self.results, window, at))

    def _loss_exposure(self, window: timedelta, at: datetime) -> int:
        """Loss in the window if every unsettled bet is lost (winnings offset losses)."""
        return max(0, self.open_stakes - _sum_within(self.results, window, at))

    def _limit_status(self, kind: LimitKind, period: LimitPeriod, at: datetime) -> LimitStatus:
        limit = self.limits[(kind, period)]
        amount = limit.effective(at)
        pending = (
            limit.pending if limit.pending is not None and at < limit.pending.effective_at else None
        )
        if kind is LimitKind.DEPOSIT:
            used = self._deposited(period.window, at)
        else:
            used = self._loss_exposure(period.window, at)
        remaining = None if amount is None else max(0, amount - used)
        return LimitStatus(kind, period, amount, pending, used, remaining)

    def _velocity_exceeded(self, at: datetime) -> bool:
        policy = self.policy
        loss = self._net_loss(policy.velocity_window, at)
        if loss == 0:
            return False
        # loss per minute > threshold, without division.
        if (
            loss * timedelta(minutes=1)
            > policy.velocity_threshold_per_minute * policy.velocity_window
        ):
            return True
        deposited = self._deposited(LimitPeriod.DAY.window, at)
        return deposited > 0 and loss * 10_000 > deposited * policy.velocity_deposit_share_bps

    def _slow_down(self, at: datetime) -> None:
        """A new episode of rapid loss forces a reality check; every trigger extends slowed
        play. Both only ever move later."""
        if self._active(self.slowed_until, at) is None and self.forced_check_at is None:
            self.forced_check_at = at
            if self.check_period_started_at is None:
                self.check_period_started_at = at
        self.slowed_until = _later(self.slowed_until, at + self.policy.slowed_play_duration)

    def _next_bet_at(self, at: datetime) -> datetime | None:
        """When slowed play next allows a bet, if it refuses one at `at`."""
        slowed_until = self._active(self.slowed_until, at)
        if slowed_until is None or self.last_bet_at is None:
            return None
        retry_at = min(self.last_bet_at + self.policy.slowed_minimum_bet_gap, slowed_until)
        return retry_at if at < retry_at else None

    def _interval_check_at(self) -> datetime | None:
        if self.check_period_started_at is None:
            return None
        return self.check_period_started_at + self.policy.reality_check_interval

    def _next_reality_check_at(self, at: datetime) -> datetime | None:
        if self.forced_check_at is not None:
            return self.forced_check_at
        due_at = self._interval_check_at()
        if due_at is None or self.last_play_at is None:
            return None
        if self.last_play_at + self.policy.play_session_idle_gap <= min(at, due_at):
            return None  # the session ended; the next bet starts a new period
        return due_at

    def _reality_check(
        self, due_at: datetime, at: datetime, reason: Literal["interval", "loss_velocity"]
    ) -> RealityCheck:
        started = self.check_period_started_at
        if started is None:
            started = due_at
        played_until = min(at, _later(self.last_play_at, due_at))
        return RealityCheck(
            due_at=due_at,
            period_started_at=started,
            session_started_at=self.session_started_at,
            time_played=max(timedelta(0), played_until - started),
            net_result=self.net_result_since_check,
            reason=reason,
        )

    def _prune(self, at: datetime) -> None:
        # Buckets that end at or before at - LONGEST_WINDOW count in no window any more.
        expired = (at - LONGEST_WINDOW - _EPOCH) // BUCKET
        for buckets in (self.deposits, self.results):
            for key in [key for key in buckets if key <= expired]:
                del buckets[key]


# --- helpers ----------------------------------------------------------------------------


def _require_utc(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() != timedelta(0):
        raise ValueError("times must be timezone-aware UTC")


def _require_positive(amount: int, what: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError(f"{what} must be a positive integer of micro-USDT")


def _bucket_key(at: datetime) -> int:
    """Index of the minute that ends at or after `at` (ceiling)."""
    return -((_EPOCH - at) // BUCKET)


def _sum_within(buckets: Mapping[int, int], window: timedelta, at: datetime) -> int:
    """Sum of buckets whose end lies inside (at - window, ...]."""
    oldest = _bucket_key(at - window)
    # A bucket ending exactly at at - window has left the window.
    if _EPOCH + oldest * BUCKET == at - window:
        oldest += 1
    return sum(amount for key, amount in buckets.items() if key >= oldest)


def _microseconds(duration: timedelta) -> int:
    return duration // timedelta(microseconds=1)


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    _require_utc(parsed)
    return parsed


def _parse_optional(value: str | None) -> datetime | None:
    return None if value is None else _parse_time(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
