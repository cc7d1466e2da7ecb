"""Vault and wallet operations of an API process, done by the engine process on its chain.

The embedded chain (LiteSVM) lives in one process: the engine's is the one settlement and
reconciliation use. So an API process sends every vault operation (wallet, view, faucet,
authorise, deposit, withdraw, revoke, demo funding, auto-deposit, reconciliation) to the
engine over a Redis Stream with a request id, as it sends commands (api_node.py), and gets the
result back as JSON: one chain whichever process a user reaches.

Idempotent by request id: the engine stores each answer under it in the same MULTI as the
XACK, and a redelivered request (the engine changed hands) gets the stored answer instead of
running again. Deposits and withdrawals are keyed by their vault reference besides.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from solders.pubkey import Pubkey

from engine.cluster import ENGINE_CONSUMER, ENGINE_GROUP, ClusterKeys
from engine.errors import DomainError
from engine.settlement.vaults import (
    RECONCILE_INTERVAL,
    Reconciliation,
    VaultError,
    VaultService,
    VaultState,
    WalletInfo,
    WalletView,
    collateral_shortfall,
)
from engine.trading.commands import SubmitOrder, decode, encode
from engine.trading.exchange import Exchange
from engine.trading.sequencer import SequencerStopped

if TYPE_CHECKING:
    from engine.cluster.api_node import ApiNode

BLOCK_MILLISECONDS = 1_000
BATCH = 64
# Long enough for a takeover to find the answers of requests its predecessor completed.
RESULT_TTL_SECONDS = 600
RETRY_SECONDS = 1.0
UNAVAILABLE = "ENGINE_UNAVAILABLE"
# Operations that may post to the ledger: their answer carries the engine's sequence after
# them, and the API process answers once its replica has it (read-your-writes).
POSTING = frozenset(
    {"deposit", "withdraw", "revoke", "fund_demo", "faucet_and_deposit", "ensure_collateral"}
)

Entry = tuple[str, dict[str, str]]

log = structlog.get_logger("godark.cluster.vaults")


# --- the API process's side ------------------------------------------------------------------


class RemoteVaults:
    """The `Vaults` of an API process: each operation is the engine's, over the cluster."""

    def __init__(self, node: ApiNode, exchange: Callable[[], Exchange]) -> None:
        self._node = node
        self._exchange = exchange
        self._wallets: dict[str, WalletInfo] = {}
        self.last_reconciliation: Reconciliation | None = None
        self._halted = False
        self._status: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._status = asyncio.create_task(self._follow_status(), name="vault-status")

    async def stop(self) -> None:
        if self._status is not None:
            self._status.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._status
            self._status = None

    @property
    def withdrawals_halted(self) -> bool:
        return self._halted

    def wallet_of(self, account_id: str) -> WalletInfo | None:
        return self._wallets.get(account_id)

    async def wallet(self, account_id: str, linked_address: str | None = None) -> WalletInfo:
        known = self._wallets.get(account_id)
        if known is not None:
            return known
        answer = await self._call("wallet", account_id=account_id, linked_address=linked_address)
        return self._remember(_wallet_info(answer))

    async def view(self, account_id: str, linked_address: str | None = None) -> WalletView:
        answer = await self._call("view", account_id=account_id, linked_address=linked_address)
        return WalletView(
            wallet=self._remember(_wallet_info(answer["wallet"])),
            token_account=Pubkey.from_string(answer["token_account"]),
            balance=int(answer["balance"]),
            delegated=int(answer["delegated"]),
        )

    async def vault(self, account_id: str) -> VaultState:
        return VaultState(**await self._call("vault", account_id=account_id))

    async def chain_faucet(self, account_id: str, amount: int) -> str:
        return str(await self._call("chain_faucet", account_id=account_id, amount=amount))

    async def authorize(self, account_id: str, amount: int) -> VaultState:
        return VaultState(**await self._call("authorize", account_id=account_id, amount=amount))

    async def deposit(self, account_id: str, amount: int, reference: str) -> tuple[int, bool]:
        answer = await self._call(
            "deposit", account_id=account_id, amount=amount, reference=reference
        )
        return int(answer[0]), bool(answer[1])

    async def withdraw(self, account_id: str, amount: int, reference: str) -> tuple[int, bool]:
        answer = await self._call(
            "withdraw", account_id=account_id, amount=amount, reference=reference
        )
        return int(answer[0]), bool(answer[1])

    async def revoke(self, account_id: str, reference: str) -> VaultState:
        return VaultState(**await self._call("revoke", account_id=account_id, reference=reference))

    async def fund_demo(self, account_id: str) -> None:
        await self._call("fund_demo", account_id=account_id)

    async def faucet_and_deposit(
        self, account_id: str, amount: int, reference: str
    ) -> tuple[int, bool]:
        answer = await self._call(
            "faucet_and_deposit", account_id=account_id, amount=amount, reference=reference
        )
        return int(answer[0]), bool(answer[1])

    async def ensure_collateral(self, command: SubmitOrder) -> int:
        # Most orders need no deposit: the replica says so without a round trip to the engine,
        # which checks again against its own state.
        if collateral_shortfall(self._exchange(), command) <= 0:
            return 0
        kind, payload = encode(command)
        return int(await self._call("ensure_collateral", kind=kind, payload=payload))

    async def reconcile(self) -> Reconciliation:
        return self._reconciled(await self._call("reconcile"))

    async def _follow_status(self) -> None:
        """The engine's latest reconciliation, for /metrics and settlementStatus here."""
        while True:
            try:
                answer = await self._call("status")
                if answer is not None:
                    self._reconciled(answer)
            except Exception as error:  # the engine away for a moment: the next poll retries
                log.info("vault_status_unavailable", error=type(error).__name__)
            await asyncio.sleep(RECONCILE_INTERVAL.total_seconds())

    def _reconciled(self, answer: dict[str, Any]) -> Reconciliation:
        result = Reconciliation(
            vault=answer["vault"],
            on_chain=int(answer["on_chain"]),
            expected=int(answer["expected"]),
            checked_at=datetime.fromisoformat(answer["checked_at"]),
            unmirrored=int(answer["unmirrored"]),
        )
        self.last_reconciliation = result
        self._halted = bool(answer["halted"])
        return result

    def _remember(self, wallet: WalletInfo) -> WalletInfo:
        self._wallets[wallet.account_id] = wallet
        return wallet

    async def _call(self, operation: str, **arguments: Any) -> Any:
        try:
            answer = await self._node.request(
                self._node.keys.vault_requests,
                {"operation": operation, "arguments": json.dumps(arguments)},
            )
        except SequencerStopped as stopped:
            raise VaultError(UNAVAILABLE, str(stopped)) from None
        if "error" in answer:
            raise VaultError(str(answer["error"]["code"]), str(answer["error"]["message"]))
        if answer.get("sequence"):
            # The operation's ledger commands are in this process's balances before it answers.
            await self._node.outcome_of(int(answer["sequence"]))
        return answer.get("result")


