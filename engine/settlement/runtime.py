"""Settlement inside the running venue: the chain backend, its saved state, the vaults, and
the settlement service fed with every trade the sequencer publishes.

The embedded LiteSVM is the default; with a Solana RPC URL the same code talks to a cluster.
The settlement authority and mint keypairs are derived from the master secret, so their
addresses (and the vault's) survive restarts; the embedded chain's accounts and history are
restored from the database before it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta

import structlog

from engine.accounts.funds import Funds
from engine.bus import EventBus
from engine.clock import Clock
from engine.settlement.chain.base import ChainBackend
from engine.settlement.chain.litesvm import LiteSvmChain
from engine.settlement.chain.rpc import RpcChain
from engine.settlement.persistence import ChainStateStore
from engine.settlement.service import SettlementService
from engine.settlement.trades import trades_from_fills
from engine.settlement.vaults import (
    SETTLEMENT_AUTHORITY_PURPOSE,
    SETTLEMENT_MINT_PURPOSE,
    Vaults,
    VaultService,
    VaultSubmitter,
    derived_keypair,
)
from engine.store.database import Database
from engine.store.settlement import SettlementRepository
from engine.trading.commands import Command
from engine.trading.events import OrderFill
from engine.trading.exchange import Exchange, Outcome

log = structlog.get_logger("godark.settlement")

STATS_INTERVAL = timedelta(seconds=1)


class SettlementRuntime:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        bus: EventBus,
        *,
        master_secret: str,
        submit: Callable[[Command], Awaitable[Outcome]],
        exchange: Callable[[], Exchange],
        funds: Funds,
        rpc_url: str | None = None,
    ) -> None:
        authority = derived_keypair(master_secret, SETTLEMENT_AUTHORITY_PURPOSE)
        mint = derived_keypair(master_secret, SETTLEMENT_MINT_PURPOSE)
        self.embedded: LiteSvmChain | None = None
        self._state: ChainStateStore | None = None
        self.chain: ChainBackend
        if rpc_url:
            self.chain = RpcChain(rpc_url, authority, mint_keypair=mint)
        else:
            self.embedded = LiteSvmChain(authority, clock=clock, mint=mint)
            self._state = ChainStateStore(database, self.embedded)
            self.chain = self.embedded
        self._exchange = exchange
        # The engine's own vaults; `vaults` is what callers use: these, or in an API process of
        # many the engine's over the cluster (`route_vaults`).
        self.vault_service = VaultService(
            database,
            self.chain,
            clock,
            master_secret=master_secret,
            submit=submit,
            exchange=exchange,
            funds=funds,
            state=self._state,
        )
        self.vaults: Vaults = self.vault_service
        self.repository = SettlementRepository(database)
        self.service = SettlementService(
            self.repository, VaultSubmitter(self.vault_service), clock, bus=bus
        )
        # Refreshed every second for /metrics and the stats (the collector cannot await).
        self.lag_seconds = 0.0
        self.batch_counts: dict[str, int] = {}
        self._stats: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """After the sequencer: vault movements a crash cut resume through it."""
        if self._state is not None:
            accounts, transactions = await self._state.restore()
            log.info("chain_state_restored", accounts=accounts, transactions=transactions)
        await self.chain.start()
        if self._state is not None:
            await self._state.save()
        await self.vault_service.start()
        await self.service.start()
        # Trades the exchange restored (snapshot + journal) that no stored batch holds yet:
        # the store leaves out the ones already batched.
        self.record_fills(
            sorted(
                (fill for fills in self._exchange().fills_of.values() for fill in fills),
                key=lambda fill: fill.at,
            )
        )
        await self.refresh_stats()
        self._stats = asyncio.create_task(self._refresh_loop(), name="settlement-stats")

    async def stop(self) -> None:
        if self._stats is not None:
            self._stats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._stats
            self._stats = None
        await self.service.stop()
        await self.vault_service.stop()
        if isinstance(self.chain, RpcChain):
            await self.chain.close()

    def route_vaults(self, vaults: Vaults) -> None:
        """An API process of many: vault operations go to the engine, whose chain is the one
        settlement and reconciliation use (the embedded chain is one per process)."""
        self.vaults = vaults

    def record_outcome(self, outcome: Outcome) -> None:
        """The sequencer's publish hook: never raises, never waits."""
        fills = [event for event in outcome.events if isinstance(event, OrderFill)]
        if fills:
            self.record_fills(fills)

    def record_fills(self, fills: Iterable[OrderFill]) -> None:
        try:
            trades = trades_from_fills(fills)
            if trades:
                self.service.record_trades(trades)
        except Exception:
            log.exception("settlement_record_failed")

    async def refresh_stats(self) -> None:
        self.lag_seconds = (await self.service.lag()).total_seconds()
        self.batch_counts = await self.repository.count_by_status()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(STATS_INTERVAL.total_seconds())
            try:
                await self.refresh_stats()
            except Exception:
                log.warning("settlement_stats_failed", exc_info=True)
