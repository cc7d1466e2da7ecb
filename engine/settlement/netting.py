"""Net deltas of a batch per (account, symbol): what one settlement transaction moves.

Seed 004 step 5: the buyer's size grows and it pays the notional, the seller's size
shrinks and it receives the notional, each pays its fee. Netting a batch turns many
trades into one movement per account and market.

The invariant, checked by `NettingResult.is_balanced` and the property tests: within a
batch, the collateral changes sum to zero for every symbol (the notional one side pays,
the other receives), sizes sum to zero for every symbol, and the fees the accounts pay
are exactly what the venue's fee account receives. So
    sum(collateral_change) - sum(fees) + venue_fee_income == 0
and no value is created or destroyed by a settlement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.perps.units import NOTIONAL_DIVISOR
from engine.settlement.trades import SettledTrade


@dataclass(frozen=True, slots=True)
class NetDelta:
    account: str
    symbol: str
    size_change: int  # signed size units: positive grows a long
    collateral_change: int  # micro-USDT: negative is paid by the account
    fees: int  # micro-USDT paid by the account; negative is a net rebate


@dataclass(frozen=True, slots=True)
class Transfer:
    """One account's token movement in a batch's transaction, for the chain backend."""

    account: str
    symbol: str
    collateral_delta: int  # micro-USDT into (positive) or out of the account's vault
    fee: int  # micro-USDT from the account's vault to the venue's fee account


@dataclass(frozen=True, slots=True)
class NettingResult:
    deltas: tuple[NetDelta, ...]  # sorted by (account, symbol): deterministic order
    venue_fee_income: int  # micro-USDT; the sum of every account's fees

    def is_balanced(self) -> bool:
        collateral: dict[str, int] = {}
        sizes: dict[str, int] = {}
        for delta in self.deltas:
            collateral[delta.symbol] = collateral.get(delta.symbol, 0) + delta.collateral_change
            sizes[delta.symbol] = sizes.get(delta.symbol, 0) + delta.size_change
        fees_paid = sum(delta.fees for delta in self.deltas)
        return (
            all(total == 0 for total in collateral.values())
            and all(total == 0 for total in sizes.values())
            and fees_paid == self.venue_fee_income
        )

    def transfers(self) -> list[Transfer]:
        """The movements a chain transaction carries; accounts whose trades cancel out
        entirely (no collateral, no fee) move nothing and are left out."""
        return [
            Transfer(delta.account, delta.symbol, delta.collateral_change, delta.fees)
            for delta in self.deltas
            if delta.collateral_change != 0 or delta.fees != 0
        ]


def trade_notional(trade: SettledTrade) -> int:
    """The cash leg of a trade in micro-USDT, rounded down; both sides use the same amount,
    so rounding never creates or destroys value."""
    return trade.price * trade.size // NOTIONAL_DIVISOR


def net_deltas(trades: Iterable[SettledTrade]) -> NettingResult:
    # [size_change, collateral_change, fees] per (account, symbol)
    totals: dict[tuple[str, str], list[int]] = {}
    venue_fee_income = 0
    for trade in trades:
        notional = trade_notional(trade)
        buyer = totals.get((trade.buyer, trade.symbol))
        if buyer is None:
            buyer = totals[(trade.buyer, trade.symbol)] = [0, 0, 0]
        buyer[0] += trade.size
        buyer[1] -= notional
        buyer[2] += trade.buyer_fee
        seller = totals.get((trade.seller, trade.symbol))
        if seller is None:
            seller = totals[(trade.seller, trade.symbol)] = [0, 0, 0]
        seller[0] -= trade.size
        seller[1] += notional
        seller[2] += trade.seller_fee
        venue_fee_income += trade.buyer_fee + trade.seller_fee
    deltas = tuple(
        NetDelta(account, symbol, size, collateral, fees)
        for (account, symbol), (size, collateral, fees) in sorted(totals.items())
    )
    return NettingResult(deltas, venue_fee_income)
