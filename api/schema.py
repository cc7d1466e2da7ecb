"""The Schema object: root Query, Mutation and Subscription assembled from the domain modules."""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import AsyncGenerator, Iterator
from typing import Any

import strawberry
import structlog
from graphql import ASTValidationRule, GraphQLError, GraphQLSchema, parse
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, QueryDepthLimiter
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.types import ExecutionContext

from api.inputs import plan_inputs
from api.metrics import GRAPHQL_LATENCY, GRAPHQL_OPERATIONS, labelled
from engine.store.outages import is_database_unreachable
from resolvers import accounts, admin, ledger, settlement, sports, system, trading
from resolvers import flash as flash_resolvers
from resolvers import markets as market_data
from resolvers import stats as venue_stats
from schema import accounts as account_types
from schema import flash as flash_types
from schema import settlement as settlement_types
from schema.ledger import Balance, TransferResult
from schema.markets import Candle, Market, ReferenceBook, Ticker
from schema.scalars import SCALAR_MAP
from schema.sports import LiveEvent
from schema.stats import VenueStats
from schema.system import Heartbeat, ServerInfo
from schema.trading import (
    AmendOrderResult,
    AtRiskPosition,
    CancelOrderResult,
    EmergencyPause,
    Fill,
    FundingPayment,
    FundingStatus,
    InsuranceFund,
    Liquidation,
    LiquidationSweep,
    MarketStatus,
    Order,
    PlaceOrderResult,
    Position,
    PositionResult,
    Trade,
)

# Limits on what one document may ask for; generous for real clients, fatal to abuse.
MAX_QUERY_DEPTH = 10
MAX_QUERY_TOKENS = 2_000
MAX_QUERY_ALIASES = 30
DOCUMENT_CACHE_SIZE = 1_024

log = structlog.get_logger("godark.graphql")


