"""Funding (seed 004, 3 C): a rate sampled every second, averaged and paid every hour.

sample = clamp(premium index + interest, +-0.05 %), premium index = (mark - index) / index.
Each per-second sample is clamped before averaging, so no single second can move an
hour's rate by more than 0.05 % / samples. Rates are integers of 1e-12 (FUNDING_RATE_SCALE),
truncated toward zero so neither side is favoured. Payments: the paying side pays its
notional x rate rounded up; the receiving side shares exactly that total pro rata to size,
rounded down; the few micro-USDT left over are the residue, booked to the insurance fund.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.perps.position import Side
from engine.perps.units import NOTIONAL_DIVISOR

FUNDING_RATE_SCALE = 10**12
FUNDING_INTERVAL = timedelta(hours=1)  # seed 004, 3 C: paid every 1 hour
_INTERVAL_SECONDS = 3600
# The issue: each sample clamped to +-0.05 %.
MAX_FUNDING_RATE = 5 * 10**8
# Seed 004, 3 C: interest 0.01 % a day, spread over the 24 hourly payments:
# 1e-4 / 24 = 4.1666...e-6, to the nearest 1e-12 (the seed itself rounds it to 4.17e-6).
INTEREST_RATE_PER_INTERVAL = 4_166_667
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


class FundingPeriodNotClosed(Exception):
    """A sample for the next hour arrived before the current hour was closed."""


@dataclass(frozen=True, slots=True)
class HourlyFundingRate:
    symbol: str
    funding_time: datetime
    rate: int  # 1e-12 per hour; positive: longs pay shorts
    sample_count: int


def premium_index(mark: int, index: int) -> int:
    """(mark - index) / index in 1e-12, truncated toward zero."""
    if index <= 0 or mark <= 0:
        raise ValueError("mark and index must be positive")
    return _truncated_div((mark - index) * FUNDING_RATE_SCALE, index)


def funding_rate_sample(mark: int, index: int) -> int:
    rate = premium_index(mark, index) + INTEREST_RATE_PER_INTERVAL
    return max(-MAX_FUNDING_RATE, min(MAX_FUNDING_RATE, rate))


def next_funding_time(now: datetime) -> datetime:
    """The first whole hour strictly after `now`."""
    return _from_epoch_seconds((_epoch_seconds(now) // _INTERVAL_SECONDS + 1) * _INTERVAL_SECONDS)


@dataclass(slots=True)
class FundingAccumulator:
    """The samples of one symbol's current hour: a running sum, O(1) per second."""

    symbol: str
    period_end: int  # epoch seconds of the funding time that closes this hour
    rate_sum: int = 0
    sample_count: int = 0
    last_sample_second: int | None = None

    @classmethod
    def starting(cls, symbol: str, now: datetime) -> FundingAccumulator:
        return cls(symbol, _epoch_seconds(next_funding_time(now)))

    @property
    def funding_time(self) -> datetime:
        return _from_epoch_seconds(self.period_end)

    def record(self, mark: int, index: int, at: datetime) -> int | None:
        """Add the sample of second `at`; a repeated or late second is ignored (None)."""
        second = _epoch_seconds(at)
        if second >= self.period_end:
            raise FundingPeriodNotClosed(
                f"{self.symbol}: close the hour ending {self.funding_time} first"
            )
        stale = self.last_sample_second is not None and second <= self.last_sample_second
        if stale or second < self.period_end - _INTERVAL_SECONDS:
            return None
        rate = funding_rate_sample(mark, index)
        self.rate_sum += rate
        self.sample_count += 1
        self.last_sample_second = second
        return rate

    def estimate(self) -> int:
        """The rate the hour would pay if it closed now."""
        if self.sample_count == 0:
            # No sample, no premium evidence: the hour pays interest only.
            return INTEREST_RATE_PER_INTERVAL
        return _truncated_div(self.rate_sum, self.sample_count)

    def close(self, funding_time: datetime) -> HourlyFundingRate:
        if _epoch_seconds(funding_time) != self.period_end:
            raise ValueError(f"{self.symbol}: the open hour ends at {self.funding_time}")
        closed = HourlyFundingRate(
            self.symbol, self.funding_time, self.estimate(), self.sample_count
        )
        self.period_end += _INTERVAL_SECONDS
        self.rate_sum = 0
        self.sample_count = 0
        return closed


@dataclass(frozen=True, slots=True)
class FundingPosition:
    account: str
    side: Side
    size: int  # base units


@dataclass(frozen=True, slots=True)
class FundingSettlement:
    """Signed payments in input order (negative: pays). sum(payments) + residue == 0."""

    payments: tuple[int, ...]
    residue: int  # >= 0; credited to the insurance fund
    total_paid: int


def funding_payments(
    positions: Sequence[FundingPosition], mark: int, rate: int
) -> FundingSettlement:
    """Longs pay shorts when the rate is positive, shorts pay longs when it is negative."""
    if mark <= 0:
        raise ValueError("mark must be positive")
    payer_side = Side.LONG if rate > 0 else Side.SHORT
    factor = mark * abs(rate)
    divisor = NOTIONAL_DIVISOR * FUNDING_RATE_SCALE
    payments: list[int] = []
    receivers: list[int] = []
    total_paid = receiving_size = 0
    for number, position in enumerate(positions):
        if position.side is payer_side:
            payment = -position.size * factor // divisor  # minus the charge rounded up
            total_paid -= payment
            payments.append(payment)
        else:
            receiving_size += position.size
            receivers.append(number)
            payments.append(0)
    if rate == 0 or receiving_size == 0 or total_paid == 0:
        # Nobody to pay or nobody to receive: funding moves nothing.
        return FundingSettlement((0,) * len(positions), 0, 0)
    for number in receivers:
        payments[number] = total_paid * positions[number].size // receiving_size
    return FundingSettlement(tuple(payments), -sum(payments), total_paid)


def _truncated_div(numerator: int, denominator: int) -> int:
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient


def _epoch_seconds(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("funding times are timezone-aware")
    return (at - _EPOCH) // _SECOND


def _from_epoch_seconds(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)
