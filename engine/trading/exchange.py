"""The exchange: a deterministic state machine over commands.

`apply(sequence, command)` is the only way state changes. The same commands in the same
order give the same books, positions and balances, which is what makes the journal a
complete record: a restart is a snapshot plus a replay.

Money moves only as ledger entries (in the engine's in-memory copy; the sequencer stores
them), one entry per step, keyed by the command's sequence so a replay stores nothing
twice. Per trader and market there are three accounts: available, order margin (held
for open orders) and collateral (the isolated margin of the position).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from engine.errors import DomainError
from engine.flash.book import FlashBook, FlashLimits
from engine.flash.micro import MicroBet, MicroMarket, MicroSession, SessionPolicy
from engine.flash.protection import ProtectionPolicy, ProtectionStatus, RealityCheck
from engine.flash.protection import RealityCheckDue as RealityCheckRefusal
from engine.flash.protection_book import ProtectionBook
from engine.flash.sessions import MicroBook
from engine.ledger import AccountKey, EntryRequest, InsufficientFunds, Leg
from engine.ledger.memory import MemoryLedger
from engine.matching import AmendOrder as BookAmend
from engine.matching import (
    AmendRejected,
    BookEvent,
    CancelRejected,
    DuplicateClientOrderId,
    Liquidity,
    OrderAccepted,
    OrderAmended,
    OrderBook,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    OrderRested,
    OrderType,
    ReferencePrices,
    Side,
    TimeInForce,
    TradeExecuted,
)
from engine.matching import CancelAllOrders as BookCancelAll
from engine.matching import CancelOrder as BookCancel
from engine.matching import PlaceOrder as BookPlace
from engine.perps import (
    Fill,
    FillOutcome,
    FundingAccumulator,
    FundingPosition,
    InsuranceFundHealth,
    Liquidate,
    LiquidationMonitor,
    LiquidationQueue,
    MarketConfig,
    OrderRequest,
    OrderSide,
    Position,
    QueuedLiquidation,
    apply_fill,
    assess,
    check_order,
    fee_amount,
    funding_payments,
    insurance_fund_health,
    margin_ratio,
    open_interest,
    plan_auto_deleverage,
    trade_fees,
)
from engine.perps.liquidation import INSURANCE_FUND_FEE_BPS, LIQUIDATION_FEE_BPS
from engine.perps.position import add_margin, apply_funding, remove_margin, scaled_equity
from engine.perps.units import NOTIONAL_DIVISOR
from engine.trading import accounts
from engine.trading.commands import (
    AcknowledgeRealityCheck,
    AdjustMargin,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    CloseMicroSession,
    ClosePosition,
    Command,
    ConfigureMarket,
    Deposit,
    EmergencyCollapse,
    FlashTick,
    FundFlashLiquidity,
    FundMicroHouse,
    OpenFlashMarket,
    OpenMicroMarket,
    OpenMicroSession,
    PayReferralReward,
    PlaceFlashBet,
    PlaceMicroBet,
    RecordLimitPromptSeen,
    ResolveFlashMarket,
    SelfExclude,
    SetEmergencyPause,
    SetProtectionLimit,
    SettleMicroMarket,
    SetTpSl,
    StartCoolOff,
    SubmitOrder,
    SweepLiquidations,
    TripCircuitBreaker,
    UpdatePrices,
    Withdraw,
    WithdrawInsuranceFund,
)
from engine.trading.events import (
    BalanceChanged,
    EmergencyPauseChanged,
    EngineEvent,
    FlashBetSettled,
    FlashLiquidityFunded,
    FundingPaid,
    InsuranceFundWithdrawn,
    MarginCall,
    MarketConfigured,
    MarketStatusChanged,
    MicroHouseFunded,
    OrderEntered,
    OrderFill,
    OrderUpdated,
    PositionChanged,
    PositionLiquidated,
    TradePrinted,
)

TAPE_LENGTH = 500
# Each trader's recent history, for `myTrades` and closed orders in `myOrders`.
ACCOUNT_HISTORY_LENGTH = 200
CLOSED_STATUSES = frozenset({"FILLED", "CANCELLED", "EXPIRED", "REJECTED"})
# Circuit breakers (seed 004 section 5): a >10 % move of the mark in 60 s, or a minute
# with more than 5x the market's normal volume, makes the market reduce-only for 5 minutes.
BREAKER_MOVE_BPS = 1_000
BREAKER_MOVE_WINDOW = timedelta(seconds=60)
BREAKER_VOLUME_MULTIPLE = 5
BREAKER_VOLUME_HISTORY_MINUTES = 60
BREAKER_VOLUME_MIN_HISTORY_MINUTES = 10
BREAKER_DURATION = timedelta(minutes=5)
# Emergency pause levels, seed 004 "Pause Levels".
PAUSE_NEW_ORDERS = 1
PAUSE_TRADING = 2
PAUSE_ALL_BUT_WITHDRAWALS = 3
PAUSE_EVERYTHING = 4
PAUSE_AUTO_RESUME = {PAUSE_NEW_ORDERS: timedelta(minutes=5), PAUSE_TRADING: timedelta(minutes=15)}
FUNDING_HISTORY_LENGTH = 24 * 30  # a month of hourly payments
# Withdrawals and deposits are rare; remembering every reference keeps them idempotent.
MAX_REFERENCE_LENGTH = 64
# The `market` table's column widths (engine/store/tables.py MarketRow).
MAX_SYMBOL_LENGTH = 32
MAX_BASE_ASSET_LENGTH = 16
# What a ConfigureMarket changed, as named in MarketConfigured.changes.
ADD_MARKET = "ADD_MARKET"
CHANGE_FEES = "CHANGE_FEES"
CHANGE_RISK_PARAMETERS = "CHANGE_RISK_PARAMETERS"


class CommandRefused(DomainError):
    code = "REFUSED"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class CancelOrAmendRefused(CommandRefused):
    """The book refused a cancel or amend; it changed nothing, so this is a plain refusal."""


class InvariantBroken(RuntimeError):
    """The engine's state and the ledger disagree: fatal, restart from the journal."""


@dataclass
class Outcome:
    """What one command did: refused with a code, or accepted with its events."""

    sequence: int
    accepted: bool = True
    code: str | None = None
    message: str | None = None
    order_id: str | None = None
    events: list[EngineEvent] = field(default_factory=list)
    replay_of: int | None = None  # the sequence that first applied this reference


@dataclass
class _OrderMeta:
    account: str
    symbol: str
    side: Side
    order_type: OrderType
    client_order_id: str | None
    size_lots: int
    leverage: int
    reduce_only: bool
    limit_price: int | None
    reserved: int  # micro-USDT still held in the order-margin account for this order
    remaining_lots: int
    placed_at: datetime
    filled_lots: int = 0


@dataclass
class MarketStatus:
    reduce_only_until: datetime | None = None
    reason: str | None = None

    def reduce_only(self, now: datetime) -> bool:
        return self.reduce_only_until is not None and now < self.reduce_only_until


@dataclass
class _MarketActivity:
    """What the circuit breakers watch: recent marks and per-minute traded notional."""

    marks: deque[tuple[datetime, int]] = field(default_factory=deque)
    minute_start: datetime | None = None
    minute_volume: int = 0
    past_minutes: deque[int] = field(
        default_factory=lambda: deque(maxlen=BREAKER_VOLUME_HISTORY_MINUTES)
    )


@dataclass
class _MarketPrices:
    index: int | None = None
    mark: int | None = None
    bid: int | None = None
    ask: int | None = None
    healthy: bool = False


