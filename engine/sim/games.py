"""Simulated games for the demo: Poisson scoring, a game clock, and fair in-play probabilities.

A game's state at any instant is a pure function of its seed and the clock.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from engine.oracle.sports.model import (
    EventStatus,
    GameClock,
    MarketKind,
    Outcome,
    Score,
    ScoreDetail,
    Sport,
    fixture_event_id,
    market_id,
)
from engine.oracle.sports.rules import CLOCK_RULES, period_bounds

FairMarkets = dict[str, dict[Outcome, float]]

# -- soccer: goals as two Poisson processes -------------------------------------------------

SOCCER_GOALS_PER_90 = 2.7  # the long-run average of the top European leagues
SOCCER_HOME_SHARE = (0.42, 0.62)  # the home side's share of the goal rate, per fixture
SOCCER_HALF_SECONDS = 45 * 60
SOCCER_HALF_TIME_SECONDS = 15 * 60
SOCCER_REGULATION_SECONDS = 2 * SOCCER_HALF_SECONDS
SOCCER_TOTAL_LINE = Decimal("2.5")
# Beyond this many further goals the Poisson tail is below 1e-12 at these rates.
SOCCER_MAX_FURTHER_GOALS = 20

# -- basketball: possessions as a Poisson process, points per possession --------------------

# NBA: about 100 possessions per team in 48 minutes, so one possession ends every 14.4 s.
BASKETBALL_POSSESSION_SECONDS = 14.4
# Share of possessions that score, per team and game; with the split below that is
# 0.46-0.54 x 2.2 = about 1.0-1.2 points per possession, 100-120 points a game.
BASKETBALL_SCORING_SHARE = (0.46, 0.54)
BASKETBALL_POINTS_SPLIT = ((1, 0.10), (2, 0.60), (3, 0.30))  # free throws, twos, threes
BASKETBALL_QUARTER_BREAK_SECONDS = 2 * 60
BASKETBALL_HALF_TIME_SECONDS = 15 * 60
BASKETBALL_MAX_OVERTIMES = 10

# -- tennis: points as a Poisson process, best of three sets --------------------------------

TENNIS_SECONDS_PER_POINT = 40.0  # about 60 points a set, 40 minutes a set
TENNIS_SERVE_WIN = (0.58, 0.70)  # probability that the server wins a point, per player
TENNIS_SETS_TO_WIN = 2
TENNIS_GAMES_PER_SET = 6
TENNIS_TIEBREAK_POINTS = 7


def _other(side: Outcome) -> Outcome:
    return Outcome.AWAY if side is Outcome.HOME else Outcome.HOME


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _poisson_pmf(mean: float, count: int) -> list[float]:
    probabilities = [math.exp(-mean)]
    for k in range(1, count):
        probabilities.append(probabilities[-1] * mean / k)
    return probabilities


@dataclass(frozen=True, slots=True)
class TennisBoard:
    """Tennis beyond the set score: games in the set, points in the game, who serves."""

    games: tuple[int, int]
    points: tuple[int, int]  # counted; 3-3 is deuce, 4-3 advantage; raw counts in a tie-break
    tiebreak: bool
    server: Outcome


@dataclass(frozen=True, slots=True)
class GameState:
    """The truth about a game at one instant."""

    sport: Sport
    event_id: str
    home: str
    away: str
    start_time: datetime
    status: EventStatus
    clock: GameClock
    score: Score
    markets: FairMarkets  # market id -> outcome -> fair probability; empty once finished
    results: dict[str, Outcome]  # full-time markets' outcomes, once finished
    ended_at: datetime
    tennis: TennisBoard | None = None


class SimulatedGame(Protocol):
    @property
    def sport(self) -> Sport: ...

    @property
    def event_id(self) -> str: ...

    @property
    def home(self) -> str: ...

    @property
    def away(self) -> str: ...

    @property
    def start_time(self) -> datetime: ...

    @property
    def end_time(self) -> datetime: ...

    def state_at(self, at: datetime) -> GameState: ...


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of a game's timeline: a period in play, or the break after one."""

    period: int
    in_play: bool
    seconds: float


def _locate(phases: Sequence[Phase], match_seconds: float) -> tuple[Phase, float] | None:
    """The phase at `match_seconds` since the start and how far into it; None once over."""
    for phase in phases:
        if match_seconds < phase.seconds:
            return phase, match_seconds
        match_seconds -= phase.seconds
    return None


