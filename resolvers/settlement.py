"""Settlement batches and proofs (public), the signed-in account's wallet and vault."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal as PyDecimal

from engine.accounts.roles import Action
from engine.errors import DomainError
from engine.ledger import USDT, InvalidAmount, format_units, to_units
from engine.settlement.chain.litesvm import LiteSvmChain
from engine.settlement.service import SETTLEMENTS_TOPIC
from engine.settlement.service import TradeProof as EngineProof
from engine.settlement.vaults import VaultState, WalletView
from engine.store.settlement import StoredBatch
from resolvers.context import Info
from resolvers.errors import InvalidArgument
from schema import scalars
from schema.errors import DepositLimitExceededError, InvalidAmountError, NotAvailableError
from schema.settlement import (
    BatchStatus,
    ChainFaucetResult,
    SettlementBatch,
    SettlementStatus,
    TradeProof,
    Vault,
    VaultError,
    VaultReconciliation,
    VaultResult,
    VaultUpdated,
    Wallet,
    WalletFunded,
)

MAX_BATCHES = 200


async def settlement_batches(
    info: Info, limit: int = 20, before: str | None = None
) -> list[SettlementBatch]:
    """Newest first; `before` is a batch id to page back from."""
    if not 1 <= limit <= MAX_BATCHES:
        raise InvalidArgument(f"limit must be between 1 and {MAX_BATCHES}")
    service = info.context.venue.settlement.service
    return [_batch(batch) for batch in await service.batches(limit, before)]


async def batch(info: Info, id: str) -> SettlementBatch | None:
    runtime = info.context.venue.settlement
    stored = await runtime.service.batch(id[:32])
    if stored is None:
        return None
    result = _batch(stored)
    result.trade_ids = [leaf.trade_id for leaf in await runtime.repository.leaves(stored.batch_id)]
    return result


async def trade_proof(info: Info, trade_id: str) -> TradeProof | None:
    """Null while the trade's window is still open (about a second), or for an unknown id."""
    proof = await info.context.venue.settlement.service.proof(trade_id[:64])
    return None if proof is None else _proof(proof)


async def settlement_status(info: Info) -> SettlementStatus:
    runtime = info.context.venue.settlement
    counts = runtime.batch_counts
    chain = runtime.chain
    return SettlementStatus(
        lag_seconds=runtime.lag_seconds,
        matched=counts.get("MATCHED", 0),
        pending=counts.get("PENDING", 0),
        confirmed=counts.get("CONFIRMED", 0),
        failed=counts.get("FAILED", 0),
        withdrawals_halted=runtime.vaults.withdrawals_halted,
        chain="LITESVM" if isinstance(chain, LiteSvmChain) else "RPC",
        mint=str(chain.mint),
        authority=str(chain.authority),
        vault_token_account=str(chain.vault_token_account),
    )


async def vault_reconciliation(info: Info) -> VaultReconciliation:
    """Admin: runs the reconciliation now and returns it."""
    info.context.require(Action.ADMINISTER)
    vaults = info.context.venue.settlement.vaults
    result = await vaults.reconcile()
    return VaultReconciliation(
        vault_token_account=result.vault,
        on_chain=_usdt(result.on_chain),
        expected=_usdt(result.expected),
        difference=_usdt(result.difference),
        unmirrored=_usdt(result.unmirrored),
        matches=result.matches,
        withdrawals_halted=vaults.withdrawals_halted,
        checked_at=result.checked_at,
    )


async def settlement_stream(info: Info) -> AsyncGenerator[SettlementBatch, None]:
    async with info.context.venue.bus.subscribe(SETTLEMENTS_TOPIC) as events:
        async for event in events:
            yield SettlementBatch(
                id=str(event["batch_id"]),
                sequence=int(str(event["batch_id"]).removeprefix("b-")),
                status=BatchStatus(event["status"]),
                merkle_root=str(event["merkle_root"]),
                trade_count=int(event["trade_count"]),
                tx_signature=event["tx_signature"],
                attempts=int(event["attempts"]),
                opened_at=datetime.fromisoformat(str(event["created_at"])),
                created_at=datetime.fromisoformat(str(event["created_at"])),
                submitted_at=None,
                confirmed_at=None
                if event["confirmed_at"] is None
                else datetime.fromisoformat(str(event["confirmed_at"])),
            )


# --- the signed-in account ------------------------------------------------------------------


async def wallet(info: Info) -> Wallet:
    principal = info.context.require(Action.READ)
    return await _wallet(info, principal.account_id)


