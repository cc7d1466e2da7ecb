"""API keys for bots and linked Solana wallets: creation, authentication, revocation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from engine.accounts import apikeys, wallets
from engine.accounts.apikeys import (
    MAX_ACTIVE_KEYS,
    Permission,
    ReplayCache,
    SecretBox,
    check_not_replayed,
    derive_key,
)
from engine.accounts.roles import Principal, Unauthenticated, parse_roles
from engine.accounts.service import AccountService, Holdings, RequestMeta
from engine.accounts.store import AccountStore, moment
from engine.errors import DomainError
from engine.store.database import StoredRow
from engine.store.tables import AccountRow, ApiKeyRow, WalletNonceRow

MAX_KEY_LIFETIME = timedelta(days=366)
# Account data is cached this long per key, so a signed request needs no database read;
# a deleted key stops working at once (the cache entry is dropped in this process).
KEY_CACHE_SECONDS = 30.0


class TooManyKeys(DomainError):
    code = "TOO_MANY_KEYS"


class InvalidPermissions(DomainError):
    code = "INVALID_PERMISSIONS"


class KeyNotFound(DomainError):
    code = "NOT_FOUND"


class IpNotAllowed(DomainError):
    code = "IP_NOT_ALLOWED"


class WalletTaken(DomainError):
    code = "WALLET_TAKEN"


class WalletState(DomainError):
    code = "WALLET_STATE"


class InvalidNonce(DomainError):
    code = "INVALID_NONCE"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: StoredRow
    secret: str  # shown once


@dataclass(frozen=True, slots=True)
class WalletChallenge:
    nonce: str
    message: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class _CachedKey:
    secret: str
    principal: Principal
    allow_list: tuple[str, ...]
    expires_at: datetime | None
    loaded_at: datetime


class KeyService:
    def __init__(self, accounts: AccountService, replay_cache: ReplayCache) -> None:
        self.accounts = accounts
        self.store = accounts.store
        self.clock = accounts.clock
        self._box = SecretBox(derive_key(accounts.config.master_secret, "api-key-secret"))
        self._replays = replay_cache
        self._cache: dict[str, _CachedKey] = {}

    # --- API keys ----------------------------------------------------------------------------

    async def create_key(
        self,
        account_id: str,
        name: str,
        permissions: Sequence[str],
        allow_list: Sequence[str],
        expires_at: datetime | None,
        meta: RequestMeta,
    ) -> CreatedKey:
        clean_name = apikeys.validate_key_name(name)
        granted = _permissions(permissions)
        networks = apikeys.parse_allow_list(allow_list)
        now = self.clock.now()
        if expires_at is not None and not now < expires_at <= now + MAX_KEY_LIFETIME:
            raise InvalidPermissions("a key's expiry must be in the future, within a year")
        if len(await self.active_keys(account_id)) >= MAX_ACTIVE_KEYS:
            raise TooManyKeys(f"at most {MAX_ACTIVE_KEYS} active keys; delete one first")
        key_id, secret = apikeys.new_api_key()
        sealed = self._box.seal(secret, associated_data=key_id.encode()).hex()
        async with self.accounts.database.transaction() as connection:
            await AccountStore.insert(
                connection,
                ApiKeyRow,
                id=key_id,
                account_id=account_id,
                name=clean_name,
                permissions=",".join(sorted(granted)),
                allow_list=",".join(networks),
                secret=sealed,
                created_at=now,
                expires_at=expires_at,
            )
        await self.accounts.log_event(
            account_id, "API_KEY_CREATED", meta, f"{key_id} {','.join(sorted(granted))}"
        )
        row = await self.store.one(ApiKeyRow, id=key_id)
        assert row is not None
        return CreatedKey(key=row, secret=secret)

    async def active_keys(self, account_id: str) -> list[StoredRow]:
        now = self.clock.now()
        rows = await self.store.many(ApiKeyRow, account_id=account_id, newest_first="created_at")
        return [r for r in rows if r.revoked_at is None and not _expired(r, now)]

    async def update_key(
        self,
        account_id: str,
        key_id: str,
        name: str | None,
        allow_list: Sequence[str] | None,
    ) -> StoredRow:
        key = await self._own_key(account_id, key_id)
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = apikeys.validate_key_name(name)
        if allow_list is not None:
            changes["allow_list"] = ",".join(apikeys.parse_allow_list(allow_list))
        if changes:
            async with self.accounts.database.transaction() as connection:
                await AccountStore.update(connection, ApiKeyRow, {"id": key.id}, **changes)
            self._cache.pop(key_id, None)
        row = await self.store.one(ApiKeyRow, id=key_id)
        assert row is not None
        return row

    async def delete_key(
        self, account_id: str, key_id: str, password: str, meta: RequestMeta
    ) -> None:
        await self.accounts.check_password_and_code(account_id, password, None)
        key = await self._own_key(account_id, key_id)
        async with self.accounts.database.transaction() as connection:
            await AccountStore.update(
                connection, ApiKeyRow, {"id": key.id}, revoked_at=self.clock.now()
            )
        self._cache.pop(key_id, None)
        await self.accounts.log_event(account_id, "API_KEY_DELETED", meta, key_id)

    async def authenticate(
        self,
        key_id: str,
        timestamp_ms: str,
        method: str,
        path: str,
        body: bytes,
        signature: str,
        ip: str,
    ) -> Principal:
        """The principal a signed request acts as, or Unauthenticated with the reason."""
        now = self.clock.now()
        cached = await self._key(key_id[:64], now)
        if cached.expires_at is not None and cached.expires_at <= now:
            raise Unauthenticated("the API key has expired")
        apikeys.verify_request(
            cached.secret,
            timestamp_ms,
            method,
            path,
            body,
            signature,
            now_ms=int(now.timestamp() * 1000),
        )
        if not apikeys.ip_allowed(ip, cached.allow_list):
            raise IpNotAllowed(f"requests from {ip} are not allowed for this key")
        await check_not_replayed(self._replays, signature)
        return cached.principal

    def forget_account(self, account_id: str) -> None:
        """Drop cached keys of an account whose roles or terms changed."""
        for key_id in [k for k, c in self._cache.items() if c.principal.account_id == account_id]:
            del self._cache[key_id]

    async def _key(self, key_id: str, now: datetime) -> _CachedKey:
        cached = self._cache.get(key_id)
        if cached is not None and (now - cached.loaded_at).total_seconds() < KEY_CACHE_SECONDS:
            return cached
        key = await self.store.one(ApiKeyRow, id=key_id)
        if key is None or key.revoked_at is not None:
            raise Unauthenticated("unknown or deleted API key")
        account = await self.store.one(AccountRow, id=key.account_id)
        if account is None or account.status != "ACTIVE":
            raise Unauthenticated("the key's account is closed")
        secret = self._box.open(bytes.fromhex(key.secret), associated_data=key.id.encode())
        cached = _CachedKey(
            secret=secret,
            principal=Principal(
                account_id=account.id,
                roles=parse_roles(account.roles),
                tier=account.tier,
                api_key_id=key.id,
                key_permissions=frozenset(key.permissions.split(",")),
                terms_version=account.terms_version,
            ),
            allow_list=tuple(e for e in key.allow_list.split(",") if e),
            expires_at=moment(key.expires_at),
            loaded_at=now,
        )
        self._cache[key_id] = cached
        return cached

    async def _own_key(self, account_id: str, key_id: str) -> StoredRow:
        # Another account's key is "not found", exactly like a key that does not exist.
        key = await self.store.one(ApiKeyRow, id=key_id[:64], account_id=account_id)
        if key is None or key.revoked_at is not None:
            raise KeyNotFound("no such API key")
        return key

    # --- wallets -------------------------------------------------------------------------------

    async def wallet_challenge(self, account_id: str, address: str) -> WalletChallenge:
        wallets.parse_address(address)
        now = self.clock.now()
        nonce = wallets.new_nonce()
        message = wallets.link_message(account_id, address, nonce, now)
        expires = now + wallets.NONCE_TTL
        async with self.accounts.database.transaction() as connection:
            await AccountStore.insert(
                connection,
                WalletNonceRow,
                nonce=nonce,
                account_id=account_id,
                address=address,
                message=message,
                expires_at=expires,
            )
        return WalletChallenge(nonce=nonce, message=message, expires_at=expires)

    async def link_wallet(
        self, account_id: str, nonce: str, signature: str, meta: RequestMeta
    ) -> str:
        challenge = await self.store.one(WalletNonceRow, nonce=nonce[:64], account_id=account_id)
        now = self.clock.now()
        expires = None if challenge is None else moment(challenge.expires_at)
        if challenge is None or challenge.used_at is not None or expires is None or expires <= now:
            raise InvalidNonce("the challenge is unknown, used or expired; ask for a new one")
        wallets.verify_wallet_signature(challenge.address, challenge.message, signature)
        account = await self.accounts.account(account_id)
        if account.wallet_address is not None:
            raise WalletState("unlink the current wallet first")
        try:
            async with self.accounts.database.transaction() as connection:
                spent = await AccountStore.update(
                    connection,
                    WalletNonceRow,
                    {"nonce": challenge.nonce},
                    only_if_null="used_at",
                    used_at=now,
                )
                if not spent:
                    raise InvalidNonce("the challenge was already used")
                await AccountStore.update(
                    connection,
                    AccountRow,
                    {"id": account_id},
                    wallet_address=challenge.address,
                    wallet_linked_at=now,
                )
        except IntegrityError:
            raise WalletTaken("this wallet is linked to another account") from None
        await self.accounts.log_event(account_id, "WALLET_LINKED", meta, challenge.address)
        return str(challenge.address)

    async def unlink_wallet(
        self,
        account_id: str,
        password: str,
        code: str | None,
        has_positions: Holdings,
        meta: RequestMeta,
    ) -> None:
        account = await self.accounts.check_password_and_code(account_id, password, code)
        if account.wallet_address is None:
            raise WalletState("no wallet is linked")
        if await has_positions(account_id):
            raise WalletState("close your positions before unlinking the wallet")
        async with self.accounts.database.transaction() as connection:
            await AccountStore.update(
                connection,
                AccountRow,
                {"id": account_id},
                wallet_address=None,
                wallet_linked_at=None,
            )
        await self.accounts.log_event(
            account_id, "WALLET_UNLINKED", meta, str(account.wallet_address)
        )


def _permissions(requested: Sequence[str]) -> set[str]:
    known = {p.value for p in Permission}
    chosen = {p.strip().upper() for p in requested}
    if not chosen or not chosen <= known:
        raise InvalidPermissions(f"permissions must be some of {sorted(known)}")
    return chosen


def _expired(row: StoredRow, now: datetime) -> bool:
    expires = moment(row.expires_at)
    return expires is not None and expires <= now
