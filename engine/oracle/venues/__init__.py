"""Lit-venue price adapters for the oracle: one module per exchange, a shared interface
(base.py) and the network loops that drive them (runner.py)."""

from __future__ import annotations

from collections.abc import Mapping

from engine.oracle.model import SourceName
from engine.oracle.venues.base import RestRequest, VenueAdapter
from engine.oracle.venues.binance import BinanceAdapter
from engine.oracle.venues.bybit import BybitAdapter
from engine.oracle.venues.coinbase import CoinbaseAdapter
from engine.oracle.venues.kraken import KrakenAdapter
from engine.oracle.venues.okx import OkxAdapter
from engine.oracle.venues.runner import (
    Backoff,
    RejectionCounter,
    poll_books,
    poll_quotes,
    stream,
)

ADAPTERS: Mapping[SourceName, type[VenueAdapter]] = {
    SourceName.BINANCE: BinanceAdapter,
    SourceName.COINBASE: CoinbaseAdapter,
    SourceName.KRAKEN: KrakenAdapter,
    SourceName.BYBIT: BybitAdapter,
    SourceName.OKX: OkxAdapter,
}

__all__ = [
    "ADAPTERS",
    "Backoff",
    "BinanceAdapter",
    "BybitAdapter",
    "CoinbaseAdapter",
    "KrakenAdapter",
    "OkxAdapter",
    "RejectionCounter",
    "RestRequest",
    "VenueAdapter",
    "poll_books",
    "poll_quotes",
    "stream",
]
