"""The quorum's view of the simulated games, without the providers' wire formats.

What every book sees, 2 s late, with exact fair odds: light enough to run a whole
simulated day of flash markets in seconds (the creator's day test and `bench flash`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.clock import ManualClock
from engine.flash.markets import to_ppm
from engine.oracle.sports import FinalOutcome, LiveEvent, LiveMarket, LiveOutcome, ProviderName
from engine.oracle.sports.model import Outcome, Sport, market_outcomes, parse_market_id
from engine.sim.games import GameSchedule, SimulatedGame


class ScheduleFeed:
    """Live events and signed final outcomes of a game schedule, as the quorum reports them."""

    PROVIDERS = (ProviderName.BETMGM, ProviderName.DRAFTKINGS, ProviderName.FANDUEL)
    LAG = timedelta(seconds=2)
    SIGNED_AFTER = timedelta(seconds=4)

    def __init__(self, schedule: GameSchedule, clock: ManualClock) -> None:
        self._schedule = schedule
        self._clock = clock
        self._games: dict[str, SimulatedGame] = {}
        self._cache: tuple[datetime, list[LiveEvent]] | None = None

    def live_events(
        self, sport: str | None = None, *, include_finished: bool = False
    ) -> list[LiveEvent]:
        observed = self._clock.now() - self.LAG
        if self._cache is not None and self._cache[0] == observed:
            return self._cache[1]
        events = []
        for game in self._schedule.games_at(observed):
            self._games[game.event_id] = game
            state = game.state_at(observed)
            markets = tuple(
                LiveMarket(
                    market,
                    "uid",
                    True,
                    None,
                    _live_outcomes(state.sport, market, fair),
                    self.PROVIDERS,
                )
                for market, fair in state.markets.items()
            )
            events.append(
                LiveEvent(
                    state.event_id,
                    state.sport,
                    state.home,
                    state.away,
                    state.start_time,
                    state.status,
                    state.clock,
                    state.score,
                    markets,
                    observed,
                    self.PROVIDERS,
                    (),
                )
            )
        self._cache = (observed, events)
        return events

    def final_outcome(self, event_id: str, market: str) -> FinalOutcome | None:
        game = self._games.get(event_id)
        if game is None or self._clock.now() < game.end_time + self.SIGNED_AFTER:
            return None
        result = game.state_at(game.end_time).results.get(market)
        if result is None:
            return None
        return FinalOutcome(event_id, game.sport, market, result, self.PROVIDERS, (), game.end_time)


def _live_outcomes(
    sport: Sport, market: str, fair: dict[Outcome, float]
) -> tuple[LiveOutcome, ...]:
    kind, _ = parse_market_id(market)
    outcomes = market_outcomes(sport, kind)
    ppm = to_ppm([fair[o] for o in outcomes])
    return tuple(LiveOutcome(o, p) for o, p in zip(outcomes, ppm, strict=True))
