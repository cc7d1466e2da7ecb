"""Market symbols (seed 004 "Symbol Format": BASE-QUOTE-TYPE) and the oracle asset behind one."""

from __future__ import annotations

import re

QUOTE_ASSET = "USDT"
PERP_SUFFIX = "PERP"
_PERP_SYMBOL = re.compile(r"([A-Z0-9]{1,12})-USDT-PERP")


def perp_symbol(asset: str) -> str:
    return f"{asset}-{QUOTE_ASSET}-{PERP_SUFFIX}"


def asset_of(symbol: str) -> str | None:
    """The base asset of a perp symbol, or None when the text is not one."""
    match = _PERP_SYMBOL.fullmatch(symbol)
    return None if match is None else match.group(1)
