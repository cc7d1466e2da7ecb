"""Auto-creation of flash markets from the sports oracle's live events, and their resolution.

Like the price pump, this is an edge component: it watches the oracle and submits journaled
commands (OpenFlashMarket, ResolveFlashMarket); the engine decides. Seed 000 "Flash Verse
System": a game with less than five minutes to go gets a flash market on its result, and live
games get short windows continuously:

- soccer: "Goal in the next 60 s?" (YES/NO; the rate from the quorum's NEXT_GOAL odds through a
  Poisson model), and "Who wins? final minutes" (the quorum's MATCH_WINNER, resolved by the
  providers' signed result);
- basketball: "Who leads at the end of Q3?" in a quarter's last five minutes (a normal model of
  the margin; no scoring happens in the break, so the first break observation decides it);
- tennis: "Who wins this game?" (the quorum's GAME_WINNER).

Windows are measured on the feed's own timestamps: a window is (t0, t0 + D] of provider time,
t0 the observation it opened on, and betting closes D seconds of wall time later. The outcome is
decided from scores the oracle reported under its quorum (scores only ever go up, so one later
observation decides); a window no observation decides falls to the engine's collapse rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from engine.clock import Clock
from engine.flash.amm import normal_cdf
from engine.flash.book import FlashBook, period_name
from engine.flash.markets import (
    MAX_MARKET_SECONDS,
    MIN_MARKET_SECONDS,
    PPM,
    flash_market_id,
    to_ppm,
)
from engine.oracle.sports.attestation import FinalOutcome
from engine.oracle.sports.model import EventStatus, LiveEvent, Score
from engine.oracle.sports.rules import period_bounds
from engine.trading.commands import Command, OpenFlashMarket, ResolveFlashMarket
from engine.trading.exchange import Outcome

CREATOR_INTERVAL_SECONDS = 0.5
QUORUM = 3  # seed 000: three fresh providers, as the oracle's own quorum
SOCCER_WINDOW = timedelta(seconds=60)
# Basketball scoring variance per game second: a possession every 14.4 s, ~2.2 points on the
# half that score (engine/sim/games.py), for both teams: the model behind quarter-end odds.
BASKETBALL_MARGIN_VARIANCE_PER_SECOND = 2 * 0.5 * 5.0 / 14.4
TENNIS_WINDOW = timedelta(seconds=MAX_MARKET_SECONDS)
# A game's next window opens this long after its last one closed: about 10,000 markets a day
# in the demo's 26 concurrent games, well above seed 000's 1,000.
GAP_BETWEEN_WINDOWS = timedelta(seconds=30)
FINAL_MINUTES_GAME_SECONDS = 5 * 60  # seed 000: an event with less than 5 minutes to go
# The final-minutes market closes this long before the predicted final whistle.
FINAL_MARGIN = timedelta(seconds=1)
SPEED_BASELINE = timedelta(seconds=20)  # wall time over which the game clock's speed is measured
# When the quorum has no NEXT_GOAL odds: 2.7 goals per 90 minutes (engine/sim/games.py).
FALLBACK_GOALS_PER_SECOND = 2.7 / 5400
MIN_OPENING_PPM = 10_000
OBSERVATION_RETENTION = timedelta(minutes=8)
PROPOSAL_HASH_CHARACTERS = 32

log = structlog.get_logger("godark.flash.creator")


class LiveFeed(Protocol):
    """What the creator reads: the sports oracle (SportsOracle satisfies it)."""

    def live_events(
        self, sport: str | None = None, *, include_finished: bool = False
    ) -> list[LiveEvent]: ...

    def final_outcome(self, event_id: str, market: str) -> FinalOutcome | None: ...


@dataclass(frozen=True, slots=True)
class _Observation:
    at: datetime  # the provider time the score is from
    score: Score
    period: int
    elapsed: int | None
    running: bool
    status: EventStatus


@dataclass
class _Window:
    market_id: str
    event_id: str
    kind: str  # GOAL, GAME, PERIOD_END, FINAL
    start: datetime  # provider time
    end: datetime  # provider time
    baseline: Score
    closes_at: datetime  # wall time (the market's deadline)
    source_market: str | None = None
    period: int = 0


@dataclass
class _EventMemory:
    observations: list[_Observation] = field(default_factory=list)
    next_window_at: datetime | None = None  # wall time
    final_market_opened: bool = False
    period_markets: set[int] = field(default_factory=set)


class FlashCreator:
    """The decisions, synchronous and clock-free: `step(now)` returns the commands to submit."""

    def __init__(self, feed: LiveFeed, book: Callable[[], FlashBook]) -> None:
        self._feed = feed
        self._book = book
        self._events: dict[str, _EventMemory] = {}
        self.windows: dict[str, _Window] = {}
        self.created = 0
        self.resolved = 0

    def step(self, now: datetime) -> list[Command]:
        commands: list[Command] = []
        events = self._feed.live_events(include_finished=True)
        for event in events:
            if len(event.fresh_providers) < QUORUM:
                continue  # without the quorum nothing is observed, created or decided
            memory = self._events.setdefault(event.event_id, _EventMemory())
            self._observe(memory, event)
        commands += self._resolutions(now)
        for event in events:
            known = self._events.get(event.event_id)
            if known is None or len(event.fresh_providers) < QUORUM:
                continue
            commands += self._openings(event, known, now)
        self._forget(now, {event.event_id for event in events})
        return commands

    def rejected(self, market_id: str) -> None:
        """The engine refused to open it: stop tracking the window."""
        self.windows.pop(market_id, None)

    # --- observing ---------------------------------------------------------------------------

    @staticmethod
    def _observe(memory: _EventMemory, event: LiveEvent) -> None:
        clock = event.clock
        observation = _Observation(
            event.updated_at,
            event.score,
            clock.period,
            clock.elapsed_seconds,
            clock.running,
            event.status,
        )
        observations = memory.observations
        if not observations or observations[-1].at < observation.at:
            observations.append(observation)
        elif observation.at not in {o.at for o in observations}:
            observations.append(observation)
            observations.sort(key=lambda o: o.at)

    def _speed(self, memory: _EventMemory) -> float | None:
        """Game seconds per wall second, from the clock over the last observations of the
        current period (the demo plays at 3x)."""
        observations = [o for o in memory.observations if o.elapsed is not None and o.running]
        if len(observations) < 2:
            return None
        last = observations[-1]
        for first in observations:
            if first.period == last.period and last.at - first.at >= SPEED_BASELINE:
                assert first.elapsed is not None and last.elapsed is not None
                return (last.elapsed - first.elapsed) / (last.at - first.at).total_seconds()
        return None

    # --- resolving ---------------------------------------------------------------------------

    def _resolutions(self, now: datetime) -> list[Command]:
        commands: list[Command] = []
        book = self._book()
        for market_id, window in list(self.windows.items()):
            market = book.market(market_id)
            if market is None or not market.is_active:
                del self.windows[market_id]
                continue
            decided = self._decide(window)
            if decided is None:
                continue
            outcome, proposal_id = decided
            commands.append(ResolveFlashMarket(market_id, outcome, proposal_id, now))
            del self.windows[market_id]
            self.resolved += 1
        return commands

    def _decide(self, window: _Window) -> tuple[str, str] | None:
        if window.kind == "FINAL":
            assert window.source_market is not None
            final = self._feed.final_outcome(window.event_id, window.source_market)
            if final is None:
                return None
            return final.outcome.value, _attested_proposal(final)
        memory = self._events.get(window.event_id)
        if memory is None:
            return None
        if window.kind == "PERIOD_END":
            return self._decide_period_end(window, memory)
        for observation in memory.observations:
            if observation.at <= window.start:
                continue
            changed = _score_changed(window.kind, window.baseline, observation.score)
            if observation.at <= window.end and changed is not None:
                return changed, _score_proposal(window, observation)
            if observation.at >= window.end:
                if changed is None and window.kind == "GOAL":
                    return "NO", _score_proposal(window, observation)
                return None  # a change after the end, or no score at all: undecided here
        return None

    @staticmethod
    def _decide_period_end(window: _Window, memory: _EventMemory) -> tuple[str, str] | None:
        """The first observation in the break (or at full time) holds the period's final score;
        one already in the next period's play may include new points: undecided."""
        for observation in memory.observations:
            if observation.at <= window.start:
                continue
            ended = observation.status in (EventStatus.BREAK, EventStatus.FINISHED)
            if observation.period == window.period and ended:
                score = observation.score
                leader = "HOME" if score.home > score.away else "AWAY"
                outcome = "TIE" if score.home == score.away else leader
                return outcome, _score_proposal(window, observation)
            if observation.period > window.period:
                return None
        return None

    # --- creating ----------------------------------------------------------------------------

    def _openings(self, event: LiveEvent, memory: _EventMemory, now: datetime) -> list[Command]:
        if event.status is not EventStatus.LIVE:
            return []
        commands: list[Command] = []
        final = self._final_minutes(event, memory, now)
        if final is not None:
            commands.append(final)
        period_end = self._basketball_period_end(event, memory, now)
        if period_end is not None:
            commands.append(period_end)
        busy = any(
            w.event_id == event.event_id and w.kind in ("GOAL", "GAME")
            for w in self.windows.values()
        )
        if busy or (memory.next_window_at is not None and now < memory.next_window_at):
            return commands
        window = self._window(event, memory, now)
        if window is not None:
            commands.append(window)
        return commands

    def _window(
        self, event: LiveEvent, memory: _EventMemory, now: datetime
    ) -> OpenFlashMarket | None:
        sport = event.sport.value
        if sport == "SOCCER":
            spec = self._soccer_goal(event, memory)
            length = SOCCER_WINDOW
        elif sport == "BASKETBALL":
            return None  # basketball's flash markets are its quarter ends
        else:
            spec = self._tennis_game(event)
            length = TENNIS_WINDOW
        if spec is None:
            return None
        kind, market_type, title, outcomes, probabilities, source = spec
        command = self._command(
            event, now, now + length, market_type, title, outcomes, probabilities, source
        )
        self._track(command, event, kind, length, None)
        memory.next_window_at = now + length + GAP_BETWEEN_WINDOWS
        return command

    def _soccer_goal(self, event: LiveEvent, memory: _EventMemory) -> _Spec | None:
        clock = event.clock
        speed = self._speed(memory)
        if not clock.running or speed is None or clock.remaining_seconds is None:
            return None
        remaining = max(clock.remaining_seconds, 1)
        rate = FALLBACK_GOALS_PER_SECOND
        next_goal = event.market("NEXT_GOAL")
        if next_goal is not None and next_goal.available:
            none = next(o for o in next_goal.outcomes if o.outcome.value == "NONE")
            if 0 < none.probability_ppm < PPM:
                rate = -math.log(none.probability_ppm / PPM) / remaining
        window_game_seconds = SOCCER_WINDOW.total_seconds() * speed
        yes = 1.0 - math.exp(-rate * window_game_seconds)
        probabilities = _bounded(to_ppm([1.0 - yes, yes]))
        return (
            "GOAL",
            "GOAL_IN_60S",
            "Goal in the next 60 s?",
            ("NO", "YES"),
            probabilities,
            "MODEL",
        )

    def _tennis_game(self, event: LiveEvent) -> _Spec | None:
        return self._quorum_binary(event, "GAME_WINNER", "GAME", "Who wins this game?")

    @staticmethod
    def _quorum_binary(event: LiveEvent, market: str, kind: str, title: str) -> _Spec | None:
        live = event.market(market)
        if live is None or not live.available:
            return None
        by_outcome = {o.outcome.value: o.probability_ppm for o in live.outcomes}
        outcomes = ("AWAY", "HOME")
        probabilities = _bounded((by_outcome["AWAY"], by_outcome["HOME"]))
        return kind, f"{market}_WINDOW", title, outcomes, probabilities, "QUORUM"

    def _final_minutes(
        self, event: LiveEvent, memory: _EventMemory, now: datetime
    ) -> OpenFlashMarket | None:
        """Soccer's fixed final whistle makes the end predictable; the quorum's signed result
        settles it."""
        clock = event.clock
        if memory.final_market_opened or event.sport.value != "SOCCER" or not clock.running:
            return None
        if clock.remaining_seconds is None or clock.remaining_seconds > FINAL_MINUTES_GAME_SECONDS:
            return None
        speed = self._speed(memory)
        live = event.market("MATCH_WINNER")
        if speed is None or live is None or not live.available:
            return None
        final_whistle = event.updated_at + timedelta(seconds=clock.remaining_seconds / speed)
        deadline = final_whistle - FINAL_MARGIN
        length = deadline - now
        if not MIN_MARKET_SECONDS <= length.total_seconds() <= MAX_MARKET_SECONDS:
            return None
        by_outcome = {o.outcome.value: o.probability_ppm for o in live.outcomes}
        outcomes = ("AWAY", "DRAW", "HOME")
        probabilities = _bounded(tuple(by_outcome[o] for o in outcomes))
        command = self._command(
            event,
            now,
            deadline,
            "MATCH_WINNER_FINAL",
            "Who wins? Final minutes",
            outcomes,
            probabilities,
            "QUORUM",
            source_market="MATCH_WINNER",
        )
        self._track(command, event, "FINAL", length, "MATCH_WINNER")
        memory.final_market_opened = True
        return command

    def _basketball_period_end(
        self, event: LiveEvent, memory: _EventMemory, now: datetime
    ) -> OpenFlashMarket | None:
        """Seed 000: less than five minutes (game time) to go in a quarter."""
        clock = event.clock
        if event.sport.value != "BASKETBALL" or not clock.running or clock.elapsed_seconds is None:
            return None
        if clock.period in memory.period_markets:
            return None
        _, period_end = period_bounds(event.sport, clock.period)
        remaining = period_end - clock.elapsed_seconds
        speed = self._speed(memory)
        if remaining > FINAL_MINUTES_GAME_SECONDS or speed is None:
            return None
        deadline = event.updated_at + timedelta(seconds=remaining / speed) - FINAL_MARGIN
        length = deadline - now
        if not MIN_MARKET_SECONDS <= length.total_seconds() <= MAX_MARKET_SECONDS:
            return None
        lead = event.score.home - event.score.away
        spread = math.sqrt(max(remaining, 1) * BASKETBALL_MARGIN_VARIANCE_PER_SECOND)
        away = normal_cdf((-lead - 0.5) / spread)
        home = 1.0 - normal_cdf((-lead + 0.5) / spread)
        probabilities = _bounded(to_ppm([away, home, 1.0 - home - away]))
        name = period_name(event.sport.value, clock.period)
        command = self._command(
            event,
            now,
            deadline,
            f"LEADER_END_OF_PERIOD_{clock.period}",
            f"Who leads at the end of {name}?",
            ("AWAY", "HOME", "TIE"),
            probabilities,
            "MODEL",
        )
        self._track(command, event, "PERIOD_END", length, None, clock.period)
        memory.period_markets.add(clock.period)
        return command

    def _command(
        self,
        event: LiveEvent,
        now: datetime,
        deadline: datetime,
        market_type: str,
        title: str,
        outcomes: tuple[str, ...],
        probabilities: tuple[int, ...],
        source: str,
        source_market: str | None = None,
    ) -> OpenFlashMarket:
        self.created += 1
        return OpenFlashMarket(
            sport=event.sport.value,
            event_id=event.event_id,
            event_title=f"{event.home} v {event.away}",
            period=event.clock.period,
            market_type=market_type,
            title=f"{title} ({event.home} v {event.away})",
            outcomes=outcomes,
            opening_probabilities=probabilities,
            deadline=deadline,
            at=now,
            source_market=source_market,
            probability_source=source,
        )

    def _track(
        self,
        command: OpenFlashMarket,
        event: LiveEvent,
        kind: str,
        length: timedelta,
        source_market: str | None,
        period: int = 0,
    ) -> None:
        market_id = flash_market_id(
            command.sport, command.event_id, command.market_type, command.at
        )
        self.windows[market_id] = _Window(
            market_id,
            event.event_id,
            kind,
            event.updated_at,
            event.updated_at + length,
            event.score,
            command.deadline,
            source_market,
            period,
        )

    def _forget(self, now: datetime, listed: set[str]) -> None:
        cutoff = now - OBSERVATION_RETENTION
        for event_id, memory in list(self._events.items()):
            memory.observations = [o for o in memory.observations if o.at >= cutoff]
            watched = any(w.event_id == event_id for w in self.windows.values())
            if event_id not in listed and not watched:
                del self._events[event_id]


