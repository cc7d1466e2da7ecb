"""Linking a Solana wallet to an account: the user signs a server nonce with the wallet.

Flow (in the spirit of Sign-In-With-Solana): the server issues a nonce (``new_nonce``) valid
for ``NONCE_TTL``, the app asks the wallet to ``signMessage`` the UTF-8 bytes of
``link_message(...)``, and the server rebuilds the same message from what it stored and checks
the ed25519 signature with ``verify_wallet_signature``. The signature may be sent base58
(the usual encoding of Solana signatures) or base64.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import secrets
from datetime import UTC, datetime, timedelta

from solders.pubkey import Pubkey
from solders.signature import Signature

from engine.errors import DomainError

NONCE_TTL = timedelta(minutes=5)

_NONCE_BYTES = 16  # 128 bits
_SIGNATURE_BYTES = 64
# A 64-byte signature is at most 88 characters in base58 or base64; refuse anything far longer
# before decoding it.
_MAX_SIGNATURE_TEXT = 100


class InvalidWallet(DomainError):
    code = "INVALID_WALLET"


class BadWalletSignature(DomainError):
    code = "BAD_WALLET_SIGNATURE"


def new_nonce() -> str:
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(_NONCE_BYTES)


def link_message(account_id: str, address: str, nonce: str, issued_at: datetime) -> str:
    """The text the wallet shows and signs; the server rebuilds it byte for byte to verify.

    ``issued_at`` must be timezone-aware; it is written in UTC to the second.
    """
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    for label, value in (("account_id", account_id), ("address", address), ("nonce", nonce)):
        # A line break would let a value forge another line of the message.
        if "\n" in value or "\r" in value:
            raise ValueError(f"{label} cannot contain a line break")
    issued = issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"GoDark wants you to link this Solana wallet to account {account_id}.\n"
        "\n"
        f"Wallet: {address}\n"
        f"Nonce: {nonce}\n"
        f"Issued at: {issued}"
    )


def parse_address(address: str) -> Pubkey:
    """The wallet's public key; refuses text that is not a base58 ed25519 public key."""
    try:
        pubkey = Pubkey.from_string(address)
    except ValueError:
        raise InvalidWallet(f"{address!r} is not a Solana wallet address") from None
    if not pubkey.is_on_curve():
        # Off-curve addresses (program-derived) have no private key and cannot sign.
        raise InvalidWallet(f"{address!r} is a program address, not a wallet")
    return pubkey


def verify_wallet_signature(address: str, message: str, signature: str) -> None:
    """Raise unless ``signature`` is the wallet's ed25519 signature of ``message`` (UTF-8).

    InvalidWallet for a malformed address; BadWalletSignature for a malformed signature, or
    one made by another key or over another message.
    """
    pubkey = parse_address(address)
    message_bytes = message.encode("utf-8")
    candidates = _decode_signature(signature.strip())
    if not candidates:
        raise BadWalletSignature("the signature is not 64 bytes in base58 or base64")
    if not any(candidate.verify(pubkey, message_bytes) for candidate in candidates):
        raise BadWalletSignature("the signature was not made by this wallet over this message")


def _decode_signature(text: str) -> list[Signature]:
    """Every reading of the text as a 64-byte signature: base58 first, then base64.

    Both alphabets share most characters, so one text can decode both ways; trying each
    reading is safe because each must still verify against the wallet's key.
    """
    if len(text) > _MAX_SIGNATURE_TEXT:
        return []
    candidates: list[Signature] = []
    with contextlib.suppress(ValueError):
        candidates.append(Signature.from_string(text))
    raw = _base64_bytes(text)
    if raw is not None and len(raw) == _SIGNATURE_BYTES:
        candidates.append(Signature.from_bytes(raw))
    return candidates


def _base64_bytes(text: str) -> bytes | None:
    standard = text.replace("-", "+").replace("_", "/")  # accept the URL-safe alphabet too
    padded = standard + "=" * (-len(standard) % 4)
    try:
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
