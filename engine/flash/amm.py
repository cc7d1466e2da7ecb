"""Pricing of flash-market outcomes: the dynamic pm-AMM for binary markets, LMSR for 3+ outcomes.

Floats are used only for the curve (normal distribution, logarithms); every money amount that
leaves this module is an integer rounded in the venue's favour (fees up, shares down).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Protocol

from engine.errors import DomainError

MICRO = (
    1_000_000  # micro-USDT per USDT; one share pays 1 USDT = MICRO micro-USDT if its outcome wins
)
BPS = 10_000

# Seed 000, "Micro-tau AMM": tau = 0.0001 * (time_left / 60), the base tau of a 60-second market.
TAU_PER_MINUTE = 0.0001
# The pool stops thinning one second before the deadline, so L_t never reaches zero.
MIN_TIME_LEFT_SECONDS = 1.0
# Pricer inputs: opening probabilities are kept away from certainty (the brief of pricer_for).
MIN_OPENING_PROBABILITY = 0.01
MAX_OPENING_PROBABILITY = 0.99
# No trade may push an outcome above this price: a bet at ~1 can only lose, and it keeps the
# binary curve within |w| <= 4.75, where the normal tails are computed to full precision.
MAX_OUTCOME_PRICE = 0.999_999

# Seed 000, "Newton-Raphson solver": bracketed Newton with a bisection fallback.
SOLVER_TOLERANCE = 1e-12  # on the standardised imbalance w = (y - x) / L_t, relative when |w| > 1
# The fence at least halves every two iterations (see solve_scaled_reserve), so 200 covers any
# fence narrower than 2**100 tolerances, i.e. any net stake below 10**15 * L_t.
SOLVER_MAX_ITERATIONS = 200
# Float error of the curve is ~1e-15 of the pool; shares are reduced by 1e-12 of it before the
# floor so that a float error can never round a share up (at most one micro-share per 1e6 USDT).
FLOAT_ERROR_GUARD = 1e-12

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_TWO_PI = 1.0 / math.sqrt(2.0 * math.pi)
_STANDARD_NORMAL = NormalDist()


class PricingError(DomainError):
    """A bet the pricer refuses: unknown outcome, stake too small, market closed or stale quote."""

    code = "INVALID_BET"


@dataclass(frozen=True, slots=True)
class Quote:
    outcome: str
    stake: int  # micro-USDT the bettor pays, fee included (> 0)
    fee: int  # micro-USDT, part of stake, rounded up (in the venue's favour)
    shares: int  # micro-shares received (rounded down, in the venue's favour)
    average_price: float  # (stake - fee) / shares, probability units (0..1)
    price_before: float  # this outcome's price before the trade
    price_after: float  # after
    price_impact: float  # price_after - price_before


class OutcomePricer(Protocol):
    outcomes: tuple[str, ...]

    def prices(self, now: float) -> dict[str, float]: ...

    def quote(self, outcome: str, stake: int, now: float, fee_bps: int) -> Quote: ...

    def apply(self, quote: Quote, now: float) -> None: ...

    def to_dict(self) -> dict[str, Any]: ...


# --- normal distribution ---------------------------------------------------------------------


def normal_cdf(z: float) -> float:
    """Phi(z), accurate in both tails (erfc, not 1 - erf)."""
    return 0.5 * math.erfc(-z * _SQRT_HALF)


def normal_pdf(z: float) -> float:
    return _INV_SQRT_TWO_PI * math.exp(-0.5 * z * z)


def _scaled_reserve(w: float) -> float:
    """h(w) = w*Phi(w) + phi(w): a side's reserve divided by L_t; h' = Phi, h(w) - h(-w) = w."""
    return w * normal_cdf(w) + normal_pdf(w)


# --- micro-tau and the pm-AMM curve ------------------------------------------------------------


def micro_tau(time_left_seconds: float) -> float:
    """Seed 000's concentration parameter: 0.0001 for a market one minute from its deadline."""
    return TAU_PER_MINUTE * max(time_left_seconds, MIN_TIME_LEFT_SECONDS) / 60.0


