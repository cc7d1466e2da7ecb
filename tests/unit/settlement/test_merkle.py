"""The Merkle tree against RFC 6962's published test vectors and an independent
recursive implementation, and the inclusion proofs' properties."""

from __future__ import annotations

from hashlib import sha256

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.settlement.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    merkle_root,
    verify_inclusion,
)

# The Certificate Transparency reference leaves and tree heads for sizes 0..8
# (transparency-dev/merkle and certificate-transparency test data).
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path) from the same test data.
INCLUSION_PROOFS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH written as the standard states it, recursively."""
    n = len(leaves)
    if n == 0:
        return sha256(b"").digest()
    if n == 1:
        return sha256(b"\x00" + leaves[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)  # largest power of two smaller than n
    return sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


def reference_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(m, D[n]), recursively."""
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if index < k:
        return [*reference_path(index, leaves[:k]), reference_root(leaves[k:])]
    return [*reference_path(index - k, leaves[k:]), reference_root(leaves[:k])]


def test_roots_match_the_published_vectors_for_every_size() -> None:
    for size, expected in enumerate(ROOTS):
        assert merkle_root(LEAVES[:size]).hex() == expected, size
    assert EMPTY_ROOT.hex() == ROOTS[0]
    assert merkle_root(LEAVES).hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_PROOFS)
def test_audit_paths_match_the_published_vectors(index: int, size: int, path: list[str]) -> None:
    tree = MerkleTree(LEAVES[:size])
    assert [node.hex() for node in tree.audit_path(index)] == path
    root = bytes.fromhex(ROOTS[size])
    assert verify_inclusion(LEAVES[index], index, size, [bytes.fromhex(p) for p in path], root)


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_PROOFS[1:])
def test_corrupted_published_proofs_are_rejected(index: int, size: int, path: list[str]) -> None:
    nodes = [bytes.fromhex(p) for p in path]
    root = bytes.fromhex(ROOTS[size])
    leaf = LEAVES[index]
    assert not verify_inclusion(leaf, index - 1, size, nodes, root)
    assert not verify_inclusion(leaf, index + 1, size, nodes, root)
    assert not verify_inclusion(leaf, index ^ 2, size, nodes, root)
    assert not verify_inclusion(leaf, index, size * 2, nodes, root)
    assert not verify_inclusion(leaf, index, size // 2, nodes, root)
    assert not verify_inclusion(b"WrongLeaf", index, size, nodes, root)
    assert not verify_inclusion(leaf, index, size, nodes, EMPTY_ROOT)
    assert not verify_inclusion(leaf, index, size, [*nodes, root], root)
    assert not verify_inclusion(leaf, index, size, [root, *nodes], root)
    assert not verify_inclusion(leaf, index, size, nodes[:-1], root)
    assert not verify_inclusion(leaf, index, size, [*nodes, b""], root)
    for i in range(len(nodes)):
        flipped = list(nodes)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        assert not verify_inclusion(leaf, index, size, flipped, root)


def test_a_single_leaf_tree_is_its_leaf_hash_with_an_empty_path() -> None:
    tree = MerkleTree([b"data"])
    assert tree.root == leaf_hash(b"data")
    assert tree.audit_path(0) == []
    assert verify_inclusion(b"data", 0, 1, [], tree.root)
    assert not verify_inclusion(b"data", 0, 0, [], tree.root)
    assert not verify_inclusion(b"data", 1, 1, [], tree.root)


def test_the_tree_agrees_with_the_recursive_definition_for_sizes_up_to_70() -> None:
    leaves = [bytes([i, i * 7 % 256]) for i in range(70)]
    for size in range(71):
        tree = MerkleTree(leaves[:size])
        assert tree.root == reference_root(leaves[:size]), size
        for index in range(size):
            assert tree.audit_path(index) == reference_path(index, leaves[:size])


leaf_lists = st.lists(st.binary(max_size=24), min_size=1, max_size=80)


@given(leaf_lists, st.data())
def test_every_leafs_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    assert tree.root == reference_root(leaves)
    index = data.draw(st.integers(0, len(leaves) - 1))
    assert verify_inclusion(leaves[index], index, len(leaves), tree.audit_path(index), tree.root)


@given(leaf_lists, st.data())
def test_a_tampered_leaf_path_or_index_fails(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree(leaves)
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    path = tree.audit_path(index)
    other = data.draw(st.binary(max_size=24).filter(lambda b: b != leaves[index]))
    assert not verify_inclusion(other, index, size, path, tree.root)
    if path:
        position = data.draw(st.integers(0, len(path) - 1))
        bit = data.draw(st.integers(0, 255))
        tampered = list(path)
        node = bytearray(tampered[position])
        node[bit // 8] ^= 1 << (bit % 8)
        tampered[position] = bytes(node)
        assert not verify_inclusion(leaves[index], index, size, tampered, tree.root)
    wrong_index = data.draw(st.integers(0, size).filter(lambda i: i != index))
    if wrong_index < size and leaves[wrong_index] == leaves[index]:
        return  # the same data at another index is that leaf's own (valid) claim
    assert not verify_inclusion(leaves[index], wrong_index, size, path, tree.root)
