"""Bot API keys: key material, sealed storage of secrets, request signing, replay and IP checks.

Signing scheme (HTTP)
---------------------
A bot holds a key id (``gdk_`` followed by 24 URL-safe characters, public) and a secret (43
URL-safe base64 characters, never sent). Every request carries three headers:

``X-GoDark-Key``
    the key id.
``X-GoDark-Timestamp``
    the current Unix time in milliseconds, as a string of ASCII digits only
    (for example ``1767225600000``; no sign, spaces, decimals or exponent).
``X-GoDark-Signature``
    ``hex(HMAC-SHA256(key=UTF-8(secret), message))`` in lowercase hexadecimal (64 characters;
    uppercase is refused), where ``message`` is the concatenation of the bytes

    ``UTF-8(timestamp) + UTF-8(METHOD) + UTF-8(path) + body``

    with ``METHOD`` the HTTP method in upper case (``GET``, ``POST``), ``path`` the request
    path including the query string exactly as sent (``/graphql`` or ``/graphql?op=x``; no
    scheme or host), and ``body`` the raw request body bytes as sent (empty for ``GET``).
    There are no separators between the four parts.

The server refuses a request when:

- the timestamp is not such an integer, or differs from the server's clock by more than
  5000 ms in either direction: ``STALE_SIGNATURE``;
- the signature does not match (compared in constant time): ``BAD_SIGNATURE``;
- the same signature was already accepted in the last 10000 ms (twice the window, so a
  signature cannot be replayed while its timestamp is still fresh): ``REPLAYED_SIGNATURE``.
  Two requests therefore need different timestamps or contents; a bot sending the same
  request twice in one millisecond must wait a millisecond.

Example (Python)::

    timestamp = str(int(time.time() * 1000))
    message = timestamp.encode() + b"POST" + b"/graphql" + body
    signature = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

Signing scheme (WebSocket)
--------------------------
The ``connection_init`` message of graphql-transport-ws carries the same signature computed
with method ``GET``, path ``/graphql`` and an empty body, in its payload::

    {"type": "connection_init",
     "payload": {"apiKey": key_id, "timestamp": timestamp_ms, "signature": signature}}

The same freshness, signature and replay rules apply (see ``sign_connection_init``).

Secrets at rest
---------------
The server must be able to recompute HMACs, so it stores each secret sealed with AES-256-GCM
under a key derived from one configured master secret (``derive_key``), with the key id as
associated data so a sealed secret cannot be moved to another key row. A ciphertext that does
not open raises ``SealedSecretUnreadable``: that is data corruption or a wrong master secret,
an operator problem rather than a user error, so it is deliberately not a ``DomainError``; the
API logs it and answers with its generic unexpected-error response.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import ipaddress
import os
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.asyncio import Redis
from redis.exceptions import RedisError

from engine.clock import Clock, SystemClock
from engine.errors import DomainError

log = structlog.get_logger("godark.apikeys")

HEADER_KEY = "X-GoDark-Key"
HEADER_TIMESTAMP = "X-GoDark-Timestamp"
HEADER_SIGNATURE = "X-GoDark-Signature"

KEY_ID_PREFIX = "gdk_"
MAX_ACTIVE_KEYS = 5
MAX_KEY_NAME_LENGTH = 64
MAX_ALLOW_LIST_ENTRIES = 20

SIGNATURE_WINDOW_MS = 5_000
# A timestamp is fresh from window before to window after "now": a span of 2 x window.
REPLAY_TTL_MS = 2 * SIGNATURE_WINDOW_MS

CONNECTION_INIT_METHOD = "GET"
CONNECTION_INIT_PATH = "/graphql"

_KEY_ID_RANDOM_BYTES = 18  # 24 URL-safe base64 characters
_SECRET_BYTES = 32
_NONCE_BYTES = 12  # 96-bit AES-GCM nonce
_TAG_BYTES = 16
_BOX_KEY_BYTES = 32
_HKDF_SALT = b"godark/hkdf/v1"
# Digits only: int() would also accept "+1", " 1", "1_000" and unicode digits.
_TIMESTAMP_PATTERN = re.compile(r"[0-9]{1,16}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Permission(StrEnum):
    READ = "READ"
    TRADE = "TRADE"
    WITHDRAW = "WITHDRAW"


class StaleSignature(DomainError):
    code = "STALE_SIGNATURE"


class BadSignature(DomainError):
    code = "BAD_SIGNATURE"


class ReplayedSignature(DomainError):
    code = "REPLAYED_SIGNATURE"


class ReplayCacheFull(DomainError):
    code = "TOO_MANY_SIGNED_REQUESTS"


class InvalidAllowList(DomainError):
    code = "INVALID_ALLOW_LIST"


class InvalidKeyName(DomainError):
    code = "INVALID_NAME"


class SealedSecretUnreadable(Exception):
    """A sealed secret failed authentication: corrupted, moved to another row, or wrong key."""


# --- key material ---------------------------------------------------------------------------


def new_api_key() -> tuple[str, str]:
    """A fresh (key_id, secret): the id is public, the secret is shown to the user once."""
    key_id = KEY_ID_PREFIX + secrets.token_urlsafe(_KEY_ID_RANDOM_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    return key_id, secret


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one purpose (e.g. "api-key-box"), derived by HKDF-SHA256.

    Distinct purposes give independent keys, so one configured secret can serve several uses.
    """
    if not secret:
        raise ValueError("the master secret is empty")
    if not purpose:
        raise ValueError("the key purpose is empty")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=_BOX_KEY_BYTES,
        salt=_HKDF_SALT,
        info=b"godark:" + purpose.encode("utf-8"),
    )
    return hkdf.derive(secret.encode("utf-8"))


