"""`godark engine`: wait for the lease as a standby, then run the venue's engine and serve
the API processes' commands until stopped, the lease is lost or the sequencer fails.

Crash-only: losing the lease or the sequencer ends the process (exit 1) for its supervisor to
restart; a takeover is the same start as any other (snapshot, then the journal).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal

import structlog
from redis.asyncio import Redis

from engine.cluster import ROLE_ENGINE, ClusterKeys, require_cluster_backing
from engine.cluster.consumer import CommandConsumer, JournalNotifier
from engine.cluster.lease import EngineLease
from engine.cluster.vaults import VaultRequestConsumer
from engine.gc_policy import settle_after_start
from engine.venue import Venue, VenueConfig

WATCH_SECONDS = 1.0
EXIT_LEASE_LOST = 1

log = structlog.get_logger("godark.cluster.engine")


async def run_engine(config: VenueConfig) -> int:
    """Returns the exit status: 0 when stopped by a signal, 1 on a failure."""
    require_cluster_backing(ROLE_ENGINE, config.database_url, config.redis_url)
    assert config.redis_url is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    lease = EngineLease(config.database_url)
    if not await lease.acquire(stop):
        return 0
    venue = Venue.build(dataclasses.replace(config, role=ROLE_ENGINE))
    redis = Redis.from_url(config.redis_url, decode_responses=True)
    keys = ClusterKeys.of(config.database_url, config.redis_prefix)
    notifier = JournalNotifier(redis, keys.journaled)
    consumer: CommandConsumer | None = None
    vault_requests: VaultRequestConsumer | None = None
    reason = "stopped"
    try:
        await venue.start()
        settle_after_start()
        sequencer = venue.sequencer
        assert sequencer is not None
        sequencer.on_journaled = notifier.journaled
        notifier.start()
        notifier.journaled(sequencer.exchange.sequence)  # replicas catch up with the replay
        consumer = CommandConsumer(sequencer, venue.database, redis, keys)
        await consumer.start()
        vault_requests = VaultRequestConsumer(
            venue.settlement.vault_service, lambda: venue.exchange, redis, keys
        )
        await vault_requests.start()
        log.info("engine_leader", sequence=sequencer.exchange.sequence)
        reason = await _watch(stop, lease, venue, consumer, vault_requests)
    finally:
        if reason == "lease_lost":
            # Another process may hold the engine now: write nothing more, at once.
            os._exit(EXIT_LEASE_LOST)
        if vault_requests is not None:
            await vault_requests.stop()
        if consumer is not None:
            await consumer.stop()
        await venue.stop()
        await notifier.stop()
        await redis.aclose()
        await lease.release()
    log.info("engine_stopped", reason=reason)
    return 0 if reason == "stopped" else 1


async def _watch(
    stop: asyncio.Event,
    lease: EngineLease,
    venue: Venue,
    consumer: CommandConsumer,
    vault_requests: VaultRequestConsumer,
) -> str:
    while True:
        # asyncio.timeout, not wait_for, here and across the cluster: on Python 3.11
        # wait_for can swallow a cancellation that lands as its wait ends (see Sequencer).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(WATCH_SECONDS):
                await stop.wait()
            return "stopped"
        if not await lease.held():
            log.error("engine_lease_lost")
            return "lease_lost"
        if venue.sequencer is None or venue.sequencer.failed is not None:
            return "sequencer_failed"
        if not consumer.running or not vault_requests.running:
            log.error("command_consumer_stopped")
            return "consumer_failed"
