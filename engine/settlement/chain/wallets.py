"""Ephemeral wallets (seed 004 E, "Create New Wallet"): a keypair the venue generates for a
demo or new user and keeps sealed with AES-256-GCM, bound to the account it belongs to.

Persistence belongs to the caller; this module only seals and opens. The sealed bytes are
useless without the master secret, and a sealed key moved to another account fails to open.
"""

from __future__ import annotations

from solders.keypair import Keypair

from engine.accounts.apikeys import SealedSecretUnreadable, SecretBox, derive_key

WALLET_KEY_PURPOSE = "wallet-keys"

__all__ = [
    "WALLET_KEY_PURPOSE",
    "EphemeralWallets",
    "SealedSecretUnreadable",
    "open_keypair",
    "seal_keypair",
]


def wallet_box(master_secret: str) -> SecretBox:
    return SecretBox(derive_key(master_secret, WALLET_KEY_PURPOSE))


def seal_keypair(box: SecretBox, keypair: Keypair, account_id: str) -> bytes:
    """``nonce || ciphertext || tag`` of the 64-byte keypair (base-58), bound to the account."""
    return box.seal(str(keypair), associated_data=_associated_data(account_id))


def open_keypair(box: SecretBox, sealed: bytes, account_id: str) -> Keypair:
    """The keypair, or SealedSecretUnreadable if the bytes, the account or the key differ."""
    text = box.open(sealed, associated_data=_associated_data(account_id))
    try:
        return Keypair.from_base58_string(text)
    except ValueError:
        raise SealedSecretUnreadable("sealed wallet key is not a keypair") from None


def _associated_data(account_id: str) -> bytes:
    if not account_id:
        raise ValueError("a wallet key must be bound to an account id")
    return account_id.encode("utf-8")


class EphemeralWallets:
    """Creates and opens the venue-held wallets of accounts under one master secret."""

    def __init__(self, master_secret: str) -> None:
        self._box = wallet_box(master_secret)

    def create(self, account_id: str) -> tuple[Keypair, bytes]:
        """A new keypair and its sealed form to store with the account."""
        keypair = Keypair()
        return keypair, seal_keypair(self._box, keypair, account_id)

    def open(self, sealed: bytes, account_id: str) -> Keypair:
        return open_keypair(self._box, sealed, account_id)
