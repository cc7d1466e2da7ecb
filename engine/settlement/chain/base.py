"""The chain interface the settlement layer talks to, its typed errors, and the transaction
shapes (instructions, memo format, size limit) that every backend builds the same way.

Two backends implement ``ChainBackend``: ``LiteSvmChain`` (a real Solana runtime embedded in the
process, the default) and ``RpcChain`` (a cluster reached through JSON-RPC). Amounts are integer
base units of the USDT-like mint (6 decimals: 1 USDT = 1_000_000).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from solders.token.associated import get_associated_token_address
from solders.transaction import Transaction
from spl.memo.constants import MEMO_PROGRAM_ID
from spl.token import instructions as token_instructions
from spl.token import models as token_models
from spl.token.constants import TOKEN_PROGRAM_ID

from engine.errors import DomainError

USDT_DECIMALS = 6
MINT_ACCOUNT_BYTES = 82  # the SPL Token mint layout
# Solana's packet limit for one serialized transaction (PACKET_DATA_SIZE in the Solana SDK).
# LiteSVM does not enforce it, so both backends check it themselves: the embedded chain must
# refuse what a real cluster would refuse.
MAX_TRANSACTION_BYTES = 1232
# Prefix of every memo the venue writes for a settlement batch; find_batch searches for it.
BATCH_MEMO_PREFIX = "godark:batch:"


# --- errors -----------------------------------------------------------------------------------


class ChainError(DomainError):
    code = "CHAIN_ERROR"


class ChainUnavailable(ChainError):
    """The chain could not be reached or did not answer in time; retrying may succeed."""

    code = "CHAIN_UNAVAILABLE"


class ChainRejected(ChainError):
    """The runtime executed and refused the transaction; nothing moved."""

    code = "CHAIN_REJECTED"

    def __init__(self, message: str, *, logs: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.logs = list(logs)


class InsufficientAllowance(ChainError):
    """The wallet's delegate approval to the settlement authority does not cover the amount."""

    code = "INSUFFICIENT_ALLOWANCE"


class InsufficientTokenBalance(ChainError):
    code = "INSUFFICIENT_TOKEN_BALANCE"


class TokenAccountMissing(ChainError):
    code = "TOKEN_ACCOUNT_MISSING"


class InvalidChainAmount(ChainError):
    code = "INVALID_AMOUNT"


# --- the interface ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenAccountState:
    """What the venue reads from an SPL token account."""

    address: Pubkey
    owner: Pubkey
    mint: Pubkey
    amount: int
    delegate: Pubkey | None
    delegated_amount: int


class ChainBackend(Protocol):
    """Everything settlement needs from Solana. All amounts are base units (micro-USDT)."""

    @property
    def authority(self) -> Pubkey:
        """The venue's settlement authority: fee payer, vault owner, delegate of every wallet."""
        ...

    @property
    def mint(self) -> Pubkey:
        """The USDT-like mint (raises ChainError before start/create_usdt_mint)."""
        ...

    @property
    def vault_token_account(self) -> Pubkey:
        """The authority's associated token account for the mint: the venue's vault."""
        ...

    async def start(self) -> None: ...

    async def create_usdt_mint(self) -> Pubkey: ...

    async def create_wallet_token_account(self, owner: Pubkey) -> Pubkey: ...

    async def faucet(self, owner: Pubkey, amount: int) -> str: ...

    async def approve(self, owner: Keypair, amount: int) -> str: ...

    async def deposit_from(self, owner: Pubkey, amount: int, memo: str) -> str: ...

    async def withdraw_to(self, owner: Pubkey, amount: int, memo: str) -> str: ...

    async def revoke(self, owner: Keypair) -> str: ...

    async def submit_batch(
        self, batch_id: str, memo: bytes, transfers: Sequence[tuple[Pubkey, int]]
    ) -> str: ...

    async def find_batch(self, batch_id: str) -> str | None: ...

    async def token_balance(self, token_account: Pubkey) -> int: ...

    async def token_account(self, token_account: Pubkey) -> TokenAccountState | None: ...

    async def delegated_amount(self, owner: Pubkey) -> int: ...

    async def transaction(self, signature: str) -> dict[str, Any] | None: ...