# --- the engine's side -----------------------------------------------------------------------


class VaultRequestConsumer:
    """Reads the API processes' vault requests and performs them on the engine's vaults."""

    def __init__(
        self,
        vaults: VaultService,
        exchange: Callable[[], Exchange],
        redis: Redis,
        keys: ClusterKeys,
    ) -> None:
        self._vaults = vaults
        self._exchange = exchange
        self._redis = redis  # decode_responses=True
        self._keys = keys
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(
                self._keys.vault_requests, ENGINE_GROUP, "0", mkstream=True
            )
        self._task = asyncio.create_task(self._run(), name="cluster-vault-requests")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        after = "0"  # first what a previous leaseholder read and did not acknowledge
        while True:
            try:
                read = await self._redis.xreadgroup(
                    ENGINE_GROUP,
                    ENGINE_CONSUMER,
                    {self._keys.vault_requests: after},
                    count=BATCH,
                    block=None if after == "0" else BLOCK_MILLISECONDS,
                )
            except (RedisError, OSError) as error:
                log.warning("vault_requests_unavailable", error=type(error).__name__)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            entries = _entries(read)
            if entries:
                await self._handle(entries)
            elif after == "0":
                after = ">"  # the pending ones are done: new requests from now on

    async def _handle(self, entries: Sequence[Entry]) -> None:
        answers = await asyncio.gather(*(self._answer(fields) for _id, fields in entries))
        async with self._redis.pipeline(transaction=True) as pipe:
            for (_entry_id, fields), answer in zip(entries, answers, strict=True):
                if answer is None:
                    continue
                message = json.dumps(answer, separators=(",", ":"))
                pipe.set(self._keys.result(answer["request"]), message, ex=RESULT_TTL_SECONDS)
                if fields.get("reply"):
                    pipe.publish(fields["reply"], message)
            pipe.xack(
                self._keys.vault_requests, ENGINE_GROUP, *(entry_id for entry_id, _ in entries)
            )
            await pipe.execute()

    async def _answer(self, fields: dict[str, str] | None) -> dict[str, Any] | None:
        if not fields or "request" not in fields:
            return None  # trimmed from the stream before it was read: nobody waits any more
        request = fields["request"]
        stored = await self._redis.get(self._keys.result(request))
        if stored is not None:
            answer: dict[str, Any] = json.loads(stored)
            return answer
        operation = fields.get("operation", "")
        try:
            result = await perform(self._vaults, operation, json.loads(fields["arguments"]))
        except DomainError as refusal:
            return {"request": request, "error": {"code": refusal.code, "message": refusal.message}}
        except SequencerStopped as stopped:
            return {"request": request, "error": {"code": UNAVAILABLE, "message": str(stopped)}}
        except Exception:
            log.exception("vault_request_failed", operation=operation)
            message = "the vault operation failed; it may be retried"
            return {"request": request, "error": {"code": "VAULT_FAILED", "message": message}}
        answer = {"request": request, "result": result}
        if operation in POSTING:
            answer["sequence"] = self._exchange().sequence
        return answer