def effective_liquidity(liquidity: float, time_left_seconds: float) -> float:
    """L_t = L * sqrt(T - t) with time in minutes, i.e. L * sqrt(tau / 0.0001).

    `liquidity` is therefore the pool's depth one minute before the deadline; the floor of
    MIN_TIME_LEFT_SECONDS keeps L_t >= L * sqrt(1/60) in the last second.
    """
    return liquidity * math.sqrt(micro_tau(time_left_seconds) / TAU_PER_MINUTE)


def reserves_for(price: float, liquidity_now: float) -> tuple[float, float]:
    """The (YES, NO) reserves of a pm-AMM pool at YES price `price` and depth L_t."""
    imbalance = _STANDARD_NORMAL.inv_cdf(price)
    return _reserves_at(imbalance, liquidity_now)


def _reserves_at(imbalance: float, liquidity_now: float) -> tuple[float, float]:
    return liquidity_now * _scaled_reserve(-imbalance), liquidity_now * _scaled_reserve(imbalance)


def invariant_residual(yes_reserve: float, no_reserve: float, liquidity_now: float) -> float:
    """(y - x) * Phi((y - x) / L_t) + L_t * phi((y - x) / L_t) - y; zero on the curve."""
    difference = no_reserve - yes_reserve
    z = difference / liquidity_now
    return difference * normal_cdf(z) + liquidity_now * normal_pdf(z) - no_reserve


def solve_scaled_reserve(start: float, increase: float) -> float:
    """The w' >= start with h(w') = h(start) + increase (increase > 0), from below.

    Two Newton steps per iteration fence the root from both sides: h is convex, so its tangent
    lands at or right of the root; ln h is concave (h is log-concave), so its tangent lands at or
    left of it. The fence starts as [start, min(target, start + increase / Phi(start))] (h(w) > w,
    h' >= Phi(start)); when it fails to halve, or h underflows, the next point is its midpoint.
    The left end is returned, so the error is always towards fewer shares for the bettor.
    """
    target = _scaled_reserve(start) + increase
    log_target = math.log(target)
    lower, upper = start, target
    w = start
    for _ in range(SOLVER_MAX_ITERATIONS):
        width = upper - lower
        scaled, slope = _scaled_reserve(w), normal_cdf(w)
        if scaled > 0.0 and slope > 0.0:
            upper = min(upper, w - (scaled - target) / slope)
            lower = max(lower, w - (math.log(scaled) - log_target) * scaled / slope)
        else:  # underflow deep in the left tail
            lower = max(lower, w)
        if upper - lower <= SOLVER_TOLERANCE * max(1.0, abs(lower)):
            return min(lower, upper)
        w = _next_point(lower, upper, width)
    raise ArithmeticError("pm-AMM solver did not converge")  # unreachable: bisection bounds it


def _next_point(lower: float, upper: float, previous_width: float) -> float:
    """Newton's own fence end where it converges fast (ln h in the left tail, h on the right)."""
    if upper - lower > 0.5 * previous_width:
        return 0.5 * (lower + upper)
    return lower if lower < 0.0 else upper


# --- shared money rules -------------------------------------------------------------------------