@dataclass(frozen=True)
class ClockedGame:
    """What soccer and basketball share: phases on a timeline, compressed by `time_scale`."""

    sport: Sport
    event_id: str
    home: str
    away: str
    start_time: datetime
    time_scale: float
    phases: tuple[Phase, ...]

    @property
    def end_time(self) -> datetime:
        total = sum(phase.seconds for phase in self.phases)
        return self.start_time + timedelta(seconds=total / self.time_scale)

    def match_seconds(self, at: datetime) -> float:
        return (at - self.start_time).total_seconds() * self.time_scale

    def clock_at(self, at: datetime) -> tuple[EventStatus, GameClock, float]:
        """Status, clock and the exact elapsed game seconds at `at`."""
        match_seconds = self.match_seconds(at)
        rules = CLOCK_RULES[self.sport]
        if match_seconds < 0:
            return EventStatus.SCHEDULED, GameClock(0, 0, rules.regulation_seconds, False), 0.0
        located = _locate(self.phases, match_seconds)
        if located is None:
            last = self.phases[-1]
            _, end = period_bounds(self.sport, last.period)
            return EventStatus.FINISHED, GameClock(last.period, end, 0, False), float(end)
        phase, into = located
        start, end = period_bounds(self.sport, phase.period)
        elapsed = start + into if phase.in_play else float(end)
        scheduled_end = max(end, rules.regulation_seconds)
        status = EventStatus.LIVE if phase.in_play else EventStatus.BREAK
        whole = int(elapsed)
        clock = GameClock(phase.period, whole, scheduled_end - whole, phase.in_play)
        return status, clock, elapsed


def _soccer_phases() -> tuple[Phase, ...]:
    return (
        Phase(1, True, SOCCER_HALF_SECONDS),
        Phase(1, False, SOCCER_HALF_TIME_SECONDS),
        Phase(2, True, SOCCER_HALF_SECONDS),
    )


@dataclass(frozen=True)
class SoccerGame(ClockedGame):
    home_rate: float = 0.0  # goals per second of play
    away_rate: float = 0.0
    goals: tuple[tuple[float, Outcome], ...] = ()  # (elapsed seconds, scorer), in order

    @classmethod
    def generate(
        cls, rng: random.Random, home: str, away: str, start_time: datetime, time_scale: float
    ) -> SoccerGame:
        total_rate = SOCCER_GOALS_PER_90 / SOCCER_REGULATION_SECONDS
        share = rng.uniform(*SOCCER_HOME_SHARE)
        home_rate, away_rate = total_rate * share, total_rate * (1 - share)
        goals = sorted(
            [(t, Outcome.HOME) for t in _poisson_times(rng, home_rate, SOCCER_REGULATION_SECONDS)]
            + [(t, Outcome.AWAY) for t in _poisson_times(rng, away_rate, SOCCER_REGULATION_SECONDS)]
        )
        return cls(
            Sport.SOCCER,
            fixture_event_id(start_time, home, away),
            home,
            away,
            start_time,
            time_scale,
            _soccer_phases(),
            home_rate,
            away_rate,
            tuple(goals),
        )

    def state_at(self, at: datetime) -> GameState:
        status, clock, elapsed = self.clock_at(at)
        home = sum(1 for t, side in self.goals if t <= elapsed and side is Outcome.HOME)
        away = sum(1 for t, side in self.goals if t <= elapsed and side is Outcome.AWAY)
        finished = status is EventStatus.FINISHED
        return GameState(
            self.sport,
            self.event_id,
            self.home,
            self.away,
            self.start_time,
            status,
            clock,
            Score(home, away),
            {} if finished else self._markets(home, away, elapsed),
            self._results(home, away) if finished else {},
            self.end_time,
        )

    def _markets(self, home: int, away: int, elapsed: float) -> FairMarkets:
        remaining = max(0.0, SOCCER_REGULATION_SECONDS - elapsed)
        home_mean, away_mean = self.home_rate * remaining, self.away_rate * remaining
        return {
            market_id(MarketKind.MATCH_WINNER): _soccer_match_winner(
                home - away, home_mean, away_mean
            ),
            market_id(MarketKind.NEXT_GOAL): _next_goal(home_mean, away_mean),
            market_id(MarketKind.TOTAL_GOALS, SOCCER_TOTAL_LINE): _soccer_total(
                home + away, home_mean + away_mean
            ),
        }

    @staticmethod
    def _results(home: int, away: int) -> dict[str, Outcome]:
        winner = Outcome.HOME if home > away else Outcome.AWAY if away > home else Outcome.DRAW
        total = Outcome.OVER if home + away > SOCCER_TOTAL_LINE else Outcome.UNDER
        return {
            market_id(MarketKind.MATCH_WINNER): winner,
            market_id(MarketKind.TOTAL_GOALS, SOCCER_TOTAL_LINE): total,
        }


