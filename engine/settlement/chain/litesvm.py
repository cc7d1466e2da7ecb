"""The embedded chain: a real Solana runtime (LiteSVM) inside the process.

Transactions are executed by the real SPL Token, Associated Token Account and Memo programs.
LiteSVM keeps no ledger of blocks, so this module keeps what an RPC node would answer from:
every executed transaction (with its slot, time, logs and memos) and, per address, the
signatures that touched it, newest first. The slot follows the injected clock (400 ms per
slot, like mainnet) and each new slot brings a new blockhash, so blockhashes expire.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from solders.account import Account
from solders.clock import Clock as SysvarClock
from solders.hash import Hash
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.message import Message
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount
from solders.transaction import Transaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata
from spl.memo.constants import MEMO_PROGRAM_ID
from spl.token import instructions as token_instructions
from spl.token.constants import TOKEN_PROGRAM_ID

from engine.clock import Clock, SystemClock
from engine.settlement.chain.base import (
    MAX_TRANSACTION_BYTES,
    MINT_ACCOUNT_BYTES,
    BatchPart,
    ChainError,
    ChainRejected,
    InsufficientAllowance,
    InsufficientTokenBalance,
    TokenAccountMissing,
    TokenAccountState,
    approve_instruction,
    batch_instructions,
    create_mint_instructions,
    memo_instruction,
    mint_to_instruction,
    parse_batch_memo,
    plan_batch,
    require_positive,
    revoke_instruction,
    transfer_instruction,
    wallet_token_account,
)

log = structlog.get_logger(__name__)

SLOT_SECONDS = 0.4  # mainnet's target slot time
# Lamports given to the embedded authority: it pays every fee and every account's rent.
AUTHORITY_LAMPORTS = 100_000 * 1_000_000_000
# How much history the embedded node keeps (an RPC node without a long-term store is similar).
HISTORY_TRANSACTIONS = 200_000
SIGNATURES_PER_ADDRESS = 5_000
BLOCKHASH_VALID_SLOTS = 150


@dataclass(frozen=True, slots=True)
class RecordedTransaction:
    """What getTransaction / getSignaturesForAddress report about one executed transaction."""

    signature: str
    slot: int
    block_time: int
    transaction: Transaction
    error: str | None
    fee: int
    logs: tuple[str, ...]
    memos: tuple[str, ...]
    compute_units: int
    pre_balances: tuple[int, ...]
    post_balances: tuple[int, ...]


class LiteSvmChain:
    """``ChainBackend`` over an in-process LiteSVM. Calls are synchronous and fast."""

    def __init__(
        self,
        authority: Keypair | None = None,
        *,
        clock: Clock | None = None,
        mint: Keypair | None = None,
    ) -> None:
        self._authority = authority if authority is not None else Keypair()
        self._clock = clock if clock is not None else SystemClock()
        self._svm = LiteSVM()
        self._mint: Pubkey | None = None
        # A stable mint keypair (derived from the master secret) keeps the mint's address
        # across restarts; without one a new mint is made.
        self._mint_keypair = mint
        # Addresses written and transactions recorded since the last `drain_changes`: what a
        # persistence layer saves, since LiteSVM itself lives in memory only.
        self._touched: set[Pubkey] = set()
        self._new_records: list[RecordedTransaction] = []
        self._genesis_time = self._clock.now()
        self._genesis_slot = self._svm.get_clock().slot
        self._slot = self._genesis_slot
        self._records: OrderedDict[str, RecordedTransaction] = OrderedDict()
        self._by_address: dict[Pubkey, deque[str]] = {}
        self._batch_parts: dict[str, int] = {}  # batch id -> number of parts, seen on chain
        self._faucet_counter = itertools.count(1)
        self._started = False

    # --- identity ------------------------------------------------------------------------

    @property
    def authority(self) -> Pubkey:
        return self._authority.pubkey()

    @property
    def mint(self) -> Pubkey:
        if self._mint is None:
            raise ChainError("the USDT mint does not exist yet: start the chain first")
        return self._mint

    @property
    def vault_token_account(self) -> Pubkey:
        return wallet_token_account(self.authority, self.mint)

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Fund the authority, create the mint and the vault token account. Idempotent."""
        if self._started:
            return
        if self.lamports(self.authority) == 0:  # not restored from a saved state
            funded = self._svm.airdrop(self.authority, AUTHORITY_LAMPORTS)
            if isinstance(funded, FailedTransactionMetadata):
                raise ChainError(f"could not fund the settlement authority: {funded.err()}")
            self._touched.add(self.authority)
        await self.create_usdt_mint()
        await self.create_wallet_token_account(self.authority)
        self._started = True
        log.info("chain_started", backend="litesvm", mint=str(self.mint), slot=self.slot())

    async def create_usdt_mint(self) -> Pubkey:
        if self._mint is not None:
            return self._mint
        mint = self._mint_keypair if self._mint_keypair is not None else Keypair()
        if self._svm.get_account(mint.pubkey()) is not None:  # restored
            self._mint = mint.pubkey()
            return self._mint
        rent = self._svm.minimum_balance_for_rent_exemption(MINT_ACCOUNT_BYTES)
        self._send(
            create_mint_instructions(self.authority, mint.pubkey(), rent),
            [mint],
        )
        self._mint = mint.pubkey()
        return self._mint

    # --- wallets -------------------------------------------------------------------------

    async def create_wallet_token_account(self, owner: Pubkey) -> Pubkey:
        """The owner's associated token account, created (rent paid by the authority) if new."""
        address = wallet_token_account(owner, self.mint)
        if self._svm.get_account(address) is None:
            self._send(
                [
                    token_instructions.create_idempotent_associated_token_account(
                        payer=self.authority, owner=owner, mint=self.mint
                    )
                ]
            )
        return address

    async def faucet(self, owner: Pubkey, amount: int) -> str:
        """Mint demo USDT to the owner's token account (embedded chain only)."""
        require_positive(amount)
        address = await self.create_wallet_token_account(owner)
        mint_to = mint_to_instruction(self.authority, self.mint, address, amount)
        # A numbered memo keeps two equal faucet grants in one slot distinct transactions.
        memo = memo_instruction(self.authority, f"godark:faucet:{next(self._faucet_counter)}")
        return self._send([mint_to, memo])

    # --- vaults --------------------------------------------------------------------------

    async def approve(self, owner: Keypair, amount: int) -> str:
        """The wallet approves the authority as delegate for ``amount`` (replacing any earlier
        approval). The authority pays the fee, so an ephemeral wallet needs no SOL."""
        require_positive(amount)
        address = self._require_token_account(owner.pubkey()).address
        instruction = approve_instruction(address, owner.pubkey(), self.authority, amount)
        return self._send([instruction], [owner])

    async def revoke(self, owner: Keypair) -> str:
        address = self._require_token_account(owner.pubkey()).address
        instruction = revoke_instruction(address, owner.pubkey())
        return self._send([instruction], [owner])

    async def deposit_from(self, owner: Pubkey, amount: int, memo: str) -> str:
        """Move ``amount`` from the owner's token account into the vault, as the delegate."""
        require_positive(amount)
        self._check_pull(owner, amount)
        source = wallet_token_account(owner, self.mint)
        return self._send(
            [
                transfer_instruction(
                    source=source,
                    destination=self.vault_token_account,
                    signer=self.authority,
                    mint=self.mint,
                    amount=amount,
                ),
                memo_instruction(self.authority, memo),
            ]
        )

    async def withdraw_to(self, owner: Pubkey, amount: int, memo: str) -> str:
        """Move ``amount`` from the vault to the owner's token account (no user signature)."""
        require_positive(amount)
        destination = self._require_token_account(owner).address
        self._check_vault(amount)
        return self._send(
            [
                transfer_instruction(
                    source=self.vault_token_account,
                    destination=destination,
                    signer=self.authority,
                    mint=self.mint,
                    amount=amount,
                ),
                memo_instruction(self.authority, memo),
            ]
        )

    # --- batches -------------------------------------------------------------------------

    async def submit_batch(
        self, batch_id: str, memo: bytes, transfers: Sequence[tuple[Pubkey, int]]
    ) -> str:
        """Settle a batch; returns the signature of its last transaction.

        Parts already on chain (found by memo) are not sent again, so calling this after a
        crash completes the batch instead of repeating it.
        """
        parts = plan_batch(
            batch_id,
            memo,
            transfers,
            authority=self.authority,
            mint=self.mint,
            vault=self.vault_token_account,
        )
        on_chain = self._batch_parts_on_chain(batch_id)
        self._check_batch(part for part in parts if _part_number(part) not in on_chain)
        signature = ""
        for part in parts:
            number = _part_number(part)
            if number in on_chain:
                signature = on_chain[number]
                continue
            instructions = batch_instructions(
                part, authority=self.authority, mint=self.mint, vault=self.vault_token_account
            )
            signature = self._send(instructions)
        log.info("chain_batch_submitted", batch_id=batch_id, parts=len(parts), signature=signature)
        return signature

    async def find_batch(self, batch_id: str) -> str | None:
        """The signature of the batch's last transaction if every part of it is on chain."""
        found = self._batch_parts_on_chain(batch_id)
        total = self._batch_parts.get(batch_id)
        if total is None or len(found) < total:
            return None
        return found[total]

    def _batch_parts_on_chain(self, batch_id: str) -> dict[int, str]:
        """Part number -> signature, read from the memos on the authority's transactions."""
        found: dict[int, str] = {}
        for signature in self._by_address.get(self.authority, ()):
            record = self._records.get(signature)
            if record is None or record.error is not None:
                continue
            for text in record.memos:
                parsed = parse_batch_memo(text)
                if parsed is not None and parsed[0] == batch_id:
                    found.setdefault(parsed[1], signature)
                    self._batch_parts[batch_id] = parsed[2]
        return found

    # --- reads ---------------------------------------------------------------------------

    async def token_balance(self, token_account: Pubkey) -> int:
        state = self.read_token_account(token_account)
        if state is None:
            raise TokenAccountMissing(f"no token account at {token_account}")
        return state.amount

    async def token_account(self, token_account: Pubkey) -> TokenAccountState | None:
        return self.read_token_account(token_account)

    async def delegated_amount(self, owner: Pubkey) -> int:
        """What the authority may still pull from the owner's token account (0 if none)."""
        state = self.read_token_account(wallet_token_account(owner, self.mint))
        if state is None or state.delegate != self.authority:
            return 0
        return state.delegated_amount

    async def transaction(self, signature: str) -> dict[str, Any] | None:
        record = self.recorded(signature)
        if record is None:
            return None
        return {
            "signature": record.signature,
            "slot": record.slot,
            "block_time": record.block_time,
            "error": record.error,
            "fee": record.fee,
            "logs": list(record.logs),
            "memos": list(record.memos),
        }

    # --- what the JSON-RPC view reads ------------------------------------------------------

    def slot(self) -> int:
        self._tick()
        return self._slot

    def block_time(self) -> int:
        return int(self._clock.now().timestamp())

    def latest_blockhash(self) -> tuple[Hash, int]:
        """(blockhash, last valid block height), as getLatestBlockhash reports it."""
        self._tick()
        return self._svm.latest_blockhash(), self._slot + BLOCKHASH_VALID_SLOTS

    def account(self, address: Pubkey) -> Account | None:
        return self._svm.get_account(address)

    def lamports(self, address: Pubkey) -> int:
        return self._svm.get_balance(address) or 0

    def read_token_account(self, address: Pubkey) -> TokenAccountState | None:
        account = self._svm.get_account(address)
        if account is None or account.owner != TOKEN_PROGRAM_ID or len(account.data) != 165:
            return None
        parsed = TokenAccount.from_bytes(bytes(account.data))
        return TokenAccountState(
            address=address,
            owner=parsed.owner,
            mint=parsed.mint,
            amount=parsed.amount,
            delegate=parsed.delegate,
            delegated_amount=parsed.delegated_amount,
        )

    def token_accounts_of(self, owner: Pubkey) -> list[tuple[Pubkey, Account]]:
        """Every SPL token account whose owner is ``owner``."""
        return [
            (address, account)
            for address, account in self._svm.get_program_accounts(TOKEN_PROGRAM_ID)
            if len(account.data) == 165 and Pubkey(bytes(account.data)[32:64]) == owner
        ]

    def recorded(self, signature: str) -> RecordedTransaction | None:
        return self._records.get(signature)

    def signatures_for(self, address: Pubkey) -> list[str]:
        """Signatures of transactions that touched ``address``, newest first."""
        return list(self._by_address.get(address, ()))

    # --- persistence (engine/settlement/persistence.py saves and restores these) ----------

    def drain_changes(
        self,
    ) -> tuple[list[tuple[Pubkey, Account | None]], list[RecordedTransaction]]:
        """Accounts written and transactions recorded since the last call."""
        accounts = [(address, self._svm.get_account(address)) for address in self._touched]
        records = self._new_records
        self._touched = set()
        self._new_records = []
        return accounts, records

    def restore(
        self, accounts: Iterable[tuple[Pubkey, Account]], records: Iterable[RecordedTransaction]
    ) -> None:
        """Puts saved accounts and transaction history back (before `start`). Slots continue
        after the last recorded one, so history stays in order."""
        for address, account in accounts:
            self._svm.set_account(address, account)
        last_slot = self._slot
        for record in records:
            self._index(record)
            last_slot = max(last_slot, record.slot)
            for text in record.memos:
                parsed = parse_batch_memo(text)
                if parsed is not None:
                    self._batch_parts[parsed[0]] = parsed[2]
        if last_slot > self._slot:
            self._svm.warp_to_slot(last_slot + 1)
            self._genesis_slot = self._slot = last_slot + 1
            self._genesis_time = self._clock.now()
            self._svm.expire_blockhash()

    def set_account(self, address: Pubkey, account: Account) -> None:
        """Overwrite an account (tests tamper with balances this way; persistence restores)."""
        self._svm.set_account(address, account)

    # --- internals -----------------------------------------------------------------------

    def _tick(self) -> None:
        """Move the slot and the Clock sysvar to the injected clock's time; a new slot brings a
        new blockhash, which is how earlier blockhashes expire."""
        now = self._clock.now()
        elapsed = (now - self._genesis_time).total_seconds()
        slot = self._genesis_slot + max(0, int(elapsed / SLOT_SECONDS))
        if slot <= self._slot:
            return
        self._slot = slot
        sysvar = self._svm.get_clock()
        self._svm.set_clock(
            SysvarClock(
                slot=slot,
                epoch_start_timestamp=sysvar.epoch_start_timestamp,
                epoch=sysvar.epoch,
                leader_schedule_epoch=sysvar.leader_schedule_epoch,
                unix_timestamp=int(now.timestamp()),
            )
        )
        self._svm.expire_blockhash()

    def _send(self, instructions: list[Instruction], extra_signers: Sequence[Keypair] = ()) -> str:
        self._tick()
        message = Message.new_with_blockhash(
            instructions, self.authority, self._svm.latest_blockhash()
        )
        transaction = Transaction(
            [self._authority, *extra_signers], message, message.recent_blockhash
        )
        size = len(bytes(transaction))
        if size > MAX_TRANSACTION_BYTES:
            raise ChainRejected(f"transaction of {size} bytes exceeds {MAX_TRANSACTION_BYTES}")
        keys = list(message.account_keys)
        pre_balances = tuple(self.lamports(key) for key in keys)
        result = self._svm.send_transaction(transaction)
        signature = str(transaction.signatures[0])
        if isinstance(result, FailedTransactionMetadata):
            error = str(result.err())
            if "AlreadyProcessed" in error:
                # The identical transaction (same message, same blockhash) already executed:
                # ed25519 signatures are deterministic, so it is this very signature.
                return signature
            meta = result.meta()
            if meta.fee() > 0:  # executed and failed: a real cluster keeps it, with its error
                self._record(signature, transaction, meta, error, pre_balances)
            log.warning("chain_transaction_rejected", error=error, signature=signature)
            raise ChainRejected(f"transaction rejected: {error}", logs=meta.logs())
        self._record(signature, transaction, result, None, pre_balances)
        return signature

    def _record(
        self,
        signature: str,
        transaction: Transaction,
        meta: TransactionMetadata,
        error: str | None,
        pre_balances: tuple[int, ...],
    ) -> None:
        keys = list(transaction.message.account_keys)
        memo_index = keys.index(MEMO_PROGRAM_ID) if MEMO_PROGRAM_ID in keys else -1
        memos = tuple(
            bytes(instruction.data).decode("utf-8", errors="replace")
            for instruction in transaction.message.instructions
            if instruction.program_id_index == memo_index
        )
        record = RecordedTransaction(
            signature=signature,
            slot=self._slot,
            block_time=self.block_time(),
            transaction=transaction,
            error=error,
            fee=meta.fee(),
            logs=tuple(meta.logs()),
            memos=memos,
            compute_units=meta.compute_units_consumed(),
            pre_balances=pre_balances,
            post_balances=tuple(self.lamports(key) for key in keys),
        )
        self._index(record)
        self._new_records.append(record)
        self._touched.update(keys)

    def _index(self, record: RecordedTransaction) -> None:
        self._records[record.signature] = record
        while len(self._records) > HISTORY_TRANSACTIONS:
            self._records.popitem(last=False)
        for key in record.transaction.message.account_keys:
            signatures = self._by_address.setdefault(key, deque(maxlen=SIGNATURES_PER_ADDRESS))
            signatures.appendleft(record.signature)

    def _require_token_account(self, owner: Pubkey) -> TokenAccountState:
        address = wallet_token_account(owner, self.mint)
        state = self.read_token_account(address)
        if state is None:
            raise TokenAccountMissing(f"wallet {owner} has no token account for the USDT mint")
        return state

    def _check_pull(self, owner: Pubkey, amount: int) -> None:
        """Refuse a delegate pull the token program would refuse, with a precise reason."""
        state = self._require_token_account(owner)
        allowance = state.delegated_amount if state.delegate == self.authority else 0
        if allowance < amount:
            raise InsufficientAllowance(
                f"wallet {owner} approved {allowance} base units to the venue, needs {amount}"
            )
        if state.amount < amount:
            raise InsufficientTokenBalance(f"wallet {owner} holds {state.amount}, needs {amount}")

    def _check_vault(self, amount: int) -> None:
        held = self.read_token_account(self.vault_token_account)
        if held is None or held.amount < amount:
            have = 0 if held is None else held.amount
            raise InsufficientTokenBalance(f"the vault holds {have}, needs {amount}")

    def _check_batch(self, parts: Iterable[BatchPart]) -> None:
        pulls: dict[Pubkey, int] = {}
        pushes = 0
        for part in parts:
            for owner, amount in part.transfers:
                if amount < 0:
                    pulls[owner] = pulls.get(owner, 0) - amount
                else:
                    self._require_token_account(owner)
                    pushes += amount
        for owner, amount in pulls.items():
            self._check_pull(owner, amount)
        # plan_batch puts pulls before pushes, so the vault must cover the pushes net of the
        # pulls of the same batch.
        self._check_vault(max(0, pushes - sum(pulls.values())))


def _part_number(part: BatchPart) -> int:
    parsed = parse_batch_memo(part.memo)
    assert parsed is not None  # plan_batch writes batch memos only
    return parsed[1]