@strawberry.type
class Query:
    server_info: ServerInfo = strawberry.field(resolver=system.server_info)
    me: account_types.Account | None = strawberry.field(
        resolver=accounts.me, description="The signed-in account; null when anonymous."
    )
    balances: list[Balance] = strawberry.field(
        resolver=ledger.my_balances, description="Your balances (READ)."
    )
    my_referrals: account_types.ReferralStats = strawberry.field(
        resolver=accounts.my_referrals,
        description="Your referral code and link, sign-ups, their volume and your rewards.",
    )
    sessions: list[account_types.AuthSession] = strawberry.field(
        resolver=accounts.sessions, description="Your signed-in devices."
    )
    activity: list[account_types.ActivityEntry] = strawberry.field(
        resolver=accounts.activity, description="Logins and security events, newest first."
    )
    api_keys: list[account_types.ApiKey] = strawberry.field(
        resolver=accounts.api_keys, description="Your active API keys (secrets never shown)."
    )
    export_my_data: JSON = strawberry.field(
        resolver=accounts.export_my_data,
        description="Everything GoDark holds about you, as one JSON document.",
    )
    demo_mailbox: list[account_types.MailMessage] = strawberry.field(
        resolver=accounts.demo_mailbox,
        description="Demo mode only: the mail sent to an address (no real mail leaves).",
    )
    proposals: list[account_types.Proposal] = strawberry.field(
        resolver=admin.proposals, description="Admin: critical operations and their approvals."
    )
    aml_flags: list[account_types.AmlFlag] = strawberry.field(
        resolver=admin.aml_flags, description="Admin: open AML flags."
    )
    mail_outbox: list[account_types.MailMessage] = strawberry.field(
        resolver=admin.mail_outbox, description="Admin: the outgoing mail, newest first."
    )
    settlement_batches: list[settlement_types.SettlementBatch] = strawberry.field(
        resolver=settlement.settlement_batches,
        description="Settlement batches, newest first; `before` is a batch id to page back.",
    )
    batch: settlement_types.SettlementBatch | None = strawberry.field(
        resolver=settlement.batch, description="One settlement batch by id."
    )
    trade_proof: settlement_types.TradeProof | None = strawberry.field(
        resolver=settlement.trade_proof,
        description="A trade's Merkle inclusion proof (null while its window is open).",
    )
    settlement_status: settlement_types.SettlementStatus = strawberry.field(
        resolver=settlement.settlement_status,
        description="Settlement lag, batches by status, chain addresses; public.",
    )
    vault_reconciliation: settlement_types.VaultReconciliation = strawberry.field(
        resolver=settlement.vault_reconciliation,
        description="Admin: the vault's on-chain balance against the ledger, checked now.",
    )
    wallet: settlement_types.Wallet = strawberry.field(
        resolver=settlement.wallet, description="Your Solana wallet and its USDT (READ)."
    )
    vault: settlement_types.Vault = strawberry.field(
        resolver=settlement.vault, description="What you authorised and moved (READ)."
    )
    markets: list[Market] = strawberry.field(
        resolver=market_data.markets, description="Every perpetual market with its oracle prices."
    )
    market: Market | None = strawberry.field(
        resolver=market_data.market, description="One market by symbol; null when unknown."
    )
    reference_book: ReferenceBook = strawberry.field(
        resolver=market_data.reference_book,
        description="Top levels of the lit reference market (never our own dark book).",
    )
    candles: list[Candle] = strawberry.field(
        resolver=market_data.candles,
        description="OHLCV candles starting in [from, to), oldest first, at most 1,500.",
    )
    live_events: list[LiveEvent] = strawberry.field(
        resolver=sports.live_events,
        description="Games in play and about to start, with odds from the provider quorum.",
    )
    insurance_fund: InsuranceFund = strawberry.field(
        resolver=trading.insurance_fund, description="The insurance fund's health, public."
    )
    funding: FundingStatus = strawberry.field(
        resolver=trading.funding_status,
        description="A market's current funding estimate, next payment and open interest.",
    )
    funding_history: list[FundingPayment] = strawberry.field(
        resolver=trading.funding_history, description="Hourly funding payments, newest first."
    )
    emergency_pause: EmergencyPause = strawberry.field(
        resolver=trading.emergency_pause, description="The venue-wide pause level, public."
    )
    market_status: MarketStatus = strawberry.field(
        resolver=trading.market_status, description="Open, or reduce-only after a breaker."
    )
    my_orders: list[Order] = strawberry.field(
        resolver=trading.my_orders,
        description="Your orders: open (default), recently closed, or all; newest first.",
    )
    my_trades: list[Fill] = strawberry.field(
        resolver=trading.my_trades, description="Your fills, newest first."
    )
    my_positions: list[Position] = strawberry.field(
        resolver=trading.my_positions, description="Your open positions with live PnL."
    )
    trades: list[Trade] = strawberry.field(
        resolver=trading.trades, description="The public tape of a market, newest first."
    )
    positions_at_risk: list[AtRiskPosition] = strawberry.field(
        resolver=trading.positions_at_risk,
        description="Liquidator role: positions near their liquidation price.",
    )
    flash_markets: list[flash_types.FlashMarket] = strawberry.field(
        resolver=flash_resolvers.flash_markets,
        description="Flash markets on live games (open, and collapsed for 15 min), public.",
    )
    flash_market: flash_types.FlashMarketDetail | None = strawberry.field(
        resolver=flash_resolvers.flash_market,
        description="One flash market with its parent, children and recent prices.",
    )
    quote_flash: flash_types.QuoteFlashResult = strawberry.field(
        resolver=flash_resolvers.quote_flash,
        description="Shares, average price, impact, fee and payout of a bet, before placing it.",
    )
    my_flash_bets: list[flash_types.FlashBet] = strawberry.field(
        resolver=flash_resolvers.my_flash_bets, description="Your flash bets, newest first."
    )
    responsible_gaming: flash_types.ResponsibleGaming = strawberry.field(
        resolver=flash_resolvers.responsible_gaming,
        description="Your limits, cool-off, self-exclusion and reality check (READ).",
    )
    micro_markets: list[flash_types.MicroMarket] = strawberry.field(
        resolver=flash_resolvers.micro_markets,
        description="Micro-bet offers taking bets now, with fixed odds and the margin, public.",
    )
    micro_session: flash_types.MicroSession | None = strawberry.field(
        resolver=flash_resolvers.micro_session,
        description="Your micro-betting session: reserve, balance, in play, bets.",
    )
    my_micro_sessions: list[flash_types.MicroSession] = strawberry.field(
        resolver=flash_resolvers.my_micro_sessions,
        description="Your micro-betting sessions, newest first.",
    )
    my_micro_bets: list[flash_types.MicroBet] = strawberry.field(
        resolver=flash_resolvers.my_micro_bets, description="Your micro-bets, newest first."
    )
    stats: VenueStats = strawberry.field(
        resolver=venue_stats.stats,
        description="Public venue statistics over UTC days [from, to] (default: 30 days).",
    )