def _poisson_times(rng: random.Random, rate: float, horizon: float) -> list[float]:
    """Event times of a Poisson process of `rate` per second on [0, horizon)."""
    times: list[float] = []
    t = rng.expovariate(rate)
    while t < horizon:
        times.append(t)
        t += rng.expovariate(rate)
    return times


def _soccer_match_winner(lead: int, home_mean: float, away_mean: float) -> dict[Outcome, float]:
    home_goals = _poisson_pmf(home_mean, SOCCER_MAX_FURTHER_GOALS)
    away_goals = _poisson_pmf(away_mean, SOCCER_MAX_FURTHER_GOALS)
    result = {Outcome.HOME: 0.0, Outcome.DRAW: 0.0, Outcome.AWAY: 0.0}
    for i, p_home in enumerate(home_goals):
        for j, p_away in enumerate(away_goals):
            margin = lead + i - j
            side = Outcome.HOME if margin > 0 else Outcome.AWAY if margin < 0 else Outcome.DRAW
            result[side] += p_home * p_away
    total = sum(result.values())
    return {side: p / total for side, p in result.items()}


def _next_goal(home_mean: float, away_mean: float) -> dict[Outcome, float]:
    mean = home_mean + away_mean
    none = math.exp(-mean)
    if mean == 0:
        return {Outcome.HOME: 0.0, Outcome.NONE: 1.0, Outcome.AWAY: 0.0}
    return {
        Outcome.HOME: home_mean / mean * (1 - none),
        Outcome.NONE: none,
        Outcome.AWAY: away_mean / mean * (1 - none),
    }


def _soccer_total(goals: int, mean: float) -> dict[Outcome, float]:
    needed = int(SOCCER_TOTAL_LINE) + 1 - goals
    under = sum(_poisson_pmf(mean, needed)) if needed > 0 else 0.0
    return {Outcome.OVER: 1 - under, Outcome.UNDER: under}


# -- basketball -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Possession:
    ends_at: float  # elapsed game seconds
    team: Outcome
    points: int


@dataclass(frozen=True)
class BasketballGame(ClockedGame):
    home_scoring: float = 0.0  # share of possessions that score
    away_scoring: float = 0.0
    total_line: Decimal = Decimal("0.5")
    possessions: tuple[Possession, ...] = ()

    @classmethod
    def generate(
        cls, rng: random.Random, home: str, away: str, start_time: datetime, time_scale: float
    ) -> BasketballGame:
        home_scoring = rng.uniform(*BASKETBALL_SCORING_SHARE)
        away_scoring = rng.uniform(*BASKETBALL_SCORING_SHARE)
        scoring = {Outcome.HOME: home_scoring, Outcome.AWAY: away_scoring}
        possessions, periods = _play_basketball(rng, scoring)
        expected_total = _basketball_points_mean(home_scoring + away_scoring) * (
            CLOCK_RULES[Sport.BASKETBALL].regulation_seconds / BASKETBALL_POSSESSION_SECONDS / 2
        )
        return cls(
            Sport.BASKETBALL,
            fixture_event_id(start_time, home, away),
            home,
            away,
            start_time,
            time_scale,
            _basketball_phases(periods),
            home_scoring,
            away_scoring,
            Decimal(math.floor(expected_total)) + Decimal("0.5"),
            tuple(possessions),
        )

    def state_at(self, at: datetime) -> GameState:
        status, clock, elapsed = self.clock_at(at)
        done = [p for p in self.possessions if p.ends_at <= elapsed]
        home = sum(p.points for p in done if p.team is Outcome.HOME)
        away = sum(p.points for p in done if p.team is Outcome.AWAY)
        finished = status is EventStatus.FINISHED
        in_possession = self._in_possession(elapsed)
        markets = {} if finished else self._markets(home, away, clock, in_possession)
        return GameState(
            self.sport,
            self.event_id,
            self.home,
            self.away,
            self.start_time,
            status,
            clock,
            Score(home, away),
            markets,
            self._results(home, away) if finished else {},
            self.end_time,
        )

    def _in_possession(self, elapsed: float) -> Outcome:
        for possession in self.possessions:
            if possession.ends_at > elapsed:
                return possession.team
        return self.possessions[-1].team if self.possessions else Outcome.HOME

    def _markets(
        self, home: int, away: int, clock: GameClock, in_possession: Outcome
    ) -> FairMarkets:
        remaining = clock.remaining_seconds if clock.remaining_seconds is not None else 0
        per_team = remaining / BASKETBALL_POSSESSION_SECONDS / 2
        home_mean, home_var = _basketball_moments(self.home_scoring)
        away_mean, away_var = _basketball_moments(self.away_scoring)
        margin_mean = per_team * (home_mean - away_mean)
        total_mean = per_team * (home_mean + away_mean)
        spread = math.sqrt(per_team * (home_var + away_var))
        return {
            market_id(MarketKind.MATCH_WINNER): _basketball_winner(
                home - away, margin_mean, spread
            ),
            market_id(MarketKind.TOTAL_POINTS, self.total_line): _basketball_total(
                home + away, float(self.total_line), total_mean, spread
            ),
            market_id(MarketKind.NEXT_SCORE): self._next_score(in_possession),
        }

    def _next_score(self, in_possession: Outcome) -> dict[Outcome, float]:
        """The team with the ball scores first unless it misses and the other then scores."""
        own, other = self.home_scoring, self.away_scoring
        if in_possession is Outcome.AWAY:
            own, other = other, own
        first = own / (1 - (1 - own) * (1 - other))
        return {in_possession: first, _other(in_possession): 1 - first}

    def _results(self, home: int, away: int) -> dict[str, Outcome]:
        return {
            market_id(MarketKind.MATCH_WINNER): Outcome.HOME if home > away else Outcome.AWAY,
            market_id(MarketKind.TOTAL_POINTS, self.total_line): (
                Outcome.OVER if home + away > self.total_line else Outcome.UNDER
            ),
        }