# --- transaction shapes shared by the backends ---------------------------------------------


def wallet_token_account(owner: Pubkey, mint: Pubkey) -> Pubkey:
    return get_associated_token_address(owner, mint)


def require_positive(amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidChainAmount(f"amount must be a positive integer of base units, not {amount!r}")


def create_mint_instructions(authority: Pubkey, mint: Pubkey, rent: int) -> list[Instruction]:
    """A new USDT-like mint (6 decimals) whose mint authority is the settlement authority."""
    return [
        create_account(
            CreateAccountParams(
                from_pubkey=authority,
                to_pubkey=mint,
                lamports=rent,
                space=MINT_ACCOUNT_BYTES,
                owner=TOKEN_PROGRAM_ID,
            )
        ),
        token_instructions.initialize_mint(
            token_models.InitializeMintParams(
                decimals=USDT_DECIMALS,
                program_id=TOKEN_PROGRAM_ID,
                mint=mint,
                mint_authority=authority,
            )
        ),
    ]


def mint_to_instruction(
    authority: Pubkey, mint: Pubkey, destination: Pubkey, amount: int
) -> Instruction:
    return token_instructions.mint_to(
        token_models.MintToParams(
            program_id=TOKEN_PROGRAM_ID,
            mint=mint,
            dest=destination,
            mint_authority=authority,
            amount=amount,
        )
    )


def approve_instruction(
    token_account: Pubkey, owner: Pubkey, delegate: Pubkey, amount: int
) -> Instruction:
    return token_instructions.approve(
        token_models.ApproveParams(
            program_id=TOKEN_PROGRAM_ID,
            source=token_account,
            delegate=delegate,
            owner=owner,
            amount=amount,
        )
    )


def revoke_instruction(token_account: Pubkey, owner: Pubkey) -> Instruction:
    return token_instructions.revoke(
        token_models.RevokeParams(program_id=TOKEN_PROGRAM_ID, account=token_account, owner=owner)
    )


def memo_instruction(signer: Pubkey, text: str) -> Instruction:
    """A Memo program (v2) instruction; the signer is listed so the log names who wrote it."""
    return Instruction(
        program_id=MEMO_PROGRAM_ID,
        data=text.encode("utf-8"),
        accounts=[AccountMeta(pubkey=signer, is_signer=True, is_writable=False)],
    )


def transfer_instruction(
    *, source: Pubkey, destination: Pubkey, signer: Pubkey, mint: Pubkey, amount: int
) -> Instruction:
    """SPL Token ``transfer_checked``: the program checks the mint and its decimals too."""
    return token_instructions.transfer_checked(
        token_models.TransferCheckedParams(
            program_id=TOKEN_PROGRAM_ID,
            source=source,
            mint=mint,
            dest=destination,
            owner=signer,
            amount=amount,
            decimals=USDT_DECIMALS,
        )
    )


@dataclass(frozen=True, slots=True)
class BatchPart:
    """One transaction of a batch: its memo text and its token movements."""

    memo: str
    transfers: tuple[tuple[Pubkey, int], ...]


def batch_memo(batch_id: str, part: int, parts: int, memo: bytes) -> str:
    """``godark:batch:<id>:<part>/<parts>:<caller memo>`` — the caller memo carries the root."""
    if ":" in batch_id or not batch_id:
        raise ValueError(f"batch id must be non-empty and without ':', not {batch_id!r}")
    return f"{BATCH_MEMO_PREFIX}{batch_id}:{part}/{parts}:{memo.decode('utf-8')}"


def parse_batch_memo(text: str) -> tuple[str, int, int] | None:
    """(batch_id, part, parts) of a batch memo, or None for any other memo."""
    if not text.startswith(BATCH_MEMO_PREFIX):
        return None
    fields = text[len(BATCH_MEMO_PREFIX) :].split(":", 2)
    if len(fields) < 2:
        return None
    position = fields[1].split("/")
    if len(position) != 2 or not all(p.isdigit() for p in position):
        return None
    return fields[0], int(position[0]), int(position[1])


def memos_of_rpc_field(memo_field: str | None) -> list[str]:
    """The memos of a getSignaturesForAddress ``memo`` field: ``"[len] text; [len] text"``.

    ``len`` counts UTF-8 bytes, as Solana's RPC does.
    """
    if memo_field is None:
        return []
    memos: list[str] = []
    rest = memo_field.encode("utf-8")
    while rest.startswith(b"["):
        close = rest.find(b"] ")
        if close < 0 or not rest[1:close].isdigit():
            break
        start, length = close + 2, int(rest[1:close])
        memos.append(rest[start : start + length].decode("utf-8", errors="replace"))
        rest = rest[start + length :].removeprefix(b"; ")
    return memos


def rpc_memo_field(memos: Sequence[str]) -> str | None:
    """How Solana's RPC reports the memos of a transaction in getSignaturesForAddress."""
    if not memos:
        return None
    return "; ".join(f"[{len(memo.encode('utf-8'))}] {memo}" for memo in memos)


def batch_instructions(
    part: BatchPart, *, authority: Pubkey, mint: Pubkey, vault: Pubkey
) -> list[Instruction]:
    """Token movements of one part, then its memo.

    Positive amount: vault -> the owner's token account (the authority signs as vault owner).
    Negative amount: the owner's token account -> vault (the authority signs as delegate).
    """
    instructions: list[Instruction] = []
    for owner, amount in part.transfers:
        account = wallet_token_account(owner, mint)
        source, destination = (vault, account) if amount > 0 else (account, vault)
        instructions.append(
            transfer_instruction(
                source=source,
                destination=destination,
                signer=authority,
                mint=mint,
                amount=abs(amount),
            )
        )
    instructions.append(memo_instruction(authority, part.memo))
    return instructions


def transaction_size(instructions: Sequence[Instruction], payer: Pubkey) -> int:
    """Bytes of the signed transaction (signatures are fixed-size, so unsigned measures it)."""
    message = Message.new_with_blockhash(list(instructions), payer, Hash.default())
    return len(bytes(Transaction.new_unsigned(message)))


def plan_batch(
    batch_id: str,
    memo: bytes,
    transfers: Sequence[tuple[Pubkey, int]],
    *,
    authority: Pubkey,
    mint: Pubkey,
    vault: Pubkey,
) -> list[BatchPart]:
    """Split a batch into as few transactions as fit Solana's packet limit.

    Deterministic in its inputs, so a resubmission after a crash plans the very same parts and
    finds the ones already on chain by their memo.
    """
    for _, amount in transfers:
        if amount == 0 or isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidChainAmount(f"a batch transfer must be a non-zero integer, not {amount!r}")
    # Pulls into the vault first, so pushes out of it can use what the same batch pulled in.
    movements = tuple(sorted(transfers, key=lambda transfer: transfer[1] > 0))

    def fits(count: int, parts: int) -> bool:
        # The widest memo a part of this batch can have: its part numbers at full width.
        part = BatchPart(batch_memo(batch_id, parts, parts, memo), movements[:count])
        instructions = batch_instructions(part, authority=authority, mint=mint, vault=vault)
        return transaction_size(instructions, authority) <= MAX_TRANSACTION_BYTES

    parts_guess = max(1, len(movements))
    if not fits(min(1, len(movements)), parts_guess):
        raise ValueError("the batch memo leaves no room for a transfer in a transaction")
    per_part = max(1, len(movements))  # a batch without movements is one memo-only part
    if not fits(len(movements), 1):
        low, high = 1, len(movements)  # fits(low) holds (at least one transfer fits with a memo)
        while low < high:
            middle = (low + high + 1) // 2
            if fits(middle, parts_guess):
                low = middle
            else:
                high = middle - 1
        per_part = low
    chunks = [movements[i : i + per_part] for i in range(0, len(movements), per_part)] or [()]
    return [
        BatchPart(batch_memo(batch_id, index + 1, len(chunks), memo), chunk)
        for index, chunk in enumerate(chunks)
    ]
