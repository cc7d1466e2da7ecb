"""Every account's player protection inside the trading engine's sequencer.

One `PlayerProtection` (engine/flash/protection.py) per account that ever played or set a
limit, changed only by journaled commands, saved in snapshots. The exchange asks it before
each flash or micro bet and each session deposit, and tells it every accepted bet and every
result. It also watches the accounts in play so that a reality check coming due is
announced once (`RealityCheckDue` on `flash.protection.<account>`), not only when the next
bet is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.flash.protection import (
    InvalidLimit,
    LimitKind,
    LimitPeriod,
    PlayerProtection,
    ProtectionPolicy,
    ProtectionStatus,
    RealityCheck,
)
from engine.trading.events import EngineEvent, ProtectionChanged, RealityCheckDue

MAX_PROTECTION_ACCOUNT_LENGTH = 64


class ProtectionBook:
    def __init__(self, policy: ProtectionPolicy | None = None) -> None:
        self.policy = policy if policy is not None else ProtectionPolicy()
        self.players: dict[str, PlayerProtection] = {}
        # Accounts whose play session may still be running (an ordered set): what the tick
        # walks, so its cost follows the players in play, not every player ever.
        self._in_play: dict[str, None] = {}
        # The due time of the reality check last announced, per account.
        self._announced: dict[str, datetime] = {}

    # --- reads ---------------------------------------------------------------------------

    def status(self, account: str, at: datetime) -> ProtectionStatus:
        return self._peek(account).status(at)

    def reality_check(self, account: str, at: datetime) -> RealityCheck | None:
        return self._peek(account).reality_check(at)

    # --- what the exchange asks and tells --------------------------------------------------

    def check_bet(self, account: str, stake: int, at: datetime) -> None:
        """Refuses (a ProtectionRefused with its code) or returns."""
        player = self.players.get(account)
        if player is not None:
            player.check_bet(stake, at)

    def record_bet(self, account: str, stake: int, at: datetime) -> None:
        self._player(account).record_bet(stake, at)
        self._in_play[account] = None

    def record_result(self, account: str, stake: int, payout: int, at: datetime) -> None:
        self._player(account).record_result(stake, payout, at)
        self._in_play[account] = None

    def check_deposit(self, account: str, amount: int, at: datetime) -> None:
        player = self.players.get(account)
        if player is not None:
            player.check_deposit(amount, at)

    def record_deposit(self, account: str, amount: int, at: datetime) -> None:
        self._player(account).record_deposit(amount, at)

    def announce_if_due(self, account: str, at: datetime) -> list[EngineEvent]:
        """A RealityCheckDue event the first time a check is seen due (at a refused bet or
        on a tick), none after that until it is acknowledged."""
        player = self.players.get(account)
        if player is None:
            return []
        check = player.reality_check(at)
        if check is None or self._announced.get(account) == check.due_at:
            return []
        self._announced[account] = check.due_at
        return [
            RealityCheckDue(
                account,
                check.due_at,
                check.period_started_at,
                check.session_started_at,
                int(check.time_played.total_seconds()),
                check.net_result,
                check.reason,
                at,
            )
        ]

    def tick(self, at: datetime) -> list[EngineEvent]:
        """Announce checks that came due; stop watching players whose session ended."""
        events: list[EngineEvent] = []
        idle = self.policy.play_session_idle_gap
        for account in list(self._in_play):
            events += self.announce_if_due(account, at)
            last = self.players[account].last_play_at
            if last is None or at >= last + idle:
                # Gone quiet: a check still due is announced by the next bet it refuses.
                del self._in_play[account]
        return events

    # --- commands ----------------------------------------------------------------------------

    def set_limit(
        self, account: str, kind: str, period: str, amount: int | None, at: datetime
    ) -> list[EngineEvent]:
        try:
            limit_kind, limit_period = LimitKind(kind), LimitPeriod(period)
        except ValueError:
            raise InvalidLimit(
                "a limit is a deposit or loss limit per day, week or month"
            ) from None
        change = self._player(account).set_limit(limit_kind, limit_period, amount, at)
        return [
            ProtectionChanged(
                account,
                "LIMIT_SET",
                limit_kind.value,
                limit_period.value,
                amount,
                change.effective_at,
                at,
            )
        ]

    def start_cool_off(self, account: str, seconds: int, at: datetime) -> list[EngineEvent]:
        player = self._player(account)
        player.start_cool_off(_duration(seconds), at)
        return [ProtectionChanged(account, "COOL_OFF", None, None, None, player.cool_off_until, at)]

    def self_exclude(self, account: str, seconds: int, at: datetime) -> list[EngineEvent]:
        player = self._player(account)
        player.self_exclude(_duration(seconds), at)
        return [
            ProtectionChanged(
                account, "SELF_EXCLUSION", None, None, None, player.self_excluded_until, at
            )
        ]

    def acknowledge_reality_check(self, account: str, at: datetime) -> list[EngineEvent]:
        player = self.players.get(account)
        if player is None or player.reality_check(at) is None:
            return []  # nothing due: acknowledging early changes nothing
        player.acknowledge_reality_check(at)
        self._announced.pop(account, None)
        return [
            ProtectionChanged(account, "REALITY_CHECK_ACKNOWLEDGED", None, None, None, None, at)
        ]

    def record_limit_prompt_seen(self, account: str, at: datetime) -> list[EngineEvent]:
        player = self._player(account)
        if not player.needs_limit_prompt():
            return []
        player.record_limit_prompt_seen(at)
        return [ProtectionChanged(account, "LIMIT_PROMPT_SEEN", None, None, None, None, at)]

    # --- snapshot ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "players": {account: p.to_dict() for account, p in self.players.items()},
            "in_play": list(self._in_play),
            "announced": {a: due.isoformat() for a, due in self._announced.items()},
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], policy: ProtectionPolicy | None = None
    ) -> ProtectionBook:
        book = cls(policy)
        book.players = {
            account: PlayerProtection.from_dict(plain, book.policy)
            for account, plain in data["players"].items()
        }
        book._in_play = dict.fromkeys(data["in_play"])
        book._announced = {a: datetime.fromisoformat(due) for a, due in data["announced"].items()}
        return book

    # --- internals ---------------------------------------------------------------------------

    def _peek(self, account: str) -> PlayerProtection:
        """The account's state, or a fresh one (not kept) for an account never seen."""
        player = self.players.get(account)
        return player if player is not None else PlayerProtection(self.policy)

    def _player(self, account: str) -> PlayerProtection:
        player = self.players.get(account)
        if player is None:
            if not 0 < len(account) <= MAX_PROTECTION_ACCOUNT_LENGTH:
                raise InvalidLimit("unknown account")
            player = self.players[account] = PlayerProtection(self.policy)
        return player


def _duration(seconds: int) -> timedelta:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise InvalidLimit("a duration is a positive whole number of seconds")
    return timedelta(seconds=seconds)
