"""An exchange with flash markets, micro offers and player protection, fed numbered commands
as its sequencer would, with the helpers the protection and micro-bet tests share."""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.flash.book import FlashLimits
from engine.flash.micro import MicroMarket, offers
from engine.flash.protection import ProtectionPolicy
from engine.flash.sessions import open_market_command
from engine.sim.street import StreetModel
from engine.trading import accounts
from engine.trading.commands import (
    Command,
    Deposit,
    FundFlashLiquidity,
    FundMicroHouse,
    OpenFlashMarket,
    OpenMicroSession,
    PlaceFlashBet,
    PlaceMicroBet,
    ResolveFlashMarket,
    SettleMicroMarket,
)
from engine.trading.events import FlashMarketOpened
from engine.trading.exchange import Exchange, Outcome
from tests.unit.trading.helpers import BTC, USDT
from tests.unit.trading.helpers import T0 as NOON

T0 = NOON  # a whole minute: every micro template's cycle starts here
OBSERVERS = ("observer-1", "observer-2", "observer-3")
HOUSE_FUNDS = 10_000 * USDT


class PlayVenue:
    def __init__(self, policy: ProtectionPolicy | None = None) -> None:
        limits = FlashLimits(market_loss_limit=100_000 * USDT, daily_loss_limit=1_000_000 * USDT)
        self.exchange = Exchange([BTC], limits, policy)
        self.commands: list[Command] = []
        self._markets = 0
        assert self.do(FundFlashLiquidity(1_000_000 * USDT, "lp-seed", T0)).accepted
        assert self.do(FundMicroHouse(HOUSE_FUNDS, "house-seed", T0)).accepted
        for name in ("alice", "bob"):
            assert self.do(Deposit(name, 10_000 * USDT, f"d-{name}", T0)).accepted

    def do(self, command: Command) -> Outcome:
        self.commands.append(command)
        return self.exchange.apply(self.exchange.sequence + 1, command)

    def balance(self, key: accounts.AccountKey) -> int:
        ledger = self.exchange.ledger
        return ledger.balance(key) if ledger.has_account(key) else 0

    def available(self, account: str) -> int:
        return self.balance(accounts.available(account))

    def total(self) -> int:
        """Every balance, WORLD's negative included: zero when nothing was created or lost."""
        return sum(self.exchange.ledger.balances().values())

    # --- flash ---------------------------------------------------------------------------

    def open_flash(self, at: datetime, seconds: int = 60) -> str:
        self._markets += 1
        outcome = self.do(
            OpenFlashMarket(
                "SOCCER",
                "game-1",
                "Northport United v Eastham Rovers",
                2,
                f"GOAL_IN_60S_{self._markets}",
                "Goal in the next 60 s?",
                ("NO", "YES"),
                (500_000, 500_000),
                at + timedelta(seconds=seconds),
                at,
                liquidity=1_000_000,
            )
        )
        assert outcome.accepted, (outcome.code, outcome.message)
        opened = outcome.events[0]
        assert isinstance(opened, FlashMarketOpened)
        return opened.market_id

    def flash_bet(
        self, account: str, market_id: str, outcome: str, usdt: float, at: datetime
    ) -> Outcome:
        return self.do(PlaceFlashBet(account, market_id, outcome, int(usdt * USDT), at))

    def resolve_flash(self, market_id: str, outcome: str, at: datetime) -> Outcome:
        return self.do(ResolveFlashMarket(market_id, outcome, "quorum-1", at))

    # --- micro ---------------------------------------------------------------------------

    def list_micro(self, at: datetime) -> dict[str, MicroMarket]:
        """The street's offers at `at`, listed in the engine, by template key."""
        listed = {}
        for market in offers(at, StreetModel()):
            assert self.do(open_market_command(market, at)).accepted
            listed[market.market_id.split(":")[1]] = market
        return listed

    def open_session(self, account: str, usdt: float, at: datetime) -> str:
        outcome = self.do(OpenMicroSession(account, int(usdt * USDT), at))
        assert outcome.accepted, (outcome.code, outcome.message)
        assert outcome.order_id is not None
        return outcome.order_id

    def micro_bet(
        self,
        account: str,
        session_id: str,
        market: MicroMarket,
        outcome: str,
        usdt: float,
        at: datetime,
    ) -> Outcome:
        return self.do(
            PlaceMicroBet(account, session_id, market.market_id, outcome, int(usdt * USDT), at)
        )

    def settle(self, market: MicroMarket, *reported: str | None) -> Outcome:
        return self.do(SettleMicroMarket(market.market_id, OBSERVERS, reported, market.closes_at))
