"""The /solana JSON-RPC view of the embedded chain, read by solana-py's AsyncClient over HTTP,
and RpcChain's read methods pointed at the same live endpoint."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from solana.rpc.async_api import AsyncClient
from solana.rpc.models import TokenAccountOpts
from solders.keypair import Keypair
from solders.signature import Signature
from spl.token.constants import TOKEN_PROGRAM_ID
from starlette.applications import Starlette
from starlette.routing import Route

from engine.clock import ManualClock
from engine.settlement.chain import LiteSvmChain, RpcChain
from engine.settlement.chain.base import wallet_token_account
from engine.settlement.chain.jsonrpc import solana_rpc_app

USDT = 1_000_000


@dataclass
class Served:
    chain: LiteSvmChain
    url: str
    wallet: Keypair
    batch_signature: str


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    chain = LiteSvmChain(clock=ManualClock())
    await chain.start()
    wallet = Keypair()
    await chain.create_wallet_token_account(wallet.pubkey())
    await chain.faucet(wallet.pubkey(), 700 * USDT)
    await chain.approve(wallet, 500 * USDT)
    await chain.deposit_from(wallet.pubkey(), 300 * USDT, "deposit:order-9")
    batch_signature = await chain.submit_batch(
        "batch-42", b"root=9f86d081", [(wallet.pubkey(), 25 * USDT)]
    )
    # Routed the way api/app.py should: Route("/solana", app), so no slash redirect.
    application = Starlette(routes=[Route("/solana", solana_rpc_app(chain), methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Served(chain, f"http://127.0.0.1:{port}/solana", wallet, batch_signature)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)


async def test_solana_py_reads_the_vault_balance_and_the_batch_memo(served: Served) -> None:
    chain = served.chain
    async with AsyncClient(served.url) as client:
        balance = (await client.get_token_account_balance(chain.vault_token_account)).value
        assert balance.amount == str(275 * USDT)
        assert balance.decimals == 6 and balance.ui_amount_string == "275"

        statuses = (await client.get_signatures_for_address(chain.vault_token_account)).value
        assert str(statuses[0].signature) == served.batch_signature
        assert statuses[0].memo == "[39] godark:batch:batch-42:1/1:root=9f86d081"

        found = (await client.get_transaction(Signature.from_string(served.batch_signature))).value
        assert found is not None
        meta = found.transaction.meta
        assert meta is not None and meta.err is None and meta.log_messages is not None
        assert "Program log: godark:batch:batch-42:1/1:root=9f86d081" in meta.log_messages
        assert any(
            "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr success" in line
            for line in meta.log_messages
        )

        assert (await client.get_slot()).value == chain.slot()
        latest = (await client.get_latest_blockhash()).value
        assert latest.blockhash == chain.latest_blockhash()[0]
        assert (await client.get_balance(chain.authority)).value > 0
        assert (await client.get_version()).value.solana_core


async def test_solana_py_reads_accounts_and_token_accounts(served: Served) -> None:
    chain = served.chain
    owner = served.wallet.pubkey()
    async with AsyncClient(served.url) as client:
        info = (await client.get_account_info(wallet_token_account(owner, chain.mint))).value
        assert info is not None and info.owner == TOKEN_PROGRAM_ID and len(info.data) == 165
        assert (await client.get_account_info(Keypair().pubkey())).value is None
        by_mint = await client.get_token_accounts_by_owner(owner, TokenAccountOpts(mint=chain.mint))
        by_program = await client.get_token_accounts_by_owner(
            owner, TokenAccountOpts(program_id=TOKEN_PROGRAM_ID)
        )
        assert [a.pubkey for a in by_mint.value] == [wallet_token_account(owner, chain.mint)]
        assert [a.pubkey for a in by_program.value] == [a.pubkey for a in by_mint.value]


async def test_unknown_method_and_bad_params_are_json_rpc_errors(served: Served) -> None:
    async with httpx.AsyncClient() as http:
        unknown = await http.post(
            served.url, json={"jsonrpc": "2.0", "id": 1, "method": "sendTransaction"}
        )
        assert unknown.json()["error"]["code"] == -32601
        bad = await http.post(
            served.url,
            json={"jsonrpc": "2.0", "id": 2, "method": "getBalance", "params": ["not-a-key"]},
        )
        assert bad.json()["error"]["code"] == -32602
        assert bad.json()["id"] == 2
        batch = await http.post(
            served.url,
            json=[
                {"jsonrpc": "2.0", "id": 3, "method": "getSlot"},
                {"jsonrpc": "2.0", "id": 4, "method": "nope"},
            ],
        )
        assert [r["id"] for r in batch.json()] == [3, 4]
        assert batch.json()[0]["result"] == served.chain.slot()
        garbage = await http.post(served.url, content=b"{not json")
        assert garbage.json()["error"]["code"] == -32700


async def test_rpc_chain_reads_through_the_json_rpc_view(served: Served) -> None:
    chain = served.chain
    remote = RpcChain(served.url, Keypair(), mint=chain.mint)
    try:
        owner = served.wallet.pubkey()
        assert await remote.token_balance(chain.vault_token_account) == 275 * USDT
        state = await remote.token_account(wallet_token_account(owner, chain.mint))
        assert state is not None and state.amount == 425 * USDT
        assert state.delegate == chain.authority and state.delegated_amount == 200 * USDT
        recorded = await remote.transaction(served.batch_signature)
        assert recorded is not None
        assert recorded["memos"] == ["godark:batch:batch-42:1/1:root=9f86d081"]
    finally:
        await remote.close()


async def test_rpc_chain_find_batch_through_the_json_rpc_view(served: Served) -> None:
    chain = served.chain
    # find_batch reads the authority's signatures: give RpcChain the same authority address.
    remote = RpcChain(served.url, chain._authority, mint=chain.mint)
    try:
        assert await remote.find_batch("batch-42") == served.batch_signature
        assert await remote.find_batch("batch-43") is None
    finally:
        await remote.close()