@strawberry.type
class Mutation:
    register: account_types.AcceptedResult = strawberry.mutation(
        resolver=accounts.register, description="Open an account; a link confirms the email."
    )
    verify_email: account_types.AcceptedResult = strawberry.mutation(resolver=accounts.verify_email)
    resend_verification: account_types.AcceptedResult = strawberry.mutation(
        resolver=accounts.resend_verification
    )
    login: account_types.SignedInResult = strawberry.mutation(resolver=accounts.login)
    refresh_session: account_types.SignedInResult = strawberry.mutation(
        resolver=accounts.refresh_session,
        description="New tokens for a refresh token, which is then spent.",
    )
    open_demo_account: account_types.SignedInResult = strawberry.mutation(
        resolver=accounts.open_demo_account,
        description="Demo mode: a new account with 10,000 test USDT, signed in.",
    )
    accept_terms: account_types.SignedInResult = strawberry.mutation(
        resolver=accounts.accept_terms,
        description="Accept the current Terms of Service (serverInfo.termsVersion).",
    )
    logout: account_types.Accepted = strawberry.mutation(resolver=accounts.logout)
    logout_everywhere: account_types.Accepted = strawberry.mutation(
        resolver=accounts.logout_everywhere
    )
    change_password: account_types.AcceptedResult = strawberry.mutation(
        resolver=accounts.change_password
    )
    request_password_reset: account_types.AcceptedResult = strawberry.mutation(
        resolver=accounts.request_password_reset
    )
    reset_password: account_types.AcceptedResult = strawberry.mutation(
        resolver=accounts.reset_password
    )
    delete_account: account_types.DeletionResult = strawberry.mutation(
        resolver=accounts.delete_account,
        description="Erase your personal data after 30 days; sign in to cancel meanwhile.",
    )
    cancel_account_deletion: account_types.AcceptedResult = strawberry.mutation(
        resolver=accounts.cancel_account_deletion
    )
    begin_two_factor_setup: account_types.TwoFactorSetupResult = strawberry.mutation(
        resolver=accounts.begin_two_factor_setup
    )
    confirm_two_factor: account_types.BackupCodesResult = strawberry.mutation(
        resolver=accounts.confirm_two_factor
    )
    disable_two_factor: account_types.AcceptedResult = strawberry.mutation(
        resolver=accounts.disable_two_factor
    )
    wallet_challenge: account_types.WalletChallengeResult = strawberry.mutation(
        resolver=accounts.wallet_challenge, description="A message for the wallet to sign."
    )
    link_wallet: account_types.AccountResult = strawberry.mutation(resolver=accounts.link_wallet)
    unlink_wallet: account_types.AccountResult = strawberry.mutation(
        resolver=accounts.unlink_wallet
    )
    create_api_key: account_types.CreateApiKeyResult = strawberry.mutation(
        resolver=accounts.create_api_key
    )
    update_api_key: account_types.ApiKeyResult = strawberry.mutation(
        resolver=accounts.update_api_key
    )
    delete_api_key: account_types.AcceptedResult = strawberry.mutation(
        resolver=accounts.delete_api_key
    )
    faucet: TransferResult = strawberry.mutation(
        resolver=ledger.faucet, description="Demo mode: test USDT, 10,000 a day at most."
    )
    withdraw: TransferResult = strawberry.mutation(
        resolver=ledger.withdraw, description="USDT out, within your KYC tier's daily limit."
    )
    authorize_vault: settlement_types.VaultResult = strawberry.mutation(
        resolver=settlement.authorize_vault,
        description="Approve more USDT of your wallet to the venue (SPL delegate).",
    )
    revoke_vault: settlement_types.VaultResult = strawberry.mutation(
        resolver=settlement.revoke_vault,
        description="Withdraw everything, revoke the approval, deactivate (no open positions).",
    )
    chain_faucet: settlement_types.ChainFaucetResult = strawberry.mutation(
        resolver=settlement.chain_faucet,
        description="Demo: test USDT minted on chain to your wallet, within the daily cap.",
    )
    propose_operation: account_types.ProposalResult = strawberry.mutation(
        resolver=admin.propose_operation,
        description="Admin: propose a critical operation (M-of-N approval, then a timelock).",
    )
    approve_proposal: account_types.ProposalResult = strawberry.mutation(
        resolver=admin.approve_proposal
    )
    execute_proposal: account_types.ProposalResult = strawberry.mutation(
        resolver=admin.execute_proposal
    )
    cancel_proposal: account_types.ProposalResult = strawberry.mutation(
        resolver=admin.cancel_proposal
    )
    set_account_roles: account_types.AcceptedResult = strawberry.mutation(
        resolver=admin.set_account_roles
    )
    set_account_tiers: account_types.AcceptedResult = strawberry.mutation(
        resolver=admin.set_account_tiers,
        description="Admin: rate-limit tier (e.g. MARKET_MAKER) and KYC tier of an account.",
    )
    resolve_aml_flag: account_types.AcceptedResult = strawberry.mutation(
        resolver=admin.resolve_aml_flag
    )
    sweep_liquidations: LiquidationSweep = strawberry.mutation(
        resolver=trading.sweep_liquidations,
        description="Liquidator role: run the liquidation sweep now.",
    )
    set_emergency_pause: account_types.AcceptedResult = strawberry.mutation(
        resolver=admin.set_emergency_pause,
        description="Emergency role: pause at once (1 new orders .. 4 everything; 0 lifts).",
    )
    place_order: PlaceOrderResult = strawberry.mutation(
        resolver=trading.place_order, description="Place a hidden order in the dark pool."
    )
    cancel_order: CancelOrderResult = strawberry.mutation(resolver=trading.cancel_order)
    cancel_all_orders: CancelOrderResult = strawberry.mutation(resolver=trading.cancel_all_orders)
    amend_order: AmendOrderResult = strawberry.mutation(
        resolver=trading.amend_order, description="Reduce an order's size; it keeps its place."
    )
    close_position: PositionResult = strawberry.mutation(
        resolver=trading.close_position, description="Close the whole position at market."
    )
    set_tp_sl: PositionResult = strawberry.mutation(
        resolver=trading.set_tp_sl,
        description="Take-profit and stop-loss marks for a position; omit one to clear it.",
    )
    adjust_margin: PositionResult = strawberry.mutation(
        resolver=trading.adjust_margin,
        description="Add (positive) or remove (negative) isolated margin, in USDT.",
    )
    place_flash_bet: flash_types.PlaceFlashBetResult = strawberry.mutation(
        resolver=flash_resolvers.place_flash_bet,
        description="Buy shares of a flash market's outcome; quote it first (quoteFlash).",
    )
    emergency_collapse: flash_types.EmergencyCollapseResult = strawberry.mutation(
        resolver=flash_resolvers.emergency_collapse,
        description="Admin: collapse a flash market now (type EMERGENCY), or void it.",
    )
    set_limits: flash_types.ResponsibleGamingResult = strawberry.mutation(
        resolver=flash_resolvers.set_limits,
        description="Deposit/loss limits: lowering applies at once, raising after 24 hours.",
    )
    start_cool_off: flash_types.ResponsibleGamingResult = strawberry.mutation(
        resolver=flash_resolvers.start_cool_off,
        description="A break from betting of 24 hours to 6 weeks; it cannot be lifted early.",
    )
    self_exclude: flash_types.ResponsibleGamingResult = strawberry.mutation(
        resolver=flash_resolvers.self_exclude,
        description="No betting for 181 days to 5 years; cannot be lifted early (confirm: true).",
    )
    acknowledge_reality_check: flash_types.ResponsibleGamingResult = strawberry.mutation(
        resolver=flash_resolvers.acknowledge_reality_check,
        description="Seen the reality check: betting may continue.",
    )
    open_micro_session: flash_types.OpenMicroSessionResult = strawberry.mutation(
        resolver=flash_resolvers.open_micro_session,
        description="Pre-fund a micro-betting session; 10% (min 1 USDT) is a protected reserve.",
    )
    place_micro_bet: flash_types.PlaceMicroBetResult = strawberry.mutation(
        resolver=flash_resolvers.place_micro_bet,
        description="A fixed-odds micro-bet from a session's betting balance.",
    )
    close_micro_session: flash_types.CloseMicroSessionResult = strawberry.mutation(
        resolver=flash_resolvers.close_micro_session,
        description="Void open bets and return reserve + balance to available USDT.",
    )