class SecretBox:
    """AES-256-GCM sealing: ``nonce (12 bytes) || ciphertext || tag (16 bytes)``."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != _BOX_KEY_BYTES:
            raise ValueError(f"the box key must be {_BOX_KEY_BYTES} bytes, not {len(master_key)}")
        self._aead = AESGCM(master_key)

    def seal(self, plaintext: str, *, associated_data: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), associated_data)

    def open(self, sealed: bytes, *, associated_data: bytes) -> str:
        """The plaintext, or SealedSecretUnreadable if any byte or the associated data differ."""
        if len(sealed) < _NONCE_BYTES + _TAG_BYTES:
            raise SealedSecretUnreadable("sealed secret is too short")
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            plaintext = self._aead.decrypt(nonce, ciphertext, associated_data)
        except InvalidTag:
            raise SealedSecretUnreadable("sealed secret failed authentication") from None
        return plaintext.decode("utf-8")


# --- request signatures ---------------------------------------------------------------------


def canonical_message(timestamp_ms: str, method: str, path: str, body: bytes) -> bytes:
    """The signed bytes: timestamp + METHOD + path (with query string) + raw body."""
    return (
        timestamp_ms.encode("utf-8") + method.upper().encode("utf-8") + path.encode("utf-8") + body
    )


def sign(secret: str, timestamp_ms: str, method: str, path: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of the canonical message, keyed by the secret's UTF-8 bytes."""
    message = canonical_message(timestamp_ms, method, path, body)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_request(
    secret: str,
    timestamp_ms: str,
    method: str,
    path: str,
    body: bytes,
    signature: str,
    *,
    now_ms: int,
    window_ms: int = SIGNATURE_WINDOW_MS,
) -> None:
    """Raise StaleSignature or BadSignature unless the request is fresh and correctly signed.

    Replay is checked separately (``check_not_replayed``), after this succeeds, so that only
    authentic signatures ever occupy the replay cache.
    """
    if _TIMESTAMP_PATTERN.fullmatch(timestamp_ms) is None:
        raise StaleSignature(
            f"{HEADER_TIMESTAMP} must be the Unix time in milliseconds as an integer"
        )
    skew_ms = now_ms - int(timestamp_ms)
    if abs(skew_ms) > window_ms:
        raise StaleSignature(
            f"{HEADER_TIMESTAMP} is {abs(skew_ms)} ms "
            f"{'old' if skew_ms > 0 else 'in the future'}; at most {window_ms} ms is accepted, "
            "check the clock of the signing machine"
        )
    expected = sign(secret, timestamp_ms, method, path, body)
    # Compare bytes: compare_digest refuses non-ASCII str, and the header is attacker input.
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8")):
        raise BadSignature(
            f"{HEADER_SIGNATURE} does not match: expected lowercase hex HMAC-SHA256 of "
            "timestamp + METHOD + path + body"
        )


def sign_connection_init(key_id: str, secret: str, timestamp_ms: str) -> dict[str, str]:
    """The graphql-transport-ws ``connection_init`` payload for an API key.

    The signature is the HTTP one for ``GET /graphql`` with an empty body.
    """
    signature = sign(secret, timestamp_ms, CONNECTION_INIT_METHOD, CONNECTION_INIT_PATH, b"")
    return {"apiKey": key_id, "timestamp": timestamp_ms, "signature": signature}


# --- replay protection ----------------------------------------------------------------------


class ReplayCache(Protocol):
    async def first_use(self, signature: str, ttl_ms: int) -> bool:
        """True if the signature was not seen in the last ttl_ms; records it either way."""
        ...