def _play_basketball(
    rng: random.Random, scoring: Mapping[Outcome, float]
) -> tuple[list[Possession], int]:
    """Possessions until regulation ends, then overtimes while the score is level."""
    possessions: list[Possession] = []
    team = rng.choice((Outcome.HOME, Outcome.AWAY))  # the tip-off
    clock = 0.0
    periods = CLOCK_RULES[Sport.BASKETBALL].regulation_periods
    _, period_end = period_bounds(Sport.BASKETBALL, periods)
    while True:
        clock += rng.expovariate(1 / BASKETBALL_POSSESSION_SECONDS)
        if clock >= period_end:
            level = _points(possessions, Outcome.HOME) == _points(possessions, Outcome.AWAY)
            if not level or periods >= 4 + BASKETBALL_MAX_OVERTIMES:
                break
            periods += 1
            clock = float(period_end)
            _, period_end = period_bounds(Sport.BASKETBALL, periods)
            continue
        points = _possession_points(rng, scoring[team])
        possessions.append(Possession(clock, team, points))
        team = _other(team)
    if _points(possessions, Outcome.HOME) == _points(possessions, Outcome.AWAY):
        # Ten overtimes still level: settle it with a last free throw rather than loop on.
        possessions.append(Possession(float(period_end) - 0.5, team, 1))
    return possessions, periods


def _points(possessions: Sequence[Possession], team: Outcome) -> int:
    return sum(p.points for p in possessions if p.team is team)


def _possession_points(rng: random.Random, scoring_share: float) -> int:
    if rng.random() >= scoring_share:
        return 0
    draw = rng.random()
    for points, share in BASKETBALL_POINTS_SPLIT:
        if draw < share:
            return points
        draw -= share
    return BASKETBALL_POINTS_SPLIT[-1][0]


def _basketball_points_mean(scoring_share: float) -> float:
    return scoring_share * sum(points * share for points, share in BASKETBALL_POINTS_SPLIT)


def _basketball_moments(scoring_share: float) -> tuple[float, float]:
    """Mean and variance of one possession's points."""
    mean = _basketball_points_mean(scoring_share)
    square = scoring_share * sum(
        points * points * share for points, share in BASKETBALL_POINTS_SPLIT
    )
    return mean, square - mean * mean


def _basketball_phases(periods: int) -> tuple[Phase, ...]:
    phases: list[Phase] = []
    for period in range(1, periods + 1):
        if period > 1:
            pause = (
                BASKETBALL_HALF_TIME_SECONDS if period == 3 else BASKETBALL_QUARTER_BREAK_SECONDS
            )
            phases.append(Phase(period - 1, False, pause))
        start, end = period_bounds(Sport.BASKETBALL, period)
        phases.append(Phase(period, True, end - start))
    return tuple(phases)


def _basketball_winner(lead: int, margin_mean: float, spread: float) -> dict[Outcome, float]:
    """Normal approximation of the final margin; a tie goes to overtime, a coin flip."""
    if spread == 0:
        home = 1.0 if lead > 0 else 0.0 if lead < 0 else 0.5
    else:
        above = 1 - _normal_cdf((-lead + 0.5 - margin_mean) / spread)
        tie = _normal_cdf((-lead + 0.5 - margin_mean) / spread) - _normal_cdf(
            (-lead - 0.5 - margin_mean) / spread
        )
        home = above + tie / 2
    return {Outcome.HOME: home, Outcome.AWAY: 1 - home}


