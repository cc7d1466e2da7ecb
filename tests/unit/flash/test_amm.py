"""Flash-market pricing: the dynamic pm-AMM (binary) and LMSR (3+ outcomes)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import DomainError
from engine.flash.amm import (
    MICRO,
    BinaryPmAmm,
    Lmsr,
    PricingError,
    effective_liquidity,
    invariant_residual,
    micro_tau,
    pricer_for,
    pricer_from_dict,
    reserves_for,
)

OPEN, DEADLINE = 1_000.0, 1_060.0  # a 60-second flash market
FEE_BPS = 200


def binary(probability: float = 0.5, liquidity: float = 100.0) -> BinaryPmAmm:
    return BinaryPmAmm(("YES", "NO"), liquidity, probability, OPEN, DEADLINE)


def three_way() -> Lmsr:
    return Lmsr(("HOME", "DRAW", "AWAY"), 100.0, [0.45, 0.25, 0.30])


def usdt(amount: float) -> int:
    return round(amount * MICRO)


# --- the hand-computed pools -------------------------------------------------------------


def test_even_pool_with_l_100_holds_39_89_of_each_side() -> None:
    yes_reserve, no_reserve = reserves_for(0.5, 100.0)
    assert round(yes_reserve, 2) == round(no_reserve, 2) == 39.89


def test_pool_at_60_percent_with_l_100_holds_28_50_yes_and_53_84_no() -> None:
    yes_reserve, no_reserve = reserves_for(0.6, 100.0)
    assert (round(yes_reserve, 2), round(no_reserve, 2)) == (28.50, 53.84)
    assert abs(invariant_residual(yes_reserve, no_reserve, 100.0)) < 1e-9 * 100.0


def test_l_t_is_the_liquidity_one_minute_before_the_deadline_and_scales_with_root_of_tau() -> None:
    assert micro_tau(60.0) == pytest.approx(0.0001)  # seed 000: base tau of a 60 s market
    assert micro_tau(30.0) == pytest.approx(0.00005)
    assert effective_liquidity(100.0, 60.0) == pytest.approx(100.0)
    assert effective_liquidity(100.0, 15.0) == pytest.approx(50.0)
    floor = effective_liquidity(100.0, 1.0)
    assert effective_liquidity(100.0, 0.001) == floor > 0.0
    pool = binary()
    assert pool.reserves(OPEN) == pytest.approx((39.894228, 39.894228))


# --- trades --------------------------------------------------------------------------------------


def test_buying_yes_raises_yes_and_lowers_no() -> None:
    pool = binary()
    before = pool.prices(OPEN)
    quote = pool.quote("YES", usdt(10), OPEN, FEE_BPS)
    pool.apply(quote, OPEN)
    after = pool.prices(OPEN)
    assert after["YES"] > before["YES"] and after["NO"] < before["NO"]
    assert quote.price_before == before["YES"] and quote.price_after == after["YES"]
    assert quote.price_impact == quote.price_after - quote.price_before > 0
    assert quote.price_before < quote.average_price < quote.price_after


def test_buying_no_raises_no_and_lowers_yes() -> None:
    pool = binary(0.6)
    quote = pool.quote("NO", usdt(5), OPEN + 10, FEE_BPS)
    pool.apply(quote, OPEN + 10)
    assert quote.price_before == pytest.approx(0.4)
    assert pool.prices(OPEN + 10)["NO"] == quote.price_after > 0.4
    assert pool.prices(OPEN + 10)["YES"] < 0.6


@pytest.mark.parametrize("pricer", [binary(), three_way()], ids=["binary", "lmsr"])
def test_a_bigger_stake_gets_a_worse_average_price(pricer: BinaryPmAmm | Lmsr) -> None:
    outcome = pricer.outcomes[0]
    averages = [pricer.quote(outcome, usdt(s), OPEN, FEE_BPS).average_price for s in (1, 10, 50)]
    assert averages[0] < averages[1] < averages[2] < 1.0


def test_fee_rounds_up_and_shares_round_down() -> None:
    pool = binary()
    quote = pool.quote("YES", 1_000_001, OPEN, 30)  # 0.3% of 1,000,001 = 3,000.003
    assert quote.fee == 3_001
    yes_before, _ = pool.reserves(OPEN)
    pool.apply(quote, OPEN)
    yes_after, _ = pool.reserves(OPEN)
    paid_by_pool = (quote.stake - quote.fee) / MICRO + yes_before - yes_after
    assert quote.shares <= paid_by_pool * MICRO < quote.shares + 1


@settings(max_examples=200, deadline=None)
@given(
    stake=st.integers(min_value=10, max_value=300 * MICRO),
    fee_bps=st.integers(min_value=0, max_value=1_000),
    yes_side=st.booleans(),
    elapsed=st.floats(min_value=0.0, max_value=59.99),
)
def test_the_venue_never_loses_to_rounding(
    stake: int, fee_bps: int, yes_side: bool, elapsed: float
) -> None:
    pool, now = binary(0.3), OPEN + elapsed
    try:
        quote = pool.quote("YES" if yes_side else "NO", stake, now, fee_bps)
    except PricingError:
        return  # dust or a stake that would push the price past the cap
    assert quote.fee * 10_000 >= stake * fee_bps > (quote.fee - 1) * 10_000
    before = pool.reserves(now)
    pool.apply(quote, now)
    after = pool.reserves(now)
    side = 0 if yes_side else 1
    paid_by_pool = (stake - quote.fee) / MICRO + before[side] - after[side]
    assert quote.shares <= paid_by_pool * MICRO


def test_time_alone_never_moves_the_price_but_thins_the_pool() -> None:
    pool = binary(0.5)
    pool.apply(pool.quote("YES", usdt(7), OPEN, FEE_BPS), OPEN)
    price = pool.prices(OPEN)
    for now in (OPEN + 1, OPEN + 30, OPEN + 59.5, DEADLINE + 5):
        assert pool.prices(now) == price
    assert sum(pool.reserves(OPEN + 45)) < sum(pool.reserves(OPEN))


def test_the_same_stake_moves_the_price_more_near_the_deadline() -> None:
    pool = binary()
    early = pool.quote("YES", usdt(5), OPEN, FEE_BPS)
    late = pool.quote("YES", usdt(5), DEADLINE - 2, FEE_BPS)
    assert late.price_impact > early.price_impact


@pytest.mark.parametrize("side", [0, 1])
@pytest.mark.parametrize("pricer_factory", [binary, three_way], ids=["binary", "lmsr"])
def test_quote_is_pure_and_apply_commits_exactly_the_quote(
    pricer_factory: Callable[[], BinaryPmAmm | Lmsr], side: int
) -> None:
    pricer = pricer_factory()
    outcome = pricer.outcomes[side]
    state = pricer.to_dict()
    first = pricer.quote(outcome, usdt(3), OPEN + 5, FEE_BPS)
    assert pricer.quote(outcome, usdt(3), OPEN + 5, FEE_BPS) == first
    assert pricer.to_dict() == state
    pricer.apply(first, OPEN + 5)
    assert pricer.prices(OPEN + 5)[outcome] == first.price_after
    assert pricer.to_dict() != state


@pytest.mark.parametrize("pricer", [binary(), three_way()], ids=["binary", "lmsr"])
def test_a_stale_quote_is_refused(pricer: BinaryPmAmm | Lmsr) -> None:
    outcome = pricer.outcomes[0]
    quote = pricer.quote(outcome, usdt(3), OPEN + 5, FEE_BPS)
    pricer.apply(pricer.quote(outcome, usdt(1), OPEN + 5, FEE_BPS), OPEN + 5)
    with pytest.raises(PricingError, match="stale"):
        pricer.apply(quote, OPEN + 5)


def test_a_quote_applied_at_another_time_is_refused() -> None:
    pool = binary()
    quote = pool.quote("YES", usdt(3), OPEN + 5, FEE_BPS)
    with pytest.raises(PricingError, match="stale"):
        pool.apply(quote, OPEN + 6)


def test_tampered_quotes_are_refused() -> None:
    pool = binary()
    quote = pool.quote("YES", usdt(3), OPEN, FEE_BPS)
    for forged in (replace(quote, shares=quote.shares + 1), replace(quote, fee=quote.fee - 1)):
        with pytest.raises(PricingError):
            pool.apply(forged, OPEN)


@pytest.mark.parametrize("pricer", [binary(0.7), three_way()], ids=["binary", "lmsr"])
def test_round_trip_through_a_dict_gives_identical_quotes(pricer: BinaryPmAmm | Lmsr) -> None:
    pricer.apply(pricer.quote(pricer.outcomes[1], usdt(4), OPEN + 3, FEE_BPS), OPEN + 3)
    restored = pricer_from_dict(pricer.to_dict())
    assert type(restored) is type(pricer)
    assert restored.to_dict() == pricer.to_dict()
    for outcome in pricer.outcomes:
        assert restored.quote(outcome, usdt(2), OPEN + 9, 50) == pricer.quote(
            outcome, usdt(2), OPEN + 9, 50
        )


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pricer", [binary(), three_way()], ids=["binary", "lmsr"])
def test_unknown_outcome_is_an_invalid_bet(pricer: BinaryPmAmm | Lmsr) -> None:
    with pytest.raises(PricingError, match="unknown outcome") as raised:
        pricer.quote("MAYBE", usdt(1), OPEN, FEE_BPS)
    assert isinstance(raised.value, DomainError) and raised.value.code == "INVALID_BET"


@pytest.mark.parametrize("stake", [0, -5])
def test_stake_must_be_positive(stake: int) -> None:
    for pricer in (binary(), three_way()):
        with pytest.raises(PricingError, match="positive"):
            pricer.quote(pricer.outcomes[0], stake, OPEN, FEE_BPS)


def test_a_stake_eaten_by_the_fee_is_refused() -> None:
    with pytest.raises(PricingError, match="fee"):
        binary().quote("YES", 1, OPEN, FEE_BPS)


def test_quotes_at_or_after_the_deadline_or_before_opening_are_refused() -> None:
    pool = binary()
    lmsr = pricer_for(("A", "B", "C"), [0.2, 0.3, 0.5], 100.0, OPEN, DEADLINE)
    for pricer in (pool, lmsr):
        for now in (DEADLINE, DEADLINE + 0.5):
            with pytest.raises(PricingError, match="deadline"):
                pricer.quote(pricer.outcomes[0], usdt(1), now, FEE_BPS)
        with pytest.raises(PricingError, match="not open"):
            pricer.quote(pricer.outcomes[0], usdt(1), OPEN - 1, FEE_BPS)
    assert pool.quote("YES", usdt(1), DEADLINE - 0.001, FEE_BPS).shares > 0


def test_a_stake_that_would_push_the_price_to_certainty_is_refused() -> None:
    with pytest.raises(PricingError, match="too large"):
        binary().quote("YES", usdt(10_000), OPEN, FEE_BPS)


# --- properties ----------------------------------------------------------------------------------

trades = st.lists(
    st.tuples(
        st.booleans(),  # True buys the first (YES) outcome
        st.integers(min_value=1_000, max_value=40 * MICRO),
        st.floats(min_value=0.0, max_value=1.0),  # share of the time left that passes first
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(
    trades=trades,
    liquidity=st.floats(min_value=20.0, max_value=5_000.0),
    opening=st.floats(min_value=0.01, max_value=0.99),
)
def test_binary_invariant_holds_and_prices_sum_to_one_after_every_trade(
    trades: list[tuple[bool, int, float]], liquidity: float, opening: float
) -> None:
    pool, now = binary(opening, liquidity), OPEN
    for buys_yes, stake, wait in trades:
        now += wait * (DEADLINE - now) * 0.999
        side = 0 if buys_yes else 1
        try:
            quote = pool.quote(pool.outcomes[side], stake, now, FEE_BPS)
        except PricingError:
            continue  # dust, or past the price cap
        before = pool.reserves(now)
        pool.apply(quote, now)
        after = pool.reserves(now)
        depth = pool.liquidity_at(now)
        net = (stake - quote.fee) / MICRO
        assert abs(invariant_residual(after[0], after[1], depth)) < 1e-9 * liquidity
        # the pool kept the other side of the complete sets and paid out the bought side
        assert after[1 - side] - before[1 - side] == pytest.approx(net, abs=1e-9 * liquidity)
        assert before[side] + net - after[side] >= quote.shares / MICRO
        assert sum(pool.prices(now).values()) == 1.0
        assert pool.prices(now)[pool.outcomes[side]] == quote.price_after > quote.price_before


@settings(max_examples=150, deadline=None)
@given(
    probabilities=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=3, max_size=8),
    buys=st.lists(
        st.tuples(st.integers(0, 7), st.integers(1_000, 200 * MICRO)), min_size=1, max_size=20
    ),
)
def test_lmsr_prices_sum_to_one_and_each_buy_costs_exactly_its_net_stake(
    probabilities: list[float], buys: list[tuple[int, int]]
) -> None:
    outcomes = tuple(f"O{i}" for i in range(len(probabilities)))
    lmsr = pricer_for(outcomes, probabilities, 100.0, OPEN, DEADLINE)
    assert isinstance(lmsr, Lmsr)
    for index, stake in buys:
        outcome = outcomes[index % len(outcomes)]
        try:
            quote = lmsr.quote(outcome, stake, OPEN, FEE_BPS)
        except PricingError:
            continue
        cost_before = lmsr.cost(lmsr.quantities)
        held_before = lmsr.quantities[outcomes.index(outcome)]
        lmsr.apply(quote, OPEN)
        net = (stake - quote.fee) / MICRO
        assert lmsr.cost(lmsr.quantities) - cost_before == pytest.approx(net, rel=1e-9)
        bought = lmsr.quantities[outcomes.index(outcome)] - held_before
        assert quote.shares <= bought * MICRO < quote.shares + 1.01
        assert abs(math.fsum(lmsr.prices(OPEN).values()) - 1.0) < 1e-12


def test_lmsr_opens_at_the_given_probabilities() -> None:
    prices = three_way().prices(OPEN)
    assert prices == pytest.approx({"HOME": 0.45, "DRAW": 0.25, "AWAY": 0.30}, abs=1e-12)


# --- construction --------------------------------------------------------------------------------


def test_pricer_for_picks_the_curve_by_outcome_count_and_clamps_probabilities() -> None:
    pair = pricer_for(("UP", "DOWN"), [1.0, 0.0], 100.0, OPEN, DEADLINE)
    assert isinstance(pair, BinaryPmAmm)
    assert pair.prices(OPEN)["UP"] == pytest.approx(0.99)
    triple = pricer_for(("A", "B", "C"), [0.98, 0.01, 0.0], 100.0, OPEN, DEADLINE)
    assert isinstance(triple, Lmsr)
    assert list(triple.prices(OPEN).values()) == pytest.approx([0.98, 0.01, 0.01])


def test_invalid_configuration_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        BinaryPmAmm(("YES", "YES"), 100.0, 0.5, OPEN, DEADLINE)
    with pytest.raises(ValueError):
        BinaryPmAmm(("YES", "NO"), 0.0, 0.5, OPEN, DEADLINE)
    with pytest.raises(ValueError):
        BinaryPmAmm(("YES", "NO"), 100.0, 0.5, DEADLINE, OPEN)
    with pytest.raises(ValueError):
        pricer_for(("A", "B"), [0.5], 100.0, OPEN, DEADLINE)
    with pytest.raises(ValueError):
        pricer_from_dict({"kind": "orderbook"})