@strawberry.type
class Subscription:
    heartbeat: AsyncGenerator[Heartbeat, None] = strawberry.subscription(
        resolver=system.heartbeat, description="One tick a second while the server is alive."
    )
    settlements: AsyncGenerator[settlement_types.SettlementBatch, None] = strawberry.subscription(
        resolver=settlement.settlement_stream,
        description="Every settlement batch status change, public.",
    )
    trades: AsyncGenerator[Trade, None] = strawberry.subscription(
        resolver=trading.trade_stream, description="Every trade of a market as it happens."
    )
    funding: AsyncGenerator[FundingPayment, None] = strawberry.subscription(
        resolver=trading.funding_stream, description="A market's hourly funding payments."
    )
    liquidations: AsyncGenerator[Liquidation, None] = strawberry.subscription(
        resolver=trading.liquidation_stream, description="Liquidations in a market, public."
    )
    market_status: AsyncGenerator[MarketStatus, None] = strawberry.subscription(
        resolver=trading.market_status_stream,
        description="A market's status now, then each circuit breaker trip.",
    )
    order_updates: AsyncGenerator[Order, None] = strawberry.subscription(
        resolver=trading.order_updates, description="Changes to your orders."
    )
    position_updates: AsyncGenerator[Position | None, None] = strawberry.subscription(
        resolver=trading.position_updates,
        description="Your position after each change (null once closed).",
    )
    live_event: AsyncGenerator[LiveEvent, None] = strawberry.subscription(
        resolver=sports.live_event, description="One game, at once and then as it changes."
    )
    ticker: AsyncGenerator[Ticker, None] = strawberry.subscription(
        resolver=market_data.ticker,
        description="Index, mark and reference NBBO of a market, at most ten times a second.",
    )
    reference_book: AsyncGenerator[ReferenceBook, None] = strawberry.subscription(
        resolver=market_data.reference_book_stream,
        description=(
            "Top levels of the lit reference market (never our own dark book): now, then "
            "at most twice a second while they change; public."
        ),
    )
    flash_ticker: AsyncGenerator[flash_types.FlashMarketUpdate, None] = strawberry.subscription(
        resolver=flash_resolvers.flash_ticker,
        description="Active flash markets now, then their changes, at most every 400 ms each.",
    )
    micro_markets: AsyncGenerator[list[flash_types.MicroMarket], None] = strawberry.subscription(
        resolver=flash_resolvers.micro_markets_updates,
        description=(
            "Micro-bet offers taking bets now, then the list again whenever an offer is "
            "listed or settled; public."
        ),
    )
    flash_market: AsyncGenerator[flash_types.FlashMarketUpdate, None] = strawberry.subscription(
        resolver=flash_resolvers.flash_market_updates,
        description="One flash market now, then its prices, status and collapse.",
    )
    my_flash_bets: AsyncGenerator[flash_types.FlashBetUpdate, None] = strawberry.subscription(
        resolver=flash_resolvers.my_flash_bet_updates,
        description="Your flash bets as they are placed and settled.",
    )
    reality_check: AsyncGenerator[flash_types.RealityCheck, None] = strawberry.subscription(
        resolver=flash_resolvers.reality_checks,
        description="A reality check due now, then each one as it comes due.",
    )
    micro_events: AsyncGenerator[flash_types.MicroEvent, None] = strawberry.subscription(
        resolver=flash_resolvers.micro_events,
        description="Your session's bets, results and closing, and the observed street.",
    )


