"""The configured chain: a Solana cluster (devnet, a local validator) reached through
JSON-RPC with solana-py's async client, when GODARK_SOLANA_RPC_URL is set.

Builds exactly the transactions LiteSvmChain builds (same instructions, memos and batch
plan). Differences a cluster brings: transactions are confirmed by polling, blockhashes expire
after ~150 slots (a send that meets BlockhashNotFound is re-signed once with a fresh one), and
find_batch reads the memo field of getSignaturesForAddress.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import structlog
from solana.exceptions import SolanaRpcException
from solana.rpc.async_api import AsyncClient
from solana.rpc.commitment import Confirmed
from solana.rpc.core import RPCException
from solana.rpc.models import TxOpts
from solders.instruction import Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.token.state import TokenAccount
from solders.transaction import Transaction
from spl.token import instructions as token_instructions
from spl.token.constants import TOKEN_PROGRAM_ID

from engine.settlement.chain.base import (
    MAX_TRANSACTION_BYTES,
    MINT_ACCOUNT_BYTES,
    ChainError,
    ChainRejected,
    ChainUnavailable,
    InsufficientAllowance,
    InsufficientTokenBalance,
    TokenAccountMissing,
    TokenAccountState,
    approve_instruction,
    batch_instructions,
    create_mint_instructions,
    memo_instruction,
    memos_of_rpc_field,
    mint_to_instruction,
    parse_batch_memo,
    plan_batch,
    require_positive,
    revoke_instruction,
    transfer_instruction,
    wallet_token_account,
)

log = structlog.get_logger(__name__)

TOKEN_ACCOUNT_BYTES = 165
# How far back find_batch looks in the authority's history (pages of 1000 signatures).
FIND_BATCH_PAGES = 5
SIGNATURES_PAGE = 1000


class RpcChain:
    """``ChainBackend`` over a Solana cluster's JSON-RPC endpoint."""

    def __init__(
        self,
        url: str,
        authority: Keypair,
        *,
        mint: Pubkey | None = None,
        timeout_seconds: float = 10.0,
        mint_keypair: Keypair | None = None,
    ) -> None:
        self._client = AsyncClient(url, commitment=Confirmed, timeout=timeout_seconds)
        self._authority = authority
        self._mint = mint
        # A stable mint keypair (derived from the master secret): the mint is created once on
        # the cluster and found again after every restart.
        self._mint_keypair = mint_keypair

    @property
    def authority(self) -> Pubkey:
        return self._authority.pubkey()

    @property
    def mint(self) -> Pubkey:
        if self._mint is None:
            raise ChainError("no USDT mint configured: pass one or call create_usdt_mint")
        return self._mint

    @property
    def vault_token_account(self) -> Pubkey:
        return wallet_token_account(self.authority, self.mint)

    async def start(self) -> None:
        """Check the cluster answers; create the mint (if none is configured) and the vault."""
        try:
            await self._client.get_version()
        except (httpx.HTTPError, SolanaRpcException, OSError) as error:
            raise ChainUnavailable(f"the Solana RPC endpoint does not answer: {error}") from None
        await self.create_usdt_mint()
        await self.create_wallet_token_account(self.authority)

    async def close(self) -> None:
        await self._client.close()

    async def create_usdt_mint(self) -> Pubkey:
        if self._mint is not None:
            return self._mint
        mint = self._mint_keypair if self._mint_keypair is not None else Keypair()
        existing = await self._call(self._client.get_account_info(mint.pubkey()))
        if existing.value is not None:
            self._mint = mint.pubkey()
            return self._mint
        rent = (
            await self._call(
                self._client.get_minimum_balance_for_rent_exemption(MINT_ACCOUNT_BYTES)
            )
        ).value
        await self._send(
            create_mint_instructions(self.authority, mint.pubkey(), rent),
            [mint],
        )
        self._mint = mint.pubkey()
        return self._mint

    async def create_wallet_token_account(self, owner: Pubkey) -> Pubkey:
        address = wallet_token_account(owner, self.mint)
        if await self.token_account(address) is None:
            await self._send(
                [
                    token_instructions.create_idempotent_associated_token_account(
                        payer=self.authority, owner=owner, mint=self.mint
                    )
                ]
            )
        return address

    async def faucet(self, owner: Pubkey, amount: int) -> str:
        """Mint to the owner (only works when the authority is the mint's authority)."""
        require_positive(amount)
        address = await self.create_wallet_token_account(owner)
        mint_to = mint_to_instruction(self.authority, self.mint, address, amount)
        return await self._send([mint_to, memo_instruction(self.authority, "godark:faucet")])

    async def approve(self, owner: Keypair, amount: int) -> str:
        require_positive(amount)
        address = (await self._require_token_account(owner.pubkey())).address
        instruction = approve_instruction(address, owner.pubkey(), self.authority, amount)
        return await self._send([instruction], [owner])

    async def revoke(self, owner: Keypair) -> str:
        address = (await self._require_token_account(owner.pubkey())).address
        instruction = revoke_instruction(address, owner.pubkey())
        return await self._send([instruction], [owner])

    async def deposit_from(self, owner: Pubkey, amount: int, memo: str) -> str:
        require_positive(amount)
        state = await self._require_token_account(owner)
        allowance = state.delegated_amount if state.delegate == self.authority else 0
        if allowance < amount:
            raise InsufficientAllowance(f"wallet {owner} approved {allowance}, needs {amount}")
        if state.amount < amount:
            raise InsufficientTokenBalance(f"wallet {owner} holds {state.amount}, needs {amount}")
        return await self._send(
            [
                transfer_instruction(
                    source=state.address,
                    destination=self.vault_token_account,
                    signer=self.authority,
                    mint=self.mint,
                    amount=amount,
                ),
                memo_instruction(self.authority, memo),
            ]
        )

    async def withdraw_to(self, owner: Pubkey, amount: int, memo: str) -> str:
        require_positive(amount)
        destination = (await self._require_token_account(owner)).address
        if await self.token_balance(self.vault_token_account) < amount:
            raise InsufficientTokenBalance(f"the vault holds less than {amount}")
        return await self._send(
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

    async def submit_batch(
        self, batch_id: str, memo: bytes, transfers: Sequence[tuple[Pubkey, int]]
    ) -> str:
        parts = plan_batch(
            batch_id,
            memo,
            transfers,
            authority=self.authority,
            mint=self.mint,
            vault=self.vault_token_account,
        )
        on_chain, _ = await self._batch_parts_on_chain(batch_id)
        signature = ""
        for part in parts:
            parsed = parse_batch_memo(part.memo)
            assert parsed is not None
            if parsed[1] in on_chain:
                signature = on_chain[parsed[1]]
                continue
            signature = await self._send(
                batch_instructions(
                    part, authority=self.authority, mint=self.mint, vault=self.vault_token_account
                )
            )
        return signature

    async def find_batch(self, batch_id: str) -> str | None:
        found, total = await self._batch_parts_on_chain(batch_id)
        if total is None or len(found) < total:
            return None
        return found[total]

    async def _batch_parts_on_chain(self, batch_id: str) -> tuple[dict[int, str], int | None]:
        found: dict[int, str] = {}
        total: int | None = None
        before: Signature | None = None
        for _ in range(FIND_BATCH_PAGES):
            page = (
                await self._call(
                    self._client.get_signatures_for_address(
                        self.authority, before=before, limit=SIGNATURES_PAGE
                    )
                )
            ).value
            for status in page:
                if status.err is not None:
                    continue
                for text in memos_of_rpc_field(status.memo):
                    parsed = parse_batch_memo(text)
                    if parsed is not None and parsed[0] == batch_id:
                        found.setdefault(parsed[1], str(status.signature))
                        total = parsed[2]
            if len(page) < SIGNATURES_PAGE:
                break
            before = page[-1].signature
        return found, total

    async def token_balance(self, token_account: Pubkey) -> int:
        state = await self.token_account(token_account)
        if state is None:
            raise TokenAccountMissing(f"no token account at {token_account}")
        return state.amount

    async def token_account(self, token_account: Pubkey) -> TokenAccountState | None:
        account = (await self._call(self._client.get_account_info(token_account))).value
        if account is None or account.owner != TOKEN_PROGRAM_ID:
            return None
        if len(account.data) != TOKEN_ACCOUNT_BYTES:
            return None
        parsed = TokenAccount.from_bytes(bytes(account.data))
        return TokenAccountState(
            address=token_account,
            owner=parsed.owner,
            mint=parsed.mint,
            amount=parsed.amount,
            delegate=parsed.delegate,
            delegated_amount=parsed.delegated_amount,
        )

    async def delegated_amount(self, owner: Pubkey) -> int:
        state = await self.token_account(wallet_token_account(owner, self.mint))
        if state is None or state.delegate != self.authority:
            return 0
        return state.delegated_amount

    async def transaction(self, signature: str) -> dict[str, Any] | None:
        response = await self._call(
            self._client.get_transaction(Signature.from_string(signature), encoding="json")
        )
        found = response.value
        if found is None:
            return None
        meta = found.transaction.meta
        logs = [] if meta is None or meta.log_messages is None else list(meta.log_messages)
        return {
            "signature": signature,
            "slot": found.slot,
            "block_time": found.block_time,
            "error": None if meta is None or meta.err is None else str(meta.err),
            "fee": 0 if meta is None else meta.fee,
            "logs": logs,
            "memos": _memos_from_logs(logs),
        }

    # --- internals -----------------------------------------------------------------------

    async def _require_token_account(self, owner: Pubkey) -> TokenAccountState:
        state = await self.token_account(wallet_token_account(owner, self.mint))
        if state is None:
            raise TokenAccountMissing(f"wallet {owner} has no token account for the USDT mint")
        return state

    async def _call(self, request: Any) -> Any:
        try:
            return await request
        except (httpx.HTTPError, SolanaRpcException, OSError) as error:
            raise ChainUnavailable(f"Solana RPC call failed: {error}") from None

    async def _send(
        self, instructions: list[Instruction], extra_signers: Sequence[Keypair] = ()
    ) -> str:
        for attempt in range(2):
            blockhash = (await self._call(self._client.get_latest_blockhash())).value.blockhash
            message = Message.new_with_blockhash(instructions, self.authority, blockhash)
            transaction = Transaction([self._authority, *extra_signers], message, blockhash)
            raw = bytes(transaction)
            if len(raw) > MAX_TRANSACTION_BYTES:
                raise ChainRejected(f"transaction of {len(raw)} bytes exceeds the packet limit")
            try:
                sent = await self._call(
                    self._client.send_raw_transaction(raw, TxOpts(preflight_commitment=Confirmed))
                )
            except RPCException as error:
                text = str(error)
                if "BlockhashNotFound" in text and attempt == 0:
                    continue
                if "AlreadyProcessed" in text:
                    return str(transaction.signatures[0])
                raise ChainRejected(f"transaction rejected: {text}") from None
            signature: Signature = sent.value
            await self._call(self._client.confirm_transaction(signature, Confirmed))
            return str(signature)
        raise ChainUnavailable("no valid blockhash after a retry")


def _memos_from_logs(logs: Sequence[str]) -> list[str]:
    """The Memo program logs ``Memo (len N): "text"`` (v3) or ``Memo (len N)`` then the text."""
    memos: list[str] = []
    for index, line in enumerate(logs):
        if line.startswith("Program log: Memo (len "):
            if '): "' in line:
                memos.append(line.split('): "', 1)[1].removesuffix('"'))
            elif index + 1 < len(logs):
                memos.append(logs[index + 1].removeprefix("Program log: "))
    return memos
