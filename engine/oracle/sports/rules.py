"""Period rules of each sport, to turn any provider's way of showing the clock into a GameClock."""

from __future__ import annotations

from dataclasses import dataclass

from engine.oracle.sports.model import GameClock, MalformedSportsPayload, Sport


@dataclass(frozen=True, slots=True)
class PeriodRules:
    regulation_periods: int
    period_seconds: int
    overtime_seconds: int | None  # None: the game can end level (league soccer)
    max_periods: int

    @property
    def regulation_seconds(self) -> int:
        return self.regulation_periods * self.period_seconds


# Soccer: two halves of 45 minutes. Basketball (NBA): four 12-minute quarters and 5-minute
# overtimes; ten overtimes is past any game ever played, so more is a bad payload.
CLOCK_RULES: dict[Sport, PeriodRules] = {
    Sport.SOCCER: PeriodRules(2, 45 * 60, None, 2),
    Sport.BASKETBALL: PeriodRules(4, 12 * 60, 5 * 60, 14),
}
# Tennis has no clock; best of five is the longest format, so at most five sets.
TENNIS_MAX_SETS = 5


def rules_for(sport: Sport) -> PeriodRules:
    rules = CLOCK_RULES.get(sport)
    if rules is None:
        raise MalformedSportsPayload(f"{sport} has no game clock")
    return rules


def period_bounds(sport: Sport, period: int) -> tuple[int, int]:
    """Elapsed game seconds at the start and at the end of `period` (1-based)."""
    rules = rules_for(sport)
    if period < 1 or period > rules.max_periods:
        raise MalformedSportsPayload(f"period {period} out of range for {sport}")
    if period <= rules.regulation_periods:
        start = (period - 1) * rules.period_seconds
        return start, start + rules.period_seconds
    assert rules.overtime_seconds is not None  # max_periods > regulation only with overtime
    start = rules.regulation_seconds + (period - rules.regulation_periods - 1) * (
        rules.overtime_seconds
    )
    return start, start + rules.overtime_seconds


def pre_game_clock(sport: Sport) -> GameClock:
    if sport is Sport.TENNIS:
        return GameClock(period=0, elapsed_seconds=None, remaining_seconds=None, running=False)
    return GameClock(0, 0, rules_for(sport).regulation_seconds, running=False)


def clock_at_elapsed(sport: Sport, period: int, elapsed: int, running: bool) -> GameClock:
    """From total elapsed game time: the count-up clock of soccer broadcasts."""
    start, end = period_bounds(sport, period)
    if elapsed < start or elapsed > end:
        raise MalformedSportsPayload(f"elapsed {elapsed}s is outside period {period}")
    rules = rules_for(sport)
    scheduled_end = max(end, rules.regulation_seconds)
    return GameClock(period, elapsed, scheduled_end - elapsed, running)


def clock_in_period(
    sport: Sport, period: int, seconds_into_period: int, running: bool
) -> GameClock:
    start, _ = period_bounds(sport, period)
    return clock_at_elapsed(sport, period, start + seconds_into_period, running)


def clock_from_period_remaining(
    sport: Sport, period: int, remaining_in_period: int, running: bool
) -> GameClock:
    """From a countdown of the current period: the basketball scoreboard."""
    _, end = period_bounds(sport, period)
    return clock_at_elapsed(sport, period, end - remaining_in_period, running)


def clock_from_game_remaining(
    sport: Sport, period: int, remaining_in_game: int, running: bool
) -> GameClock:
    """From the time left until the scheduled end (of overtime, once in overtime)."""
    _, end = period_bounds(sport, period)
    scheduled_end = max(end, rules_for(sport).regulation_seconds)
    return clock_at_elapsed(sport, period, scheduled_end - remaining_in_game, running)


def tennis_clock(set_number: int, running: bool) -> GameClock:
    if set_number < 0 or set_number > TENNIS_MAX_SETS:
        raise MalformedSportsPayload(f"set {set_number} out of range")
    return GameClock(set_number, None, None, running)