_Spec = tuple[str, str, str, tuple[str, ...], tuple[int, ...], str]


def _bounded(probabilities: Sequence[int]) -> tuple[int, ...]:
    """Keep every opening probability at 1 % or more (the pricer's own floor), summing to 1."""
    raised = [max(p, MIN_OPENING_PPM) for p in probabilities]
    excess = sum(raised) - PPM
    top = raised.index(max(raised))
    raised[top] -= excess
    return tuple(raised)


def _score_changed(kind: str, baseline: Score, score: Score) -> str | None:
    """Who the change favours, for the window's kind; None when nothing changed (or both sides
    scored between two observations: undecidable from scores alone)."""
    if kind == "GAME":
        before = _tennis_games(baseline)
        after = _tennis_games(score)
        home = after[0] > before[0] or (after[0] == before[0] and after[1] > before[1])
        away = after[2] > before[2] or (after[2] == before[2] and after[3] > before[3])
    else:
        home = score.home > baseline.home
        away = score.away > baseline.away
    if kind == "GOAL":
        return "YES" if home or away else None
    if home == away:
        return None
    return "HOME" if home else "AWAY"


def _tennis_games(score: Score) -> tuple[int, int, int, int]:
    games = next((d for d in score.details if d.name == "games"), None)
    home_games, away_games = (0, 0) if games is None else (games.home, games.away)
    return score.home, home_games, score.away, away_games


