"""Solana as the settlement layer: one interface, an embedded runtime and a cluster client."""

from engine.settlement.chain.base import (
    ChainBackend,
    ChainError,
    ChainRejected,
    ChainUnavailable,
    InsufficientAllowance,
    InsufficientTokenBalance,
    InvalidChainAmount,
    TokenAccountMissing,
    TokenAccountState,
)
from engine.settlement.chain.litesvm import LiteSvmChain
from engine.settlement.chain.rpc import RpcChain

__all__ = [
    "ChainBackend",
    "ChainError",
    "ChainRejected",
    "ChainUnavailable",
    "InsufficientAllowance",
    "InsufficientTokenBalance",
    "InvalidChainAmount",
    "LiteSvmChain",
    "RpcChain",
    "TokenAccountMissing",
    "TokenAccountState",
]
