"""Micro-bets inside the trading engine's sequencer: the journaled offers, every pre-funded
session, and the ledger postings of their money (docs/micro-bets.md).

engine/flash/micro.py decides (odds, risk controls, consensus, what each bet returns) and
says which money moves as `Movement`s; this book turns each movement into one balanced
ledger entry whose idempotency key is the movement's reference, keeps the offers a bet can
refer to, and settles every session's bets on a market in the command that reports the
observers' verdict. The house account MICRO_HOUSE pays winnings and takes losing stakes; a
bet is refused unless the house can pay every open bet's winnings, so a settlement never
fails for want of money. Player protection is asked by the exchange before this book runs.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.errors import DomainError
from engine.flash.micro import (
    BetStatus,
    BetType,
    EventFilter,
    InvalidBet,
    InvalidMarket,
    MarketOutcome,
    MicroBet,
    MicroMarket,
    MicroSession,
    Movement,
    MovementKind,
    SessionPolicy,
    SessionStatus,
    Verdict,
    consensus,
)
from engine.ledger import AccountKey
from engine.ledger.memory import MemoryLedger
from engine.trading import accounts
from engine.trading.commands import (
    CloseMicroSession,
    OpenMicroMarket,
    OpenMicroSession,
    PlaceMicroBet,
    SettleMicroMarket,
)
from engine.trading.events import (
    EngineEvent,
    MicroBetPlaced,
    MicroBetSettled,
    MicroMarketListed,
    MicroMarketSettled,
    MicroSessionClosed,
    MicroSessionOpened,
)

SESSION_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
MAX_CLIENT_BET_ID_LENGTH = 64
MAX_OPEN_SESSIONS_PER_ACCOUNT = 5
MIN_OBSERVERS = 3  # seed 002 section 5.2: at least three independent observers
# A settled market, and a closed session with its bets, stay queryable this long.
MARKET_RETENTION = timedelta(minutes=15)
SESSION_RETENTION = timedelta(hours=24)
ACCOUNT_BET_HISTORY = 200

# (idempotency key, kind, legs): one ledger entry.
PostKeyed = Callable[[str, str, list[tuple[AccountKey, int]]], None]


class MicroRefused(DomainError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class _Listed:
    market: MicroMarket
    verdict: Verdict | None = None
    settled_at: datetime | None = None


class MicroBook:
    def __init__(
        self,
        ledger: MemoryLedger,
        post_keyed: PostKeyed,
        policy: SessionPolicy | None = None,
    ) -> None:
        self.ledger = ledger
        self._post = post_keyed
        self.policy = policy if policy is not None else SessionPolicy()
        self.markets: dict[str, _Listed] = {}
        self.sessions: dict[str, MicroSession] = {}
        # Every session id ever used: the ledger keys derive from it, so none may return.
        self._session_ids: set[str] = set()
        self._sessions_of: dict[str, list[str]] = {}
        # market -> sessions with open bets on it (ordered sets), for settlement.
        self._sessions_on: dict[str, dict[str, None]] = {}
        self._client_bets: dict[tuple[str, str], str] = {}
        self._bets_of: dict[str, deque[str]] = {}
        # What the house would pay if every open bet won: winnings beyond the stakes.
        self.house_exposure = 0

    # --- commands ------------------------------------------------------------------------

    def open_market(self, command: OpenMicroMarket) -> list[EngineEvent]:
        market = market_of(command)
        listed = self.markets.get(market.market_id)
        if listed is not None:
            if listed.market != market:
                raise MicroRefused("DUPLICATE_MICRO_MARKET", f"{market.market_id} is listed")
            return []  # the driver listed it again after a restart: nothing new
        self.markets[market.market_id] = _Listed(market)
        return [
            MicroMarketListed(
                market.market_id,
                market.bet_type.value,
                market.question,
                market.listed_at,
                market.opens_at,
                market.closes_at,
                tuple(o.label for o in market.outcomes),
                tuple(o.odds for o in market.outcomes),
                command.at,
            )
        ]

    def open_session(
        self, command: OpenMicroSession, default_id: str
    ) -> tuple[MicroSession, list[EngineEvent]]:
        """The new session; a retry with the same session id returns it and no events."""
        session_id = default_id if command.session_id is None else command.session_id
        if SESSION_ID_PATTERN.fullmatch(session_id) is None:
            raise MicroRefused("INVALID_SESSION", "a session id is 1-40 of A-Z a-z 0-9 _ -")
        if session_id in self._session_ids:
            existing = self.sessions.get(session_id)
            if (
                existing is not None
                and existing.account == command.account
                and existing.deposit == command.deposit
            ):
                return existing, []
            raise MicroRefused("IDEMPOTENCY_KEY_REUSED", f"session id {session_id!r} is taken")
        if len(self.open_sessions_of(command.account)) >= MAX_OPEN_SESSIONS_PER_ACCOUNT:
            raise MicroRefused(
                "TOO_MANY_SESSIONS", f"at most {MAX_OPEN_SESSIONS_PER_ACCOUNT} open sessions"
            )
        session, movements = MicroSession.open(
            command.account, command.deposit, command.at, self.policy, session_id
        )
        self._require_available(command.account, command.deposit)
        self.ledger.open_accounts(accounts.micro_session_accounts(session_id))
        self._post_all(session, movements)
        self.sessions[session_id] = session
        self._session_ids.add(session_id)
        self._sessions_of.setdefault(command.account, []).append(session_id)
        return session, [
            MicroSessionOpened(
                session_id,
                session.account,
                session.deposit,
                session.reserve,
                session.available,
                command.at,
            )
        ]

    def check_bet(self, command: PlaceMicroBet) -> tuple[MicroSession, MicroMarket]:
        """What a bet needs before protection and the session's own checks: its session and
        its market, both known, and the house able to pay it."""
        session = self.sessions.get(command.session_id)
        if session is None or session.account != command.account:
            raise MicroRefused("UNKNOWN_SESSION", f"no session {command.session_id[:40]!r}")
        listed = self.markets.get(command.market_id)
        if listed is None:
            raise MicroRefused(
                "UNKNOWN_MICRO_MARKET", f"no micro market {command.market_id[:80]!r}"
            )
        if listed.verdict is not None:
            raise MicroRefused("MARKET_CLOSED", f"{command.market_id} is settled")
        return session, listed.market

    def repeated_bet(self, command: PlaceMicroBet) -> MicroBet | None:
        client_id = command.client_bet_id
        if client_id is None:
            return None
        if not 0 < len(client_id) <= MAX_CLIENT_BET_ID_LENGTH:
            raise InvalidBet("a client bet id is 1 to 64 characters")
        bet_id = self._client_bets.get((command.session_id, client_id))
        session = self.sessions.get(command.session_id)
        if bet_id is None or session is None or session.account != command.account:
            return None
        bet = session.bets[bet_id]
        if (bet.market_id, bet.outcome, bet.stake) != (
            command.market_id,
            command.outcome,
            command.stake,
        ):
            raise MicroRefused(
                "IDEMPOTENCY_KEY_REUSED", f"client bet id {client_id!r} was used for another bet"
            )
        return bet

    def place_bet(
        self, command: PlaceMicroBet, session: MicroSession, market: MicroMarket
    ) -> tuple[MicroBet, list[EngineEvent]]:
        odds = market.odds_of(command.outcome)
        if odds is not None and isinstance(command.stake, int) and command.stake > 0:
            winnings = command.stake * odds // 100 - command.stake
            self.ledger.open_accounts([accounts.MICRO_HOUSE])
            house = self.ledger.balance(accounts.MICRO_HOUSE)
            if self.house_exposure + winnings > house:
                raise MicroRefused(
                    "LIMIT_REACHED", "the house cannot cover this bet now: try a smaller one"
                )
        bet, movements = session.place_bet(market, command.outcome, command.stake, command.at)
        # From here on nothing refuses: the session changed, the money follows.
        self._post_all(session, movements)
        self.house_exposure += bet.payout - bet.stake
        self._sessions_on.setdefault(market.market_id, {})[session.session_id] = None
        if command.client_bet_id is not None:
            self._client_bets[(session.session_id, command.client_bet_id)] = bet.bet_id
        history = self._bets_of.get(session.account)
        if history is None:
            history = self._bets_of[session.account] = deque(maxlen=ACCOUNT_BET_HISTORY)
        history.append(bet.bet_id)
        return bet, [
            MicroBetPlaced(
                session.session_id,
                session.account,
                bet.bet_id,
                bet.market_id,
                bet.outcome,
                bet.stake,
                bet.odds,
                bet.payout,
                session.available,
                command.client_bet_id,
                command.at,
            )
        ]

    def settle_market(self, command: SettleMicroMarket) -> tuple[list[MicroBet], list[EngineEvent]]:
        """Settle every session's open bets on the market from the observers' consensus.
        Returns the settled bets (for player protection) and the events."""
        listed = self.markets.get(command.market_id)
        if listed is None:
            raise MicroRefused(
                "UNKNOWN_MICRO_MARKET", f"no micro market {command.market_id[:80]!r}"
            )
        if listed.verdict is not None:
            raise MicroRefused("ALREADY_SETTLED", f"{command.market_id} is settled")
        if (
            len(command.observers) < MIN_OBSERVERS
            or len(command.observers) != len(command.reported)
            or len(set(command.observers)) != len(command.observers)
        ):
            raise MicroRefused(
                "INVALID_VERDICT", f"a verdict needs {MIN_OBSERVERS} or more distinct observers"
            )
        market = listed.market
        if command.at < market.closes_at:
            raise MicroRefused(
                "MARKET_OPEN", f"{market.market_id} is observed until {market.closes_at}"
            )
        labels = {o.label for o in market.outcomes}
        if any(r is not None and r not in labels for r in command.reported):
            raise MicroRefused("INVALID_VERDICT", "an observer reported an unknown outcome")
        verdict = consensus(dict(zip(command.observers, command.reported, strict=True)))
        listed.verdict, listed.settled_at = verdict, command.at
        settled: list[MicroBet] = []
        events: list[EngineEvent] = []
        for session_id in self._sessions_on.pop(market.market_id, {}):
            session = self.sessions[session_id]
            open_ids = [
                bet_id
                for bet_id, bet in session.bets.items()
                if bet.market_id == market.market_id and bet.status is BetStatus.OPEN
            ]
            self._post_all(session, session.settle(market.market_id, verdict, command.at))
            for bet_id in open_ids:
                bet = session.bets[bet_id]
                settled.append(bet)
                self.house_exposure -= bet.payout - bet.stake
                events.append(self._settled_event(session, bet, command.at))
        events.insert(
            0,
            MicroMarketSettled(
                market.market_id,
                verdict.outcome,
                command.observers,
                command.reported,
                len(settled),
                command.at,
            ),
        )
        return settled, events

    def close_session(
        self, command: CloseMicroSession
    ) -> tuple[MicroSession, list[MicroBet], list[EngineEvent]]:
        session = self.sessions.get(command.session_id)
        if session is None or session.account != command.account:
            raise MicroRefused("UNKNOWN_SESSION", f"no session {command.session_id[:40]!r}")
        return self._close(session, command.at)

    def close_all_of(self, account: str, at: datetime) -> tuple[list[MicroBet], list[EngineEvent]]:
        """Close every open session of the account (self-exclusion)."""
        voided: list[MicroBet] = []
        events: list[EngineEvent] = []
        for session in self.open_sessions_of(account):
            _, bets, closed = self._close(session, at)
            voided += bets
            events += closed
        return voided, events

    # --- reads ---------------------------------------------------------------------------

    def session(self, account: str, session_id: str) -> MicroSession | None:
        session = self.sessions.get(session_id)
        return session if session is not None and session.account == account else None

    def sessions_of(self, account: str) -> list[MicroSession]:
        """Newest first, closed ones still kept included."""
        ids = self._sessions_of.get(account, [])
        return [self.sessions[s] for s in reversed(ids) if s in self.sessions]

    def open_sessions_of(self, account: str) -> list[MicroSession]:
        return [s for s in self.sessions_of(account) if s.status is SessionStatus.OPEN]

    def offers(self, at: datetime) -> list[MicroMarket]:
        """Listed markets taking bets at `at`, in listing order."""
        return [
            listed.market
            for listed in self.markets.values()
            if listed.verdict is None and listed.market.is_open_for_bets(at)
        ]

    def market(self, market_id: str) -> MicroMarket | None:
        listed = self.markets.get(market_id)
        return None if listed is None else listed.market

    def verdict(self, market_id: str) -> Verdict | None:
        listed = self.markets.get(market_id)
        return None if listed is None else listed.verdict

    def unsettled(self) -> list[MicroMarket]:
        return [listed.market for listed in self.markets.values() if listed.verdict is None]

    def bets_of(self, account: str) -> list[MicroBet]:
        """The account's recent micro bets, newest first."""
        found: list[MicroBet] = []
        for bet_id in reversed(self._bets_of.get(account, ())):
            session = self.sessions.get(bet_id.rsplit(":", 1)[0])
            if session is not None and bet_id in session.bets:
                found.append(session.bets[bet_id])
        return found

    # --- upkeep --------------------------------------------------------------------------

    def forget_before(self, at: datetime) -> None:
        """Settled markets and closed sessions past their retention leave memory (session
        ids are remembered: the ledger keys derive from them)."""
        market_cutoff = at - MARKET_RETENTION
        for market_id in [
            m
            for m, listed in self.markets.items()
            if listed.settled_at is not None and listed.settled_at < market_cutoff
        ]:
            del self.markets[market_id]
        session_cutoff = at - SESSION_RETENTION
        old = [
            s
            for s in self.sessions.values()
            if s.closed_at is not None and s.closed_at < session_cutoff
        ]
        for session in old:
            del self.sessions[session.session_id]
            ids = self._sessions_of.get(session.account, [])
            if session.session_id in ids:
                ids.remove(session.session_id)
            if not ids:
                self._sessions_of.pop(session.account, None)
                self._bets_of.pop(session.account, None)
            for key in [k for k in self._client_bets if k[0] == session.session_id]:
                del self._client_bets[key]

    # --- snapshot ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "markets": [
                {
                    "market": listed.market.to_dict(),
                    "verdict": None
                    if listed.verdict is None
                    else {"outcome": listed.verdict.outcome},
                    "settled_at": None
                    if listed.settled_at is None
                    else listed.settled_at.isoformat(),
                }
                for listed in self.markets.values()
            ],
            "sessions": [session.to_dict() for session in self.sessions.values()],
            "session_ids": sorted(self._session_ids),
            "sessions_of": {a: list(ids) for a, ids in self._sessions_of.items()},
            "sessions_on": {m: list(ids) for m, ids in self._sessions_on.items()},
            "client_bets": [[s, c, b] for (s, c), b in self._client_bets.items()],
            "bets_of": {a: list(ids) for a, ids in self._bets_of.items()},
            "house_exposure": self.house_exposure,
        }

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        ledger: MemoryLedger,
        post_keyed: PostKeyed,
        policy: SessionPolicy | None = None,
    ) -> MicroBook:
        book = cls(ledger, post_keyed, policy)
        for plain in data["markets"]:
            verdict = plain["verdict"]
            settled_at = plain["settled_at"]
            market = MicroMarket.from_dict(plain["market"])
            book.markets[market.market_id] = _Listed(
                market,
                None if verdict is None else Verdict(verdict["outcome"]),
                None if settled_at is None else datetime.fromisoformat(settled_at),
            )
        for plain in data["sessions"]:
            session = MicroSession.from_dict(plain)
            book.sessions[session.session_id] = session
        book._session_ids = set(data["session_ids"])
        book._sessions_of = {a: list(ids) for a, ids in data["sessions_of"].items()}
        book._sessions_on = {m: dict.fromkeys(ids) for m, ids in data["sessions_on"].items()}
        book._client_bets = {(s, c): b for s, c, b in data["client_bets"]}
        book._bets_of = {
            a: deque(ids, maxlen=ACCOUNT_BET_HISTORY) for a, ids in data["bets_of"].items()
        }
        book.house_exposure = data["house_exposure"]
        return book

    # --- internals -----------------------------------------------------------------------

    def _close(
        self, session: MicroSession, at: datetime
    ) -> tuple[MicroSession, list[MicroBet], list[EngineEvent]]:
        open_bets = [b for b in session.bets.values() if b.status is BetStatus.OPEN]
        reserve, balance = session.reserve, session.available
        movements = session.close(at)
        self._post_all(session, movements)
        balance += sum(b.stake for b in open_bets)  # voided: refunded, then withdrawn
        events: list[EngineEvent] = []
        voided: list[MicroBet] = []
        for bet in open_bets:
            self.house_exposure -= bet.payout - bet.stake
            sessions = self._sessions_on.get(bet.market_id)
            if sessions is not None:
                sessions.pop(session.session_id, None)
                if not sessions:
                    del self._sessions_on[bet.market_id]
            voided.append(session.bets[bet.bet_id])
            events.append(self._settled_event(session, session.bets[bet.bet_id], at))
        for key in accounts.micro_session_accounts(session.session_id):
            self.ledger.close_account(key)  # all three are empty now
        events.append(MicroSessionClosed(session.session_id, session.account, reserve, balance, at))
        return session, voided, events

    def _settled_event(self, session: MicroSession, bet: MicroBet, at: datetime) -> EngineEvent:
        return MicroBetSettled(
            session.session_id,
            session.account,
            bet.bet_id,
            bet.market_id,
            bet.outcome,
            bet.status.value,
            bet.returned,
            session.available,
            at,
        )

    def _require_available(self, account: str, amount: int) -> None:
        key = accounts.available(account)
        held = self.ledger.balance(key) if self.ledger.has_account(key) else 0
        if held < amount:
            raise MicroRefused(
                "INSUFFICIENT_FUNDS", f"the deposit is {amount} micro-USDT; {held} available"
            )

    def _post_all(self, session: MicroSession, movements: list[Movement]) -> None:
        for movement in movements:
            source, target = _route(movement.kind, session)
            self._post(
                movement.reference,
                f"micro_{movement.kind.value}",
                [(source, -movement.amount), (target, movement.amount)],
            )