def is_unexpected(error: GraphQLError) -> bool:
    """Errors we raised on purpose (validation, bad input) reach the client; faults do not."""
    original = error.original_error
    return original is not None and not isinstance(original, (GraphQLError, ValueError))


def _database_unreachable(error: GraphQLError) -> bool:
    return error.original_error is not None and is_database_unreachable(error.original_error)


class MaskFaults(MaskErrors):
    """Faults reach the client without internals; an unreachable database with a code of its
    own, so that clients know to try again shortly rather than report a bug."""

    def _process_result(self, result: object) -> None:
        # The base class checks a runtime Protocol first (about 1 % of every request); a
        # result without errors, nearly all of them, has nothing to mask.
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if not _database_unreachable(error):
            return super().anonymise_error(error)
        return GraphQLError(
            message="the database is unreachable; try again shortly",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "DATABASE_UNAVAILABLE"},
        )


# The limiters build a new rule class per instance, and the validation cache is keyed
# on the rule classes: made per request, they would turn every lookup into a miss. So
# the rules are made once, and each request's extension reuses them.
_LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_QUERY_ALIASES).validation_rules,
)
# Shared by every request: a repeated document is parsed and validated once. Bounded, so
# a stream of unique documents cannot grow memory.
_cached_parse = functools.lru_cache(maxsize=DOCUMENT_CACHE_SIZE)(parse)


