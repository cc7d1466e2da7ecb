"""One adapter per sportsbook, each parsing that book's own live-feed format."""

from __future__ import annotations

from engine.oracle.sports.adapters.base import (
    FeedRejection,
    ParsedFeed,
    ProviderAdapter,
    decode_feed_body,
)
from engine.oracle.sports.adapters.betmgm import BetMgmAdapter
from engine.oracle.sports.adapters.caesars import CaesarsAdapter
from engine.oracle.sports.adapters.draftkings import DraftKingsAdapter
from engine.oracle.sports.adapters.fanduel import FanDuelAdapter
from engine.oracle.sports.adapters.pointsbet import PointsBetAdapter
from engine.oracle.sports.model import ProviderName

ADAPTERS: dict[ProviderName, ProviderAdapter] = {
    ProviderName.DRAFTKINGS: DraftKingsAdapter(),
    ProviderName.FANDUEL: FanDuelAdapter(),
    ProviderName.BETMGM: BetMgmAdapter(),
    ProviderName.CAESARS: CaesarsAdapter(),
    ProviderName.POINTSBET: PointsBetAdapter(),
}


def adapter_for(provider: ProviderName) -> ProviderAdapter:
    return ADAPTERS[provider]


__all__ = [
    "ADAPTERS",
    "BetMgmAdapter",
    "CaesarsAdapter",
    "DraftKingsAdapter",
    "FanDuelAdapter",
    "FeedRejection",
    "ParsedFeed",
    "PointsBetAdapter",
    "ProviderAdapter",
    "adapter_for",
    "decode_feed_body",
]
