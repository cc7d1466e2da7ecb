"""Assets and the conversion between integer units and decimal strings at the edges."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.errors import DomainError


class InvalidAmount(DomainError):
    code = "INVALID_AMOUNT"


@dataclass(frozen=True, slots=True)
class Asset:
    symbol: str
    decimals: int

    @property
    def unit(self) -> int:
        """How many smallest units make one whole asset."""
        return int(10**self.decimals)


# Quote currency of every market: micro-USDT, 6 decimals (ARCHITECTURE.md, "Integers for money").
USDT = Asset(symbol="USDT", decimals=6)

ASSETS: dict[str, Asset] = {USDT.symbol: USDT}


def asset_by_symbol(symbol: str) -> Asset:
    try:
        return ASSETS[symbol]
    except KeyError:
        raise InvalidAmount(f"unknown asset {symbol!r}") from None


def to_units(amount: Decimal, asset: Asset) -> int:
    """Exact conversion; more decimals than the asset has is refused, never rounded."""
    scaled = amount.scaleb(asset.decimals)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(
            f"{asset.symbol} amounts have at most {asset.decimals} decimals, got {amount}"
        )
    return int(scaled)


def format_units(units: int, asset: Asset) -> str:
    """Integer units as a fixed-point string with all of the asset's decimals."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), asset.unit)
    if asset.decimals == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{fraction:0{asset.decimals}d}"