def _route(kind: MovementKind, session: MicroSession) -> tuple[AccountKey, AccountKey]:
    """Which account each movement leaves and which it enters (docs/micro-bets.md)."""
    sid = session.session_id
    wallet = accounts.available(session.account)
    routes = {
        MovementKind.RESERVE: (wallet, accounts.micro_reserve(sid)),
        MovementKind.FUND: (wallet, accounts.micro_balance(sid)),
        MovementKind.STAKE: (accounts.micro_balance(sid), accounts.micro_in_play(sid)),
        MovementKind.RETURN: (accounts.micro_in_play(sid), accounts.micro_balance(sid)),
        MovementKind.WINNINGS: (accounts.MICRO_HOUSE, accounts.micro_balance(sid)),
        MovementKind.LOSS: (accounts.micro_in_play(sid), accounts.MICRO_HOUSE),
        MovementKind.REFUND: (accounts.micro_in_play(sid), accounts.micro_balance(sid)),
        MovementKind.RELEASE: (accounts.micro_reserve(sid), wallet),
        MovementKind.WITHDRAW: (accounts.micro_balance(sid), wallet),
    }
    return routes[kind]


def market_of(command: OpenMicroMarket) -> MicroMarket:
    """The offer a command lists; INVALID_MARKET names what is wrong."""
    try:
        outcomes = tuple(
            MarketOutcome(label, float(p), int(odds))
            for label, p, odds in zip(
                command.outcome_labels, command.probabilities, command.odds, strict=True
            )
        )
        return MicroMarket(
            command.market_id,
            BetType(command.bet_type),
            command.question,
            command.listed_at,
            command.opens_at,
            command.closes_at,
            EventFilter.from_dict(
                {
                    "kinds": list(command.subject_kinds),
                    "colour": command.subject_colour,
                    "direction": command.subject_direction,
                }
            ),
            outcomes,
            command.cuts,
            command.sequence,
            command.sequence_attribute,
            command.margin_bps,
        )
    except (ValueError, TypeError) as invalid:
        raise InvalidMarket(f"{command.market_id[:80]}: {invalid}") from None


def open_market_command(market: MicroMarket, at: datetime) -> OpenMicroMarket:
    """The command that lists `market` (what the street driver submits)."""
    subject = market.subject
    return OpenMicroMarket(
        market_id=market.market_id,
        bet_type=market.bet_type.value,
        question=market.question,
        listed_at=market.listed_at,
        opens_at=market.opens_at,
        closes_at=market.closes_at,
        subject_kinds=tuple(kind.value for kind in subject.kinds),
        subject_colour=None if subject.colour is None else subject.colour.value,
        subject_direction=None if subject.direction is None else subject.direction.value,
        outcome_labels=tuple(o.label for o in market.outcomes),
        probabilities=tuple(o.probability for o in market.outcomes),
        odds=tuple(o.odds for o in market.outcomes),
        at=at,
        cuts=market.cuts,
        sequence=market.sequence,
        sequence_attribute=market.sequence_attribute,
        margin_bps=market.margin_bps,
    )
