"""Wallet linking: a real Solana keypair signs the link message, as a browser wallet would."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from solders.keypair import Keypair

from engine.accounts.wallets import (
    NONCE_TTL,
    BadWalletSignature,
    InvalidWallet,
    link_message,
    new_nonce,
    parse_address,
    verify_wallet_signature,
)

ISSUED_AT = datetime(2026, 1, 1, 12, 30, 5, tzinfo=UTC)


@pytest.fixture
def wallet() -> Keypair:
    return Keypair()


@pytest.fixture
def message(wallet: Keypair) -> str:
    return link_message("acc_42", str(wallet.pubkey()), new_nonce(), ISSUED_AT)


def test_nonces_are_128_bit_url_safe_and_unique() -> None:
    nonces = {new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", nonce) for nonce in nonces)
    assert timedelta(minutes=5) == NONCE_TTL


def test_link_message_reads_like_sign_in_with_solana() -> None:
    issued_in_new_york = ISSUED_AT.astimezone(timezone(timedelta(hours=-5)))
    text = link_message(
        "acc_42", "So11111111111111111111111111111111111111112", "n0nce", issued_in_new_york
    )
    assert text == (
        "GoDark wants you to link this Solana wallet to account acc_42.\n"
        "\n"
        "Wallet: So11111111111111111111111111111111111111112\n"
        "Nonce: n0nce\n"
        "Issued at: 2026-01-01T12:30:05Z"
    )


def test_link_message_refuses_values_that_would_forge_a_line() -> None:
    with pytest.raises(ValueError):
        link_message("acc_42\nWallet: attacker", "addr", "nonce", ISSUED_AT)
    with pytest.raises(ValueError):
        link_message("acc_42", "addr", "nonce", datetime(2026, 1, 1))  # noqa: DTZ001


def test_a_wallet_signature_in_base58_verifies(wallet: Keypair, message: str) -> None:
    signature = wallet.sign_message(message.encode())
    verify_wallet_signature(str(wallet.pubkey()), message, str(signature))


def test_a_wallet_signature_in_base64_verifies(wallet: Keypair, message: str) -> None:
    raw = bytes(wallet.sign_message(message.encode()))
    verify_wallet_signature(str(wallet.pubkey()), message, base64.b64encode(raw).decode())
    url_safe_unpadded = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    verify_wallet_signature(str(wallet.pubkey()), message, url_safe_unpadded)


def test_another_wallets_signature_is_refused(wallet: Keypair, message: str) -> None:
    someone_else = Keypair().sign_message(message.encode())
    with pytest.raises(BadWalletSignature) as refused:
        verify_wallet_signature(str(wallet.pubkey()), message, str(someone_else))
    assert refused.value.code == "BAD_WALLET_SIGNATURE"


def test_a_signature_over_an_altered_message_is_refused(wallet: Keypair, message: str) -> None:
    signature = str(wallet.sign_message(message.encode()))
    altered = message.replace("acc_42", "acc_43")
    with pytest.raises(BadWalletSignature):
        verify_wallet_signature(str(wallet.pubkey()), altered, signature)


@pytest.mark.parametrize(
    "signature",
    ["", "abc", "0OIl" * 22, "1" * 200, base64.b64encode(b"x" * 63).decode(), "not a signature!"],
    ids=["empty", "short", "bad-alphabet", "too-long", "63-bytes", "garbage"],
)
def test_a_malformed_signature_is_refused(wallet: Keypair, message: str, signature: str) -> None:
    with pytest.raises(BadWalletSignature) as refused:
        verify_wallet_signature(str(wallet.pubkey()), message, signature)
    assert refused.value.code == "BAD_WALLET_SIGNATURE"


@pytest.mark.parametrize(
    "address",
    ["", "abc", "0OIl" * 11, "x" * 100, "0x52908400098527886E0F7030069857D2E4169EE7"],
)
def test_a_malformed_address_is_refused(address: str, wallet: Keypair) -> None:
    signature = str(wallet.sign_message(b"anything"))
    with pytest.raises(InvalidWallet) as refused:
        parse_address(address)
    assert refused.value.code == "INVALID_WALLET"
    with pytest.raises(InvalidWallet):
        verify_wallet_signature(address, "anything", signature)


def test_a_program_address_cannot_be_linked() -> None:
    from solders.pubkey import Pubkey

    program_address, _ = Pubkey.find_program_address([b"vault"], Pubkey.default())
    with pytest.raises(InvalidWallet, match="program"):
        parse_address(str(program_address))


def test_a_valid_address_parses(wallet: Keypair) -> None:
    assert parse_address(str(wallet.pubkey())) == wallet.pubkey()
