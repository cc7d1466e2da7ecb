"""The RFC 6962 Merkle tree over a batch's trades: its root, audit paths and their check.

Hashing is exactly Certificate Transparency's (RFC 6962 §2.1), so any implementation of
the standard — the browser's included — recomputes our roots and verifies our proofs:
leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), the empty tree's
hash is SHA-256(""), and a list of n leaves splits at the largest power of two below n.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(NODE_PREFIX + left + right).digest()


class MerkleTree:
    """A tree built once over a batch's leaf data; every level is kept for audit paths.

    Built bottom-up: pairs are hashed left to right and an odd last node is carried up
    unchanged. That is the same tree as RFC 6962's recursive split at the largest power
    of two (the left subtree is always complete), in linear time without recursion.
    """

    __slots__ = ("_levels", "size")

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.size = len(leaves)
        level = [leaf_hash(data) for data in leaves]
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            parents = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2 == 1:
                parents.append(level[-1])
            level = parents
            self._levels.append(level)

    @property
    def root(self) -> bytes:
        if self.size == 0:
            return EMPTY_ROOT
        return self._levels[-1][0]

    def audit_path(self, index: int) -> list[bytes]:
        """PATH(index, D[n]) of RFC 6962 §2.1.1: sibling hashes from the leaf up."""
        if not 0 <= index < self.size:
            raise IndexError(f"leaf index {index} outside a tree of {self.size}")
        path: list[bytes] = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            # A carried-up last node has no sibling at this level: nothing to prove here.
            if sibling < len(level):
                path.append(level[sibling])
            index >>= 1
        return path


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 over the leaves' data (not their hashes)."""
    return MerkleTree(leaves).root


def root_from_inclusion(
    leaf_data: bytes, index: int, tree_size: int, path: Sequence[bytes]
) -> bytes | None:
    """The root a proof leads to (RFC 9162 §2.1.3.2), or None when its shape is wrong."""
    if not 0 <= index < tree_size:
        return None
    if any(len(node) != HASH_SIZE for node in path):
        return None
    position, last = index, tree_size - 1
    result = leaf_hash(leaf_data)
    for node in path:
        if last == 0:
            return None  # a longer path than this tree has levels
        if position & 1 or position == last:
            result = node_hash(node, result)
            # Levels where this node was carried up unchanged have no sibling.
            while not position & 1 and position != 0:
                position >>= 1
                last >>= 1
        else:
            result = node_hash(result, node)
        position >>= 1
        last >>= 1
    if last != 0:
        return None  # a shorter path than this tree has levels
    return result


def verify_inclusion(
    leaf_data: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """True when `leaf_data` is leaf `index` of the tree of `tree_size` leaves with `root`."""
    return root_from_inclusion(leaf_data, index, tree_size, path) == root
