"""The sports oracle service: polls providers, serves aggregated live events, settles outcomes."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import structlog

from engine.clock import Clock
from engine.oracle.sports.adapters import ParsedFeed
from engine.oracle.sports.aggregation import (
    FRESHNESS_LIMIT,
    PROVIDER_QUORUM,
    aggregate_event,
    is_fresh,
)
from engine.oracle.sports.attestation import (
    ATTESTATION_QUORUM,
    AttestationBook,
    AttestationVerdict,
    FinalOutcome,
    OutcomeAttestation,
    OutcomeDispute,
)
from engine.oracle.sports.client import ProviderClient
from engine.oracle.sports.events import (
    OUTCOME_DISPUTE_TOPIC,
    OUTCOME_FINAL_TOPIC,
    dispute_json,
    final_outcome_json,
    live_event_json,
    live_event_topic,
)
from engine.oracle.sports.model import (
    PROVIDER_WEIGHTS,
    ConflictingEvent,
    EventStatus,
    LiveEvent,
    OutOfOrderUpdate,
    ProviderEventSnapshot,
    ProviderName,
    SportsFeedError,
    parse_sport,
)
from engine.oracle.sports.poller import POLL_INTERVAL, PollResult, ProviderHealth, ProviderPoller
from engine.oracle.sports.resilience import Sleep

Publish = Callable[[str, dict[str, Any]], Awaitable[None]]

# Freshness flags must flip within a second of the data going stale.
REFRESH_INTERVAL = timedelta(seconds=1)
# An event no provider has mentioned for this long is over or gone; forget it.
EVENT_RETENTION = timedelta(minutes=10)
# Final outcomes stay queryable for a day: long enough for every market to settle.
OUTCOME_RETENTION = timedelta(hours=24)

log = structlog.get_logger("godark.oracle.sports")


@dataclass(frozen=True, slots=True)
class SportsOracleConfig:
    poll_interval: timedelta = POLL_INTERVAL
    freshness: timedelta = FRESHNESS_LIMIT
    quorum: int = PROVIDER_QUORUM
    attestation_quorum: int = ATTESTATION_QUORUM
    weights: Mapping[ProviderName, Fraction] = field(default_factory=lambda: dict(PROVIDER_WEIGHTS))
    refresh_interval: timedelta = REFRESH_INTERVAL
    event_retention: timedelta = EVENT_RETENTION
    outcome_retention: timedelta = OUTCOME_RETENTION


@dataclass(frozen=True, slots=True)
class _CachedView:
    snapshots: tuple[ProviderEventSnapshot, ...]
    fresh: frozenset[ProviderName]
    event: LiveEvent

    def matches(
        self, snapshots: tuple[ProviderEventSnapshot, ...], fresh: frozenset[ProviderName]
    ) -> bool:
        # Identity, not equality: a snapshot object is never mutated, only replaced.
        return (
            fresh == self.fresh
            and len(snapshots) == len(self.snapshots)
            and all(new is old for new, old in zip(snapshots, self.snapshots, strict=True))
        )


class SportsOracle:
    """Live events from every provider under a quorum, and outcomes once attested final.

    `live_event.<id>` goes out at most once a refresh (1 s), when an event's aggregated view
    changed, freshness included; `outcome.final` and `outcome.dispute` go out as soon as
    the attestation that causes them arrives.
    """

    def __init__(
        self,
        providers: Sequence[ProviderClient],
        clock: Clock,
        publish: Publish,
        *,
        sleep: Sleep = asyncio.sleep,
        config: SportsOracleConfig | None = None,
    ) -> None:
        names = [client.provider for client in providers]
        if len(set(names)) != len(names):
            raise ValueError(f"each provider once, got {names}")
        self._clients = tuple(providers)
        self._clock = clock
        self._publish_callback = publish
        self._sleep = sleep
        self._config = config if config is not None else SportsOracleConfig()
        self._pollers = {
            client.provider: ProviderPoller(
                client, clock, sleep, self.ingest, interval=self._config.poll_interval
            )
            for client in providers
        }
        self._attestations = AttestationBook(
            {client.provider: client.verification_key for client in providers},
            self._config.attestation_quorum,
        )
        self._snapshots: dict[str, dict[ProviderName, ProviderEventSnapshot]] = {}
        self._views: dict[str, _CachedView] = {}
        self._published: dict[str, LiveEvent] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.rejections: Counter[tuple[ProviderName, str]] = Counter()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    async def start(self) -> None:
        """Start polling every provider and refreshing freshness flags; idempotent."""
        if self._tasks:
            return
        for provider, poller in self._pollers.items():
            self._tasks.append(asyncio.create_task(poller.run(), name=f"sports-poll-{provider}"))
        self._tasks.append(asyncio.create_task(self._refresh_loop(), name="sports-refresh"))
        log.info("sports_oracle_started", providers=[p.value for p in self._pollers])

    async def stop(self) -> None:
        """Stop every loop; state is kept, and start() resumes from it."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if tasks:
            log.info("sports_oracle_stopped")

    async def dispose(self) -> None:
        """Stop, then release the provider clients (their HTTP connections)."""
        await self.stop()
        for client in self._clients:
            await client.aclose()

    # -- queries ---------------------------------------------------------------------------

    def live_events(
        self, sport: str | None = None, *, include_finished: bool = False
    ) -> list[LiveEvent]:
        """Events in start order, aggregated now; stale ones are flagged, never dropped."""
        wanted = None if sport is None else parse_sport(sport)
        now = self._clock.now()
        events = [self._view(event_id, now) for event_id in self._snapshots]
        return sorted(
            (
                event
                for event in events
                if (wanted is None or event.sport is wanted)
                and (include_finished or event.status is not EventStatus.FINISHED)
            ),
            key=lambda event: (event.start_time, event.event_id),
        )

    def event(self, event_id: str) -> LiveEvent | None:
        if event_id not in self._snapshots:
            return None
        return self._view(event_id, self._clock.now())

    def final_outcome(self, event_id: str, market: str) -> FinalOutcome | None:
        return self._attestations.final_outcome(event_id, market)

    def disputes(self) -> list[OutcomeDispute]:
        return list(self._attestations.disputes)

    def provider_health(self) -> list[ProviderHealth]:
        return [poller.health() for poller in self._pollers.values()]

    @property
    def rejected_signatures(self) -> int:
        return self._attestations.rejected_signatures

    # -- input -----------------------------------------------------------------------------

    async def poll_once(self) -> dict[ProviderName, PollResult]:
        """One poll of every provider, in order; what the loops do, for tests and tools."""
        return {provider: await poller.poll_once() for provider, poller in self._pollers.items()}

    async def ingest(self, feed: ParsedFeed) -> None:
        """Apply a parsed feed: snapshots (published by the next refresh), then attestations."""
        for rejection in feed.rejections:
            self._count(feed.provider, rejection.code)
        for snapshot in feed.snapshots:
            try:
                self._accept(snapshot)
            except SportsFeedError as error:
                self._count(snapshot.provider, error.code)
        for attestation in feed.attestations:
            await self._attest(attestation)

    async def refresh(self) -> None:
        """Re-evaluate every event against the clock, publish changes, forget old ones."""
        now = self._clock.now()
        self._forget_before(now - self._config.event_retention)
        self._attestations.forget_before(now - self._config.outcome_retention)
        await self._publish_changes(sorted(self._snapshots))

    def _accept(self, snapshot: ProviderEventSnapshot) -> None:
        providers = self._snapshots.setdefault(snapshot.event_id, {})
        known = next(iter(providers.values()), None)
        if known is not None and known.sport is not snapshot.sport:
            raise ConflictingEvent(f"{snapshot.event_id} is {known.sport} at {known.provider}")
        previous = providers.get(snapshot.provider)
        if previous is not None and snapshot.updated_at < previous.updated_at:
            raise OutOfOrderUpdate(
                f"{snapshot.event_id} at {snapshot.updated_at.isoformat()} is older than "
                f"{previous.updated_at.isoformat()}"
            )
        providers[snapshot.provider] = snapshot

    async def _attest(self, attestation: OutcomeAttestation) -> None:
        decision = self._attestations.submit(attestation, self._clock.now())
        if decision.verdict in (
            AttestationVerdict.INVALID_SIGNATURE,
            AttestationVerdict.UNKNOWN_PROVIDER,
        ):
            self._count(attestation.provider, decision.verdict.value)
            log.warning(
                "sports_attestation_rejected",
                provider=attestation.provider.value,
                universal_id=str(attestation.universal_id),
                verdict=decision.verdict.value,
            )
        if decision.dispute is not None:
            log.warning(
                "sports_outcome_disputed",
                event_id=decision.dispute.event_id,
                market=decision.dispute.market,
                reason=decision.dispute.reason.value,
            )
            await self._publish(OUTCOME_DISPUTE_TOPIC, dispute_json(decision.dispute))
        if decision.final is not None:
            log.info(
                "sports_outcome_final",
                event_id=decision.final.event_id,
                market=decision.final.market,
                outcome=decision.final.outcome.value,
            )
            await self._publish(OUTCOME_FINAL_TOPIC, final_outcome_json(decision.final))

    # -- output ----------------------------------------------------------------------------

    def _view(self, event_id: str, now: datetime) -> LiveEvent:
        """The aggregate, recomputed only when a snapshot or a freshness flag changed."""
        config = self._config
        snapshots = tuple(self._snapshots[event_id].values())
        fresh = frozenset(s.provider for s in snapshots if is_fresh(s, now, config.freshness))
        cached = self._views.get(event_id)
        if cached is not None and cached.matches(snapshots, fresh):
            return cached.event
        live = aggregate_event(snapshots, now, config.weights, config.quorum, config.freshness)
        self._views[event_id] = _CachedView(snapshots, fresh, live)
        return live

    async def _publish_changes(self, event_ids: Sequence[str]) -> None:
        now = self._clock.now()
        for event_id in event_ids:
            if event_id not in self._snapshots:
                continue
            live = self._view(event_id, now)
            if self._published.get(event_id) == live:
                continue
            self._published[event_id] = live
            await self._publish(live_event_topic(event_id), live_event_json(live))

    async def _publish(self, topic: str, event: dict[str, Any]) -> None:
        try:
            await self._publish_callback(topic, event)
        except Exception:  # a bus hiccup must not stop the oracle; the next change republishes
            log.exception("sports_publish_failed", topic=topic)

    def _forget_before(self, cutoff: datetime) -> None:
        for event_id, snapshots in list(self._snapshots.items()):
            if max(s.updated_at for s in snapshots.values()) < cutoff:
                del self._snapshots[event_id]
                self._views.pop(event_id, None)
                self._published.pop(event_id, None)

    def _count(self, provider: ProviderName, code: str) -> None:
        self.rejections[(provider, code)] += 1

    async def _refresh_loop(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:  # one bad refresh must not freeze the freshness flags for good
                log.exception("sports_refresh_failed")
            await self._sleep(self._config.refresh_interval.total_seconds())
