"""Micro-bets: consensus, bet types and their windows, odds with the margin, the pre-funded
session's reserve and risk controls, settlement to the micro-USDT, and snapshots."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from engine.flash.micro import (
    HOUSE_MARGIN_BPS,
    MICROSECOND,
    NO_CONSENSUS,
    STREET_TEMPLATES,
    WINDOW_SECONDS,
    BetStatus,
    BetType,
    Colour,
    Direction,
    EventFilter,
    InsufficientBalance,
    InvalidBet,
    InvalidDeposit,
    InvalidMarket,
    Kind,
    MarketClosed,
    MarketOutcome,
    MicroMarket,
    MicroSession,
    Movement,
    MovementKind,
    SessionClosed,
    SessionPolicy,
    StakeTooLarge,
    TooFast,
    TooManyBets,
    Verdict,
    consensus,
    decimal_odds,
    offers,
    outcome_labels,
    outcome_of,
    resolve,
)
from engine.sim.street import StreetCamera, StreetModel, observe, observers

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
USDT = 1_000_000
SECOND = timedelta(seconds=1)
# A policy without the pace limits, to test one control at a time.
UNPACED = SessionPolicy(min_interval_ms=0, bucket_capacity=1_000, bucket_refill_per_minute=1_000)


@dataclass(frozen=True)
class Seen:
    kind: Kind
    occurred_at: datetime
    colour: Colour | None = None
    direction: Direction | None = None


def binary_market(
    number: int = 1, listed_at: datetime = T0, betting: timedelta = 60 * SECOND
) -> MicroMarket:
    opens_at = listed_at + betting
    return MicroMarket(
        f"test:{number}",
        BetType.BINARY,
        "Will a red car pass in the next 30 s?",
        listed_at,
        opens_at,
        opens_at + 30 * SECOND,
        EventFilter((Kind.CAR,), colour=Colour.RED),
        (MarketOutcome("YES", 0.45, 211), MarketOutcome("NO", 0.55, 173)),
    )


def market_of(bet_type: BetType, window: timedelta, cuts: tuple[int, ...] = ()) -> MicroMarket:
    labels = outcome_labels(bet_type, cuts)
    return MicroMarket(
        f"test:{bet_type}",
        bet_type,
        "?",
        T0,
        T0,
        T0 + window,
        EventFilter((Kind.CAR,)),
        tuple(MarketOutcome(label, 1 / len(labels), 190) for label in labels),
        cuts,
        ("car", "bus") if bet_type is BetType.PATTERN else (),
    )


def session(deposit: int = 100 * USDT, policy: SessionPolicy | None = None) -> MicroSession:
    opened, _ = MicroSession.open("alice", deposit, T0, policy, session_id="s1")
    return opened


# -- consensus ------------------------------------------------------------------------------


def test_two_of_three_agreeing_is_the_result() -> None:
    assert consensus({"a": "YES", "b": "YES", "c": "NO"}) == Verdict("YES")
    assert consensus({"a": "3-5", "b": "0-2", "c": "3-5"}) == Verdict("3-5")
    assert consensus({"a": "NO", "b": "NO", "c": "NO"}) == Verdict("NO")


def test_one_silent_observer_still_leaves_a_quorum_of_two() -> None:
    assert consensus({"a": "YES", "b": None, "c": "YES"}) == Verdict("YES")


def test_no_two_agreeing_is_no_consensus() -> None:
    assert consensus({"a": "0-2", "b": "3-5", "c": "6+"}) is NO_CONSENSUS
    assert consensus({"a": "YES", "b": None, "c": "NO"}) is NO_CONSENSUS
    assert consensus({"a": "YES", "b": None, "c": None}) is NO_CONSENSUS
    assert consensus({}) is NO_CONSENSUS
    # With more observers, two different outcomes reaching the quorum is no consensus either.
    assert consensus({"a": "YES", "b": "YES", "c": "NO", "d": "NO"}) is NO_CONSENSUS
    assert not NO_CONSENSUS.is_consensus


def test_resolve_applies_each_observers_reports_then_consensus() -> None:
    market = binary_market()
    red = Seen(Kind.CAR, market.opens_at + 5 * SECOND, Colour.RED)
    mistaken = Seen(Kind.CAR, market.opens_at + 5 * SECOND, Colour.BLUE)
    verdict = resolve(market, {"a": [red], "b": [mistaken], "c": [red]})
    assert verdict == Verdict("YES")
    assert resolve(market, {"a": [mistaken], "b": [mistaken], "c": [red]}) == Verdict("NO")


# -- outcomes of each bet type ----------------------------------------------------------------


def test_binary_counts_matching_events_inside_the_half_open_window() -> None:
    market = binary_market()
    at_close = Seen(Kind.CAR, market.closes_at, Colour.RED)
    at_open = Seen(Kind.CAR, market.opens_at, Colour.RED)
    assert outcome_of(market, [at_close]) == "NO"
    assert outcome_of(market, [at_open]) == "YES"
    assert outcome_of(market, [Seen(Kind.BUS, market.opens_at, None)]) == "NO"


def test_quantity_bands() -> None:
    market = market_of(BetType.QUANTITY, 60 * SECOND, cuts=(3, 6))
    assert [o.label for o in market.outcomes] == ["0-2", "3-5", "6+"]

    def cars(count: int) -> list[Seen]:
        return [Seen(Kind.CAR, T0 + i * SECOND) for i in range(count)]

    assert [outcome_of(market, cars(n)) for n in (0, 2, 3, 5, 6, 9)] == [
        "0-2", "0-2", "3-5", "3-5", "6+", "6+",
    ]  # fmt: skip
    assert outcome_labels(BetType.QUANTITY, (5,)) == ("0-4", "5+")
    assert outcome_labels(BetType.QUANTITY, (1, 2)) == ("0", "1", "2+")


def test_timing_bands_by_the_first_matching_event() -> None:
    market = market_of(BetType.TIMING, 180 * SECOND, cuts=(60, 180))
    assert [o.label for o in market.outcomes] == ["0-60s", "60-180s", "NONE"]
    assert outcome_of(market, []) == "NONE"
    assert outcome_of(market, [Seen(Kind.CAR, T0 + 59 * SECOND)]) == "0-60s"
    late = [Seen(Kind.CAR, T0 + 100 * SECOND), Seen(Kind.CAR, T0 + 60 * SECOND)]
    assert outcome_of(market, late) == "60-180s"
    assert outcome_of(market, [Seen(Kind.BUS, T0 + SECOND)]) == "NONE"


def test_pattern_is_the_next_events_in_order() -> None:
    market = market_of(BetType.PATTERN, 60 * SECOND)  # car, then bus, among cars
    market = MicroMarket.from_dict(
        market.to_dict() | {"subject": EventFilter((Kind.CAR, Kind.BUS)).to_dict()}
    )
    car, bus = (Seen(Kind.CAR, T0 + SECOND), Seen(Kind.BUS, T0 + 2 * SECOND))
    assert outcome_of(market, [bus, car]) == "YES"  # order by time, not by list
    assert outcome_of(market, [car]) == "NO"  # not enough events in the window
    second_car = Seen(Kind.CAR, T0 + 1.5 * SECOND)
    assert outcome_of(market, [car, second_car, bus]) == "NO"
    assert outcome_of(market, [car, bus, second_car]) == "NO"


# -- windows --------------------------------------------------------------------------------


@pytest.mark.parametrize("bet_type", list(BetType))
def test_each_bet_types_window_bounds(bet_type: BetType) -> None:
    low, high = WINDOW_SECONDS[bet_type]

    def build(seconds: float) -> MicroMarket:
        cuts = {BetType.QUANTITY: (3,), BetType.TIMING: (seconds,)}.get(bet_type, ())
        return market_of(bet_type, timedelta(seconds=seconds), cuts)  # type: ignore[arg-type]

    assert build(low).window == timedelta(seconds=low)
    assert build(high).window == timedelta(seconds=high)
    for outside in (low - 1, low - 0.001, high + 0.001, high + 1):
        with pytest.raises(InvalidMarket) as refused:
            build(outside)
        assert refused.value.code == "INVALID_MARKET"


def test_the_seed_windows() -> None:
    assert WINDOW_SECONDS == {
        BetType.BINARY: (5, 120),
        BetType.QUANTITY: (10, 300),
        BetType.TIMING: (5, 600),
        BetType.PATTERN: (10, 300),
    }


# -- odds and offers ------------------------------------------------------------------------


def test_odds_are_one_over_probability_with_the_margin_rounded_down() -> None:
    assert HOUSE_MARGIN_BPS == 500
    assert decimal_odds(0.5) == 190  # 1 / (0.5 x 1.05) = 1.904...
    assert decimal_odds(0.25) == 380  # 3.809...
    assert decimal_odds(1 / 1.05 / 2) == 200  # exactly 2.00 stays 2.00
    with pytest.raises(InvalidMarket):
        decimal_odds(0.0)


def test_every_offer_prices_the_margin_in() -> None:
    markets = offers(T0 + 7 * SECOND, StreetModel())
    assert {m.bet_type for m in markets} == set(BetType)
    for market in markets:
        assert math.isclose(sum(o.probability for o in market.outcomes), 1.0, abs_tol=1e-9)
        for outcome in market.outcomes:
            assert outcome.odds == math.floor(100 / (outcome.probability * 1.05))
        implied = sum(100 / o.odds for o in market.outcomes)
        # 1 + margin, plus a little from rounding the odds down, never less.
        assert 1.05 <= implied < 1.06, (market.market_id, implied)


def test_model_probabilities_are_the_poisson_ones() -> None:
    by_key = {m.market_id.split(":")[1]: m for m in offers(T0, StreetModel())}
    red = by_key["red-car-30s"].outcomes[0]
    assert math.isclose(red.probability, 1 - math.exp(-15 / 60 * 0.08 * 30))
    left = by_key["left-turns-60s"].outcomes[0]  # 0-4 left turns, mean 3
    assert math.isclose(
        left.probability, sum(math.exp(-3) * 3**k / math.factorial(k) for k in range(5))
    )
    bus = by_key["next-bus-600s"]
    assert math.isclose(bus.outcomes[-1].probability, math.exp(-0.25 / 60 * 600))


def test_offers_are_a_function_of_the_time_and_open_for_bets() -> None:
    model = StreetModel()
    at = T0 + 7 * SECOND
    markets = offers(at, model)
    assert markets == offers(at, model)
    assert len({m.market_id for m in markets}) == len(STREET_TEMPLATES)
    assert all(m.is_open_for_bets(at) for m in markets)
    # Same cycle, same markets; the next cycle lists new ones.
    assert [m.market_id for m in offers(T0 + 14 * SECOND, model)] == [m.market_id for m in markets]
    later = {m.market_id for m in offers(T0 + 15 * SECOND, model)}
    assert later != {m.market_id for m in markets}


def test_market_round_trips() -> None:
    for market in offers(T0, StreetModel()):
        assert MicroMarket.from_dict(json.loads(json.dumps(market.to_dict()))) == market


# -- the session: reserve and balance ---------------------------------------------------------


def test_open_splits_the_deposit_into_reserve_and_betting_balance() -> None:
    opened, movements = MicroSession.open("alice", 100 * USDT, T0, session_id="s1")
    assert (opened.reserve, opened.available) == (10 * USDT, 90 * USDT)
    assert movements == [
        Movement(MovementKind.RESERVE, 10 * USDT, "micro:s1:reserve"),
        Movement(MovementKind.FUND, 90 * USDT, "micro:s1:fund"),
    ]
    small, _ = MicroSession.open("bob", 5 * USDT, T0)
    assert (small.reserve, small.available) == (USDT, 4 * USDT)  # the 1 USDT minimum


@pytest.mark.parametrize("deposit", [USDT, USDT - 1, 0, -5])
def test_a_deposit_must_exceed_the_reserve(deposit: int) -> None:
    with pytest.raises(InvalidDeposit) as refused:
        MicroSession.open("alice", deposit, T0)
    assert refused.value.code == "INVALID_DEPOSIT"


def test_the_reserve_is_never_bettable() -> None:
    all_in = SessionPolicy(max_stake_bps=10_000, min_interval_ms=0)
    player = session(2 * USDT, all_in)  # reserve 1 USDT, balance 1 USDT
    with pytest.raises(InsufficientBalance) as refused:
        player.place_bet(binary_market(1), "YES", USDT + 1, T0)
    assert refused.value.code == "INSUFFICIENT_BALANCE"
    player.place_bet(binary_market(1), "YES", USDT, T0)
    assert player.available == 0
    with pytest.raises(InsufficientBalance):
        player.place_bet(binary_market(2), "YES", 10_000, T0 + SECOND)
    assert player.reserve == USDT


# -- risk controls, each at its boundary ------------------------------------------------------


def test_stake_above_the_share_of_the_balance_is_refused() -> None:
    player = session(policy=UNPACED)
    assert player.max_stake() == 9 * USDT  # 10% of 90 USDT
    with pytest.raises(StakeTooLarge) as refused:
        player.place_bet(binary_market(), "YES", 9 * USDT + 1, T0)
    assert refused.value.code == "STAKE_TOO_LARGE"
    player.place_bet(binary_market(), "YES", 9 * USDT, T0)
    assert player.max_stake() == 8_100_000  # the share of what is left


def test_minimum_interval_between_bets() -> None:
    player = session(policy=SessionPolicy(bucket_capacity=100))
    player.place_bet(binary_market(1), "YES", USDT, T0)
    with pytest.raises(TooFast) as refused:
        player.place_bet(binary_market(2), "YES", USDT, T0 + SECOND - MICROSECOND)
    assert refused.value.code == "TOO_FAST"
    assert refused.value.retry_after == MICROSECOND
    player.place_bet(binary_market(2), "YES", USDT, T0 + SECOND)


def test_token_bucket_allows_a_burst_of_three_then_ten_a_minute() -> None:
    player = session(policy=SessionPolicy(min_interval_ms=0, max_open_bets=100))
    for number in range(3):
        player.place_bet(binary_market(number), "YES", USDT, T0)
    with pytest.raises(TooFast) as refused:
        player.place_bet(binary_market(3), "YES", USDT, T0)
    assert refused.value.retry_after == 6 * SECOND  # one token every 6 s
    with pytest.raises(TooFast):
        player.place_bet(binary_market(3), "YES", USDT, T0 + 6 * SECOND - MICROSECOND)
    player.place_bet(binary_market(3), "YES", USDT, T0 + 6 * SECOND)
    # The bucket never holds more than the burst, however long the wait.
    later = T0 + 40 * SECOND
    for number in range(4, 7):
        player.place_bet(binary_market(number, listed_at=T0), "YES", USDT, later)
    with pytest.raises(TooFast):
        player.place_bet(binary_market(7), "YES", USDT, later)


def test_a_refused_bet_costs_no_token() -> None:
    player = session(policy=SessionPolicy(min_interval_ms=0))
    with pytest.raises(StakeTooLarge):
        player.place_bet(binary_market(), "YES", 50 * USDT, T0)
    for number in range(3):
        player.place_bet(binary_market(number), "YES", USDT, T0)


def test_maximum_concurrent_open_bets() -> None:
    player = session(policy=UNPACED)
    for number in range(5):
        player.place_bet(binary_market(number), "YES", USDT, T0)
    with pytest.raises(TooManyBets) as refused:
        player.place_bet(binary_market(5), "YES", USDT, T0)
    assert refused.value.code == "TOO_MANY_BETS"
    player.settle("test:0", Verdict("NO"), T0 + 90 * SECOND)
    player.place_bet(binary_market(5, listed_at=T0 + 60 * SECOND), "YES", USDT, T0 + 90 * SECOND)


def test_bets_only_while_the_market_takes_them() -> None:
    player = session(policy=UNPACED)
    market = binary_market()
    for at in (market.listed_at - MICROSECOND, market.opens_at, market.closes_at):
        with pytest.raises(MarketClosed) as refused:
            player.place_bet(market, "YES", USDT, at)
        assert refused.value.code == "MARKET_CLOSED"
    player.place_bet(market, "YES", USDT, market.listed_at)
    player.place_bet(market, "YES", USDT, market.opens_at - MICROSECOND)


@pytest.mark.parametrize(
    ("outcome", "stake"), [("MAYBE", USDT), ("YES", 9_999), ("YES", 0), ("YES", -1), ("YES", True)]
)
def test_invalid_bets(outcome: str, stake: int) -> None:
    with pytest.raises(InvalidBet) as refused:
        session().place_bet(binary_market(), outcome, stake, T0)
    assert refused.value.code == "INVALID_BET"


# -- settlement -----------------------------------------------------------------------------


def test_a_win_pays_stake_times_odds_rounded_down() -> None:
    player = session(policy=UNPACED)
    bet, movements = player.place_bet(binary_market(), "YES", 1_234_567, T0)
    assert movements == [Movement(MovementKind.STAKE, 1_234_567, "micro:s1:1:stake")]
    assert (player.available, player.in_play) == (90 * USDT - 1_234_567, 1_234_567)
    paid = player.settle("test:1", Verdict("YES"), T0 + 90 * SECOND)
    # 1,234,567 x 2.11 = 2,604,936.37 -> 2,604,936
    assert paid == [
        Movement(MovementKind.RETURN, 1_234_567, "micro:s1:1:return"),
        Movement(MovementKind.WINNINGS, 1_370_369, "micro:s1:1:winnings"),
    ]
    assert player.available == 90 * USDT - 1_234_567 + 2_604_936
    assert player.in_play == 0
    assert player.bets[bet.bet_id].status is BetStatus.WON


def test_a_loss_keeps_the_stake() -> None:
    player = session(policy=UNPACED)
    player.place_bet(binary_market(), "YES", 2 * USDT, T0)
    assert player.settle("test:1", Verdict("NO"), T0 + 90 * SECOND) == [
        Movement(MovementKind.LOSS, 2 * USDT, "micro:s1:1:loss")
    ]
    assert (player.available, player.in_play) == (88 * USDT, 0)


def test_no_consensus_voids_and_refunds() -> None:
    player = session(policy=UNPACED)
    player.place_bet(binary_market(), "YES", 2 * USDT, T0)
    player.place_bet(binary_market(), "NO", 3 * USDT, T0)
    refunds = player.settle("test:1", NO_CONSENSUS, T0 + 90 * SECOND)
    assert refunds == [
        Movement(MovementKind.REFUND, 2 * USDT, "micro:s1:1:refund"),
        Movement(MovementKind.REFUND, 3 * USDT, "micro:s1:2:refund"),
    ]
    assert player.available == 90 * USDT
    assert {bet.status for bet in player.bets.values()} == {BetStatus.VOID}


def test_settlement_happens_once_and_not_before_the_window_closes() -> None:
    player = session(policy=UNPACED)
    market = binary_market()
    player.place_bet(market, "YES", USDT, T0)
    with pytest.raises(ValueError, match="after its window"):
        player.settle(market.market_id, Verdict("YES"), market.closes_at - MICROSECOND)
    assert player.settle(market.market_id, Verdict("YES"), market.closes_at) != []
    assert player.settle(market.market_id, Verdict("NO"), market.closes_at) == []
    assert player.settle("unknown", Verdict("NO"), market.closes_at) == []


# -- close ----------------------------------------------------------------------------------


def test_close_returns_reserve_and_remaining_balance_exactly() -> None:
    player = session(policy=UNPACED)
    player.place_bet(binary_market(1), "YES", 5 * USDT, T0)
    player.place_bet(binary_market(2), "NO", 4 * USDT, T0)
    player.settle("test:1", Verdict("YES"), T0 + 90 * SECOND)  # +5 x 1.11 = +5.55
    player.settle("test:2", Verdict("YES"), T0 + 90 * SECOND)  # -4
    movements = player.close(T0 + 100 * SECOND)
    assert movements == [
        Movement(MovementKind.RELEASE, 10 * USDT, "micro:s1:release"),
        Movement(MovementKind.WITHDRAW, 91_550_000, "micro:s1:withdraw"),
    ]
    assert player.available == 0


def test_close_voids_open_bets_and_refuses_more() -> None:
    player = session(policy=UNPACED)
    player.place_bet(binary_market(1), "YES", 3 * USDT, T0)
    movements = player.close(T0 + 10 * SECOND)
    assert movements == [
        Movement(MovementKind.REFUND, 3 * USDT, "micro:s1:1:refund"),
        Movement(MovementKind.RELEASE, 10 * USDT, "micro:s1:release"),
        Movement(MovementKind.WITHDRAW, 90 * USDT, "micro:s1:withdraw"),
    ]
    assert player.bets["s1:1"].status is BetStatus.VOID
    with pytest.raises(SessionClosed) as refused:
        player.place_bet(binary_market(2), "YES", USDT, T0 + 11 * SECOND)
    assert refused.value.code == "SESSION_CLOSED"
    with pytest.raises(SessionClosed):
        player.close(T0 + 12 * SECOND)
    assert player.settle("test:1", Verdict("YES"), T0 + 90 * SECOND) == []


# -- snapshots, references, conservation ------------------------------------------------------


def test_snapshot_round_trip_continues_identically() -> None:
    player = session()
    player.place_bet(binary_market(1), "YES", 2 * USDT, T0)
    player.place_bet(binary_market(2), "NO", 3 * USDT, T0 + SECOND)
    player.settle("test:1", Verdict("YES"), T0 + 90 * SECOND)
    snapshot = json.loads(json.dumps(player.to_dict()))
    restored = MicroSession.from_dict(snapshot)
    assert restored.to_dict() == player.to_dict()
    assert (restored.in_play, restored.open_bets) == (player.in_play, player.open_bets)
    for each in (player, restored):
        each.place_bet(binary_market(3, listed_at=T0 + 60 * SECOND), "YES", USDT, T0 + 91 * SECOND)
    assert restored.close(T0 + 99 * SECOND) == player.close(T0 + 99 * SECOND)
    assert restored.to_dict() == player.to_dict()


def test_a_session_on_the_street_conserves_money_with_unique_references() -> None:
    model, camera, panel = StreetModel(), StreetCamera(21), observers(21)
    player, movements = MicroSession.open("carol", 200 * USDT, T0, session_id="s9")
    pending: dict[str, MicroMarket] = {}
    verdicts: Counter[str] = Counter()
    at = T0
    for step in range(400):
        at = T0 + step * 7 * SECOND
        for market_id, market in list(pending.items()):
            if market.closes_at <= at:
                observed = observe(camera, panel, market.opens_at, market.closes_at)
                verdict = resolve(market, observed)
                verdicts["void" if verdict.outcome is None else "agreed"] += 1
                movements += player.settle(market_id, verdict, at)
                del pending[market_id]
        market = offers(at, model)[step % len(STREET_TEMPLATES)]
        stake = max(10_000, player.max_stake() // 4)
        try:
            _, placed = player.place_bet(market, market.outcomes[step % 2].label, stake, at)
        except (TooManyBets, TooFast):
            continue
        movements += placed
        pending[market.market_id] = market
    movements += player.close(at + SECOND)

    references = [m.reference for m in movements]
    assert len(references) == len(set(references))
    total = Counter[MovementKind]()
    for movement in movements:
        assert movement.amount > 0
        total[movement.kind] += movement.amount
    assert total[MovementKind.RESERVE] + total[MovementKind.FUND] == 200 * USDT
    returned = total[MovementKind.RELEASE] + total[MovementKind.WITHDRAW]
    assert returned == 200 * USDT - total[MovementKind.LOSS] + total[MovementKind.WINNINGS]
    assert total[MovementKind.STAKE] == (
        total[MovementKind.RETURN] + total[MovementKind.LOSS] + total[MovementKind.REFUND]
    )
    assert total[MovementKind.RELEASE] == 20 * USDT
    assert verdicts["agreed"] > 0