@functools.lru_cache(maxsize=DOCUMENT_CACHE_SIZE)
def _cached_validation(
    schema: GraphQLSchema, query: str, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """Keyed by the query's text, whose hash Python keeps: a document's hash walks its
    whole syntax tree at every lookup (1.6 % of a `placeOrder`)."""
    return validate_document(schema, _cached_parse(query, max_tokens=MAX_QUERY_TOKENS), rules)


class Gateway(MaskFaults):
    """Every request's limits, document caches, metrics, fault masking and request id.

    One extension rather than seven: strawberry builds each extension and walks its hooks
    at every phase of every request, which cost about a tenth of a `placeOrder`.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Internal error.")

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_QUERY_TOKENS
        context.validation_rules = context.validation_rules + _LIMIT_RULES
        started = time.perf_counter()
        yield from super().on_operation()
        try:
            kind = context.operation_type.value
        except RuntimeError:  # the document never parsed: no operation to name
            kind = "invalid"
        result = context.result
        outcome = "error" if result is not None and getattr(result, "errors", None) else "ok"
        labelled(GRAPHQL_OPERATIONS, kind, outcome).inc()
        labelled(GRAPHQL_LATENCY, kind).observe(time.perf_counter() - started)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _cached_parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None  # no document: parsing failed before validation
        context.pre_execution_errors = _cached_validation(
            context.schema._schema, context.query, tuple(context.validation_rules)
        )
        yield

    def get_results(self) -> dict[str, Any]:
        """The request id in every response body, so a report of a failure can be traced."""
        return {"requestId": getattr(self.execution_context.context, "request_id", "")}


class AcyclicExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core 3.3's executor keeps helpers bound to itself: a reference cycle per
    operation. Everything it reached (the request, its context, the response) then waited
    for the cycle collector, whose young collections stopped the event loop for 25-30 ms
    about every 750 `placeOrder`s: the tail of every latency. Bound weakly, the executor
    and all it holds are freed by reference counting as soon as the operation ends. The
    helpers are only called while the operation runs, when the executor is alive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        track = weakref.WeakMethod(self.track_async_work)
        gather = weakref.WeakMethod(self.gather_async_work)

        def track_weakly(*values: Any, **options: Any) -> Any:
            return _alive(track)(*values, **options)

        def gather_weakly(*values: Any, **options: Any) -> Any:
            return _alive(gather)(*values, **options)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather_weakly, track=track_weakly)


def _alive(method: weakref.WeakMethod[Any]) -> Any:
    bound = method()
    if bound is None:
        raise RuntimeError("a GraphQL operation's helper was called after it ended")
    return bound


class GoDarkSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _database_unreachable(error):  # an outage, not a bug: no stack trace
                log.warning("graphql_database_unreachable", path=error.path)
            elif is_unexpected(error):
                log.error(
                    "graphql_unexpected_error", path=error.path, exc_info=error.original_error
                )
            else:
                log.debug("graphql_client_error", message=error.message)


def build_schema() -> strawberry.Schema:
    extensions: list[Any] = [Gateway]
    return GoDarkSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        execution_context_class=AcyclicExecution,
    )


schema = build_schema()
plan_inputs(schema)
