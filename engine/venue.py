"""The venue's running parts, wired together once and started and stopped as one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from redis.asyncio import Redis

from engine.accounts.admin import Administration
from engine.accounts.apikeys import (
    FallbackReplayCache,
    MemoryReplayCache,
    RedisReplayCache,
    ReplayCache,
)
from engine.accounts.approvals import ApprovalPolicy
from engine.accounts.compliance import CURRENT_TERMS_VERSION
from engine.accounts.funds import Funds
from engine.accounts.keys import KeyService
from engine.accounts.mail import MailSender, SmtpConfig
from engine.accounts.ratelimit import (
    BucketStore,
    MemoryBucketStore,
    RateLimiter,
    UnlimitedBucketStore,
)
from engine.accounts.ratelimit_redis import FallbackBucketStore, RedisBucketStore
from engine.accounts.referrals import ReferralProgram
from engine.accounts.service import REVOCATION_TOPIC, AccountsConfig, AccountService
from engine.bus import EventBus, bus_for
from engine.clock import Clock, SystemClock
from engine.cluster import ROLE_ALL, ROLE_API, ROLE_ENGINE, Role, require_cluster_backing
from engine.cluster.api_node import ApiNode
from engine.cluster.feeds import MarketDataFollower, MarketDataRelay
from engine.cluster.replica import JournalReplica
from engine.flash.creator import FlashCreator, FlashCreatorDriver
from engine.flash.protection import ProtectionPolicy
from engine.flash.street_driver import StreetDriver, StreetDriverTask
from engine.heartbeat import HeartbeatTicker
from engine.ledger import Ledger
from engine.oracle.feeds import LiveVenueFeed, adapters_for
from engine.oracle.model import SourceEvent
from engine.oracle.prices import PriceOracle
from engine.oracle.sports import ProviderClient, SportsOracle
from engine.oracle.sports import Publish as SportsPublish
from engine.oracle.symbols import perp_symbol
from engine.settlement.runtime import SettlementRuntime
from engine.sim.demo_account import DemoAccount
from engine.sim.market_makers import SimulatedMarketMakers
from engine.sim.sports_providers import InProcessProviderClient, build_demo_providers
from engine.sim.venues import SimulatedPriceFeed, SimulatedVenues
from engine.stats import SavedStatsFollower, StatsRecorder
from engine.store.candles import CandleRepository
from engine.store.database import Database
from engine.store.markets import load_markets
from engine.trading.commands import (
    Command,
    FundFlashLiquidity,
    FundMicroHouse,
    TripCircuitBreaker,
)
from engine.trading.exchange import Exchange, Outcome
from engine.trading.operations import Operations
from engine.trading.price_pump import PricePump
from engine.trading.publication import publish_outcome
from engine.trading.sequencer import Sequencer, SequencerStopped
from engine.trading.timers import EngineTimers

HOUSEKEEPING_INTERVAL = timedelta(minutes=10)
# The longest a command waits for its turn in the engine (as an API process waits for the
# engine process: engine/cluster/api_node.py).
ENGINE_QUEUE_TIMEOUT_SECONDS = 10.0
REDIS_TIMEOUT_SECONDS = 2.0
REVOCATION_RETRY_SECONDS = 2.0
# The demo's house LP for flash markets, funded once (the fixed reference makes it idempotent).
DEMO_FLASH_LIQUIDITY = 1_000_000 * 1_000_000  # micro-USDT
DEMO_FLASH_LIQUIDITY_REFERENCE = "demo-flash-lp-v1"
# The demo's micro-bets house (pays winnings), funded once the same way.
DEMO_MICRO_HOUSE = 100_000 * 1_000_000  # micro-USDT
DEMO_MICRO_HOUSE_REFERENCE = "demo-micro-house-v1"
ANOMALY_TOPIC = "oracle.anomaly"

log = structlog.get_logger("godark.venue")


@dataclass(frozen=True, slots=True)
class VenueConfig:
    database_url: str
    redis_url: str | None
    demo_mode: bool
    # Names this venue's Redis channels and cluster keys (`<prefix>:...`).
    redis_prefix: str = "godark"
    simulation_seed: int = 7
    # Venues to stream real prices from; empty = simulated venues in demo mode.
    price_sources: tuple[str, ...] = ()
    market_makers: bool = True
    # The one configured secret every key (JWT, sealed secrets, HMACs) is derived from.
    secret: str = "demo-secret-not-for-production-use-0123456789"
    public_url: str = "http://127.0.0.1:8000"
    smtp: SmtpConfig | None = None
    approvals: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    rate_limits: bool = True
    terms_version: str = CURRENT_TERMS_VERSION
    # all = API and engine in one process; engine / api = one part of many (engine/cluster).
    role: Role = ROLE_ALL
    # Settlement chain: unset = LiteSVM embedded in the process (docs/settlement-chain.md).
    solana_rpc_url: str | None = None
    # Player protection: reality-check interval and the rest (docs/player-protection.md).
    protection: ProtectionPolicy = field(default_factory=ProtectionPolicy)


@dataclass
class Venue:
    config: VenueConfig
    clock: Clock
    database: Database
    bus: EventBus
    ledger: Ledger
    heartbeat: HeartbeatTicker
    oracle: PriceOracle
    candles: CandleRepository
    price_feed: SimulatedPriceFeed | LiveVenueFeed | None = None
    exchange: Exchange = field(default_factory=lambda: Exchange([]))
    sequencer: Sequencer | None = None
    demo: DemoAccount | None = None
    sports: SportsOracle | None = None
    # Public execution statistics (engine/stats); an API process's follow the engine's saves.
    stats: StatsRecorder | SavedStatsFollower | None = None
    accounts: AccountService = field(init=False, repr=False)
    keys: KeyService = field(init=False, repr=False)
    limiter: RateLimiter = field(init=False, repr=False)
    funds: Funds = field(init=False, repr=False)
    referrals: ReferralProgram = field(init=False, repr=False)
    administration: Administration = field(init=False, repr=False)
    _mail: MailSender | None = field(default=None, repr=False)
    _redis: Redis | None = field(default=None, repr=False)
    _revocations: asyncio.Task[None] | None = field(default=None, repr=False)
    _price_pump: PricePump | None = field(default=None, repr=False)
    _timers: EngineTimers | None = field(default=None, repr=False)
    _makers: SimulatedMarketMakers | None = field(default=None, repr=False)
    _flash_creator: FlashCreatorDriver | None = field(default=None, repr=False)
    _street_driver: StreetDriverTask | None = field(default=None, repr=False)
    _maintenance: asyncio.Task[None] | None = field(default=None, repr=False)
    _cluster: ApiNode | None = field(default=None, repr=False)  # the api role's engine link
    # The engine role's oracle inputs out to the API processes; an API process's in from it.
    _market_data_relay: MarketDataRelay | None = field(default=None, repr=False)
    _market_data: MarketDataFollower | None = field(default=None, repr=False)
    settlement: SettlementRuntime = field(init=False, repr=False)

    @classmethod
    def build(cls, config: VenueConfig, clock: Clock | None = None) -> Venue:
        clock = clock if clock is not None else SystemClock()
        require_cluster_backing(config.role, config.database_url, config.redis_url)
        database = Database(config.database_url)
        ledger = Ledger(database, clock)
        bus = bus_for(config.redis_url, config.redis_prefix)
        candles = CandleRepository(database)
        simulated = SimulatedVenues(clock.now(), seed=config.simulation_seed)
        alarms = _OracleAlarms(bus)
        # An API process's oracle serves market data only: the engine's stores the candles.
        save_candles = None if config.role == ROLE_API else candles.save
        oracle = PriceOracle(simulated.assets, clock, alarms.publish, save_candles)
        # Many processes: the engine alone reads the venues and providers and relays what its
        # oracles take in; API processes feed their oracles from that (engine/cluster/feeds.py).
        relay = MarketDataRelay(bus.publish) if config.role == ROLE_ENGINE else None
        follower = (
            MarketDataFollower(bus, oracle.ingest, clock) if config.role == ROLE_API else None
        )
        ingest = oracle.ingest if relay is None else relay.relaying(oracle.ingest)
        price_feed = (
            None if follower is not None else _price_feed(config, simulated, oracle, clock, ingest)
        )
        sports = _demo_sports_oracle(config, clock, bus, relay, follower)
        venue = cls(
            config=config,
            sports=sports,
            clock=clock,
            database=database,
            bus=bus,
            ledger=ledger,
            heartbeat=HeartbeatTicker(clock),
            oracle=oracle,
            candles=candles,
            price_feed=price_feed,
            _market_data_relay=relay,
            _market_data=follower,
        )
        alarms.venue = venue
        venue._wire_accounts()
        return venue

    def _wire_accounts(self) -> None:
        store: BucketStore
        replays: ReplayCache
        if not self.config.rate_limits:
            store = UnlimitedBucketStore()
            replays = MemoryReplayCache(self.clock)
        elif self.config.redis_url:
            # Limits and replayed signatures must hold across every API process.
            # Bounded waits: a request never hangs on a Redis that stopped answering.
            self._redis = Redis.from_url(
                self.config.redis_url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            store = FallbackBucketStore(RedisBucketStore(self._redis), MemoryBucketStore())
            replays = FallbackReplayCache(
                RedisReplayCache(self._redis), MemoryReplayCache(self.clock)
            )
        else:
            store = MemoryBucketStore()
            replays = MemoryReplayCache(self.clock)
        self.limiter = RateLimiter(store, self.clock)
        self.accounts = AccountService(
            self.database,
            self.clock,
            AccountsConfig(
                master_secret=self.config.secret,
                demo=self.config.demo_mode,
                public_url=self.config.public_url,
                terms_version=self.config.terms_version,
            ),
            self.limiter,
            announce=self.bus.publish,
        )
        self.keys = KeyService(self.accounts, replays)
        self.funds = Funds(self.database, self.clock)
        self.referrals = ReferralProgram(self.database, self.clock)
        operations = Operations(lambda: self.exchange, self.submit, self.clock)
        self.administration = Administration(self.accounts, self.config.approvals, operations.apply)
        self._mail = MailSender(self.database, self.clock, self.config.smtp)
        self.settlement = SettlementRuntime(
            self.database,
            self.clock,
            self.bus,
            master_secret=self.config.secret,
            submit=self.submit,
            exchange=lambda: self.exchange,
            funds=self.funds,
            rpc_url=self.config.solana_rpc_url,
        )

    @property
    def replica(self) -> JournalReplica | None:
        """An API process's read replica of the engine (None in the engine's own process)."""
        return None if self._cluster is None else self._cluster.replica

    async def submit(self, command: Command) -> Outcome:
        if self._cluster is not None:
            return await self._cluster.submit(command)
        if self.sequencer is None:
            raise SequencerStopped("the trading engine has not started")
        # While the database is unreachable the queue backs up: callers get a clear "not
        # applied" (ENGINE_UNAVAILABLE) instead of waiting for the outage to end.
        return await self.sequencer.submit(command, queue_timeout=ENGINE_QUEUE_TIMEOUT_SECONDS)

    async def start(self) -> None:
        """Crash-only: a start after a crash is the same as any other start."""
        await self.bus.start()
        if self.config.role == ROLE_API:
            await self._start_api_role()
            return
        self.exchange = Exchange(
            await load_markets(self.database), protection_policy=self.config.protection
        )
        self.sequencer = Sequencer(
            self.exchange,
            self.database,
            self.ledger,
            self.clock,
            self._publish,
        )
        # Loaded before the replay, which adds what the saved statistics did not count yet.
        self.stats = StatsRecorder(self.database, self.clock, self.bus)
        await self.stats.load()
        self.sequencer.on_replayed = self.stats.observe
        replayed = await self.sequencer.start()
        self.exchange = self.sequencer.exchange  # restored from a snapshot, maybe
        log.info("trading_engine_started", replayed=replayed, markets=len(self.exchange.markets))
        await self.settlement.start()
        await self.accounts.start()
        self._revocations = asyncio.create_task(self._follow_revocations(), name="revocations")
        if self._mail is not None:
            self._mail.start()
        self.heartbeat.start()
        self.stats.start()
        if self._market_data_relay is not None:
            self._market_data_relay.start()
        if self.price_feed is not None:
            self.price_feed.start()
        self.oracle.start()
        if self.sports is not None:
            await self.sports.start()
        self._price_pump = PricePump(self.oracle, self.exchange.markets, self.submit, self.clock)
        self._price_pump.start()
        self._timers = EngineTimers(self.submit, self.clock)
        self._timers.start()
        self.referrals.start(self.submit)  # pays referral rewards through the sequencer
        if self.config.demo_mode:
            self.demo = DemoAccount(self.exchange, self.submit, self.clock)
            await self.demo.open()
            if self.config.market_makers:
                self._makers = SimulatedMarketMakers(self.exchange, self.submit, self.clock)
                await self._makers.start()
            await self._start_flash_markets()
        self._maintenance = asyncio.create_task(self._housekeeping(), name="housekeeping")

    async def _start_api_role(self) -> None:
        """HTTP and WebSocket only: a read replica of the engine's exchange, commands sent to
        the engine process; no sequencer, timers, makers, settlement or demo drivers."""
        assert self.config.redis_url is not None
        self._cluster = ApiNode(
            self.database, self.config.redis_url, self.clock, self.config.redis_prefix
        )
        # The engine's saved statistics, then what the replica applies after them.
        stats = SavedStatsFollower(self.database, self.clock)
        await stats.load()
        self._cluster.replica.on_applied = stats.observe
        self.stats = stats
        await self._cluster.start()
        stats.start()
        self.exchange = self._cluster.replica.exchange
        log.info("api_replica_started", sequence=self.exchange.sequence)
        # One chain for every process: wallets and vaults are the engine's (engine/cluster).
        self.settlement.route_vaults(self._cluster.vaults)
        if self.settlement.embedded is not None:
            # In memory only, for the addresses the API shows (mint, authority, vault), which
            # the master secret fixes; nothing here moves tokens or saves chain state.
            await self.settlement.embedded.start()
        await self.accounts.start()
        self._revocations = asyncio.create_task(self._follow_revocations(), name="revocations")
        self.heartbeat.start()
        # Prices and games as the engine's oracles take them in (engine/cluster/feeds.py).
        if self._market_data is not None:
            self._market_data.start()
        self.oracle.start()
        if self.sports is not None:
            await self.sports.start()

    async def _publish(self, outcome: Outcome) -> None:
        """Every outcome's trades go to settlement and the stats (in memory, never waiting),
        then the bus."""
        self.settlement.record_outcome(outcome)
        if self.stats is not None:
            self.stats.observe(outcome)
        await publish_outcome(self.bus, outcome)

    async def _start_flash_markets(self) -> None:
        """Demo: fund the house LP (once ever) and let live games create flash markets."""
        funded = await self.submit(
            FundFlashLiquidity(
                DEMO_FLASH_LIQUIDITY, DEMO_FLASH_LIQUIDITY_REFERENCE, self.clock.now()
            )
        )
        if not funded.accepted:
            log.warning("flash_liquidity_not_funded", code=funded.code)
        await self._start_micro_bets()
        if self.sports is None:
            return
        creator = FlashCreator(self.sports, lambda: self.exchange.flash)
        self._flash_creator = FlashCreatorDriver(creator, self.submit, self.clock)
        self._flash_creator.start()

    async def _start_micro_bets(self) -> None:
        """Demo: fund the micro-bets house (once ever) and run the street's offers."""
        funded = await self.submit(
            FundMicroHouse(DEMO_MICRO_HOUSE, DEMO_MICRO_HOUSE_REFERENCE, self.clock.now())
        )
        if not funded.accepted:
            log.warning("micro_house_not_funded", code=funded.code)
        driver = StreetDriver(lambda: self.exchange.micro, self.config.simulation_seed)
        self._street_driver = StreetDriverTask(driver, self.submit, self.clock, self.bus.publish)
        self._street_driver.start()

    async def stop(self) -> None:
        if self._street_driver is not None:
            await self._street_driver.stop()
        if self._flash_creator is not None:
            await self._flash_creator.stop()
        if self._revocations is not None:
            self._revocations.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._revocations
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
        if self._makers is not None:
            await self._makers.stop()
        await self.referrals.stop()
        if self._timers is not None:
            await self._timers.stop()
        if self._price_pump is not None:
            await self._price_pump.stop()
        await self.oracle.stop()
        if self.sports is not None:
            await self.sports.dispose()
        if self.price_feed is not None:
            await self.price_feed.stop()
        for market_data in (self._market_data_relay, self._market_data):
            if market_data is not None:
                await market_data.stop()
        if self.sequencer is not None:
            await self.sequencer.stop()
        if self._cluster is not None:
            await self._cluster.stop()
        await self.settlement.stop()
        if self.stats is not None:
            await self.stats.stop()
        await self.heartbeat.stop()
        if self._mail is not None:
            await self._mail.stop()
        if self._redis is not None:
            await self._redis.aclose()
        await self.bus.stop()
        await self.database.dispose()

    async def _follow_revocations(self) -> None:
        """Sessions ended through any API process stop working in this one at once.

        A bus that is down is retried: meanwhile this process still refuses the sessions
        it ended itself, and every refresh is checked against the database."""
        while True:
            try:
                async with self.bus.subscribe(REVOCATION_TOPIC) as events:
                    async for event in events:
                        self._remember_revocation(event)
            except Exception as error:
                log.warning("revocation_feed_unavailable", error=type(error).__name__)
            await asyncio.sleep(REVOCATION_RETRY_SECONDS)

    def _remember_revocation(self, event: dict[str, Any]) -> None:
        try:
            at = datetime.fromisoformat(str(event["at"]))
            self.accounts.remember_revocation(str(event["session_id"]), at)
        except (KeyError, ValueError):
            log.warning("bad_revocation_event", event=event)

    async def _housekeeping(self) -> None:
        """Old candles go; accounts past their 30-day deletion grace are erased."""
        while True:
            try:
                removed = await self.candles.prune(self.clock.now())
                if removed:
                    log.info("candles_pruned", rows=removed)
                erased = await self.accounts.erase_due_accounts()
                if erased:
                    log.info("accounts_erased", accounts=erased)
            except Exception:
                log.exception("housekeeping_failed")
            await asyncio.sleep(HOUSEKEEPING_INTERVAL.total_seconds())


