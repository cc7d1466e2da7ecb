"""Wallets and vaults (seed 004 E, "Ephemeral Vault System"): each account's wallet, what it
authorised to the venue, the movements between its token account and the venue's vault, the
settlement batches' fee sweeps, and the reconciliation of the vault with the ledger.

Design (docs/settlement-chain.md, "Vaults in the venue"): all collateral sits in one vault
token account owned by the settlement authority. Money crosses the vault boundary only here:
a deposit (wallet -> vault, the authority signing as SPL delegate) mirrored by a ledger
`Deposit`, a withdrawal (vault -> wallet, no user signature) mirrored by a ledger `Withdraw`
with the same reference, and each batch's fee sweep (vault <-> the venue's fee wallet). PnL
between traders moves no tokens: it stays inside the vault.

Every operation runs under one lock, writes the chain state it produced (embedded chain) and
its movement row in one database transaction, and is resumed at start if a crash cut it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from engine.accounts.apikeys import derive_key
from engine.accounts.funds import Funds
from engine.clock import Clock
from engine.errors import DomainError
from engine.ledger import USDT
from engine.matching import OrderType, Side
from engine.perps import MarketConfig
from engine.perps.position import OrderSide
from engine.perps.risk import OrderRequest, check_order
from engine.settlement.chain.base import ChainBackend, ChainError, wallet_token_account
from engine.settlement.chain.wallets import EphemeralWallets
from engine.settlement.netting import Transfer
from engine.settlement.persistence import ChainStateStore
from engine.store.database import Database, StoredRow, as_utc, insert_ignoring_duplicates
from engine.store.tables import VaultMovementRow, VaultRow, WalletRow, table_of
from engine.trading import accounts
from engine.trading.commands import Command, Deposit, SubmitOrder, Withdraw
from engine.trading.exchange import CommandRefused, Exchange, Outcome

log = structlog.get_logger("godark.vaults")

WALLET = table_of(WalletRow)
VAULT = table_of(VaultRow)
MOVEMENT = table_of(VaultMovementRow)

EPHEMERAL = "EPHEMERAL"
LINKED = "LINKED"
DEPOSIT = "DEPOSIT"
WITHDRAWAL = "WITHDRAWAL"
FEE_SWEEP = "FEE_SWEEP"
PLANNED = "PLANNED"  # written before the ledger/chain step it describes
ON_CHAIN = "ON_CHAIN"  # the chain moved; the ledger mirror is still to be confirmed
DONE = "DONE"
REVERSED = "REVERSED"  # a withdrawal the chain refused: the ledger got it back

# Demo: what openDemoAccount puts on chain, authorises and deposits (seed 004 demo funding).
DEMO_FUNDING = 10_000 * USDT.unit
# The venue's fee wallet pays maker rebates back into the vault; in embedded/demo mode it
# starts with this float so a batch of net rebates never waits for fee income.
FEE_WALLET_FLOAT = 100_000 * USDT.unit
U64_MAX = (1 << 64) - 1
FEE_WALLET_ACCOUNT = "venue-fees"
RECONCILE_INTERVAL = timedelta(seconds=5)
SETTLEMENT_AUTHORITY_PURPOSE = "settlement-authority"
SETTLEMENT_MINT_PURPOSE = "settlement-mint"
FEE_WALLET_PURPOSE = "settlement-fee-wallet"
# Auto-deposit (seed 004 E): the reference can move between the check before an order and
# the engine applying it, so a floating order (market or peg) is funded as if its price
# were this much higher: 25 bps is some 25 s of a typical BTC move (about 1 bp a second)
# for 0.25 % more than the order's margin and fee. A jump beyond it still refuses the
# order (INSUFFICIENT_MARGIN); what the order does not use stays in the available balance.
AUTO_DEPOSIT_PRICE_ALLOWANCE_BPS = 25


def vault_reference(account_id: str, kind: str, key: str) -> str:
    """The reference a vault movement and its ledger command share. The engine takes at most
    64 characters, so the caller's key is hashed: `v:<kind>:<account>:<16 hex>`."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"v:{kind}:{account_id}:{digest}"


