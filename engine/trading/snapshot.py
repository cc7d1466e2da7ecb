"""The exchange as plain JSON data and back: restart = latest snapshot + the journal after it.

Everything the exchange's future behaviour depends on is here; what can be derived (the
liquidation index, the per-trader order indexes, leverage counters) is rebuilt on restore.
`state_hash` is the check: a restored exchange hashes like the one that was saved.
Market configs are state too (ConfigureMarket changes them), so they are saved here and
win over the configs the caller passes in.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import json
import typing
from collections import Counter, deque
from datetime import datetime
from enum import Enum
from fractions import Fraction
from typing import Any

from engine.flash.book import FlashBook
from engine.flash.protection import ProtectionPolicy
from engine.flash.protection_book import ProtectionBook
from engine.flash.sessions import MicroBook
from engine.ledger import AccountKey, AccountPurpose, OwnerKind
from engine.matching import OrderBook
from engine.perps import FundingAccumulator, MarketConfig, Position, QueuedLiquidation
from engine.trading import exchange as exchange_module
from engine.trading.events import FundingPaid, OrderFill, OrderUpdated, TradePrinted
from engine.trading.exchange import Exchange, MarketStatus

# 2 added the market configs; a format 1 snapshot restores with the caller's markets
# (its hash then differs, and the sequencer replays the whole journal instead).
# 3 added the flash book; older formats restore with an empty one (they had no flash markets).
# 4 added player protection and micro sessions; older formats restore with empty ones.
SNAPSHOT_FORMAT = 4
READABLE_FORMATS = frozenset({1, 2, 3, SNAPSHOT_FORMAT})


def snapshot_exchange(exchange: Exchange) -> dict[str, Any]:
    queue = exchange.liquidation_queue
    live = queue._entries
    queued = [
        [_plain(entry), push]
        for _, push, entry in queue._heap
        if live.get(entry.position_id) is entry
    ]
    return {
        "format": SNAPSHOT_FORMAT,
        "sequence": exchange.sequence,
        "now": exchange.now.isoformat(),
        "markets": [_plain(market) for market in exchange.markets.values()],
        "books": {symbol: book.snapshot() for symbol, book in exchange.books.items()},
        "prices": {s: _plain(p) for s, p in exchange.prices.items()},
        "positions": [_plain(p) for p in exchange.positions.values()],
        "balances": [
            [k.owner_kind.value, k.owner_id, k.purpose.value, k.asset, balance]
            for k, balance in sorted(exchange.ledger.balances().items())
        ],
        "orders": {order_id: _plain(meta) for order_id, meta in exchange._orders.items()},
        "references": {
            ref: [list(request), sequence]
            for ref, (request, sequence) in exchange._references.items()
        },
        "funding": {s: _plain(a) for s, a in exchange.funding.items()},
        "funding_history": {s: [_plain(e) for e in h] for s, h in exchange.funding_history.items()},
        "tape": {s: [_plain(e) for e in t] for s, t in exchange.tape.items()},
        "fills_of": {a: [_plain(e) for e in h] for a, h in exchange.fills_of.items()},
        "closed_orders_of": {
            a: [_plain(e) for e in h] for a, h in exchange.closed_orders_of.items()
        },
        "status": {s: _plain(v) for s, v in exchange.status.items()},
        "pause": [exchange.pause_level, _plain(exchange.pause_until)],
        "tp_sl": [[a, s, tp, sl] for (a, s), (tp, sl) in exchange.tp_sl.items()],
        "activity": {
            s: {
                "marks": [[_plain(at), mark] for at, mark in a.marks],
                "minute_start": _plain(a.minute_start),
                "minute_volume": a.minute_volume,
                "past_minutes": list(a.past_minutes),
            }
            for s, a in exchange._activity.items()
        },
        "insurance": [exchange.insurance_contributions, exchange.bad_debt_covered],
        "queue": {
            "entries": queued,
            "pushes": queue._pushes,
            "last_release": _plain(queue._last_release),
        },
        "flash": exchange.flash.to_dict(),
        "protection": exchange.protection.to_dict(),
        "micro": exchange.micro.to_dict(),
    }


def restore_exchange(
    markets: list[MarketConfig],
    data: dict[str, Any],
    protection_policy: ProtectionPolicy | None = None,
) -> Exchange:
    """The saved exchange. `markets` (the `market` table) adds markets the snapshot does not
    know; for those it knows, the snapshot's config is the one at its sequence, and the
    journal after it replays any later change. `protection_policy` is the operator's, which
    a snapshot does not hold."""
    if data.get("format") not in READABLE_FORMATS:
        raise ValueError(f"unknown snapshot format {data.get('format')!r}")
    saved = [_typed(MarketConfig, plain) for plain in data.get("markets", [])]
    known = {market.symbol for market in saved}
    exchange = Exchange(
        saved + [m for m in markets if m.symbol not in known],
        protection_policy=protection_policy,
    )
    exchange.sequence = data["sequence"]
    exchange.now = datetime.fromisoformat(data["now"])
    for symbol, book in data["books"].items():
        exchange.books[symbol] = OrderBook.restore(book)
    for symbol, prices in data["prices"].items():
        exchange.prices[symbol] = _typed(exchange_module._MarketPrices, prices)
    for plain in data["positions"]:
        position = _typed(Position, plain)
        exchange.positions[(position.account, position.symbol)] = position
        exchange.monitor.upsert(position)
    exchange.ledger.restore(
        {
            AccountKey(OwnerKind(kind), owner, AccountPurpose(purpose), asset): balance
            for kind, owner, purpose, asset, balance in data["balances"]
        }
    )
    for order_id, plain in data["orders"].items():
        meta = _typed(exchange_module._OrderMeta, plain)
        exchange._orders[order_id] = meta
        key = (meta.account, meta.symbol)
        exchange._orders_of.setdefault(key, {})[order_id] = meta
        exchange._leverages.setdefault(key, Counter())[meta.leverage] += 1
        if meta.reduce_only:
            exchange._reduce_only[key] += 1
    exchange._references = {
        ref: ((str(r[0]), str(r[1]), int(r[2])), sequence)
        for ref, (r, sequence) in data["references"].items()
    }
    exchange.funding = {s: _typed(FundingAccumulator, a) for s, a in data["funding"].items()}
    for symbol, history in data["funding_history"].items():
        exchange.funding_history[symbol].extend(_typed(FundingPaid, e) for e in history)
    for symbol, tape in data["tape"].items():
        exchange.tape[symbol].extend(_typed(TradePrinted, e) for e in tape)
    exchange.fills_of = {
        a: deque((_typed(OrderFill, e) for e in h), maxlen=exchange_module.ACCOUNT_HISTORY_LENGTH)
        for a, h in data["fills_of"].items()
    }
    exchange.closed_orders_of = {
        a: deque(
            (_typed(OrderUpdated, e) for e in h), maxlen=exchange_module.ACCOUNT_HISTORY_LENGTH
        )
        for a, h in data["closed_orders_of"].items()
    }
    exchange.status = {s: _typed(MarketStatus, v) for s, v in data["status"].items()}
    exchange.pause_level = data["pause"][0]
    exchange.pause_until = _datetime(data["pause"][1])
    exchange.tp_sl = {(a, s): (tp, sl) for a, s, tp, sl in data["tp_sl"]}
    for symbol, plain in data["activity"].items():
        activity = exchange._activity[symbol]
        activity.marks.extend((datetime.fromisoformat(at), mark) for at, mark in plain["marks"])
        activity.minute_start = _datetime(plain["minute_start"])
        activity.minute_volume = plain["minute_volume"]
        activity.past_minutes.extend(plain["past_minutes"])
    exchange.insurance_contributions, exchange.bad_debt_covered = data["insurance"]
    queue = exchange.liquidation_queue
    for plain, push in data["queue"]["entries"]:
        entry = _typed(QueuedLiquidation, plain)
        queue._entries[entry.position_id] = entry
        heapq.heappush(queue._heap, (entry.urgency_key, push, entry))
    queue._pushes = data["queue"]["pushes"]
    queue._last_release = _datetime(data["queue"]["last_release"])
    if "flash" in data:
        exchange.flash = FlashBook.from_dict(
            data["flash"], exchange.ledger, exchange._post, exchange.flash.limits
        )
    if "protection" in data:
        exchange.protection = ProtectionBook.from_dict(
            data["protection"], exchange.protection.policy
        )
    if "micro" in data:
        exchange.micro = MicroBook.from_dict(
            data["micro"], exchange.ledger, exchange._post_keyed, exchange.micro.policy
        )
    return exchange


def state_hash(exchange: Exchange) -> str:
    return encoded_snapshot(exchange)[1]


def encoded_snapshot(exchange: Exchange) -> tuple[str, str]:
    """The exchange's snapshot as stored (canonical JSON) and that text's hash."""
    text = snapshot_text(snapshot_exchange(exchange))
    return text, snapshot_digest(text)


def snapshot_text(state: dict[str, Any]) -> str:
    """The canonical JSON of a snapshot: what is stored, and what its hash is taken of."""
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def snapshot_digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# A snapshot walks tens of thousands of records (orders, fills, closed orders): each record
# type's saved fields are looked up once, and plain values are copied without a call.
_PLAIN_TYPES = frozenset({int, str, bool, float, type(None)})
_SAVED_FIELDS: dict[type, tuple[str, ...]] = {}
_NOT_RECORDS: set[type] = set()


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    names = _SAVED_FIELDS.get(kind)
    if names is None and kind not in _NOT_RECORDS:
        if dataclasses.is_dataclass(kind):
            names = _SAVED_FIELDS[kind] = _saved_fields(kind)
        else:
            _NOT_RECORDS.add(kind)
    if names is not None:
        record = {}
        for name in names:
            field = getattr(value, name)
            record[name] = field if type(field) in _PLAIN_TYPES else _plain(field)
        return record
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Fraction):
        return [value.numerator, value.denominator]
    if isinstance(value, deque | list | tuple):
        return [_plain(item) for item in value]
    return value


def _saved_fields(kind: type) -> tuple[str, ...]:
    """The constructor's fields, then those set after construction; private ones are not
    state (they are derived, e.g. cached hashes)."""
    fields = [field for field in dataclasses.fields(kind) if not field.name.startswith("_")]
    return tuple(field.name for field in fields if field.init) + tuple(
        field.name for field in fields if not field.init
    )


def _typed(cls: type[Any], plain: dict[str, Any]) -> Any:
    hints, init = _record_type(cls)
    values = {name: _value(hints[name], raw) for name, raw in plain.items() if name in init}
    instance = cls(**values)
    for name, raw in plain.items():
        if name not in init:
            object.__setattr__(instance, name, _value(hints[name], raw))
    return instance


_RECORD_TYPES: dict[type, tuple[dict[str, Any], frozenset[str]]] = {}


def _record_type(cls: type[Any]) -> tuple[dict[str, Any], frozenset[str]]:
    """A record type's field hints and constructor fields, resolved once: a restart
    restores tens of thousands of records of a handful of types."""
    known = _RECORD_TYPES.get(cls)
    if known is None:
        init = frozenset(f.name for f in dataclasses.fields(cls) if f.init)
        known = _RECORD_TYPES[cls] = (typing.get_type_hints(cls), init)
    return known


def _value(hint: Any, raw: Any) -> Any:
    if raw is None:
        return None
    for candidate in typing.get_args(hint) or (hint,):
        if candidate is datetime:
            return datetime.fromisoformat(raw)
        if candidate is Fraction:
            return Fraction(raw[0], raw[1])
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate(raw)
    return raw


def _datetime(raw: str | None) -> datetime | None:
    return None if raw is None else datetime.fromisoformat(raw)
