"""Ephemeral wallet keys: sealed, bound to their account, refused when tampered with."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair

from engine.settlement.chain.base import (
    batch_memo,
    memos_of_rpc_field,
    parse_batch_memo,
    rpc_memo_field,
)
from engine.settlement.chain.wallets import (
    EphemeralWallets,
    SealedSecretUnreadable,
    open_keypair,
    seal_keypair,
    wallet_box,
)


def test_sealed_keypair_round_trips() -> None:
    wallets = EphemeralWallets("master secret")
    keypair, sealed = wallets.create("account-1")
    assert str(keypair.pubkey()) not in sealed.decode("latin-1")
    assert wallets.open(sealed, "account-1") == keypair


def test_tampered_or_moved_sealed_keypair_fails() -> None:
    box = wallet_box("master secret")
    keypair = Keypair()
    sealed = seal_keypair(box, keypair, "account-1")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SealedSecretUnreadable):
        open_keypair(box, tampered, "account-1")
    with pytest.raises(SealedSecretUnreadable):
        open_keypair(box, sealed, "account-2")
    with pytest.raises(SealedSecretUnreadable):
        open_keypair(wallet_box("another secret"), sealed, "account-1")


def test_batch_memo_format_and_rpc_memo_field() -> None:
    text = batch_memo("b-7", 2, 3, b"root=ab12")
    assert text == "godark:batch:b-7:2/3:root=ab12"
    assert parse_batch_memo(text) == ("b-7", 2, 3)
    assert parse_batch_memo("godark:faucet:1") is None
    field = rpc_memo_field([text, "d\u00e9p\u00f4t"])
    assert field == f"[{len(text)}] {text}; [7] d\u00e9p\u00f4t"
    assert memos_of_rpc_field(field) == [text, "d\u00e9p\u00f4t"]
    with pytest.raises(ValueError):
        batch_memo("bad:id", 1, 1, b"")
