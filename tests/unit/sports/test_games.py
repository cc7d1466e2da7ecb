"""Simulated games: plausible scoring rates, valid probabilities that follow play; determinism."""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from engine.oracle.sports.model import EventStatus, GameClock, Outcome, Sport
from engine.sim.games import (
    DEMO_SLOTS,
    SOCCER_GOALS_PER_90,
    BasketballGame,
    GameSchedule,
    GameState,
    SimulatedGame,
    SoccerGame,
    TennisGame,
    TennisOdds,
    TennisPosition,
    _server_wins_game,
    _soccer_phases,
)

START = datetime(2026, 1, 1, 12, tzinfo=UTC)


def soccer(seed: int) -> SoccerGame:
    return SoccerGame.generate(
        random.Random(f"soccer:{seed}"), "Northport United", "Eastham Rovers", START, 1.0
    )


def basketball(seed: int) -> BasketballGame:
    return BasketballGame.generate(
        random.Random(f"basketball:{seed}"), "Harbor Hawks", "Bay Comets", START, 1.0
    )


def tennis(seed: int) -> TennisGame:
    return TennisGame.generate(
        random.Random(f"tennis:{seed}"), "Ana Novak", "Olga Silva", START, 1.0
    )


def assert_valid_markets(state: GameState) -> None:
    for market, outcomes in state.markets.items():
        assert sum(outcomes.values()) == pytest.approx(1.0, abs=1e-9), market
        assert all(0.0 <= p <= 1.0 for p in outcomes.values()), market


def test_soccer_averages_about_2_7_goals_per_90_minutes() -> None:
    goals = [len(soccer(seed).goals) for seed in range(3000)]
    # Poisson(2.7): the mean of 3,000 games has a standard error of 0.03.
    assert statistics.mean(goals) == pytest.approx(SOCCER_GOALS_PER_90, abs=0.12)
    assert statistics.variance(goals) == pytest.approx(SOCCER_GOALS_PER_90, rel=0.15)
    first_half = sum(1 for seed in range(3000) for t, _ in soccer(seed).goals if t < 2700)
    assert first_half / sum(goals) == pytest.approx(0.5, abs=0.03)


def test_basketball_scores_about_1_1_points_per_possession() -> None:
    totals, possessions = [], []
    for seed in range(400):
        game = basketball(seed)
        regulation = [p for p in game.possessions if p.ends_at <= 2880]
        possessions.append(len(regulation))
        totals.append(sum(p.points for p in regulation))
    # 2880 s / 14.4 s = 200 possessions; 0.5 scoring x 2.2 points = 1.1 a possession.
    assert statistics.mean(possessions) == pytest.approx(200, abs=3)
    assert statistics.mean(totals) == pytest.approx(220, abs=5)


def test_basketball_never_ends_level_and_overtime_extends_the_clock() -> None:
    with_overtime = None
    for seed in range(400):
        game = basketball(seed)
        final = game.state_at(game.end_time)
        assert final.status is EventStatus.FINISHED
        assert final.score.home != final.score.away
        if with_overtime is None and final.clock.period > 4:
            with_overtime = game
    assert with_overtime is not None
    # Five minutes into the game clock's first overtime: period 5, counting down from 300 s.
    overtime_start = next(p for p in with_overtime.phases if p.period == 5 and p.in_play)
    into_game = sum(
        p.seconds for p in with_overtime.phases[: with_overtime.phases.index(overtime_start)]
    )
    state = with_overtime.state_at(START + timedelta(seconds=into_game + 60))
    assert state.clock == GameClock(5, 2940, 240, True)
    assert_valid_markets(state)


def test_tennis_matches_are_best_of_three_with_valid_sets() -> None:
    points = []
    for seed in range(300):
        game = tennis(seed)
        final = game.positions[-1]
        assert final.winner is not None
        assert max(final.sets) == 2 and min(final.sets) <= 1
        points.append(len(game.point_times))
    assert 100 < statistics.mean(points) < 220


def test_the_chance_of_holding_serve_matches_the_textbook_formula() -> None:
    # p = 0.6: p^4 (1 + 4q + 10q^2) + 20 p^3 q^3 * p^2 / (1 - 2pq) = 0.54432 + 0.19141 = 0.73573
    p, q = 0.6, 0.4
    expected = p**4 * (1 + 4 * q + 10 * q**2) + 20 * p**3 * q**3 * p**2 / (1 - 2 * p * q)
    assert _server_wins_game(0.6, 0, 0) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.73573, abs=1e-5)