def derived_keypair(master_secret: str, purpose: str) -> Keypair:
    """A keypair that is the same after every restart: seeded from the master secret."""
    return Keypair.from_seed(derive_key(master_secret, purpose))


class VaultError(DomainError):
    code = "VAULT_ERROR"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class WalletInfo:
    account_id: str
    address: Pubkey
    kind: str
    created_at: datetime

    @property
    def linked(self) -> bool:
        return self.kind == LINKED


@dataclass(frozen=True, slots=True)
class VaultState:
    account_id: str
    approved: int  # authorised to the venue in total
    used: int  # pulled into the vault with that authorisation
    withdrawn: int  # sent back to the wallet
    active: bool

    @property
    def available(self) -> int:
        """Authorisation not used yet: what the venue may still pull (auto-deposit)."""
        return max(0, self.approved - self.used)


@dataclass(frozen=True, slots=True)
class WalletView:
    wallet: WalletInfo
    token_account: Pubkey
    balance: int  # on chain, micro-USDT
    delegated: int  # on chain allowance to the settlement authority


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """One comparison of the vault token account with the ledger's vault movements."""

    vault: str  # the vault token account's address
    on_chain: int
    expected: int  # ledger-mirrored deposits - withdrawals - fee sweeps
    checked_at: datetime
    unmirrored: int  # movements on chain whose ledger mirror is still pending

    @property
    def difference(self) -> int:
        return self.on_chain - self.expected

    @property
    def matches(self) -> bool:
        return self.difference == 0


