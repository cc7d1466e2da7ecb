"""Which ledger account holds which money of a trader and of the venue.

Keys are cached: the engine asks for the same few accounts on every fill.
"""

from __future__ import annotations

from functools import lru_cache

from engine.ledger import USDT, AccountKey, AccountPurpose, OwnerKind

WORLD = AccountKey(OwnerKind.VENUE, "world", AccountPurpose.EXTERNAL, USDT.symbol)
FEES = AccountKey(OwnerKind.VENUE, "venue", AccountPurpose.FEES, USDT.symbol)
INSURANCE_FUND = AccountKey(OwnerKind.VENUE, "insurance", AccountPurpose.INSURANCE_FUND, "USDT")
# Enough for every active trader's accounts in every market; older keys are rebuilt.
KEY_CACHE_SIZE = 65_536
LIQUIDATOR = AccountKey(OwnerKind.VENUE, "liquidator", AccountPurpose.FEES, USDT.symbol)


@lru_cache(maxsize=KEY_CACHE_SIZE)
def available(account: str) -> AccountKey:
    return AccountKey(OwnerKind.USER, account, AccountPurpose.AVAILABLE, USDT.symbol)


@lru_cache(maxsize=KEY_CACHE_SIZE)
def order_margin(account: str, symbol: str) -> AccountKey:
    """Margin and worst-case fees held for the account's open orders in one market."""
    return AccountKey(OwnerKind.USER, f"{account}/{symbol}", AccountPurpose.LOCKED, USDT.symbol)


@lru_cache(maxsize=KEY_CACHE_SIZE)
def collateral(account: str, symbol: str) -> AccountKey:
    """The isolated margin of the account's position in one market."""
    return AccountKey(
        OwnerKind.USER, f"{account}/{symbol}", AccountPurpose.POSITION_COLLATERAL, USDT.symbol
    )


@lru_cache(maxsize=KEY_CACHE_SIZE)
def settlement(symbol: str) -> AccountKey:
    return AccountKey(OwnerKind.MARKET, symbol, AccountPurpose.SETTLEMENT, USDT.symbol)


def trader_accounts(account: str, symbol: str) -> list[AccountKey]:
    return [available(account), order_margin(account, symbol), collateral(account, symbol)]


# Flash markets (docs/flash.md): the house liquidity provider that backs every market, funded
# from outside the venue, and one escrow per market holding the stakes and the LP's cover.
FLASH_LP = AccountKey(OwnerKind.VENUE, "flash-lp", AccountPurpose.POOL, USDT.symbol)


@lru_cache(maxsize=KEY_CACHE_SIZE)
def flash_escrow(market_id: str) -> AccountKey:
    return AccountKey(OwnerKind.MARKET, f"flash/{market_id}", AccountPurpose.POOL, USDT.symbol)


# Micro-bets (docs/micro-bets.md): the house that pays winnings and takes losing stakes, funded
# from outside the venue, and three accounts per pre-funded session: its activation reserve
# (never bettable), its betting balance and the stakes of its open bets.
MICRO_HOUSE = AccountKey(OwnerKind.VENUE, "micro-house", AccountPurpose.POOL, USDT.symbol)


@lru_cache(maxsize=KEY_CACHE_SIZE)
def micro_reserve(session_id: str) -> AccountKey:
    return AccountKey(
        OwnerKind.USER, f"micro/{session_id}/reserve", AccountPurpose.LOCKED, USDT.symbol
    )


@lru_cache(maxsize=KEY_CACHE_SIZE)
def micro_balance(session_id: str) -> AccountKey:
    return AccountKey(OwnerKind.USER, f"micro/{session_id}", AccountPurpose.AVAILABLE, USDT.symbol)


@lru_cache(maxsize=KEY_CACHE_SIZE)
def micro_in_play(session_id: str) -> AccountKey:
    return AccountKey(OwnerKind.USER, f"micro/{session_id}", AccountPurpose.LOCKED, USDT.symbol)


def micro_session_accounts(session_id: str) -> list[AccountKey]:
    return [micro_reserve(session_id), micro_balance(session_id), micro_in_play(session_id)]
