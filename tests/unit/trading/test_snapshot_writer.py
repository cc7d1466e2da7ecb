"""The snapshot encoded by a forked copy of the engine is the state at the moment it was
asked for, restores to the same exchange, and a failed encoder is reported, not saved."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from engine.trading.bench import _scenario
from engine.trading.exchange import Exchange
from engine.trading.snapshot import restore_exchange, snapshot_text, state_hash
from engine.trading.snapshot_writer import SnapshotEncodingFailed, encode_snapshot


def _busy_exchange() -> Exchange:
    exchange, commands = _scenario(600, seed=7)
    sequence = exchange.sequence
    for command in commands:
        sequence += 1
        exchange.apply(sequence, command)
    return exchange


async def test_the_forked_encoding_restores_to_the_same_exchange() -> None:
    exchange = _busy_exchange()
    encoded, digest = await encode_snapshot(exchange)
    assert digest == state_hash(exchange)
    restored = restore_exchange(list(exchange.markets.values()), json.loads(encoded))
    assert state_hash(restored) == digest
    assert restored.positions == exchange.positions


async def test_the_encoding_is_of_the_state_when_it_was_asked_for() -> None:
    exchange = _busy_exchange()
    before = state_hash(exchange)
    encoding = encode_snapshot(exchange)
    # The engine goes on while the encoder runs: later commands are not in this snapshot.
    _, more = _scenario(50, seed=8)
    sequence = exchange.sequence
    for command in more:
        sequence += 1
        exchange.apply(sequence, command)
    assert state_hash(exchange) != before
    encoded, digest = await encoding
    assert digest == before
    assert json.loads(encoded)["sequence"] == sequence - len(more)


async def test_an_encoder_that_fails_is_reported() -> None:
    not_an_exchange = cast(Any, object())
    with pytest.raises(SnapshotEncodingFailed):
        await encode_snapshot(not_an_exchange)


def test_the_stored_text_is_canonical() -> None:
    exchange = _busy_exchange()
    from engine.trading.snapshot import snapshot_exchange

    text = snapshot_text(snapshot_exchange(exchange))
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