class Exchange:
    def __init__(
        self,
        markets: list[MarketConfig],
        flash_limits: FlashLimits | None = None,
        protection_policy: ProtectionPolicy | None = None,
        session_policy: SessionPolicy | None = None,
    ) -> None:
        self.markets: dict[str, MarketConfig] = {}
        self.books: dict[str, OrderBook] = {}
        self.prices: dict[str, _MarketPrices] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        # The public tape: the latest trades of each market, newest last.
        self.fills_of: dict[str, deque[OrderFill]] = {}
        self.closed_orders_of: dict[str, deque[OrderUpdated]] = {}
        self.tape: dict[str, deque[TradePrinted]] = {}
        self.ledger = MemoryLedger()
        self.ledger.open_accounts([accounts.WORLD, accounts.FEES, accounts.INSURANCE_FUND])
        self.sequence = 0
        self.now = datetime.min.replace(tzinfo=UTC)  # the time of the command being applied
        self.monitor = LiquidationMonitor()
        self.liquidation_queue = LiquidationQueue()
        self.funding: dict[str, FundingAccumulator] = {}
        # For the insurance fund's public health: what it ever received and ever paid out.
        self.insurance_contributions = 0
        self.bad_debt_covered = 0
        self.funding_history: dict[str, deque[FundingPaid]] = {}
        self.status: dict[str, MarketStatus] = {}
        self.pause_level = 0
        self.pause_until: datetime | None = None
        # Positions whose size changed while a batch of book events is applied: their
        # reduce-only orders are trimmed once the batch is done.
        self._resized: set[tuple[str, str]] = set()
        # (trader, market) -> (take-profit, stop-loss) marks
        self.tp_sl: dict[tuple[str, str], tuple[int | None, int | None]] = {}
        self._activity: dict[str, _MarketActivity] = {}
        self._orders: dict[str, _OrderMeta] = {}
        # The same orders by (trader, market): what per-trader checks walk, so their cost
        # does not grow with the whole book.
        self._orders_of: dict[tuple[str, str], dict[str, _OrderMeta]] = {}
        # How many open orders of a trader in a market use each leverage.
        self._leverages: dict[tuple[str, str], Counter[int]] = {}
        # How many of them are reduce-only: a fill walks a trader's orders to cut these
        # down only when there are some.
        self._reduce_only: Counter[tuple[str, str]] = Counter()
        # deposit/withdrawal reference -> (what it asked, the sequence that applied it)
        self._references: dict[str, tuple[tuple[str, str, int], int]] = {}
        self._entry_counter = 0
        # Flash markets share this ledger, journal and snapshot (engine/flash/book.py).
        self.flash = FlashBook(self.ledger, self._post, flash_limits)
        # Player protection for every flash and micro bet (engine/flash/protection_book.py),
        # and micro-bets on pre-funded sessions (engine/flash/sessions.py).
        self.protection = ProtectionBook(protection_policy)
        self.micro = MicroBook(self.ledger, self._post_keyed, session_policy)
        for market in markets:
            self._add_market(market)

    def _add_market(self, market: MarketConfig) -> None:
        """A market's own structures, empty: at start-up and when ConfigureMarket adds one.
        Funding accumulators and liquidation indexes are created on first use."""
        symbol = market.symbol
        self.markets[symbol] = market
        self.books[symbol] = OrderBook(symbol)
        self.prices[symbol] = _MarketPrices()
        self.tape[symbol] = deque(maxlen=TAPE_LENGTH)
        self.funding_history[symbol] = deque(maxlen=FUNDING_HISTORY_LENGTH)
        self.status[symbol] = MarketStatus()
        self._activity[symbol] = _MarketActivity()
        self.ledger.open_accounts([accounts.settlement(symbol)])

    # --- the one entry point ----------------------------------------------------------

    def apply(self, sequence: int, command: Command) -> Outcome:
        if sequence != self.sequence + 1:
            raise ValueError(f"command {sequence} applied after {self.sequence}")
        self.sequence = sequence
        self.now = command.at
        self._entry_counter = 0
        outcome = Outcome(sequence)
        try:
            self._dispatch(command, outcome)
        except DomainError as refusal:
            outcome.accepted = False
            outcome.code = refusal.code
            outcome.message = refusal.message
        return outcome

    def _dispatch(self, command: Command, outcome: Outcome) -> None:
        self._require_not_paused(command)
        if isinstance(command, SubmitOrder):
            self._submit(command, outcome)
        elif isinstance(command, UpdatePrices):
            self._update_prices(command, outcome)
        elif isinstance(command, CancelOrder):
            self._cancel(command, outcome)
        elif isinstance(command, CancelAllOrders):
            book = self._book(command.symbol)
            self._book_events(book.cancel_all(BookCancelAll(command.account, command.at)), outcome)
        elif isinstance(command, AmendOrder):
            self._amend(command, outcome)
        elif isinstance(command, ClosePosition):
            self._close_position(command, outcome)
        elif isinstance(command, AdjustMargin):
            self._adjust_margin(command, outcome)
        elif isinstance(command, Deposit):
            self._deposit(command, outcome)
        elif isinstance(command, Withdraw):
            self._withdraw(command, outcome)
        elif isinstance(command, SweepLiquidations):
            self._sweep_liquidations(command, outcome)
        elif isinstance(command, SetEmergencyPause):
            self._set_pause(command, outcome)
        elif isinstance(command, SetTpSl):
            self._set_tp_sl(command, outcome)
        elif isinstance(command, TripCircuitBreaker):
            self._market(command.symbol)
            self._trip(command.symbol, command.reason, command.at, outcome)
        elif isinstance(command, ConfigureMarket):
            self._configure_market(command, outcome)
        elif isinstance(command, WithdrawInsuranceFund):
            self._withdraw_insurance_fund(command, outcome)
        elif isinstance(command, PayReferralReward):
            self._pay_referral_reward(command, outcome)
        elif isinstance(command, FlashTick):
            self._flash_results(self.flash.tick(command), outcome)
            outcome.events += self.protection.tick(command.at)
            self.micro.forget_before(command.at)
        elif isinstance(command, PlaceFlashBet):
            self._place_flash_bet(command, outcome)
        elif isinstance(command, OpenFlashMarket):
            outcome.events += self.flash.open_market(command)
        elif isinstance(command, ResolveFlashMarket):
            self._flash_results(self.flash.resolve(command), outcome)
        elif isinstance(command, EmergencyCollapse):
            self._flash_results(self.flash.emergency_collapse(command), outcome)
        elif isinstance(command, FundFlashLiquidity):
            self._fund_flash_liquidity(command, outcome)
        elif isinstance(
            command,
            SetProtectionLimit
            | StartCoolOff
            | SelfExclude
            | AcknowledgeRealityCheck
            | RecordLimitPromptSeen,
        ):
            self._protect(command, outcome)
        elif isinstance(command, FundMicroHouse):
            self._fund_micro_house(command, outcome)
        elif isinstance(command, OpenMicroMarket):
            outcome.events += self.micro.open_market(command)
        elif isinstance(command, OpenMicroSession):
            self._open_micro_session(command, outcome)
        elif isinstance(command, PlaceMicroBet):
            self._place_micro_bet(command, outcome)
        elif isinstance(command, SettleMicroMarket):
            settled, events = self.micro.settle_market(command)
            outcome.events += events
            self._micro_results(settled, command.at)
        elif isinstance(command, CloseMicroSession):
            session, voided, events = self.micro.close_session(command)
            outcome.order_id = session.session_id
            outcome.events += events
            self._micro_results(voided, command.at)
            self._balance_event(command.account, command.at, outcome)
        else:
            for book in self.books.values():
                self._book_events(book.expire(command.at), outcome)

    # --- money in and out -------------------------------------------------------------

    def _deposit(self, command: Deposit, outcome: Outcome) -> None:
        if self._replayed(command.reference, ("deposit", command.account, command.amount), outcome):
            return
        _require_positive(command.amount)
        self.ledger.open_accounts([accounts.available(command.account)])
        self._post(
            "deposit",
            [
                (accounts.WORLD, -command.amount),
                (accounts.available(command.account), command.amount),
            ],
        )
        self._references[command.reference] = (
            ("deposit", command.account, command.amount),
            self.sequence,
        )
        self._balance_event(command.account, command.at, outcome)

    def _withdraw(self, command: Withdraw, outcome: Outcome) -> None:
        if self._replayed(
            command.reference, ("withdraw", command.account, command.amount), outcome
        ):
            return
        _require_positive(command.amount)
        self._post(
            "withdraw",
            [
                (accounts.available(command.account), -command.amount),
                (accounts.WORLD, command.amount),
            ],
        )
        self._references[command.reference] = (
            ("withdraw", command.account, command.amount),
            self.sequence,
        )
        self._balance_event(command.account, command.at, outcome)

    def _withdraw_insurance_fund(self, command: WithdrawInsuranceFund, outcome: Outcome) -> None:
        request = ("insurance_withdrawal", accounts.INSURANCE_FUND.owner_id, command.amount)
        if self._replayed(command.reference, request, outcome):
            return
        _require_positive(command.amount)
        held = self.ledger.balance(accounts.INSURANCE_FUND)
        if command.amount > held:
            raise CommandRefused(
                "INSUFFICIENT_FUNDS",
                f"the insurance fund holds {held} micro-USDT, less than {command.amount}",
            )
        self._post(
            "insurance_withdrawal",
            [(accounts.INSURANCE_FUND, -command.amount), (accounts.WORLD, command.amount)],
        )
        self._references[command.reference] = (request, self.sequence)
        outcome.events.append(
            InsuranceFundWithdrawn(
                command.amount,
                command.reference,
                self.ledger.balance(accounts.INSURANCE_FUND),
                command.at,
            )
        )

    def _pay_referral_reward(self, command: PayReferralReward, outcome: Outcome) -> None:
        """Fee revenue to the referrer's available balance. The reference is also the
        ledger entry's idempotency key, so the stored ledger shows one entry per day paid;
        fee revenue that cannot cover it refuses the payment, retried on the next run."""
        request = ("referral_reward", command.referrer, command.amount)
        if self._replayed(command.reference, request, outcome):
            return
        _require_positive(command.amount)
        referrer = accounts.available(command.referrer)
        self.ledger.open_accounts([referrer])
        self._post_keyed(
            command.reference,
            "referral_reward",
            [(accounts.FEES, -command.amount), (referrer, command.amount)],
        )
        self._references[command.reference] = (request, self.sequence)
        self._balance_event(command.referrer, command.at, outcome)

    # --- flash markets (engine/flash/book.py holds their state) ----------------------------

    def _place_flash_bet(self, command: PlaceFlashBet, outcome: Outcome) -> None:
        # A retried client_bet_id answers with the bet it placed, whatever protection says
        # now: refusing it would tell the client a placed bet was not.
        if self.flash.repeated_bet(command) is None:
            self._check_bet_protection(command.account, command.stake, command.at, outcome)
        bet, events = self.flash.place_bet(command, f"fb-{self.sequence}")
        outcome.order_id = bet.bet_id
        if not events:  # the same client_bet_id again: the first bet stands
            outcome.replay_of = int(bet.bet_id.removeprefix("fb-"))
            return
        self.protection.record_bet(command.account, bet.stake, command.at)
        outcome.events += events
        self._balance_event(command.account, command.at, outcome)

    def _flash_results(self, events: list[EngineEvent], outcome: Outcome) -> None:
        """Collapses and voids feed every bettor's loss limits and loss-velocity monitor."""
        for event in events:
            if isinstance(event, FlashBetSettled):
                bet = self.flash.bets.get(event.bet_id)
                if bet is not None:
                    self.protection.record_result(bet.account, bet.stake, event.payout, event.at)
        outcome.events += events

    # --- player protection (engine/flash/protection_book.py holds the state) ----------------

    def _check_bet_protection(
        self, account: str, stake: int, at: datetime, outcome: Outcome
    ) -> None:
        """Before anything else a bet does; a check coming due is announced as it refuses."""
        if isinstance(stake, bool) or not isinstance(stake, int) or stake <= 0:
            raise CommandRefused("INVALID_BET", "the stake must be a positive whole micro-USDT")
        try:
            self.protection.check_bet(account, stake, at)
        except RealityCheckRefusal:
            outcome.events += self.protection.announce_if_due(account, at)
            raise

    def _protect(
        self,
        command: SetProtectionLimit
        | StartCoolOff
        | SelfExclude
        | AcknowledgeRealityCheck
        | RecordLimitPromptSeen,
        outcome: Outcome,
    ) -> None:
        book, account, at = self.protection, command.account, command.at
        if isinstance(command, SetProtectionLimit):
            outcome.events += book.set_limit(
                account, command.kind, command.period, command.amount, at
            )
        elif isinstance(command, StartCoolOff):
            outcome.events += book.start_cool_off(account, command.duration_seconds, at)
        elif isinstance(command, SelfExclude):
            outcome.events += book.self_exclude(account, command.duration_seconds, at)
            # The money of open sessions goes back now, not when the exclusion ends.
            voided, events = self.micro.close_all_of(account, at)
            if events:
                outcome.events += events
                self._micro_results(voided, at)
                self._balance_event(account, at, outcome)
        elif isinstance(command, AcknowledgeRealityCheck):
            outcome.events += book.acknowledge_reality_check(account, at)
        else:
            outcome.events += book.record_limit_prompt_seen(account, at)

    # --- micro-bets (engine/flash/sessions.py holds their state) ----------------------------

    def _fund_micro_house(self, command: FundMicroHouse, outcome: Outcome) -> None:
        request = ("micro_house", accounts.MICRO_HOUSE.owner_id, command.amount)
        if self._replayed(command.reference, request, outcome):
            return
        _require_positive(command.amount)
        self.ledger.open_accounts([accounts.MICRO_HOUSE])
        self._post(
            "micro_house",
            [(accounts.WORLD, -command.amount), (accounts.MICRO_HOUSE, command.amount)],
        )
        self._references[command.reference] = (request, self.sequence)
        outcome.events.append(
            MicroHouseFunded(
                command.amount,
                command.reference,
                self.ledger.balance(accounts.MICRO_HOUSE),
                command.at,
            )
        )

    def _open_micro_session(self, command: OpenMicroSession, outcome: Outcome) -> None:
        deposit = command.deposit
        if isinstance(deposit, bool) or not isinstance(deposit, int) or deposit <= 0:
            raise CommandRefused("INVALID_DEPOSIT", "the deposit must be a positive micro-USDT")
        retried = command.session_id is not None and self.micro.session(
            command.account, command.session_id
        )
        if not retried:
            self.protection.check_deposit(command.account, deposit, command.at)
        session, events = self.micro.open_session(command, f"ms-{self.sequence}")
        outcome.order_id = session.session_id
        if not events:
            return  # the same session id again: the first session stands
        self.protection.record_deposit(command.account, deposit, command.at)
        outcome.events += events
        self._balance_event(command.account, command.at, outcome)

    def _place_micro_bet(self, command: PlaceMicroBet, outcome: Outcome) -> None:
        repeated = self.micro.repeated_bet(command)
        if repeated is not None:
            outcome.order_id = repeated.bet_id  # no events: the first bet stands
            return
        self._check_bet_protection(command.account, command.stake, command.at, outcome)
        session, market = self.micro.check_bet(command)
        bet, events = self.micro.place_bet(command, session, market)
        self.protection.record_bet(command.account, bet.stake, command.at)
        outcome.order_id = bet.bet_id
        outcome.events += events

    def _micro_results(self, bets: list[MicroBet], at: datetime) -> None:
        for bet in bets:
            account = self.micro.sessions[bet.bet_id.rsplit(":", 1)[0]].account
            self.protection.record_result(account, bet.stake, bet.returned, at)

    def _fund_flash_liquidity(self, command: FundFlashLiquidity, outcome: Outcome) -> None:
        request = ("flash_liquidity", accounts.FLASH_LP.owner_id, command.amount)
        if self._replayed(command.reference, request, outcome):
            return
        _require_positive(command.amount)
        self.ledger.open_accounts([accounts.FLASH_LP])
        self._post(
            "flash_liquidity",
            [(accounts.WORLD, -command.amount), (accounts.FLASH_LP, command.amount)],
        )
        self._references[command.reference] = (request, self.sequence)
        outcome.events.append(
            FlashLiquidityFunded(
                command.amount,
                command.reference,
                self.ledger.balance(accounts.FLASH_LP),
                command.at,
            )
        )

    def _replayed(self, reference: str, request: tuple[str, str, int], outcome: Outcome) -> bool:
        """True when this reference was applied before with the same request; a reference
        reused for another request is refused. Only applied requests are remembered, so a
        refused withdrawal can be retried with the same reference."""
        if not reference or len(reference) > MAX_REFERENCE_LENGTH:
            raise CommandRefused("INVALID_REFERENCE", "a reference is 1 to 64 characters")
        previous = self._references.get(reference)
        if previous is None:
            return False
        if previous[0] != request:
            raise CommandRefused(
                "IDEMPOTENCY_KEY_REUSED", f"reference {reference!r} was used for another request"
            )
        outcome.replay_of = previous[1]
        return True

    # --- market configuration ---------------------------------------------------------

    def _configure_market(self, command: ConfigureMarket, outcome: Outcome) -> None:
        """Add a market, or replace an existing one's fees and risk parameters. Open
        positions keep their margin and leverage; new orders are checked against the new
        limits, and every fill from now on pays the new fees."""
        config = _market_config(command)
        before = self.markets.get(command.symbol)
        if before is None:
            self._add_market(config)
            changes: tuple[str, ...] = (ADD_MARKET,)
        else:
            self._require_compatible_change(before, config)
            changes = _changes(before, config)
            self.markets[command.symbol] = config
        outcome.events.append(
            MarketConfigured(
                config.symbol,
                config.base_asset,
                config.tick_size,
                config.step_size,
                config.min_order_size,
                config.max_order_size,
                config.max_leverage,
                config.maker_fee_bps,
                config.taker_fee_bps,
                config.is_active,
                changes,
                command.at,
            )
        )

    def _require_compatible_change(self, before: MarketConfig, after: MarketConfig) -> None:
        """Refuse changes the market's current orders and positions could not live with."""
        symbol = before.symbol
        if after.base_asset != before.base_asset:
            raise CommandRefused(
                "INVALID_MARKET_CONFIG", f"the base asset of {symbol} cannot change"
            )
        has_orders = any(s == symbol for _, s in self._orders_of)
        grid_changed = (after.tick_size, after.step_size) != (before.tick_size, before.step_size)
        if has_orders and grid_changed:
            # Resting prices and sizes would be off the new grid.
            raise CommandRefused(
                "MARKET_HAS_ORDERS",
                f"{symbol} has open orders: its tick and step sizes cannot change",
            )
        if has_orders and before.is_active and not after.is_active:
            # A closed market refuses cancels, which would strand the orders' margin.
            raise CommandRefused(
                "MARKET_HAS_ORDERS", f"{symbol} has open orders: it cannot be closed"
            )
        if after.step_size != before.step_size and any(
            s == symbol and position.size % after.step_size
            for (_, s), position in self.positions.items()
        ):
            # A position must stay closable in whole steps.
            raise CommandRefused(
                "MARKET_HAS_POSITIONS",
                f"{symbol} has positions that are not whole steps of {after.step_size}",
            )

    # --- orders -----------------------------------------------------------------------

    def _submit(self, command: SubmitOrder, outcome: Outcome) -> None:
        market = self._market(command.symbol)
        prices = self.prices[command.symbol]
        if not prices.healthy and not command.reduce_only:
            raise CommandRefused(
                "ORACLE_UNHEALTHY",
                f"{command.symbol} has no healthy index price: only reduce-only orders",
            )
        status = self.status[command.symbol]
        if status.reduce_only(command.at) and not command.reduce_only:
            raise CommandRefused(
                "REDUCE_ONLY",
                f"{command.symbol} is reduce-only until {status.reduce_only_until:%H:%M:%S} UTC "
                f"({status.reason}): only orders that reduce a position",
            )
        lots = market.size_to_lots(command.size)
        limit_ticks = None
        if command.limit_price is not None:
            limit_ticks = market.price_to_ticks(command.limit_price)
        risk_price = self._risk_price(market, command)
        position = self.positions.get((command.account, command.symbol))
        self._require_one_leverage(command, position)
        self.ledger.open_accounts(accounts.trader_accounts(command.account, command.symbol))
        requirement = check_order(
            market,
            position,
            OrderRequest(
                _order_side(command.side),
                command.size,
                risk_price,
                command.leverage,
                command.reduce_only,
            ),
            self.ledger.balance(accounts.available(command.account)),
        )
        order_id = f"{command.symbol.split('-')[0]}-{self.sequence}"
        outcome.order_id = order_id
        if requirement.total:
            self._post(
                "reserve",
                [
                    (accounts.available(command.account), -requirement.total),
                    (accounts.order_margin(command.account, command.symbol), requirement.total),
                ],
            )
        self._orders[order_id] = meta = _OrderMeta(
            account=command.account,
            symbol=command.symbol,
            side=command.side,
            order_type=command.order_type,
            client_order_id=command.client_order_id,
            size_lots=lots,
            leverage=command.leverage,
            reduce_only=command.reduce_only,
            limit_price=command.limit_price,
            reserved=requirement.total,
            remaining_lots=lots,
            placed_at=command.at,
        )
        self._orders_of.setdefault((command.account, command.symbol), {})[order_id] = meta
        if command.reduce_only:
            self._reduce_only[(command.account, command.symbol)] += 1
        self._leverages.setdefault((command.account, command.symbol), Counter())[
            command.leverage
        ] += 1
        first_event = len(outcome.events)
        events = self.books[command.symbol].place(
            BookPlace(
                order_id=order_id,
                account_id=command.account,
                side=command.side,
                order_type=command.order_type,
                size=lots,
                at=command.at,
                limit_price=limit_ticks,
                time_in_force=command.time_in_force,
                client_order_id=command.client_order_id,
                min_quantity=market.size_to_lots(command.min_quantity),
                all_or_none=command.all_or_none,
                nbbo_protection=command.nbbo_protection,
                expires_at=command.expires_at,
            )
        )
        self._book_events(events, outcome)
        entered = OrderEntered(
            account=command.account,
            symbol=command.symbol,
            order_id=order_id,
            side=command.side,
            order_type=command.order_type.value,
            size=command.size,
            notional=command.size * risk_price // NOTIONAL_DIVISOR,
            at=command.at,
        )
        self._announce_entry(entered, first_event, outcome)
        self._balance_event(command.account, command.at, outcome)

    @staticmethod
    def _announce_entry(entered: OrderEntered, first_event: int, outcome: Outcome) -> None:
        """The order's entry goes ahead of its fills, unless the book refused it or it
        repeated a client order id (then it was never an order of its own)."""
        if outcome.order_id != entered.order_id:
            return
        for event in outcome.events[first_event:]:
            if (
                isinstance(event, OrderUpdated)
                and event.order_id == entered.order_id
                and event.status == "REJECTED"
            ):
                return
        outcome.events.insert(first_event, entered)

    def _require_one_leverage(self, command: SubmitOrder, position: Position | None) -> None:
        """One leverage per trader and market, for the position and every open order: two
        resting orders at different leverage could otherwise both fill into one position."""
        used = set(self._leverages.get((command.account, command.symbol), ()))
        if position is not None:
            used.add(position.leverage)
        if used and used != {command.leverage}:
            current = ", ".join(f"{leverage}x" for leverage in sorted(used))
            raise CommandRefused(
                "LEVERAGE_NOT_ALLOWED",
                f"your position and orders in {command.symbol} use {current}: "
                "close or cancel them to change leverage",
            )

    def _risk_price(self, market: MarketConfig, command: SubmitOrder) -> int:
        """The price margin is reserved at: the limit, else where the reference says the
        order will trade, rounded up to a tick (more margin, never less)."""
        if command.limit_price is not None:
            return command.limit_price
        prices = self.prices[command.symbol]
        reference = {
            OrderType.PEG_BID: prices.bid,
            OrderType.PEG_ASK: prices.ask,
        }.get(command.order_type)
        if reference is None:
            reference = prices.ask if command.side is Side.BUY else prices.bid
        if reference is None:
            raise CommandRefused("NO_REFERENCE_PRICE", f"{market.symbol} has no reference price")
        return -(-reference // market.tick_size) * market.tick_size

    def _cancel(self, command: CancelOrder, outcome: Outcome) -> None:
        book = self._book(command.symbol)
        meta = self._orders.get(command.order_id)
        if meta is None or meta.account != command.account:
            raise CommandRefused("ORDER_NOT_FOUND", "no open order with that id")
        self._book_events(
            book.cancel(BookCancel(command.order_id, command.account, command.at)), outcome
        )

    def _amend(self, command: AmendOrder, outcome: Outcome) -> None:
        book = self._book(command.symbol)
        market = self._market(command.symbol)
        meta = self._orders.get(command.order_id)
        if meta is None or meta.account != command.account:
            raise CommandRefused("ORDER_NOT_FOUND", "no open order with that id")
        new_lots = market.size_to_lots(command.new_size)
        self._book_events(
            book.amend(BookAmend(command.order_id, command.account, new_lots, command.at)),
            outcome,
        )

    def _close_position(self, command: ClosePosition, outcome: Outcome) -> None:
        position = self.positions.get((command.account, command.symbol))
        if position is None:
            raise CommandRefused("NO_POSITION", f"no open position in {command.symbol}")
        side = Side.SELL if position.side.value == "LONG" else Side.BUY
        self._submit(
            SubmitOrder(
                account=command.account,
                symbol=command.symbol,
                side=side,
                order_type=OrderType.MARKET,
                size=position.size,
                leverage=position.leverage,
                at=command.at,
                time_in_force=TimeInForce.IOC,
                reduce_only=True,
            ),
            outcome,
        )

    def _adjust_margin(self, command: AdjustMargin, outcome: Outcome) -> None:
        key = (command.account, command.symbol)
        position = self.positions.get(key)
        if position is None:
            raise CommandRefused("NO_POSITION", f"no open position in {command.symbol}")
        available = accounts.available(command.account)
        collateral = accounts.collateral(command.account, command.symbol)
        if command.amount > 0:
            self._set_position(*key, add_margin(position, command.amount))
            self._post("add_margin", [(available, -command.amount), (collateral, command.amount)])
        else:
            mark = self.prices[command.symbol].mark
            if mark is None:
                raise CommandRefused("NO_REFERENCE_PRICE", "no mark price to check margin at")
            self._set_position(*key, remove_margin(position, -command.amount, mark))
            self._post(
                "remove_margin", [(collateral, command.amount), (available, -command.amount)]
            )
        self._position_event(command.account, command.symbol, command.at, outcome)
        self._balance_event(command.account, command.at, outcome)

    # --- prices -----------------------------------------------------------------------

    def _update_prices(self, command: UpdatePrices, outcome: Outcome) -> None:
        market = self._market(command.symbol)
        self.prices[command.symbol] = _MarketPrices(
            command.index, command.mark, command.bid, command.ask, command.healthy
        )
        bid = None if command.bid is None else command.bid // market.tick_size
        ask = None if command.ask is None else -(-command.ask // market.tick_size)
        if not command.healthy or self.current_pause(command.at) >= PAUSE_TRADING:
            bid = ask = None  # no execution on a disputed price, nor while trading is paused
        events = self.books[command.symbol].reprice(ReferencePrices(bid, ask), command.at)
        self._book_events(events, outcome)
        if command.healthy and command.mark is not None and command.index is not None:
            self._accrue_funding(command.symbol, command.mark, command.index, command.at, outcome)
            self._watch_price_move(command.symbol, command.mark, command.at, outcome)
            self._fire_tp_sl(command.symbol, command.mark, command.at, outcome)

    # --- book events ------------------------------------------------------------------

    def _book_events(self, events: list[BookEvent], outcome: Outcome) -> None:
        """Apply what the book did. The book has already changed, so nothing here may be
        refused: a failure is a broken invariant, and the engine stops rather than guess."""
        try:
            self._apply_book_events(events, outcome)
            while self._resized:
                account, symbol = self._resized.pop()
                self._shrink_reduce_only(account, symbol, outcome)
        except (CancelOrAmendRefused, InvariantBroken):
            raise
        except DomainError as error:
            raise InvariantBroken(f"could not apply book events: {error.message}") from error

    def _apply_book_events(self, events: list[BookEvent], outcome: Outcome) -> None:
        for event in events:
            if isinstance(event, TradeExecuted):
                self._settle_trade(event, outcome)
            elif isinstance(event, OrderRested | OrderAccepted):
                meta = self._orders.get(event.order_id)
                if meta is not None and isinstance(event, OrderRested):
                    self._order_event(event.order_id, meta, "OPEN", None, event.at, outcome)
            elif isinstance(event, OrderCancelled | OrderExpired | OrderRejected):
                self._order_closed(event, outcome)
            elif isinstance(event, OrderAmended):
                self._order_amended(event, outcome)
            elif isinstance(event, DuplicateClientOrderId):
                self._release(event.order_id, outcome, event.at)
                self._forget(event.order_id)
                outcome.order_id = event.existing_order_id
            elif isinstance(event, CancelRejected | AmendRejected):
                raise CancelOrAmendRefused(event.code.value, event.message)
            elif isinstance(event, OrderFilled | OrderPartiallyFilled):
                continue  # trade settlement already handled both sides

    def _order_closed(
        self, event: OrderCancelled | OrderExpired | OrderRejected, outcome: Outcome
    ) -> None:
        meta = self._orders.get(event.order_id)
        if meta is None:
            return
        if isinstance(event, OrderRejected):
            status, reason = "REJECTED", event.code.value
        elif isinstance(event, OrderExpired):
            status, reason = "EXPIRED", "EXPIRED"
        else:
            status, reason = "CANCELLED", event.reason.value
        meta.remaining_lots = 0
        self._release(event.order_id, outcome, event.at)
        self._order_event(event.order_id, meta, status, reason, event.at, outcome)
        self._forget(event.order_id)
        if isinstance(event, OrderRejected) and outcome.order_id == event.order_id:
            outcome.accepted = False
            outcome.code = event.code.value
            outcome.message = event.message

    def _order_amended(self, event: OrderAmended, outcome: Outcome) -> None:
        meta = self._orders.get(event.order_id)
        if meta is None:
            return
        new_remaining = event.size - meta.filled_lots
        freed = meta.reserved - meta.reserved * new_remaining // max(meta.remaining_lots, 1)
        meta.size_lots = event.size
        meta.remaining_lots = new_remaining
        if freed > 0:
            meta.reserved -= freed
            self._post(
                "release",
                [
                    (accounts.order_margin(meta.account, meta.symbol), -freed),
                    (accounts.available(meta.account), freed),
                ],
            )
        self._order_event(event.order_id, meta, "OPEN", "AMENDED", event.at, outcome)
        self._balance_event(meta.account, event.at, outcome)

    def _release(self, order_id: str, outcome: Outcome, at: datetime) -> None:
        meta = self._orders.get(order_id)
        if meta is None or meta.reserved == 0:
            return
        amount, meta.reserved = meta.reserved, 0
        self._post(
            "release",
            [
                (accounts.order_margin(meta.account, meta.symbol), -amount),
                (accounts.available(meta.account), amount),
            ],
        )
        self._balance_event(meta.account, at, outcome)

    # --- settlement of a trade --------------------------------------------------------

    def _settle_trade(self, trade: TradeExecuted, outcome: Outcome) -> None:
        market = self.markets[trade.symbol]
        price = market.ticks_to_price(trade.price)
        size = market.lots_to_size(trade.size)
        fees = trade_fees(market, price, size)
        # The taker first: its fee funds the maker's rebate.
        self._settle_side(
            trade, trade.taker_order_id, price, size, fees.taker_fee, "TAKER", outcome
        )
        self._settle_side(
            trade, trade.maker_order_id, price, size, fees.maker_fee, "MAKER", outcome
        )
        self._watch_volume(trade.symbol, price * size // 10**12, trade.at, outcome)
        # The reference quote the book matched against (UpdatePrices stores it before
        # repricing), so the stats compare each trade with the quote of its own instant.
        reference = self.prices[trade.symbol]
        printed = TradePrinted(
            trade.trade_id,
            trade.symbol,
            price,
            size,
            trade.aggressor_side,
            trade.at,
            reference_bid=reference.bid if reference.healthy else None,
            reference_ask=reference.ask if reference.healthy else None,
        )
        self.tape[trade.symbol].append(printed)
        outcome.events.append(printed)

    def _settle_side(
        self,
        trade: TradeExecuted,
        order_id: str,
        price: int,
        size: int,
        fee: int,
        liquidity: str,
        outcome: Outcome,
    ) -> None:
        meta = self._orders[order_id]
        account, symbol = meta.account, meta.symbol
        lots = trade.size
        share = (
            meta.reserved
            if lots >= meta.remaining_lots
            else (meta.reserved * lots // meta.remaining_lots)
        )
        meta.reserved -= share
        meta.remaining_lots -= lots
        meta.filled_lots += lots
        result = self._fill_position(
            account, symbol, meta.side, size, price, meta.leverage, share, fee
        )
        fill = OrderFill(
            account,
            symbol,
            order_id,
            trade.trade_id,
            meta.side,
            price,
            size,
            fee,
            liquidity,
            result.realised_pnl,
            trade.at,
        )
        self._remember_fill(fill)
        outcome.events.append(fill)
        status = "FILLED" if meta.remaining_lots == 0 else "PARTIALLY_FILLED"
        self._order_event(order_id, meta, status, None, trade.at, outcome)
        if meta.remaining_lots == 0:
            self._release(order_id, outcome, trade.at)
            self._forget(order_id)
        self._position_event(account, symbol, trade.at, outcome)
        self._balance_event(account, trade.at, outcome)

    def _fill_position(
        self,
        account: str,
        symbol: str,
        side: Side,
        size: int,
        price: int,
        leverage: int,
        share: int,
        fee: int,
    ) -> FillOutcome:
        """Apply one side of a trade to the trader's position and post its money."""
        before = self.positions.get((account, symbol))
        # Placement keeps one leverage per trader and market; should a position still
        # differ, an increase takes the position's leverage rather than fail mid-trade.
        if before is not None and before.side is _order_side(side).position_side:
            leverage = before.leverage
        result = apply_fill(before, Fill(account, symbol, _order_side(side), size, price, leverage))
        legs, funded_margin = self._fill_legs(account, symbol, before, result, share, fee)
        position = result.position
        if position is not None and funded_margin < result.margin_posted:
            # Only an order whose reservation no longer covers what it opens gets here;
            # the position opens on what could be funded and the monitor watches it.
            position = _with_collateral(
                position, position.collateral - (result.margin_posted - funded_margin)
            )
        self._set_position(account, symbol, position)
        self._post("fill", legs)
        self._cover_bad_debt(symbol, result.bad_debt)
        return result

    def _fill_legs(
        self,
        account: str,
        symbol: str,
        before: Position | None,
        result: FillOutcome,
        share: int,
        fee: int,
    ) -> tuple[list[tuple[AccountKey, int]], int]:
        """The ledger legs of one side of a fill, and the opening margin actually funded.

        The order's reserved share pays the opening margin and a fee; what it lacks comes
        from the available balance; what it has left goes back there. Collateral released
        by a reduction returns to available with its PnL, through the market's settlement
        account, which is where the other side's PnL comes from.
        """
        available = accounts.available(account)
        locked = accounts.order_margin(account, symbol)
        collateral = accounts.collateral(account, symbol)
        new_collateral = 0 if result.position is None else result.position.collateral
        old_collateral = 0 if before is None else before.collateral
        released = old_collateral - (new_collateral - result.margin_posted)
        funds = share + self.ledger.balance(available) + result.returned_to_available
        # A fill cannot fail once the book has made it: a fee the trader cannot pay is
        # waived, a rebate the fee account cannot pay is capped.
        charge = min(max(fee, 0), funds)
        rebate = min(max(-fee, 0), self.ledger.balance(accounts.FEES))
        funded_margin = min(result.margin_posted, funds - charge)
        needed = funded_margin + charge
        legs: list[tuple[AccountKey, int]] = [
            (locked, -share),
            (available, share - needed + result.returned_to_available + rebate),
            (collateral, funded_margin - released),
            (accounts.settlement(symbol), released - result.returned_to_available),
            (accounts.FEES, charge - rebate),
        ]
        return [(key, amount) for key, amount in legs if amount != 0], funded_margin

    def _cover_bad_debt(self, symbol: str, bad_debt: int) -> None:
        if bad_debt <= 0:
            return
        covered = min(bad_debt, self.ledger.balance(accounts.INSURANCE_FUND))
        if covered > 0:
            self.bad_debt_covered += covered
            self._post(
                "bad_debt",
                [(accounts.INSURANCE_FUND, -covered), (accounts.settlement(symbol), covered)],
            )

    # --- emergency pause --------------------------------------------------------------

    def current_pause(self, now: datetime) -> int:
        if self.pause_until is not None and now >= self.pause_until:
            return 0
        return self.pause_level

    def _set_pause(self, command: SetEmergencyPause, outcome: Outcome) -> None:
        if not 0 <= command.level <= PAUSE_EVERYTHING:
            raise CommandRefused("INVALID_PAUSE_LEVEL", "the pause level is 0 to 4")
        resume = PAUSE_AUTO_RESUME.get(command.level)
        self.pause_level = command.level
        self.pause_until = None if resume is None else command.at + resume
        outcome.events.append(
            EmergencyPauseChanged(command.level, command.reason, self.pause_until, command.at)
        )

    def _require_not_paused(self, command: Command) -> None:
        """What each level stops. Prices keep flowing so the venue resumes on fresh ones;
        cancels stay open below level 3 so traders can take risk off."""
        level = self.current_pause(command.at)
        # ConfigureMarket passes at every level: operators may have to fix a market (its
        # fees, limits, or closing it) precisely while the venue is paused.
        # Player protection only ever makes play safer: never stopped.
        if level == 0 or isinstance(
            command,
            SetEmergencyPause
            | UpdatePrices
            | ConfigureMarket
            | SetProtectionLimit
            | StartCoolOff
            | SelfExclude
            | AcknowledgeRealityCheck
            | RecordLimitPromptSeen,
        ):
            return
        stopped = (
            (
                level >= PAUSE_NEW_ORDERS
                and isinstance(
                    command,
                    SubmitOrder
                    | SetTpSl
                    | PlaceFlashBet
                    | OpenFlashMarket
                    | PlaceMicroBet
                    | OpenMicroSession
                    | OpenMicroMarket,
                )
            )
            or (
                level >= PAUSE_TRADING
                and isinstance(command, ClosePosition | SweepLiquidations | AdjustMargin)
            )
            # The insurance fund's withdrawal is a withdrawal: it stops only at level 4.
            or (
                level >= PAUSE_ALL_BUT_WITHDRAWALS
                and not isinstance(command, Withdraw | WithdrawInsuranceFund | CloseMicroSession)
            )
            or level >= PAUSE_EVERYTHING
        )
        if stopped:
            raise CommandRefused(
                "VENUE_PAUSED", f"the venue is paused at level {level}: try again later"
            )

    # --- take-profit and stop-loss -----------------------------------------------------

    def _set_tp_sl(self, command: SetTpSl, outcome: Outcome) -> None:
        key = (command.account, command.symbol)
        market = self._market(command.symbol)
        position = self.positions.get(key)
        if position is None:
            raise CommandRefused("NO_POSITION", f"no open position in {command.symbol}")
        mark = self.prices[command.symbol].mark
        long = position.side.value == "LONG"
        for name, trigger, above in (
            ("take-profit", command.take_profit, long),
            ("stop-loss", command.stop_loss, not long),
        ):
            if trigger is None:
                continue
            market.require_valid_price(trigger)
            if mark is not None and (trigger <= mark if above else trigger >= mark):
                side = "above" if above else "below"
                raise CommandRefused(
                    "INVALID_TRIGGER",
                    f"the {name} of a {position.side.value.lower()} must be {side} the mark price",
                )
        if command.take_profit is None and command.stop_loss is None:
            self.tp_sl.pop(key, None)
        else:
            self.tp_sl[key] = (command.take_profit, command.stop_loss)
        self._position_event(command.account, command.symbol, command.at, outcome)

    def _fire_tp_sl(self, symbol: str, mark: int, at: datetime, outcome: Outcome) -> None:
        if self.current_pause(at) >= PAUSE_TRADING:
            return
        for (account, market), (take_profit, stop_loss) in list(self.tp_sl.items()):
            if market != symbol:
                continue
            position = self.positions.get((account, symbol))
            if position is None:
                del self.tp_sl[(account, symbol)]
                continue
            long = position.side.value == "LONG"
            hit_profit = take_profit is not None and (
                mark >= take_profit if long else mark <= take_profit
            )
            hit_loss = stop_loss is not None and (mark <= stop_loss if long else mark >= stop_loss)
            if hit_profit or hit_loss:
                del self.tp_sl[(account, symbol)]
                try:
                    self._close_position(ClosePosition(account, symbol, at), outcome)
                except CommandRefused:
                    continue  # no price to close at: the trigger is spent, the position stays

    # --- circuit breakers -------------------------------------------------------------

    def _watch_price_move(self, symbol: str, mark: int, at: datetime, outcome: Outcome) -> None:
        marks = self._activity[symbol].marks
        marks.append((at, mark))
        while marks and at - marks[0][0] > BREAKER_MOVE_WINDOW:
            marks.popleft()
        low = min(price for _, price in marks)
        high = max(price for _, price in marks)
        if (high - low) * 10_000 > BREAKER_MOVE_BPS * low:
            marks.clear()  # one trip per move, not one per tick of it
            self._trip(symbol, "PRICE_MOVE", at, outcome)

    def _watch_volume(self, symbol: str, notional: int, at: datetime, outcome: Outcome) -> None:
        activity = self._activity[symbol]
        minute = at.replace(second=0, microsecond=0)
        if activity.minute_start != minute:
            if activity.minute_start is not None:
                activity.past_minutes.append(activity.minute_volume)
            activity.minute_start, activity.minute_volume = minute, 0
        activity.minute_volume += notional
        history = activity.past_minutes
        if len(history) < BREAKER_VOLUME_MIN_HISTORY_MINUTES:
            return
        normal = sum(history) // len(history)
        spike = normal > 0 and activity.minute_volume > BREAKER_VOLUME_MULTIPLE * normal
        if spike and not self.status[symbol].reduce_only(at):
            self._trip(symbol, "VOLUME_SPIKE", at, outcome)

    def _trip(self, symbol: str, reason: str, at: datetime, outcome: Outcome) -> None:
        until = at + BREAKER_DURATION
        self.status[symbol] = MarketStatus(until, reason)
        outcome.events.append(MarketStatusChanged(symbol, "REDUCE_ONLY", reason, until, at))

    # --- funding ----------------------------------------------------------------------

    def _accrue_funding(
        self, symbol: str, mark: int, index: int, at: datetime, outcome: Outcome
    ) -> None:
        accumulator = self.funding.get(symbol)
        if accumulator is None:
            accumulator = self.funding[symbol] = FundingAccumulator.starting(symbol, at)
        if at >= accumulator.funding_time:
            self._pay_funding(symbol, accumulator, mark, outcome)
            accumulator = self.funding[symbol] = FundingAccumulator.starting(symbol, at)
        accumulator.record(mark, index, at)

    def _pay_funding(
        self, symbol: str, accumulator: FundingAccumulator, mark: int, outcome: Outcome
    ) -> None:
        hourly = accumulator.close(accumulator.funding_time)
        holders = [(key, p) for key, p in self.positions.items() if key[1] == symbol]
        settlement = funding_payments(
            [FundingPosition(p.account, p.side, p.size) for _, p in holders], mark, hourly.rate
        )
        legs: list[tuple[AccountKey, int]] = []
        for ((account, _), position), payment in zip(holders, settlement.payments, strict=True):
            if payment:
                legs.append((accounts.collateral(account, symbol), payment))
                self._set_position(account, symbol, apply_funding(position, payment))
        if settlement.residue:
            legs.append((accounts.INSURANCE_FUND, settlement.residue))
            self.insurance_contributions += settlement.residue
        # Collateral cannot go below zero in the ledger: a payer short of collateral pays
        # what it has, and the rest is covered like bad debt.
        self._post_funding(symbol, legs)
        paid = FundingPaid(symbol, hourly.rate, settlement.total_paid, hourly.funding_time)
        self.funding_history[symbol].append(paid)
        outcome.events.append(paid)
        for (account, _), _position in holders:
            self._position_event(account, symbol, hourly.funding_time, outcome)

    def _post_funding(self, symbol: str, legs: list[tuple[AccountKey, int]]) -> None:
        shortfall = 0
        adjusted: list[tuple[AccountKey, int]] = []
        for key, amount in legs:
            if amount < 0 and key != accounts.INSURANCE_FUND:
                payable = min(-amount, self.ledger.balance(key))
                shortfall += -amount - payable
                amount = -payable
            adjusted.append((key, amount))
        if shortfall:
            adjusted.append(
                (
                    accounts.INSURANCE_FUND,
                    -min(shortfall, self.ledger.balance(accounts.INSURANCE_FUND)),
                )
            )
            adjusted.append(
                (
                    accounts.settlement(symbol),
                    -(shortfall - min(shortfall, self.ledger.balance(accounts.INSURANCE_FUND))),
                )
            )
        self._post("funding", adjusted)

    # --- liquidation ------------------------------------------------------------------

    def _sweep_liquidations(self, command: SweepLiquidations, outcome: Outcome) -> None:
        for symbol in self.markets:
            prices = self.prices[symbol]
            # No liquidation on a price the venues do not agree on.
            if not prices.healthy or prices.mark is None:
                continue
            swept = self.monitor.market(symbol).sweep(prices.mark)
            for position in swept.liquidatable:
                self.liquidation_queue.push(QueuedLiquidation.of(position, prices.mark))
            for position in swept.warnings:
                ratio = margin_ratio(position, prices.mark)
                outcome.events.append(
                    MarginCall(position.account, symbol, int(ratio * 10_000), command.at)
                )
        for queued in self.liquidation_queue.pop_batch(command.at):
            symbol, account = queued.position_id.split(":", 1)
            try:
                self._liquidate(account, symbol, command.at, outcome)
            except CommandRefused:
                # The closing order could not even be placed (no reference price): the
                # position stays in the monitor and the next sweep tries again.
                continue

    def _liquidate(self, account: str, symbol: str, at: datetime, outcome: Outcome) -> None:
        position = self.positions.get((account, symbol))
        mark = self.prices[symbol].mark
        if position is None or mark is None:
            return
        market = self.markets[symbol]
        verdict = assess(position, mark, market.step_size)
        if not isinstance(verdict, Liquidate):
            return
        for order_id in list(self._orders_of.get((account, symbol), {})):
            self._book_events(self.books[symbol].cancel(BookCancel(order_id, account, at)), outcome)
        if self._insurance_cannot_cover(position, mark):
            self._auto_deleverage(position, mark, at, outcome)
            return
        side = Side.SELL if position.side.value == "LONG" else Side.BUY
        before = len(outcome.events)
        available = accounts.available(account)
        available_before = self.ledger.balance(available)
        self._submit(
            SubmitOrder(
                account,
                symbol,
                side,
                OrderType.MARKET,
                verdict.size,
                position.leverage,
                at,
                time_in_force=TimeInForce.IOC,
                reduce_only=True,
            ),
            outcome,
        )
        filled = sum(
            e.size
            for e in outcome.events[before:]
            if isinstance(e, OrderFill) and e.account == account
        )
        if filled:
            returned = max(0, self.ledger.balance(available) - available_before)
            self._charge_liquidation_fee(account, mark, filled, returned)
            remaining = self.positions.get((account, symbol))
            if remaining is not None:
                # The next time it falls below maintenance, it is liquidated in full.
                self._set_position(account, symbol, replace(remaining, partially_liquidated=True))
            else:
                # A full liquidation's remaining collateral goes to the insurance fund.
                forfeited = self.ledger.balance(available) - available_before
                if forfeited > 0:
                    self.insurance_contributions += forfeited
                    self._post(
                        "liquidation_remainder",
                        [(available, -forfeited), (accounts.INSURANCE_FUND, forfeited)],
                    )
            outcome.events.append(PositionLiquidated(symbol, position.side.value, filled, mark, at))

    def _insurance_cannot_cover(self, position: Position, mark: int) -> bool:
        """A position already past bankruptcy whose loss the fund could not pay."""
        shortfall = -scaled_equity(position, mark) // NOTIONAL_DIVISOR
        return shortfall > 0 and shortfall > self.ledger.balance(accounts.INSURANCE_FUND)

    def _auto_deleverage(
        self, position: Position, mark: int, at: datetime, outcome: Outcome
    ) -> None:
        """Close the bankrupt position at its bankruptcy price against the most profitable
        opposite positions (docs/perps.md, "Auto-deleveraging"): they give up the part of
        their profit beyond that price, the bankrupt trader loses exactly the collateral,
        and no fee is charged. A market whose opposite side is too small goes reduce-only."""
        symbol = position.symbol
        opposite = [p for (_, s), p in self.positions.items() if s == symbol]
        plan = plan_auto_deleverage(position, opposite, mark)
        closing = Side.SELL if position.side.value == "LONG" else Side.BUY
        closed = position.size - plan.unfilled_size
        if closed > 0:
            self._fill_position(
                position.account,
                symbol,
                closing,
                closed,
                plan.bankruptcy_price,
                position.leverage,
                0,
                0,
            )
        for fill in plan.fills:
            counterparty = self.positions[(fill.account, symbol)]
            self._fill_position(
                fill.account,
                symbol,
                closing.opposite,
                fill.size,
                fill.price,
                counterparty.leverage,
                0,
                0,
            )
            self._position_event(fill.account, symbol, at, outcome)
        self._position_event(position.account, symbol, at, outcome)
        outcome.events.append(
            PositionLiquidated(symbol, position.side.value, closed, mark, at, auto_deleveraged=True)
        )
        if plan.unfilled_size:
            self._trip(symbol, "AUTO_DELEVERAGE_SHORT", at, outcome)

    def _charge_liquidation_fee(self, account: str, mark: int, size: int, returned: int) -> None:
        """0.5 % of the closed notional (seed 004): 0.25 % to the insurance fund, the rest
        to the liquidator; never more than the closed part returned to the trader, so a
        liquidation never reaches into the rest of the account."""
        fee = min(fee_amount(mark, size, LIQUIDATION_FEE_BPS), returned)
        if fee <= 0:
            return
        to_liquidator = fee * (LIQUIDATION_FEE_BPS - INSURANCE_FUND_FEE_BPS) // LIQUIDATION_FEE_BPS
        self.ledger.open_accounts([accounts.LIQUIDATOR])
        self.insurance_contributions += fee - to_liquidator
        self._post(
            "liquidation_fee",
            [
                (accounts.available(account), -fee),
                (accounts.LIQUIDATOR, to_liquidator),
                (accounts.INSURANCE_FUND, fee - to_liquidator),
            ],
        )

    # --- helpers ----------------------------------------------------------------------

    def _shrink_reduce_only(self, account: str, symbol: str, outcome: Outcome) -> None:
        """Reduce-only orders may never add up to more than the position they reduce:
        the oldest keep their size, the newest are cut down or cancelled."""
        if not self._reduce_only[(account, symbol)]:
            return
        position = self.positions.get((account, symbol))
        market = self.markets[symbol]
        closing = None
        allowed = 0
        if position is not None:
            closing = Side.SELL if position.side.value == "LONG" else Side.BUY
            allowed = market.size_to_lots(position.size)
        book = self.books[symbol]
        at = self.now
        for order_id, meta in list(self._orders_of.get((account, symbol), {}).items()):
            if not meta.reduce_only:
                continue
            if meta.side is closing and meta.remaining_lots <= allowed:
                allowed -= meta.remaining_lots
                continue
            keep = allowed if meta.side is closing else 0
            allowed -= keep
            if keep == 0:
                events = book.cancel(BookCancel(order_id, account, at))
            else:
                events = book.amend(BookAmend(order_id, account, meta.filled_lots + keep, at))
            self._apply_book_events(events, outcome)

    def _remember_fill(self, fill: OrderFill) -> None:
        history = self.fills_of.get(fill.account)
        if history is None:
            history = self.fills_of[fill.account] = deque(maxlen=ACCOUNT_HISTORY_LENGTH)
        history.append(fill)

    def _remember_closed(self, update: OrderUpdated) -> None:
        history = self.closed_orders_of.get(update.account)
        if history is None:
            history = self.closed_orders_of[update.account] = deque(maxlen=ACCOUNT_HISTORY_LENGTH)
        history.append(update)

    def _forget(self, order_id: str) -> None:
        meta = self._orders.pop(order_id, None)
        if meta is not None:
            leverages = self._leverages[(meta.account, meta.symbol)]
            leverages[meta.leverage] -= 1
            if leverages[meta.leverage] == 0:
                del leverages[meta.leverage]
                if not leverages:
                    del self._leverages[(meta.account, meta.symbol)]
            if meta.reduce_only:
                self._reduce_only[(meta.account, meta.symbol)] -= 1
                if not self._reduce_only[(meta.account, meta.symbol)]:
                    del self._reduce_only[(meta.account, meta.symbol)]
            mine = self._orders_of.get((meta.account, meta.symbol))
            if mine is not None:
                mine.pop(order_id, None)
                if not mine:
                    del self._orders_of[(meta.account, meta.symbol)]

    def _set_position(self, account: str, symbol: str, position: Position | None) -> None:
        before = self.positions.get((account, symbol))
        if (0 if before is None else before.size) != (0 if position is None else position.size):
            self._resized.add((account, symbol))
        if position is None:
            self.positions.pop((account, symbol), None)
            self.tp_sl.pop((account, symbol), None)
            self.monitor.remove(symbol, account)
            self.liquidation_queue.discard(f"{symbol}:{account}")
        else:
            self.positions[(account, symbol)] = position
            self.monitor.upsert(position)

    def _post(self, kind: str, legs: list[tuple[AccountKey, int]]) -> None:
        self._entry_counter += 1
        self._post_keyed(f"engine:{self.sequence}:{self._entry_counter}", kind, legs)

    def _post_keyed(self, key: str, kind: str, legs: list[tuple[AccountKey, int]]) -> None:
        """One entry under the caller's idempotency key (micro-bets use their movements'
        references, unique by construction); `_post` numbers the command's entries."""
        moves = tuple(Leg(account, amount) for account, amount in legs if amount != 0)
        if not moves:
            return
        try:
            self.ledger.post(EntryRequest(key, kind, moves))
        except InsufficientFunds as shortfall:
            raise CommandRefused("INSUFFICIENT_FUNDS", shortfall.message) from None

    def _market(self, symbol: str) -> MarketConfig:
        market = self.markets.get(symbol)
        if market is None:
            raise CommandRefused("UNKNOWN_MARKET", f"no market {symbol[:40]!r}")
        if not market.is_active:
            raise CommandRefused("MARKET_CLOSED", f"{symbol} is not trading")
        return market

    def _book(self, symbol: str) -> OrderBook:
        self._market(symbol)
        return self.books[symbol]

    def _order_event(
        self,
        order_id: str,
        meta: _OrderMeta,
        status: str,
        reason: str | None,
        at: datetime,
        outcome: Outcome,
    ) -> OrderUpdated:
        market = self.markets[meta.symbol]
        update = OrderUpdated(
            account=meta.account,
            symbol=meta.symbol,
            order_id=order_id,
            client_order_id=meta.client_order_id,
            status=status,
            side=meta.side,
            order_type=meta.order_type.value,
            size=market.lots_to_size(meta.size_lots),
            filled=market.lots_to_size(meta.filled_lots),
            remaining=market.lots_to_size(meta.remaining_lots),
            limit_price=meta.limit_price,
            reason=reason,
            at=at,
            placed_at=meta.placed_at,
        )
        outcome.events.append(update)
        if status in CLOSED_STATUSES:
            self._remember_closed(update)
        return update

    def _position_event(self, account: str, symbol: str, at: datetime, outcome: Outcome) -> None:
        position = self.positions.get((account, symbol))
        if position is None:
            outcome.events.append(PositionChanged(account, symbol, None, 0, 0, 0, 0, 0, at))
            return
        outcome.events.append(
            PositionChanged(
                account,
                symbol,
                position.side.value,
                position.size,
                position.entry_price,
                position.collateral,
                position.leverage,
                position.realised_pnl,
                at,
            )
        )

    def _balance_event(self, account: str, at: datetime, outcome: Outcome) -> None:
        key = accounts.available(account)
        if self.ledger.has_account(key):
            outcome.events.append(BalanceChanged(account, self.ledger.balance(key), at))

    # --- queries for the API (the engine's own view; never the book's depth) -----------

    def open_orders(self, account: str) -> list[OrderUpdated]:
        """The account's open orders, as the order updates it would be sent."""
        views = []
        mine = [
            (order_id, meta)
            for (owner, _), orders in self._orders_of.items()
            if owner == account
            for order_id, meta in orders.items()
        ]
        for order_id, meta in sorted(mine, key=lambda item: item[1].placed_at):
            if meta.remaining_lots > 0:
                status = "PARTIALLY_FILLED" if meta.filled_lots else "OPEN"
                probe = Outcome(self.sequence)
                self._order_event(order_id, meta, status, None, meta.placed_at, probe)
                views.append(probe.events[0])
        return [view for view in views if isinstance(view, OrderUpdated)]

    def insurance_fund(self) -> InsuranceFundHealth:
        total_open_interest = 0
        for symbol in self.markets:
            mark = self.prices[symbol].mark
            if mark is not None:
                holders = [p for (_, s), p in self.positions.items() if s == symbol]
                total_open_interest += open_interest(holders, mark)
        return insurance_fund_health(
            self.ledger.balance(accounts.INSURANCE_FUND),
            total_open_interest,
            self.insurance_contributions,
            self.bad_debt_covered,
        )

    def market_open_interest(self, symbol: str) -> int:
        mark = self.prices[symbol].mark
        holders = [p for (_, s), p in self.positions.items() if s == symbol]
        return 0 if mark is None else open_interest(holders, mark)

    def positions_of(self, account: str) -> list[Position]:
        return [p for (owner, _), p in self.positions.items() if owner == account]

    # --- player protection and micro-bets, for the resolvers ---------------------------

    def protection_status(self, account: str, at: datetime) -> ProtectionStatus:
        return self.protection.status(account, at)

    def reality_check(self, account: str, at: datetime) -> RealityCheck | None:
        return self.protection.reality_check(account, at)

    def micro_session(self, account: str, session_id: str) -> MicroSession | None:
        """The account's session (None for another account's)."""
        return self.micro.session(account, session_id)

    def micro_sessions_of(self, account: str) -> list[MicroSession]:
        return self.micro.sessions_of(account)

    def micro_offers(self, at: datetime) -> list[MicroMarket]:
        """The listed micro markets taking bets at `at`, each with its outcomes and odds."""
        return self.micro.offers(at)

    def micro_bets_of(self, account: str) -> list[MicroBet]:
        return self.micro.bets_of(account)


def _order_side(side: Side) -> OrderSide:
    return OrderSide.BUY if side is Side.BUY else OrderSide.SELL


def _with_collateral(position: Position, collateral: int) -> Position:
    return replace(position, collateral=collateral)


def _market_config(command: ConfigureMarket) -> MarketConfig:
    """The command's market, or INVALID_MARKET_CONFIG naming the first thing wrong."""
    if not 0 < len(command.symbol) <= MAX_SYMBOL_LENGTH:
        raise CommandRefused(
            "INVALID_MARKET_CONFIG", f"a symbol is 1 to {MAX_SYMBOL_LENGTH} characters"
        )
    if not 0 < len(command.base_asset) <= MAX_BASE_ASSET_LENGTH:
        raise CommandRefused(
            "INVALID_MARKET_CONFIG", f"a base asset is 1 to {MAX_BASE_ASSET_LENGTH} characters"
        )
    try:
        return MarketConfig(
            symbol=command.symbol,
            base_asset=command.base_asset,
            tick_size=command.tick_size,
            step_size=command.step_size,
            min_order_size=command.min_order_size,
            max_order_size=command.max_order_size,
            max_leverage=command.max_leverage,
            maker_fee_bps=command.maker_fee_bps,
            taker_fee_bps=command.taker_fee_bps,
            is_active=command.is_active,
        )
    except ValueError as invalid:
        raise CommandRefused("INVALID_MARKET_CONFIG", f"{command.symbol}: {invalid}") from None


def _changes(before: MarketConfig, after: MarketConfig) -> tuple[str, ...]:
    changes = []
    if _fees(after) != _fees(before):
        changes.append(CHANGE_FEES)
    if _risk_parameters(after) != _risk_parameters(before):
        changes.append(CHANGE_RISK_PARAMETERS)
    return tuple(changes)


def _fees(market: MarketConfig) -> tuple[int, int]:
    return market.maker_fee_bps, market.taker_fee_bps


def _risk_parameters(market: MarketConfig) -> tuple[int | bool, ...]:
    return (
        market.tick_size,
        market.step_size,
        market.min_order_size,
        market.max_order_size,
        market.max_leverage,
        market.is_active,
    )


def _require_positive(amount: int) -> None:
    if amount <= 0:
        raise CommandRefused("INVALID_AMOUNT", "the amount must be greater than zero")


__all__ = ["CommandRefused", "Exchange", "InvariantBroken", "Liquidity", "Outcome"]
