"""The operator's reality-check interval (GODARK_REALITY_CHECK_SECONDS): read at start-up,
given to the engine, and kept across a restart from a snapshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from api.app import venue_config
from api.settings import Settings
from engine.flash.protection import ProtectionPolicy
from engine.trading.exchange import Exchange
from engine.trading.snapshot import restore_exchange, snapshot_exchange, state_hash

PLAYER = "acc_player"
FIRST_BET = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_the_interval_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODARK_REALITY_CHECK_SECONDS", "1200")
    config = venue_config(Settings())
    assert config.protection.reality_check_interval == timedelta(minutes=20)


def test_the_default_is_half_an_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GODARK_REALITY_CHECK_SECONDS", raising=False)
    assert venue_config(Settings()).protection.reality_check_interval == timedelta(minutes=30)


def test_an_interval_shorter_than_ten_seconds_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODARK_REALITY_CHECK_SECONDS", "5")
    with pytest.raises(ValidationError, match="reality_check_seconds"):
        Settings()


def test_a_restart_from_a_snapshot_keeps_the_operators_interval() -> None:
    policy = ProtectionPolicy(reality_check_interval=timedelta(seconds=10))
    exchange = Exchange([], protection_policy=policy)
    exchange.protection.record_bet(PLAYER, 2_000_000, FIRST_BET)
    saved = snapshot_exchange(exchange)

    restored = restore_exchange([], saved, policy)

    assert state_hash(restored) == state_hash(exchange)
    assert restored.reality_check(PLAYER, FIRST_BET + timedelta(seconds=9)) is None
    due = restored.reality_check(PLAYER, FIRST_BET + timedelta(seconds=11))
    assert due is not None and due.due_at == FIRST_BET + timedelta(seconds=10)