def _price_feed(
    config: VenueConfig,
    simulated: SimulatedVenues,
    oracle: PriceOracle,
    clock: Clock,
    ingest: Callable[[SourceEvent], bool],
) -> SimulatedPriceFeed | LiveVenueFeed | None:
    """Real venues when configured, else the simulated ones in demo mode."""
    if config.price_sources:
        adapters = adapters_for(config.price_sources)
        return LiveVenueFeed(adapters, oracle.assets, clock, ingest, oracle.reject)
    if config.demo_mode:
        return SimulatedPriceFeed(simulated, clock, ingest)
    return None


def _demo_sports_oracle(
    config: VenueConfig,
    clock: Clock,
    bus: EventBus,
    relay: MarketDataRelay | None,
    follower: MarketDataFollower | None,
) -> SportsOracle | None:
    """Demo: five simulated books. The engine role relays their responses; an API process
    polls those relayed responses (same providers and keys) and publishes nothing, the
    engine's sports oracle publishing once for every process."""
    if not config.demo_mode:
        return None
    providers = build_demo_providers(clock, config.simulation_seed)
    clients: list[ProviderClient] = [InProcessProviderClient(provider) for provider in providers]
    publish: SportsPublish = bus.publish
    if relay is not None:
        clients = [relay.relay_client(client) for client in clients]
    if follower is not None:
        clients = [follower.client_for(client) for client in clients]
        publish = _publish_nothing
    return SportsOracle(clients, clock, publish)


async def _publish_nothing(topic: str, event: dict[str, Any]) -> None:
    return None


class _OracleAlarms:
    """Forwards the oracle's events to the bus; its manipulation alarm also trips the
    market's circuit breaker, through the sequencer like any command."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.venue: Venue | None = None

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        if self.venue is not None and self.venue.config.role == ROLE_API:
            return  # the engine process's oracle publishes, once for every API process
        await self._bus.publish(topic, event)
        if topic == ANOMALY_TOPIC and self.venue is not None and self.venue.sequencer:
            symbol = perp_symbol(str(event["asset"]))
            if symbol in self.venue.exchange.markets:
                reason = f"ORACLE_{event['kind']}"
                await self.venue.submit(TripCircuitBreaker(symbol, reason, self.venue.clock.now()))
