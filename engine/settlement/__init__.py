"""Settlement: batches of trades, their net deltas and RFC 6962 Merkle roots, on the chain.

Chain backends (LiteSVM in process, Solana RPC) implement `ChainSubmitter`.
"""

from engine.settlement.batcher import Batch, Batcher, batch_memo, build_batch
from engine.settlement.lifecycle import BatchStatus, ChainSubmitter, retry_delay
from engine.settlement.merkle import MerkleTree, merkle_root, verify_inclusion
from engine.settlement.netting import NetDelta, NettingResult, Transfer, net_deltas
from engine.settlement.trades import SettledTrade, decode_trade, encode_trade, trades_from_fills

__all__ = [
    "Batch",
    "BatchStatus",
    "Batcher",
    "ChainSubmitter",
    "MerkleTree",
    "NetDelta",
    "NettingResult",
    "SettledTrade",
    "Transfer",
    "batch_memo",
    "build_batch",
    "decode_trade",
    "encode_trade",
    "merkle_root",
    "net_deltas",
    "retry_delay",
    "trades_from_fills",
    "verify_inclusion",
]