def fee_for(stake: int, fee_bps: int) -> int:
    """The fee inside `stake`, rounded up."""
    if not 0 <= fee_bps < BPS:
        raise ValueError(f"fee_bps must be in [0, {BPS}), got {fee_bps}")
    return -(-stake * fee_bps // BPS)


def _net_stake(stake: int, fee: int) -> int:
    if isinstance(stake, bool) or not isinstance(stake, int) or stake <= 0:
        raise PricingError(f"stake must be a positive number of micro-USDT, got {stake!r}")
    if not 0 <= fee < stake:
        raise PricingError("stake does not cover the fee")
    return stake - fee


def _checked_fee(stake: int, fee_bps: int) -> int:
    _net_stake(stake, 0)
    return fee_for(stake, fee_bps)


def _shares_down(shares: float, pool_scale: float) -> int:
    return math.floor((shares - FLOAT_ERROR_GUARD * pool_scale) * MICRO)


def _build_quote(
    outcome: str, stake: int, fee: int, shares: int, before: float, after: float
) -> Quote:
    net = stake - fee
    if shares <= net:
        raise PricingError("stake too small: it would buy shares worth no more than it costs")
    if after > MAX_OUTCOME_PRICE:
        raise PricingError(f"stake too large: it would push the price above {MAX_OUTCOME_PRICE}")
    return Quote(outcome, stake, fee, shares, net / shares, before, after, after - before)


def _index_of(outcomes: tuple[str, ...], outcome: str) -> int:
    try:
        return outcomes.index(outcome)
    except ValueError:
        raise PricingError(f"unknown outcome {outcome!r}; expected one of {outcomes}") from None


def _check_outcomes(outcomes: tuple[str, ...], minimum: int) -> tuple[str, ...]:
    if len(outcomes) < minimum or len(set(outcomes)) != len(outcomes):
        raise ValueError(f"need at least {minimum} distinct outcomes, got {outcomes}")
    return tuple(outcomes)


def _check_open(now: float, opened_at: float | None, deadline: float | None) -> None:
    if opened_at is not None and now < opened_at:
        raise PricingError("market is not open yet")
    if deadline is not None and now >= deadline:
        raise PricingError("market is past its deadline")


def _check_same_trade(quote: Quote, fresh: Quote) -> None:
    if fresh != quote:
        raise PricingError("quote is stale: the market moved since it was quoted")


# --- binary: dynamic pm-AMM -----------------------------------------------------------------------


class BinaryPmAmm:
    """Paradigm's dynamic pm-AMM (2024) for one YES/NO pair; first outcome is the YES side.

    State is the standardised imbalance w = (y - x) / L_t, i.e. the YES price Phi(w). Between trades
    w is constant, so time alone never moves the price, and the reserves are rebuilt from (w, L_t):
    the pool thins as L_t = L * sqrt(minutes left) shrinks (the LP withdraws towards the deadline).
    """

    __slots__ = ("_imbalance", "deadline", "liquidity", "opened_at", "outcomes")

    def __init__(
        self,
        outcomes: tuple[str, str],
        liquidity: float,
        opening_probability: float,
        opened_at: float,
        deadline: float,
    ) -> None:
        if not 1.0 - MAX_OUTCOME_PRICE <= opening_probability <= MAX_OUTCOME_PRICE:
            raise ValueError(f"opening probability out of range: {opening_probability}")
        self.outcomes: tuple[str, ...] = _check_outcomes(outcomes, 2)
        if len(self.outcomes) != 2:
            raise ValueError(f"a binary market has two outcomes, got {outcomes}")
        if not (math.isfinite(liquidity) and liquidity > 0.0):
            raise ValueError(f"liquidity must be positive, got {liquidity}")
        if not deadline > opened_at:
            raise ValueError("deadline must come after opened_at")
        self.liquidity = float(liquidity)
        self.opened_at = float(opened_at)
        self.deadline = float(deadline)
        self._imbalance = _STANDARD_NORMAL.inv_cdf(opening_probability)

    def liquidity_at(self, now: float) -> float:
        """L_t: the pool's depth at `now` (floored one second before the deadline)."""
        return effective_liquidity(self.liquidity, self.deadline - now)

    def reserves(self, now: float) -> tuple[float, float]:
        """(YES, NO) outcome-token reserves in USDT at `now`."""
        return _reserves_at(self._imbalance, self.liquidity_at(now))

    def prices(self, now: float) -> dict[str, float]:
        yes = normal_cdf(self._imbalance)
        return {self.outcomes[0]: yes, self.outcomes[1]: 1.0 - yes}

    def quote(self, outcome: str, stake: int, now: float, fee_bps: int) -> Quote:
        return self._trade(outcome, stake, _checked_fee(stake, fee_bps), now)[0]

    def apply(self, quote: Quote, now: float) -> None:
        fresh, imbalance = self._trade(quote.outcome, quote.stake, quote.fee, now)
        _check_same_trade(quote, fresh)
        self._imbalance = imbalance

    def _trade(self, outcome: str, stake: int, fee: int, now: float) -> tuple[Quote, float]:
        """Net stake s buys s complete sets; the pool keeps the other side's s and pays out the
        bought side until the invariant holds again. Works in the bought side's coordinate w."""
        side = 1.0 if _index_of(self.outcomes, outcome) == 0 else -1.0
        net = _net_stake(stake, fee)
        _check_open(now, self.opened_at, self.deadline)
        depth = self.liquidity_at(now)
        net_usdt = net / MICRO
        before = side * self._imbalance
        after = solve_scaled_reserve(before, net_usdt / depth)
        paid_out = depth * (_scaled_reserve(-before) - _scaled_reserve(-after))
        pool_scale = depth * (_scaled_reserve(before) + _scaled_reserve(-before)) + net_usdt
        shares = _shares_down(net_usdt + paid_out, pool_scale)
        price_before, price_after = (self._price_of(side, side * w) for w in (before, after))
        quote = _build_quote(outcome, stake, fee, shares, price_before, price_after)
        return quote, side * after

    @staticmethod
    def _price_of(side: float, imbalance: float) -> float:
        """The bought side's price exactly as `prices` reports it (NO = 1 - YES)."""
        yes = normal_cdf(imbalance)
        return yes if side > 0.0 else 1.0 - yes

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "binary_pm_amm",
            "outcomes": list(self.outcomes),
            "liquidity": self.liquidity,
            "opened_at": self.opened_at,
            "deadline": self.deadline,
            "imbalance": self._imbalance,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BinaryPmAmm:
        first, second = data["outcomes"]
        pricer = cls((first, second), data["liquidity"], 0.5, data["opened_at"], data["deadline"])
        pricer._imbalance = float(data["imbalance"])
        return pricer


# --- 3+ outcomes: LMSR --------------------------------------------------------------------------


class Lmsr:
    """Hanson's logarithmic market scoring rule: C(q) = b * ln(sum exp(q_i / b)).

    Prices are softmax(q / b) and always sum to 1; the market maker's loss is bounded by
    b * ln(1 / p_min) of the opening probabilities (b * ln(n) when they are uniform).
    """

    __slots__ = ("_quantities", "deadline", "liquidity", "opened_at", "outcomes")

    def __init__(
        self,
        outcomes: tuple[str, ...],
        liquidity: float,
        opening_probabilities: Sequence[float],
        *,
        opened_at: float | None = None,
        deadline: float | None = None,
    ) -> None:
        """`opened_at` and `deadline` (optional) make quotes outside the market's window fail."""
        self.outcomes: tuple[str, ...] = _check_outcomes(outcomes, 2)
        if len(opening_probabilities) != len(self.outcomes):
            raise ValueError("one opening probability per outcome")
        if any(not p > 0.0 for p in opening_probabilities):
            raise ValueError("opening probabilities must be positive")
        if not (math.isfinite(liquidity) and liquidity > 0.0):
            raise ValueError(f"liquidity must be positive, got {liquidity}")
        self.liquidity = float(liquidity)
        self.opened_at = opened_at
        self.deadline = deadline
        total = math.fsum(opening_probabilities)
        self._quantities = [self.liquidity * math.log(p / total) for p in opening_probabilities]

    @property
    def quantities(self) -> tuple[float, ...]:
        """Outstanding shares q_i per outcome (shifted by the opening b * ln p_i), in USDT."""
        return tuple(self._quantities)

    def cost(self, quantities: Sequence[float]) -> float:
        """C(q) in USDT, computed with the max shifted out so exp never overflows."""
        top = max(quantities)
        total = math.fsum(math.exp((q - top) / self.liquidity) for q in quantities)
        return top + self.liquidity * math.log(total)

    def prices(self, now: float) -> dict[str, float]:
        prices = _softmax(self._quantities, self.liquidity)
        return dict(zip(self.outcomes, prices, strict=True))

    def quote(self, outcome: str, stake: int, now: float, fee_bps: int) -> Quote:
        return self._trade(outcome, stake, _checked_fee(stake, fee_bps), now)[0]

    def apply(self, quote: Quote, now: float) -> None:
        fresh, index, bought = self._trade(quote.outcome, quote.stake, quote.fee, now)
        _check_same_trade(quote, fresh)
        self._quantities[index] += bought

    def _trade(self, outcome: str, stake: int, fee: int, now: float) -> tuple[Quote, int, float]:
        """Closed form of C(q + d*e_k) - C(q) = s: d = b * ln(1 + (exp(s/b) - 1) / p_k)."""
        index = _index_of(self.outcomes, outcome)
        net = _net_stake(stake, fee)
        _check_open(now, self.opened_at, self.deadline)
        net_usdt = net / MICRO
        b = self.liquidity
        before = _softmax(self._quantities, b)[index]
        bought = b * math.log1p(math.expm1(net_usdt / b) / before)
        quantities_after = list(self._quantities)
        quantities_after[index] += bought
        after = _softmax(quantities_after, b)[index]
        shares = _shares_down(bought, bought + b)
        return _build_quote(outcome, stake, fee, shares, before, after), index, bought

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "lmsr",
            "outcomes": list(self.outcomes),
            "liquidity": self.liquidity,
            "opened_at": self.opened_at,
            "deadline": self.deadline,
            "quantities": list(self._quantities),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lmsr:
        outcomes = tuple(data["outcomes"])
        pricer = cls(
            outcomes,
            data["liquidity"],
            [1.0] * len(outcomes),
            opened_at=data.get("opened_at"),
            deadline=data.get("deadline"),
        )
        pricer._quantities = [float(q) for q in data["quantities"]]
        return pricer


def _softmax(quantities: Sequence[float], b: float) -> list[float]:
    """Prices softmax(q / b), with the max shifted out so exp never overflows."""
    top = max(quantities)
    weights = [math.exp((q - top) / b) for q in quantities]
    total = math.fsum(weights)
    return [w / total for w in weights]


# --- construction ---------------------------------------------------------------------------


def clamp_probabilities(probabilities: Sequence[float]) -> list[float]:
    """Clamp each to [0.01, 0.99], then renormalise to sum to 1."""
    clamped = [min(max(p, MIN_OPENING_PROBABILITY), MAX_OPENING_PROBABILITY) for p in probabilities]
    total = math.fsum(clamped)
    return [p / total for p in clamped]


def pricer_for(
    outcomes: tuple[str, ...],
    opening_probabilities: Sequence[float],
    liquidity: float,
    opened_at: float,
    deadline: float,
) -> OutcomePricer:
    """A binary pm-AMM for two outcomes, an LMSR for three or more."""
    if len(outcomes) != len(opening_probabilities):
        raise ValueError("one opening probability per outcome")
    probabilities = clamp_probabilities(opening_probabilities)
    if len(outcomes) == 2:
        pair = (outcomes[0], outcomes[1])
        return BinaryPmAmm(pair, liquidity, probabilities[0], opened_at, deadline)
    if not deadline > opened_at:
        raise ValueError("deadline must come after opened_at")
    return Lmsr(outcomes, liquidity, probabilities, opened_at=opened_at, deadline=deadline)


def pricer_from_dict(data: dict[str, Any]) -> OutcomePricer:
    kind = data.get("kind")
    if kind == "binary_pm_amm":
        return BinaryPmAmm.from_dict(data)
    if kind == "lmsr":
        return Lmsr.from_dict(data)
    raise ValueError(f"unknown pricer kind {kind!r}")