class VaultService:
    def __init__(
        self,
        database: Database,
        chain: ChainBackend,
        clock: Clock,
        *,
        master_secret: str,
        submit: Callable[[Command], Awaitable[Outcome]],
        exchange: Callable[[], Exchange],
        funds: Funds,
        state: ChainStateStore | None = None,
        fee_float: int = FEE_WALLET_FLOAT,
    ) -> None:
        self._database = database
        self.chain = chain
        self._clock = clock
        self._submit = submit
        self._exchange = exchange
        self._funds = funds
        self._state = state
        self._wallets = EphemeralWallets(master_secret)
        self._fee_wallet = derived_keypair(master_secret, FEE_WALLET_PURPOSE)
        self._fee_float = fee_float
        self.lock = asyncio.Lock()
        self._wallet_cache: dict[str, WalletInfo] = {}
        self.last_reconciliation: Reconciliation | None = None
        self.halted: dict[str, int] = {}  # vault address -> difference that halted it
        self._task: asyncio.Task[None] | None = None

    @property
    def fee_wallet(self) -> Pubkey:
        return self._fee_wallet.pubkey()

    @property
    def withdrawals_halted(self) -> bool:
        return bool(self.halted)

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self, *, reconcile_every: timedelta | None = RECONCILE_INTERVAL) -> None:
        """Crash-only: resumes movements a crash cut, prepares the fee wallet, reconciles."""
        async with self._database.engine.connect() as connection:
            for row in (await connection.execute(select(WALLET))).all():
                self._wallet_cache[row.account_id] = _wallet(row)
        async with self.lock:
            await self._prepare_fee_wallet()
            await self._resume()
        await self.reconcile()
        if reconcile_every is not None and self._task is None:
            self._task = asyncio.create_task(self._reconcile_loop(reconcile_every), name="vaults")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _prepare_fee_wallet(self) -> None:
        owner = self._fee_wallet.pubkey()
        token_account = wallet_token_account(owner, self.chain.mint)
        if await self.chain.token_account(token_account) is None:
            await self.chain.create_wallet_token_account(owner)
            if self._fee_float > 0:
                await self.chain.faucet(owner, self._fee_float)
        if await self.chain.delegated_amount(owner) < U64_MAX // 2:
            await self.chain.approve(self._fee_wallet, U64_MAX)
        await self._save_chain()

    async def _resume(self) -> None:
        """Movements a crash left half done: a deposit on chain gets its ledger Deposit; a
        planned withdrawal is asked of the ledger again and then paid out on chain."""
        async with self._database.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(MOVEMENT).where(MOVEMENT.c.status.in_([PLANNED, ON_CHAIN]))
                )
            ).all()
        for row in rows:
            if row.kind == DEPOSIT and row.status == ON_CHAIN:
                await self._mirror_deposit(row.reference, row.account_id, int(row.amount))
            elif row.kind == WITHDRAWAL and row.status == PLANNED:
                try:
                    await self._complete_withdrawal(row.reference, row.account_id, int(row.amount))
                except DomainError as error:
                    log.warning(
                        "vault_withdrawal_not_resumed", reference=row.reference, code=error.code
                    )
            elif row.kind == DEPOSIT and row.status == PLANNED:
                await self._delete_movement(row.reference)  # the chain never moved
            log.info("vault_movement_resumed", reference=row.reference, kind=row.kind)

    async def _reconcile_loop(self, every: timedelta) -> None:
        while True:
            await asyncio.sleep(every.total_seconds())
            try:
                await self.reconcile()
            except Exception:
                log.exception("vault_reconciliation_failed")

    # --- wallets ------------------------------------------------------------------------

    def wallet_of(self, account_id: str) -> WalletInfo | None:
        return self._wallet_cache.get(account_id)

    async def wallet(self, account_id: str, linked_address: str | None = None) -> WalletInfo:
        """The account's wallet, created on first use: the linked wallet when the account has
        one, else an ephemeral keypair the venue keeps sealed. Either gets a token account."""
        known = self._wallet_cache.get(account_id)
        if known is not None:
            return known
        sealed: bytes | None = None
        if linked_address is not None:
            address, kind = Pubkey.from_string(linked_address), LINKED
        else:
            keypair, sealed = self._wallets.create(account_id)
            address, kind = keypair.pubkey(), EPHEMERAL
        now = self._clock.now()
        async with self.lock:
            await self.chain.create_wallet_token_account(address)
            async with self._database.transaction() as connection:
                await self._save_chain(connection)
                await connection.execute(
                    insert_ignoring_duplicates(connection, WALLET, ["account_id"]).values(
                        account_id=account_id,
                        address=str(address),
                        kind=kind,
                        sealed_key=sealed,
                        created_at=now,
                    )
                )
                row = (
                    await connection.execute(
                        select(WALLET).where(WALLET.c.account_id == account_id)
                    )
                ).one()
        info = _wallet(row)
        self._wallet_cache[account_id] = info
        return info

    async def view(self, account_id: str, linked_address: str | None = None) -> WalletView:
        wallet = await self.wallet(account_id, linked_address)
        token_account = wallet_token_account(wallet.address, self.chain.mint)
        state = await self.chain.token_account(token_account)
        balance = 0 if state is None else state.amount
        delegated = await self.chain.delegated_amount(wallet.address)
        return WalletView(wallet, token_account, balance, delegated)

    async def vault(self, account_id: str) -> VaultState:
        async with self._database.engine.connect() as connection:
            row = (
                await connection.execute(select(VAULT).where(VAULT.c.account_id == account_id))
            ).one_or_none()
        if row is None:
            return VaultState(account_id, 0, 0, 0, False)
        return _vault(row)

    async def _keypair(self, account_id: str) -> Keypair:
        async with self._database.engine.connect() as connection:
            row = (
                await connection.execute(select(WALLET).where(WALLET.c.account_id == account_id))
            ).one_or_none()
        if row is None or row.sealed_key is None:
            raise VaultError(
                "LINKED_WALLET",
                "a linked wallet signs for itself: approve in your wallet app; "
                "the venue can only withdraw to it",
            )
        return self._wallets.open(bytes(row.sealed_key), account_id)

    # --- faucet, authorise, deposit -----------------------------------------------------

    async def chain_faucet(self, account_id: str, amount: int) -> str:
        """Demo: mint test USDT to the account's wallet, within the daily faucet cap."""
        wallet = await self.wallet(account_id)
        async with self.lock:
            await self._funds.check_faucet(account_id, amount)
            signature = await self.chain.faucet(wallet.address, amount)
            await self._save_chain()
            await self._funds.record(account_id, "FAUCET", amount)
        log.info("vault_faucet", account=account_id, amount=amount)
        return signature

    async def authorize(self, account_id: str, amount: int) -> VaultState:
        """The wallet approves `amount` more to the settlement authority (SPL approve replaces
        the allowance, so the new allowance is what is left plus `amount`)."""
        if amount <= 0:
            raise VaultError("INVALID_AMOUNT", "the amount must be greater than zero")
        await self.wallet(account_id)
        keypair = await self._keypair(account_id)
        async with self.lock:
            left = await self.chain.delegated_amount(keypair.pubkey())
            await self.chain.approve(keypair, left + amount)
            async with self._database.transaction() as connection:
                await self._save_chain(connection)
                await self._add_to_vault(connection, account_id, approved=amount, active=True)
        log.info("vault_authorized", account=account_id, amount=amount)
        return await self.vault(account_id)

    async def deposit(self, account_id: str, amount: int, reference: str) -> tuple[int, bool]:
        """Pulls `amount` from the wallet into the vault as delegate and credits the ledger
        with a Deposit of the same reference. Returns (ledger sequence, replayed)."""
        if amount <= 0:
            raise VaultError("INVALID_AMOUNT", "the amount must be greater than zero")
        wallet = await self.wallet(account_id)
        async with self.lock:
            known = await self._movement(reference)
            if known is not None:
                return _replayed(known, amount)
            state = await self.vault(account_id)
            if not state.active:
                raise VaultError("VAULT_INACTIVE", "authorise USDT to the vault first")
            signature = await self.chain.deposit_from(
                wallet.address, amount, f"godark:vault:{reference}"
            )
            async with self._database.transaction() as connection:
                await self._save_chain(connection)
                await connection.execute(
                    MOVEMENT.insert().values(
                        reference=reference,
                        account_id=account_id,
                        kind=DEPOSIT,
                        amount=amount,
                        status=ON_CHAIN,
                        signature=signature,
                        created_at=self._clock.now(),
                    )
                )
                await self._add_to_vault(connection, account_id, used=amount)
            sequence = await self._mirror_deposit(reference, account_id, amount)
        log.info("vault_deposit", account=account_id, amount=amount, signature=signature)
        return sequence, False

    async def _mirror_deposit(self, reference: str, account_id: str, amount: int) -> int:
        outcome = await self._submit(Deposit(account_id, amount, reference, self._clock.now()))
        if not outcome.accepted:  # a Deposit is refused only for a bad amount or reference
            log.error("vault_deposit_not_mirrored", reference=reference, code=outcome.code)
            raise CommandRefused(outcome.code or "REFUSED", outcome.message or "refused")
        sequence = outcome.replay_of if outcome.replay_of is not None else outcome.sequence
        await self._finish(reference, DONE, ledger_sequence=sequence)
        return sequence

    async def fund_demo(self, account_id: str) -> None:
        """openDemoAccount: a wallet with 10,000 USDT minted on chain, authorised and
        deposited, so the account starts with 10,000 in the ledger."""
        await self.chain_faucet(account_id, DEMO_FUNDING)
        await self.authorize(account_id, DEMO_FUNDING)
        await self.deposit(account_id, DEMO_FUNDING, vault_reference(account_id, "dmo", "opening"))

    async def faucet_and_deposit(
        self, account_id: str, amount: int, reference: str
    ) -> tuple[int, bool]:
        """The demo faucet: minted on chain, authorised and deposited into the vault."""
        known = await self._movement(reference)
        if known is not None:
            return _replayed(known, amount)
        await self.chain_faucet(account_id, amount)
        await self.authorize(account_id, amount)
        return await self.deposit(account_id, amount, reference)

    async def ensure_collateral(self, command: SubmitOrder) -> int:
        """Auto-deposit: if the order needs more than the ledger's available balance, pull
        the shortfall plus a price-move allowance (AUTO_DEPOSIT_PRICE_ALLOWANCE_BPS) from
        the wallet, capped by its unused authorisation and its token balance; at least the
        shortfall at today's price, or nothing. What the order does not reserve stays in
        the available balance (withdrawable). Returns what was deposited (0 when nothing
        was needed or possible; the engine then refuses as usual)."""
        wallet = self._wallet_cache.get(command.account)
        if wallet is None or wallet.linked:
            return 0
        exchange = self._exchange()
        wanted = collateral_shortfall(exchange, command)
        if wanted <= 0:
            return 0
        state = await self.vault(command.account)
        if not state.active:
            return 0
        token_account = await self.chain.token_account(
            wallet_token_account(wallet.address, self.chain.mint)
        )
        in_wallet = 0 if token_account is None else token_account.amount
        amount = min(wanted, state.available, in_wallet)
        if amount <= 0 or amount < collateral_shortfall(exchange, command, allowance_bps=0):
            return 0  # not even today's shortfall: the engine refuses the order as usual
        reference = vault_reference(command.account, "aut", uuid.uuid4().hex)
        try:
            await self.deposit(command.account, amount, reference)
        except (ChainError, VaultError) as error:
            log.info("vault_auto_deposit_skipped", account=command.account, code=error.code)
            return 0
        return amount

    # --- withdraw and revoke ------------------------------------------------------------

    async def withdraw(self, account_id: str, amount: int, reference: str) -> tuple[int, bool]:
        """Vault -> the wallet's token account, mirrored by a ledger Withdraw; one click, no
        user signature. Returns (ledger sequence, replayed)."""
        if amount <= 0:
            raise VaultError("INVALID_AMOUNT", "the amount must be greater than zero")
        await self.wallet(account_id)
        async with self.lock:
            if self.withdrawals_halted:
                raise VaultError(
                    "WITHDRAWALS_HALTED",
                    "withdrawals are halted: the vault does not reconcile with the ledger",
                )
            known = await self._movement(reference)
            if known is not None:
                return _replayed(known, amount)
            async with self._database.transaction() as connection:
                await connection.execute(
                    MOVEMENT.insert().values(
                        reference=reference,
                        account_id=account_id,
                        kind=WITHDRAWAL,
                        amount=amount,
                        status=PLANNED,
                        created_at=self._clock.now(),
                    )
                )
            sequence = await self._complete_withdrawal(reference, account_id, amount)
        return sequence, False

    async def _complete_withdrawal(self, reference: str, account_id: str, amount: int) -> int:
        wallet = self._wallet_cache[account_id]
        outcome = await self._submit(Withdraw(account_id, amount, reference, self._clock.now()))
        if not outcome.accepted:
            await self._delete_movement(reference)
            raise CommandRefused(outcome.code or "REFUSED", outcome.message or "refused")
        sequence = outcome.replay_of if outcome.replay_of is not None else outcome.sequence
        try:
            signature = await self.chain.withdraw_to(
                wallet.address, amount, f"godark:vault:{reference}"
            )
        except ChainError:
            # The tokens did not move: give the ledger its money back, same step.
            await self._submit(Deposit(account_id, amount, f"{reference}:r", self._clock.now()))
            await self._finish(reference, REVERSED, ledger_sequence=sequence)
            raise
        async with self._database.transaction() as connection:
            await self._save_chain(connection)
            await connection.execute(
                update(MOVEMENT)
                .where(MOVEMENT.c.reference == reference)
                .values(status=DONE, signature=signature, ledger_sequence=sequence)
            )
            await self._add_to_vault(connection, account_id, withdrawn=amount)
        log.info("vault_withdrawal", account=account_id, amount=amount, signature=signature)
        return sequence

    async def revoke(self, account_id: str, reference: str) -> VaultState:
        """Refused while a position is open; otherwise everything available goes back to
        the wallet, the SPL approval is revoked and the vault is deactivated."""
        exchange = self._exchange()
        if exchange.positions_of(account_id):
            raise VaultError("POSITIONS_OPEN", "close your positions before revoking")
        if exchange.open_orders(account_id):
            raise VaultError("ORDERS_OPEN", "cancel your open orders before revoking")
        keypair = await self._keypair(account_id)
        ledger = exchange.ledger
        key = accounts.available(account_id)
        available = ledger.balance(key) if ledger.has_account(key) else 0
        if available > 0:
            await self.withdraw(
                account_id, available, vault_reference(account_id, "rvk", reference)
            )
        async with self.lock:
            if await self.chain.delegated_amount(keypair.pubkey()) > 0:
                await self.chain.revoke(keypair)
            async with self._database.transaction() as connection:
                await self._save_chain(connection)
                state = await self._vault_in(connection, account_id)
                await connection.execute(
                    update(VAULT)
                    .where(VAULT.c.account_id == account_id)
                    .values(approved=state.used, active=False, updated_at=self._clock.now())
                )
        log.info("vault_revoked", account=account_id, withdrawn=available)
        return await self.vault(account_id)

    # --- settlement batches -------------------------------------------------------------

    def fee_sweep(self, transfers: Sequence[Transfer]) -> int:
        """Net fees of a batch paid by vault-backed accounts (positive: vault -> fee wallet).
        Accounts without a wallet (the simulated makers) have no tokens in the vault."""
        return sum(t.fee for t in transfers if t.account in self._wallet_cache)

    async def settle_batch(self, batch_id: str, memo: bytes, transfers: Sequence[Transfer]) -> str:
        async with self.lock:
            reference = f"sweep:{batch_id}"
            known = await self._movement(reference)
            if known is None:
                sweep = self.fee_sweep(transfers)
                async with self._database.transaction() as connection:
                    await connection.execute(
                        MOVEMENT.insert().values(
                            reference=reference,
                            account_id=FEE_WALLET_ACCOUNT,
                            kind=FEE_SWEEP,
                            amount=sweep,
                            status=PLANNED,
                            created_at=self._clock.now(),
                        )
                    )
            else:
                sweep = int(known.amount)  # a retry moves exactly what was planned
            movements = [] if sweep == 0 else [(self._fee_wallet.pubkey(), sweep)]
            signature = await self.chain.submit_batch(batch_id, memo, movements)
            async with self._database.transaction() as connection:
                await self._save_chain(connection)
                await connection.execute(
                    update(MOVEMENT)
                    .where(MOVEMENT.c.reference == reference)
                    .values(status=DONE, signature=signature)
                )
        return signature

    async def find_batch(self, batch_id: str) -> str | None:
        async with self.lock:
            signature = await self.chain.find_batch(batch_id)
            if signature is not None:
                await self._finish(f"sweep:{batch_id}", DONE, signature=signature)
        return signature

    # --- reconciliation -----------------------------------------------------------------

    async def reconcile(self) -> Reconciliation:
        """Vault token balance on chain == sum of deposits on chain - withdrawals on chain -
        fee sweeps on chain, as the movement rows mirrored in the ledger record them. Any
        difference raises an alert and halts withdrawals from that vault until it matches."""
        async with self.lock:
            vault = self.chain.vault_token_account
            on_chain = await self.chain.token_balance(vault)
            async with self._database.engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(
                            MOVEMENT.c.kind,
                            MOVEMENT.c.status,
                            func.coalesce(func.sum(MOVEMENT.c.amount), 0),
                        ).group_by(MOVEMENT.c.kind, MOVEMENT.c.status)
                    )
                ).all()
        expected, unmirrored = 0, 0
        for kind, status, total in rows:
            total = int(total)
            if kind == DEPOSIT and status in (ON_CHAIN, DONE):
                expected += total
                if status == ON_CHAIN:
                    unmirrored += total
            elif kind in (WITHDRAWAL, FEE_SWEEP) and status == DONE:
                expected -= total
        result = Reconciliation(str(vault), on_chain, expected, self._clock.now(), unmirrored)
        self.last_reconciliation = result
        if not result.matches:
            if result.vault not in self.halted:
                log.error(
                    "vault_reconciliation_mismatch",
                    vault=result.vault,
                    on_chain=on_chain,
                    expected=expected,
                    difference=result.difference,
                )
            self.halted[result.vault] = result.difference
        elif self.halted.pop(result.vault, None) is not None:
            log.warning("vault_reconciliation_restored", vault=result.vault)
        return result

    # --- storage helpers ----------------------------------------------------------------

    async def _save_chain(self, connection: AsyncConnection | None = None) -> None:
        if self._state is None:
            return
        if connection is None:
            await self._state.save()
        else:
            await self._state.save_changes(connection)

    async def _movement(self, reference: str) -> StoredRow | None:
        async with self._database.engine.connect() as connection:
            return (
                await connection.execute(select(MOVEMENT).where(MOVEMENT.c.reference == reference))
            ).one_or_none()

    async def _delete_movement(self, reference: str) -> None:
        async with self._database.transaction() as connection:
            await connection.execute(delete(MOVEMENT).where(MOVEMENT.c.reference == reference))

    async def _finish(self, reference: str, status: str, **values: object) -> None:
        async with self._database.transaction() as connection:
            await connection.execute(
                update(MOVEMENT)
                .where(MOVEMENT.c.reference == reference)
                .values(status=status, **values)
            )

    async def _vault_in(self, connection: AsyncConnection, account_id: str) -> VaultState:
        row = (
            await connection.execute(select(VAULT).where(VAULT.c.account_id == account_id))
        ).one_or_none()
        return VaultState(account_id, 0, 0, 0, False) if row is None else _vault(row)

    async def _add_to_vault(
        self,
        connection: AsyncConnection,
        account_id: str,
        *,
        approved: int = 0,
        used: int = 0,
        withdrawn: int = 0,
        active: bool | None = None,
    ) -> None:
        now = self._clock.now()
        await connection.execute(
            insert_ignoring_duplicates(connection, VAULT, ["account_id"]).values(
                account_id=account_id, approved=0, used=0, withdrawn=0, active=False, updated_at=now
            )
        )
        values: dict[str, object] = {
            "approved": VAULT.c.approved + approved,
            "used": VAULT.c.used + used,
            "withdrawn": VAULT.c.withdrawn + withdrawn,
            "updated_at": now,
        }
        if active is not None:
            values["active"] = active
        await connection.execute(
            update(VAULT).where(VAULT.c.account_id == account_id).values(**values)
        )

    def describe(self) -> dict[str, object]:
        """For logs and the admin view."""
        last = self.last_reconciliation
        return {
            "halted": dict(self.halted),
            "last": None
            if last is None
            else {
                "vault": last.vault,
                "difference": last.difference,
                "at": last.checked_at.isoformat(),
            },
        }

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"VaultService({json.dumps(self.describe())})"