def _score_proposal(window: _Window, observation: _Observation) -> str:
    text = (
        f"{window.market_id}|{observation.at.isoformat()}|"
        f"{observation.score.home}-{observation.score.away}"
    )
    return "score-" + hashlib.sha256(text.encode()).hexdigest()[:PROPOSAL_HASH_CHARACTERS]


def _attested_proposal(final: FinalOutcome) -> str:
    signed = b"".join(a.signature for a in final.attestations)
    digest = hashlib.sha256(f"{final.event_id}|{final.market}|{final.outcome}".encode() + signed)
    return "attested-" + digest.hexdigest()[:PROPOSAL_HASH_CHARACTERS]


class FlashCreatorDriver:
    """Runs the creator every half second and submits what it decides, like the price pump."""

    def __init__(
        self,
        creator: FlashCreator,
        submit: Callable[[Command], Awaitable[Outcome]],
        clock: Clock,
        interval_seconds: float = CREATOR_INTERVAL_SECONDS,
    ) -> None:
        self.creator = creator
        self._submit = submit
        self._clock = clock
        self._interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="flash-creator")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> int:
        commands = self.creator.step(self._clock.now())
        for command in commands:
            outcome = await self._submit(command)
            if not outcome.accepted and isinstance(command, OpenFlashMarket):
                market_id = flash_market_id(
                    command.sport, command.event_id, command.market_type, command.at
                )
                self.creator.rejected(market_id)
                log.info("flash_market_refused", code=outcome.code, market_type=command.market_type)
        return len(commands)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("flash_creator_failed")
            await asyncio.sleep(self._interval)