def test_equal_players_are_even_money_and_the_model_agrees_with_simulation() -> None:
    start = TennisPosition((0, 0), (0, 0), (0, 0), False, Outcome.HOME)
    even = TennisOdds(0.64, 0.64).markets(start)
    assert even["MATCH_WINNER"][Outcome.HOME] == pytest.approx(0.5, abs=1e-12)
    odds = TennisOdds(0.68, 0.60).markets(start)["MATCH_WINNER"][Outcome.HOME]
    rng = random.Random(7)
    serve_win = {Outcome.HOME: 0.68, Outcome.AWAY: 0.60}
    wins = 0
    matches = 1500
    for _ in range(matches):
        position = start
        while position.winner is None:
            server = position.point_server()
            won = (
                server
                if rng.random() < serve_win[server]
                else (Outcome.AWAY if server is Outcome.HOME else Outcome.HOME)
            )
            position = position.after_point(won)
        wins += position.winner is Outcome.HOME
    assert wins / matches == pytest.approx(odds, abs=4 * math.sqrt(0.25 / matches))


@pytest.mark.parametrize("make", [soccer, basketball, tennis])
def test_probabilities_are_valid_at_every_instant(make: Callable[[int], SimulatedGame]) -> None:
    for seed in range(5):
        game = make(seed)
        at = START - timedelta(minutes=1)
        while at <= game.end_time + timedelta(minutes=1):
            state = game.state_at(at)
            assert_valid_markets(state)
            assert (state.status is EventStatus.FINISHED) == (state.markets == {})
            at += timedelta(seconds=97)


def test_soccer_prices_follow_the_score_and_the_clock() -> None:
    goals = ((600.0, Outcome.HOME), (1200.0, Outcome.HOME))
    game = SoccerGame(
        Sport.SOCCER, "e", "Northport United", "Eastham Rovers", START, 1.0, _soccer_phases(),
        1.4 / 5400, 1.3 / 5400, goals,
    )  # fmt: skip
    kick_off = game.state_at(START)
    late = game.state_at(START + timedelta(minutes=15 + 85))  # 85th minute, 2-0
    assert late.score.home == 2 and late.clock.elapsed_seconds == 85 * 60
    assert kick_off.markets["MATCH_WINNER"][Outcome.HOME] < 0.5
    assert late.markets["MATCH_WINNER"][Outcome.HOME] > 0.97
    assert late.markets["NEXT_GOAL"][Outcome.NONE] > kick_off.markets["NEXT_GOAL"][Outcome.NONE]
    half_time = game.state_at(START + timedelta(minutes=50))
    assert half_time.status is EventStatus.BREAK
    assert half_time.clock == GameClock(1, 2700, 2700, False)
    final = game.state_at(game.end_time)
    assert final.results == {"MATCH_WINNER": Outcome.HOME, "TOTAL_GOALS_2.5": Outcome.UNDER}


def test_a_game_is_a_function_of_its_seed() -> None:
    assert soccer(11) == soccer(11)
    assert tennis(11) == tennis(11)
    assert soccer(11) != soccer(12)


def test_the_schedule_does_not_depend_on_the_order_it_is_asked_in() -> None:
    forward, backward = GameSchedule(5, START), GameSchedule(5, START)
    instants = [START + timedelta(minutes=m) for m in range(0, 240, 7)]
    seen_forward = [[g.event_id for g in forward.games_at(at)] for at in instants]
    backward.games_at(instants[-1])
    seen_backward = [[g.event_id for g in backward.games_at(at)] for at in instants[-3:]]
    assert seen_forward[-3:] == seen_backward


def test_the_demo_schedule_ends_over_a_thousand_games_a_day() -> None:
    schedule = GameSchedule(1, START)
    day = schedule.games_ended_between(START, START + timedelta(days=1))
    assert len(day) >= 1000
    assert len({game.event_id for game in day}) == len(day)
    assert {game.sport for game in day} == set(DEMO_SLOTS)


def test_new_games_start_as_others_end_and_no_team_plays_twice_at_once() -> None:
    schedule = GameSchedule(3, START)
    games = schedule.games_between(START, START + timedelta(hours=6))
    for sport in DEMO_SLOTS:
        mine = [g for g in games if g.sport is sport]
        for team in {name for g in mine for name in (g.home, g.away)}:
            playing = sorted(
                (g for g in mine if team in (g.home, g.away)), key=lambda g: g.start_time
            )
            for earlier, later in itertools.pairwise(playing):
                assert later.start_time >= earlier.end_time
    live_now = [
        g
        for g in schedule.games_at(START + timedelta(hours=3))
        if g.start_time <= START + timedelta(hours=3) <= g.end_time
    ]
    assert len(live_now) >= sum(DEMO_SLOTS.values()) // 2