def collateral_shortfall(
    exchange: Exchange,
    command: SubmitOrder,
    *,
    allowance_bps: int = AUTO_DEPOSIT_PRICE_ALLOWANCE_BPS,
) -> int:
    """How much more than the ledger's available balance the order reserves (margin plus
    the taker-fee reserve, as the engine's check computes them), with the price the order
    is reserved at moved `allowance_bps` against it when that price floats (see
    `auto_deposit_price`); 0 if none."""
    market = exchange.markets.get(command.symbol)
    if market is None or command.reduce_only:
        return 0
    price = auto_deposit_price(exchange, market, command, allowance_bps)
    if price is None:
        return 0
    try:
        requirement = check_order(
            market,
            exchange.positions.get((command.account, command.symbol)),
            OrderRequest(
                OrderSide.BUY if command.side is Side.BUY else OrderSide.SELL,
                command.size,
                price,
                command.leverage,
                False,
            ),
            1 << 62,
        )
    except DomainError:
        return 0  # the engine will refuse it for another reason
    ledger = exchange.ledger
    key = accounts.available(command.account)
    available = ledger.balance(key) if ledger.has_account(key) else 0
    return max(0, requirement.total - available)


def auto_deposit_price(
    exchange: Exchange, market: MarketConfig, command: SubmitOrder, allowance_bps: int
) -> int | None:
    """The price the engine will reserve margin at (its `_risk_price`: the limit, else the
    reference ask/bid, or bid/ask for a bid/ask peg, rounded up to a tick). A limit is what
    the user asked and cannot move; a reference price can move before the engine applies
    the order, so it is raised by `allowance_bps` (a higher price reserves more, whichever
    the side), rounded up to a tick. None without a reference."""
    if command.limit_price is not None:
        return command.limit_price
    prices = exchange.prices.get(command.symbol)
    if prices is None:
        return None
    if command.order_type is OrderType.PEG_BID:
        reference = prices.bid
    elif command.order_type is OrderType.PEG_ASK:
        reference = prices.ask
    else:
        reference = prices.ask if command.side is Side.BUY else prices.bid
    if reference is None:
        return None
    moved = -(-reference * (10_000 + allowance_bps) // 10_000)
    return -(-moved // market.tick_size) * market.tick_size


def _replayed(known: StoredRow, amount: int) -> tuple[int, bool]:
    """A movement asked again with the same key: the first answer, or a refusal when the
    key comes back with another amount."""
    if int(known.amount) != amount:
        raise VaultError(
            "IDEMPOTENCY_KEY_REUSED", "this idempotency key was used for another amount"
        )
    return int(known.ledger_sequence or 0), True


def _wallet(row: StoredRow) -> WalletInfo:
    return WalletInfo(
        account_id=row.account_id,
        address=Pubkey.from_string(row.address),
        kind=row.kind,
        created_at=as_utc(row.created_at),
    )


def _vault(row: StoredRow) -> VaultState:
    return VaultState(
        account_id=row.account_id,
        approved=int(row.approved),
        used=int(row.used),
        withdrawn=int(row.withdrawn),
        active=bool(row.active),
    )


class VaultSubmitter:
    """The settlement service's ChainSubmitter over the vaults: a batch's transaction
    carries its fee sweep and the memo with the Merkle root (docs/settlement-chain.md)."""

    def __init__(self, vaults: VaultService) -> None:
        self._vaults = vaults

    async def submit(self, batch_id: str, memo: bytes, transfers: Sequence[Transfer]) -> str:
        return await self._vaults.settle_batch(batch_id, memo, transfers)

    async def find(self, batch_id: str) -> str | None:
        return await self._vaults.find_batch(batch_id)


class Vaults(Protocol):
    """What the API's resolvers ask of the vaults: the VaultService itself, or in an API
    process of many the engine's, over the cluster (engine/cluster/vaults.py)."""

    last_reconciliation: Reconciliation | None

    @property
    def withdrawals_halted(self) -> bool: ...

    def wallet_of(self, account_id: str) -> WalletInfo | None: ...

    async def wallet(self, account_id: str, linked_address: str | None = None) -> WalletInfo: ...

    async def view(self, account_id: str, linked_address: str | None = None) -> WalletView: ...

    async def vault(self, account_id: str) -> VaultState: ...

    async def chain_faucet(self, account_id: str, amount: int) -> str: ...

    async def authorize(self, account_id: str, amount: int) -> VaultState: ...

    async def deposit(self, account_id: str, amount: int, reference: str) -> tuple[int, bool]: ...

    async def withdraw(self, account_id: str, amount: int, reference: str) -> tuple[int, bool]: ...

    async def revoke(self, account_id: str, reference: str) -> VaultState: ...

    async def fund_demo(self, account_id: str) -> None: ...

    async def faucet_and_deposit(
        self, account_id: str, amount: int, reference: str
    ) -> tuple[int, bool]: ...

    async def ensure_collateral(self, command: SubmitOrder) -> int: ...

    async def reconcile(self) -> Reconciliation: ...