async def vault(info: Info) -> Vault:
    principal = info.context.require(Action.READ)
    return _vault(await info.context.venue.settlement.vaults.vault(principal.account_id))


async def authorize_vault(info: Info, amount: scalars.Decimal) -> VaultResult:
    """The wallet approves `amount` more USDT to the venue's settlement authority."""
    principal = info.context.require(Action.TRADE)
    vaults = info.context.venue.settlement.vaults
    try:
        await _ensure_wallet(info, principal.account_id)
        state = await vaults.authorize(principal.account_id, _units(amount))
        view = await _wallet(info, principal.account_id)
    except DomainError as error:
        return _error(error)
    return VaultUpdated(vault=_vault(state), wallet=view)


async def revoke_vault(info: Info) -> VaultResult:
    """Refused while positions are open; else withdraw everything, revoke, deactivate."""
    principal = info.context.require(Action.WITHDRAW)
    venue = info.context.venue
    try:
        await _ensure_wallet(info, principal.account_id)
        state = await venue.settlement.vaults.revoke(principal.account_id, uuid.uuid4().hex)
        view = await _wallet(info, principal.account_id)
    except DomainError as error:
        return _error(error)
    return VaultUpdated(vault=_vault(state), wallet=view)


async def chain_faucet(info: Info, amount: scalars.Decimal) -> ChainFaucetResult:
    """Demo: test USDT minted on chain to your wallet (not deposited), capped per day."""
    principal = info.context.require(Action.TRADE)
    venue = info.context.venue
    if not venue.config.demo_mode:
        return NotAvailableError(code="NOT_AVAILABLE", message="the faucet is a demo feature")
    try:
        await _ensure_wallet(info, principal.account_id)
        signature = await venue.settlement.vaults.chain_faucet(principal.account_id, _units(amount))
        view = await _wallet(info, principal.account_id)
    except DomainError as error:
        if error.code == "DEPOSIT_LIMIT_EXCEEDED":
            return DepositLimitExceededError(code=error.code, message=error.message)
        return _error(error)
    return WalletFunded(signature=signature, wallet=view)


# --- conversions ----------------------------------------------------------------------------


async def _ensure_wallet(info: Info, account_id: str) -> None:
    venue = info.context.venue
    if venue.settlement.vaults.wallet_of(account_id) is None:
        row = await venue.accounts.account(account_id)
        await venue.settlement.vaults.wallet(account_id, row.wallet_address)


async def _wallet(info: Info, account_id: str) -> Wallet:
    await _ensure_wallet(info, account_id)
    view: WalletView = await info.context.venue.settlement.vaults.view(account_id)
    return Wallet(
        address=str(view.wallet.address),
        kind=view.wallet.kind,
        token_account=str(view.token_account),
        mint=str(info.context.venue.settlement.chain.mint),
        balance=_usdt(view.balance),
        delegated=_usdt(view.delegated),
    )


def _vault(state: VaultState) -> Vault:
    return Vault(
        approved=_usdt(state.approved),
        used=_usdt(state.used),
        withdrawn=_usdt(state.withdrawn),
        available=_usdt(state.available),
        active=state.active,
    )


def _batch(stored: StoredBatch) -> SettlementBatch:
    return SettlementBatch(
        id=stored.batch_id,
        sequence=stored.sequence,
        status=BatchStatus(stored.status),
        merkle_root=stored.merkle_root,
        trade_count=stored.trade_count,
        tx_signature=stored.tx_signature,
        attempts=stored.attempts,
        opened_at=stored.opened_at,
        created_at=stored.created_at,
        submitted_at=stored.submitted_at,
        confirmed_at=stored.confirmed_at,
    )


def _proof(proof: EngineProof) -> TradeProof:
    return TradeProof(
        trade_id=proof.trade_id,
        batch_id=proof.batch_id,
        status=BatchStatus(proof.status),
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        path=list(proof.path),
        merkle_root=proof.merkle_root,
        leaf_data=proof.leaf_data,
        tx_signature=proof.tx_signature,
    )


def _units(amount: scalars.Decimal) -> int:
    units = to_units(PyDecimal(str(amount)), USDT)
    if units <= 0:
        raise InvalidAmount("the amount must be greater than zero")
    return units


def _usdt(units: int) -> scalars.Decimal:
    return scalars.Decimal(PyDecimal(format_units(units, USDT)))


def _error(error: DomainError) -> InvalidAmountError | VaultError:
    if error.code == "INVALID_AMOUNT":
        return InvalidAmountError(code=error.code, message=error.message)
    return VaultError(code=error.code, message=error.message)