async def perform(vaults: VaultService, operation: str, arguments: dict[str, Any]) -> Any:
    """One vault operation by name, its result as JSON."""
    match operation:
        case "wallet":
            return _wallet_json(await vaults.wallet(**arguments))
        case "view":
            view = await vaults.view(**arguments)
            return {
                "wallet": _wallet_json(view.wallet),
                "token_account": str(view.token_account),
                "balance": view.balance,
                "delegated": view.delegated,
            }
        case "vault" | "authorize" | "revoke":
            state: VaultState = await getattr(vaults, operation)(**arguments)
            return dataclasses.asdict(state)
        case "chain_faucet" | "deposit" | "withdraw" | "faucet_and_deposit" | "fund_demo":
            return await getattr(vaults, operation)(**arguments)
        case "ensure_collateral":
            command = decode(arguments["kind"], arguments["payload"])
            if not isinstance(command, SubmitOrder):
                raise VaultError("INVALID_REQUEST", "auto-deposit is for orders")
            return await vaults.ensure_collateral(command)
        case "reconcile":
            return _reconciliation_json(await vaults.reconcile(), vaults.withdrawals_halted)
        case "status":
            last = vaults.last_reconciliation
            return None if last is None else _reconciliation_json(last, vaults.withdrawals_halted)
    raise VaultError("INVALID_REQUEST", f"unknown vault operation {operation!r}")


def _entries(read: Any) -> list[Entry]:
    """XREADGROUP's answer, [[stream, [(id, fields), ...]], ...], as one list of entries."""
    return [(str(entry_id), fields) for _stream, batch in read or () for entry_id, fields in batch]


def _wallet_json(wallet: WalletInfo) -> dict[str, Any]:
    return {
        "account_id": wallet.account_id,
        "address": str(wallet.address),
        "kind": wallet.kind,
        "created_at": wallet.created_at.isoformat(),
    }


def _wallet_info(answer: dict[str, Any]) -> WalletInfo:
    return WalletInfo(
        account_id=answer["account_id"],
        address=Pubkey.from_string(answer["address"]),
        kind=answer["kind"],
        created_at=datetime.fromisoformat(answer["created_at"]),
    )


def _reconciliation_json(result: Reconciliation, halted: bool) -> dict[str, Any]:
    return {
        "vault": result.vault,
        "on_chain": result.on_chain,
        "expected": result.expected,
        "checked_at": result.checked_at.isoformat(),
        "unmirrored": result.unmirrored,
        "halted": halted,
    }
