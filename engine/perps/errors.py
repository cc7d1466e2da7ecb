"""Refusals of the perps engine: each a DomainError with a stable code the API exposes."""

from __future__ import annotations

from engine.errors import DomainError


class InsufficientMargin(DomainError):
    """The available balance does not cover the initial margin and fee, or a margin
    withdrawal would leave the position below its initial margin."""

    code = "INSUFFICIENT_MARGIN"


class PositionSizeExceeded(DomainError):
    """The resulting position's notional is above the leverage tier's cap."""

    code = "POSITION_SIZE_EXCEEDED"


class LeverageNotAllowed(DomainError):
    """Leverage outside 1..market maximum, or a change of leverage on an open position."""

    code = "LEVERAGE_NOT_ALLOWED"


class ReduceOnlyViolation(DomainError):
    """A reduce-only order that would open, increase or flip a position."""

    code = "REDUCE_ONLY"


class InvalidSize(DomainError):
    """Size not positive, not a multiple of the step, or outside min/max order size."""

    code = "INVALID_SIZE"


class InvalidTick(DomainError):
    """Price not positive or not a multiple of the tick size."""

    code = "INVALID_TICK"


class MarketInactive(DomainError):
    code = "MARKET_INACTIVE"


class InvalidMarginAmount(DomainError):
    """A margin transfer of zero or a negative amount."""

    code = "INVALID_MARGIN_AMOUNT"