def _basketball_total(points: int, line: float, mean: float, spread: float) -> dict[Outcome, float]:
    if spread == 0:
        over = 1.0 if points > line else 0.0
    else:
        over = 1 - _normal_cdf((line - points - mean) / spread)
    return {Outcome.OVER: over, Outcome.UNDER: 1 - over}


# -- tennis ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TennisPosition:
    """The score after some number of points."""

    sets: tuple[int, int]
    games: tuple[int, int]
    points: tuple[int, int]
    tiebreak: bool
    game_server: Outcome  # serves this game; in a tie-break, serves its first point
    winner: Outcome | None = None

    @property
    def set_number(self) -> int:
        played = self.sets[0] + self.sets[1]
        return played if self.winner is not None else played + 1

    def point_server(self) -> Outcome:
        if not self.tiebreak:
            return self.game_server
        played = self.points[0] + self.points[1]
        # Tie-break rotation: one serve, then two each.
        first = played == 0 or ((played - 1) // 2) % 2 == 1
        return self.game_server if first else _other(self.game_server)

    def after_point(self, won_by: Outcome) -> TennisPosition:
        side = 0 if won_by is Outcome.HOME else 1
        points = _bump(self.points, side)
        if self.tiebreak:
            if points[side] >= TENNIS_TIEBREAK_POINTS and points[side] - points[1 - side] >= 2:
                # The tie-break shows as 7-6; whoever received first serves the next set.
                return self._set_won(side, _bump(self.games, side), _other(self.game_server))
            return TennisPosition(self.sets, self.games, points, True, self.game_server)
        if points[side] >= 4 and points[side] - points[1 - side] >= 2:
            return self._game_won(side)
        if points[0] >= 3 and points[1] >= 3:  # deuce and advantage, counted from 3-3
            low = min(points)
            points = (points[0] - low + 3, points[1] - low + 3)
        return TennisPosition(self.sets, self.games, points, False, self.game_server)

    def _game_won(self, side: int) -> TennisPosition:
        games = _bump(self.games, side)
        next_server = _other(self.game_server)
        if games[side] >= TENNIS_GAMES_PER_SET and games[side] - games[1 - side] >= 2:
            return self._set_won(side, games, next_server)
        tiebreak = games == (TENNIS_GAMES_PER_SET, TENNIS_GAMES_PER_SET)
        return TennisPosition(self.sets, games, (0, 0), tiebreak, next_server)

    def _set_won(
        self, side: int, final_games: tuple[int, int], next_server: Outcome
    ) -> TennisPosition:
        sets = _bump(self.sets, side)
        winner = (Outcome.HOME, Outcome.AWAY)[side] if sets[side] == TENNIS_SETS_TO_WIN else None
        # The match's last set keeps its games on the board; otherwise a new set starts.
        games = final_games if winner is not None else (0, 0)
        return TennisPosition(sets, games, (0, 0), False, next_server, winner)


def _bump(pair: tuple[int, int], side: int) -> tuple[int, int]:
    return (pair[0] + 1, pair[1]) if side == 0 else (pair[0], pair[1] + 1)


@dataclass(frozen=True)
class TennisGame:
    sport: Sport
    event_id: str
    home: str
    away: str
    start_time: datetime
    time_scale: float
    home_serve_win: float
    away_serve_win: float
    # Match seconds of each point, and the position after it; positions[0] is the start.
    point_times: tuple[float, ...]
    positions: tuple[TennisPosition, ...]

    @classmethod
    def generate(
        cls, rng: random.Random, home: str, away: str, start_time: datetime, time_scale: float
    ) -> TennisGame:
        serve_win = {Outcome.HOME: rng.uniform(*TENNIS_SERVE_WIN)}
        serve_win[Outcome.AWAY] = rng.uniform(*TENNIS_SERVE_WIN)
        position = TennisPosition((0, 0), (0, 0), (0, 0), False, rng.choice(list(serve_win)))
        positions, times, clock = [position], [], 0.0
        while position.winner is None:
            clock += rng.expovariate(1 / TENNIS_SECONDS_PER_POINT)
            server = position.point_server()
            won_by = server if rng.random() < serve_win[server] else _other(server)
            position = position.after_point(won_by)
            positions.append(position)
            times.append(clock)
        return cls(
            Sport.TENNIS,
            fixture_event_id(start_time, home, away),
            home,
            away,
            start_time,
            time_scale,
            serve_win[Outcome.HOME],
            serve_win[Outcome.AWAY],
            tuple(times),
            tuple(positions),
        )

    @property
    def end_time(self) -> datetime:
        return self.start_time + timedelta(seconds=self.point_times[-1] / self.time_scale)

    def state_at(self, at: datetime) -> GameState:
        match_seconds = (at - self.start_time).total_seconds() * self.time_scale
        played = bisect_right(self.point_times, match_seconds)
        position = self.positions[played]
        if match_seconds < 0:
            status = EventStatus.SCHEDULED
        elif position.winner is not None:
            status = EventStatus.FINISHED
        else:
            status = EventStatus.LIVE
        period = 0 if status is EventStatus.SCHEDULED else position.set_number
        clock = GameClock(period, None, None, status is EventStatus.LIVE)
        score = Score(
            position.sets[0],
            position.sets[1],
            (ScoreDetail("games", *position.games), ScoreDetail("points", *position.points)),
        )
        board = TennisBoard(
            position.games, position.points, position.tiebreak, position.point_server()
        )
        finished = position.winner is not None
        return GameState(
            self.sport,
            self.event_id,
            self.home,
            self.away,
            self.start_time,
            status,
            clock,
            score,
            {} if finished else self._odds().markets(position),
            {market_id(MarketKind.MATCH_WINNER): position.winner} if position.winner else {},
            self.end_time,
            board,
        )

    def _odds(self) -> TennisOdds:
        return TennisOdds(self.home_serve_win, self.away_serve_win)


class TennisOdds:
    """Exact win probabilities from the two serve-point probabilities (independent points)."""

    def __init__(self, home_serve_win: float, away_serve_win: float) -> None:
        self._serve_win = {Outcome.HOME: home_serve_win, Outcome.AWAY: away_serve_win}

    def markets(self, position: TennisPosition) -> FairMarkets:
        point = self._home_wins_point(position.point_server())
        game = self._home_wins_current_game(position)
        current_set = self._home_wins_current_set(position, game)
        match = _home_wins_match(position.sets, current_set, self._fresh_set())
        return {
            market_id(MarketKind.MATCH_WINNER): {Outcome.HOME: match, Outcome.AWAY: 1 - match},
            market_id(MarketKind.NEXT_POINT): {Outcome.HOME: point, Outcome.AWAY: 1 - point},
            market_id(MarketKind.GAME_WINNER): {Outcome.HOME: game, Outcome.AWAY: 1 - game},
        }

    def _home_wins_point(self, server: Outcome) -> float:
        serve_win = self._serve_win[server]
        return serve_win if server is Outcome.HOME else 1 - serve_win

    def _home_wins_current_game(self, position: TennisPosition) -> float:
        if position.tiebreak:
            return self._tiebreak(position.points, position.game_server)
        server = position.game_server
        server_points = position.points if server is Outcome.HOME else position.points[::-1]
        server_wins = _server_wins_game(self._serve_win[server], *server_points)
        return server_wins if server is Outcome.HOME else 1 - server_wins

    def _home_wins_current_set(self, position: TennisPosition, game: float) -> float:
        if position.tiebreak:
            return game
        next_server = _other(position.game_server)
        won = self._set_from(_bump(position.games, 0), next_server)
        lost = self._set_from(_bump(position.games, 1), next_server)
        return game * won + (1 - game) * lost

    def _fresh_set(self) -> float:
        # Who serves first in a later set depends on this one; averaging both is close enough.
        return (self._set_from((0, 0), Outcome.HOME) + self._set_from((0, 0), Outcome.AWAY)) / 2

    def _set_from(self, games: tuple[int, int], server: Outcome) -> float:
        return _home_wins_set(
            games, server, self._serve_win[Outcome.HOME], self._serve_win[Outcome.AWAY]
        )

    def _tiebreak(self, points: tuple[int, int], first_server: Outcome) -> float:
        return _home_wins_tiebreak(
            points, first_server, self._serve_win[Outcome.HOME], self._serve_win[Outcome.AWAY]
        )


@lru_cache(maxsize=65_536)
def _server_wins_game(serve_win: float, server_points: int, receiver_points: int) -> float:
    if server_points >= 4 and server_points - receiver_points >= 2:
        return 1.0
    if receiver_points >= 4 and receiver_points - server_points >= 2:
        return 0.0
    if server_points >= 3 and receiver_points >= 3:
        lose = 1 - serve_win
        deuce = serve_win**2 / (serve_win**2 + lose**2)
        if server_points == receiver_points:
            return deuce
        if server_points > receiver_points:
            return serve_win + lose * deuce
        return serve_win * deuce
    return serve_win * _server_wins_game(serve_win, server_points + 1, receiver_points) + (
        1 - serve_win
    ) * _server_wins_game(serve_win, server_points, receiver_points + 1)


@lru_cache(maxsize=65_536)
def _home_wins_tiebreak(
    points: tuple[int, int], first_server: Outcome, home_serve: float, away_serve: float
) -> float:
    home, away = points
    if home >= TENNIS_TIEBREAK_POINTS and home - away >= 2:
        return 1.0
    if away >= TENNIS_TIEBREAK_POINTS and away - home >= 2:
        return 0.0
    on_serve = {Outcome.HOME: home_serve, Outcome.AWAY: 1 - away_serve}
    played = home + away
    if home == away and home >= TENNIS_TIEBREAK_POINTS - 1 and played % 2 == 0:
        # From 6-6 on, every pair of points has one serve each: win both to win.
        both = on_serve[first_server] * on_serve[_other(first_server)]
        neither = (1 - on_serve[first_server]) * (1 - on_serve[_other(first_server)])
        return both / (both + neither)
    first = played == 0 or ((played - 1) // 2) % 2 == 1
    point = on_serve[first_server if first else _other(first_server)]
    win = _home_wins_tiebreak((home + 1, away), first_server, home_serve, away_serve)
    lose = _home_wins_tiebreak((home, away + 1), first_server, home_serve, away_serve)
    return point * win + (1 - point) * lose


@lru_cache(maxsize=65_536)
def _home_wins_set(
    games: tuple[int, int], server: Outcome, home_serve: float, away_serve: float
) -> float:
    home, away = games
    if (home >= TENNIS_GAMES_PER_SET and home - away >= 2) or home == TENNIS_GAMES_PER_SET + 1:
        return 1.0
    if (away >= TENNIS_GAMES_PER_SET and away - home >= 2) or away == TENNIS_GAMES_PER_SET + 1:
        return 0.0
    if games == (TENNIS_GAMES_PER_SET, TENNIS_GAMES_PER_SET):
        return _home_wins_tiebreak((0, 0), server, home_serve, away_serve)
    if server is Outcome.HOME:
        game = _server_wins_game(home_serve, 0, 0)
    else:
        game = 1 - _server_wins_game(away_serve, 0, 0)
    next_server = _other(server)
    return game * _home_wins_set((home + 1, away), next_server, home_serve, away_serve) + (
        1 - game
    ) * _home_wins_set((home, away + 1), next_server, home_serve, away_serve)


def _home_wins_match(sets: tuple[int, int], current_set: float, fresh_set: float) -> float:
    def after(home: int, away: int) -> float:
        if home == TENNIS_SETS_TO_WIN:
            return 1.0
        if away == TENNIS_SETS_TO_WIN:
            return 0.0
        return fresh_set * after(home + 1, away) + (1 - fresh_set) * after(home, away + 1)

    home, away = sets
    return current_set * after(home + 1, away) + (1 - current_set) * after(home, away + 1)


# -- the schedule: many games, a new one as each ends ----------------------------------------

# Demo games run three times faster than real ones, so a visitor sees whole games; the clock
# and the rates are still in game time. 1.0 plays them in real time.
DEMO_TIME_SCALE = 3.0
# Concurrent games per sport. At 3x, about 1,200 games end a day (see docs/sports-oracle.md),
# each going through its last five minutes: the flash markets' raw material.
DEMO_SLOTS: dict[Sport, int] = {Sport.SOCCER: 10, Sport.BASKETBALL: 8, Sport.TENNIS: 8}
PRE_MATCH_WINDOW = timedelta(minutes=2)  # listed, with pre-match odds, before the start
FINISHED_WINDOW = timedelta(minutes=3)  # still listed, finished, after the end
GAP_BETWEEN_GAMES = timedelta(minutes=1)  # a slot's next game starts this long after the last
TEAMS_PER_SLOT = 6  # each slot is a small league, so no team plays two games at once
# Typical game length in match seconds, to spread the first games' starts over one game.
TYPICAL_MATCH_SECONDS: dict[Sport, float] = {
    Sport.SOCCER: 2 * SOCCER_HALF_SECONDS + SOCCER_HALF_TIME_SECONDS,
    Sport.BASKETBALL: 4 * 720 + 2 * BASKETBALL_QUARTER_BREAK_SECONDS + BASKETBALL_HALF_TIME_SECONDS,
    Sport.TENNIS: 130 * TENNIS_SECONDS_PER_POINT,
}

CITIES = (
    "Northport", "Eastham", "Westbury", "Southfield", "Kingsbridge", "Ashford", "Bramley",
    "Castleton", "Dunmore", "Elmstead", "Fairhaven", "Glenrock", "Harrowgate", "Ironwood",
    "Juniper Bay", "Kestrel", "Lowmoor", "Millbrook", "Newhaven", "Oakridge", "Pinecrest",
    "Queensport", "Riverton", "Stonebridge",
)  # fmt: skip
CLUB_SUFFIXES: dict[Sport, tuple[str, ...]] = {
    Sport.SOCCER: ("United", "Rovers", "Athletic", "City"),
    Sport.BASKETBALL: ("Hawks", "Comets", "Titans", "Foxes"),
}
FIRST_NAMES = (
    "Ana", "Bruno", "Chiara", "Dmitri", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas",
    "Katya", "Luca", "Maya", "Nils", "Olga", "Pavel",
)  # fmt: skip
LAST_NAMES = ("Moreau", "Novak", "Silva", "Tanaka", "Weber", "Kowalski")

GAME_TYPES: dict[Sport, type[SoccerGame] | type[BasketballGame] | type[TennisGame]] = {
    Sport.SOCCER: SoccerGame,
    Sport.BASKETBALL: BasketballGame,
    Sport.TENNIS: TennisGame,
}


def team_names(sport: Sport, count: int) -> list[str]:
    """Distinct fictional clubs (or players) of a sport, always in the same order."""
    if sport is Sport.TENNIS:
        names = [f"{first} {last}" for last in LAST_NAMES for first in FIRST_NAMES]
    else:
        names = [f"{city} {suffix}" for suffix in CLUB_SUFFIXES[sport] for city in CITIES]
    if count > len(names):
        raise ValueError(f"at most {len(names)} {sport} names")
    return names[:count]


class _Slot:
    """One pitch, court or arena: its games one after another."""

    def __init__(
        self, seed: int, sport: Sport, index: int, first_start: datetime, scale: float
    ) -> None:
        self._seed = seed
        self._sport = sport
        self._index = index
        self._scale = scale
        names = team_names(sport, (index + 1) * TEAMS_PER_SLOT)
        self._league = names[index * TEAMS_PER_SLOT :]
        self._next_number = 0
        self._next_start = first_start
        self.games: list[SimulatedGame] = []

    def extend_until(self, until: datetime) -> None:
        while self._next_start - PRE_MATCH_WINDOW <= until:
            game = self._generate(self._next_number, self._next_start)
            self.games.append(game)
            self._next_number += 1
            self._next_start = game.end_time + GAP_BETWEEN_GAMES

    def forget_before(self, cutoff: datetime) -> None:
        self.games = [game for game in self.games if game.end_time >= cutoff]

    def _generate(self, number: int, start: datetime) -> SimulatedGame:
        rng = random.Random(f"{self._seed}:{self._sport}:{self._index}:{number}")
        home, away = rng.sample(self._league, 2)
        # Kick-offs on whole seconds, as fixtures are announced.
        start = start.replace(microsecond=0) + timedelta(seconds=1 if start.microsecond else 0)
        return GAME_TYPES[self._sport].generate(rng, home, away, start, self._scale)


class GameSchedule:
    """Every slot's games, created lazily and deterministically as the clock moves on."""

    def __init__(
        self,
        seed: int,
        epoch: datetime,
        slots: Mapping[Sport, int] | None = None,
        time_scale: float = DEMO_TIME_SCALE,
        retention: timedelta = timedelta(minutes=30),
    ) -> None:
        self._retention = retention
        self._slots: list[_Slot] = []
        for sport, count in (DEMO_SLOTS if slots is None else slots).items():
            typical = timedelta(seconds=TYPICAL_MATCH_SECONDS[sport] / time_scale)
            for index in range(count):
                # Staggered so that at the epoch the slots are spread through their games.
                first_start = epoch - typical * index / count
                self._slots.append(_Slot(seed, sport, index, first_start, time_scale))

    def games_between(self, start: datetime, end: datetime) -> list[SimulatedGame]:
        """Games listed at some instant of [start, end]: from pre-match to finished window."""
        found: list[SimulatedGame] = []
        for slot in self._slots:
            slot.extend_until(end)
            slot.forget_before(start - self._retention)
            found += [
                game
                for game in slot.games
                if game.start_time - PRE_MATCH_WINDOW <= end
                and game.end_time + FINISHED_WINDOW >= start
            ]
        return sorted(found, key=lambda game: (game.start_time, game.event_id))

    def games_at(self, at: datetime) -> list[SimulatedGame]:
        return self.games_between(at, at)

    def games_ended_between(self, start: datetime, end: datetime) -> list[SimulatedGame]:
        return [
            game
            for game in self.games_between(start - FINISHED_WINDOW, end)
            if start <= game.end_time < end
        ]