class MemoryReplayCache:
    """Replay cache of one process: the embedded default when no Redis is configured.

    Expired entries are dropped as time passes. When ``max_entries`` live signatures are held
    it refuses new ones with ReplayCacheFull rather than forgetting a live one, which would let
    that signature be replayed.
    """

    def __init__(self, clock: Clock | None = None, *, max_entries: int = 200_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._max_entries = max_entries
        self._expiry_by_signature: dict[str, int] = {}
        self._expiries: list[tuple[int, str]] = []  # min-heap of (expiry_ms, signature)

    def __len__(self) -> int:
        return len(self._expiry_by_signature)

    async def first_use(self, signature: str, ttl_ms: int) -> bool:
        if ttl_ms <= 0:
            raise ValueError("ttl_ms must be positive")
        now_ms = _epoch_ms(self._clock.now())
        self._forget_expired(now_ms)
        if signature in self._expiry_by_signature:
            return False
        if len(self._expiry_by_signature) >= self._max_entries:
            raise ReplayCacheFull("too many signed requests at once; retry in a few seconds")
        expiry_ms = now_ms + ttl_ms
        self._expiry_by_signature[signature] = expiry_ms
        heapq.heappush(self._expiries, (expiry_ms, signature))
        return True

    def _forget_expired(self, now_ms: int) -> None:
        while self._expiries and self._expiries[0][0] <= now_ms:
            _, signature = heapq.heappop(self._expiries)
            del self._expiry_by_signature[signature]


class RedisReplayCache:
    """Replay cache shared by every process using the same Redis (SET NX PX, atomic)."""

    def __init__(self, redis: Redis, prefix: str = "godark:sig:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def first_use(self, signature: str, ttl_ms: int) -> bool:
        if ttl_ms <= 0:
            raise ValueError("ttl_ms must be positive")
        created = await self._redis.set(self._prefix + signature, b"1", nx=True, px=ttl_ms)
        return bool(created)


class FallbackReplayCache:
    """Redis while it answers; this process's own cache while it does not.

    An outage of Redis must not refuse every signed request. Each process then refuses
    replays it has seen itself (a replay sent to another process during the outage is not
    caught: the window is seconds long and the request must have been captured first),
    and every signature is recorded here too, so one first used during the outage is
    still refused here after Redis comes back.
    """

    def __init__(self, shared: ReplayCache, local: ReplayCache) -> None:
        self._shared = shared
        self._local = local
        self.using_local = False

    async def first_use(self, signature: str, ttl_ms: int) -> bool:
        local = await self._local.first_use(signature, ttl_ms)
        try:
            shared = await self._shared.first_use(signature, ttl_ms)
        except (RedisError, OSError) as error:
            if not self.using_local:
                log.warning("replay_cache_local", reason=type(error).__name__)
            self.using_local = True
            return local
        if self.using_local:
            log.info("replay_cache_shared_again")
        self.using_local = False
        return local and shared


async def check_not_replayed(
    cache: ReplayCache, signature: str, ttl_ms: int = REPLAY_TTL_MS
) -> None:
    """Record a verified signature; raise ReplayedSignature if it was already used."""
    if not await cache.first_use(signature, ttl_ms):
        raise ReplayedSignature(
            "this signature was already used; sign each request with a new timestamp"
        )


def _epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


# --- IP allow-list --------------------------------------------------------------------------


def parse_allow_list(entries: Sequence[str]) -> list[str]:
    """Canonical allow-list entries (IPs or CIDR networks, IPv4 or IPv6), duplicates dropped.

    A network written with host bits (``10.0.0.7/24``) means its network (``10.0.0.0/24``).
    """
    if len(entries) > MAX_ALLOW_LIST_ENTRIES:
        raise InvalidAllowList(
            f"an allow-list holds at most {MAX_ALLOW_LIST_ENTRIES} entries, not {len(entries)}"
        )
    canonical: list[str] = []
    for entry in entries:
        text = entry.strip()
        try:
            if "/" in text:
                parsed = str(ipaddress.ip_network(text, strict=False))
            else:
                parsed = str(ipaddress.ip_address(text))
        except ValueError:
            raise InvalidAllowList(
                f"{entry!r} is not an IP address or CIDR network (e.g. 203.0.113.7, "
                "203.0.113.0/24, 2001:db8::/32)"
            ) from None
        if parsed not in canonical:
            canonical.append(parsed)
    return canonical


def ip_allowed(ip: str, allow_list: Sequence[str]) -> bool:
    """True if the list is empty or the IP is one of its addresses or inside one of its networks.

    An IPv4 address seen through an IPv6 socket (``::ffff:203.0.113.7``) counts as IPv4. A
    malformed client IP is never allowed by a non-empty list.
    """
    if not allow_list:
        return True
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for entry in allow_list:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue  # parse_allow_list refuses these; a stale row must not widen access
        if address.version == network.version and address in network:
            return True
    return False


# --- key names ------------------------------------------------------------------------------


def validate_key_name(name: str) -> str:
    """The trimmed name: 1 to 64 printable characters."""
    trimmed = name.strip()
    if not 1 <= len(trimmed) <= MAX_KEY_NAME_LENGTH:
        raise InvalidKeyName(f"a key name has 1 to {MAX_KEY_NAME_LENGTH} characters")
    if not trimmed.isprintable():
        raise InvalidKeyName("a key name cannot contain control characters or line breaks")
    return trimmed
