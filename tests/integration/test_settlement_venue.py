"""Issue 5 end to end in the running venue, on the real embedded LiteSVM (no mocks): wallets,
vaults, batches with proofs, withdrawals, the /solana view, faults, restarts, reconciliation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from solana.rpc.async_api import AsyncClient
from solders.account import Account
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from engine.settlement.chain.base import ChainUnavailable
from engine.settlement.merkle import MerkleTree, verify_inclusion
from engine.settlement.service import TradeProof
from engine.settlement.trades import decode_trade
from engine.store.migrations import upgrade
from engine.venue import Venue
from tests.api.conftest import open_demo_account
from tests.api.test_graphql_http import gql
from tests.api.test_trading import market_order_until_filled

SECRET = "settlement-tests-secret-" + "s" * 32
WALLET = """{ wallet { address tokenAccount balance delegated kind }
  vault { approved used withdrawn available active } }"""
PROOF = """query P($id: String!) { tradeProof(tradeId: $id) { tradeId batchId status leafIndex
  treeSize path merkleRoot leafData txSignature } }"""
BALANCE = "{ balances { available locked total } }"


@contextlib.asynccontextmanager
async def running(url: str) -> AsyncIterator[tuple[Starlette, str]]:
    """The app on a real socket (solana-py needs one), stopped and started like a process."""
    application = create_app(Settings(database_url=url, demo=True, jwt_secret=SECRET))
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
        yield application, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=15)


@contextlib.asynccontextmanager
async def signed_in(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        tokens = await open_demo_account(http)
        http.headers["Authorization"] = f"Bearer {tokens['accessToken']}"
        yield http


def venue_of(app: Starlette) -> Venue:
    venue: Venue = app.state.venue
    return venue


async def data(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = await gql(client, query, **variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


async def confirmed_proof(client: httpx.AsyncClient, trade_id: str) -> dict[str, Any]:
    for _ in range(100):
        proof = (await data(client, PROOF, id=trade_id))["tradeProof"]
        if proof is not None and proof["status"] == "CONFIRMED":
            return proof
        await asyncio.sleep(0.1)
    raise AssertionError(f"trade {trade_id} not confirmed: {proof}")


@pytest.fixture
async def url(database_url: str) -> str:
    """Each test on SQLite and on this machine's PostgreSQL."""
    await asyncio.to_thread(upgrade, database_url)
    return database_url


async def test_authorise_trade_prove_withdraw_and_read_it_back_through_solana(url: str) -> None:
    async with running(url) as (app, base), signed_in(base) as client:
        venue = venue_of(app)
        opened = await data(client, WALLET)
        assert opened["wallet"]["kind"] == "EPHEMERAL"
        assert opened["vault"] == {
            "approved": "10000.000000",
            "used": "10000.000000",
            "withdrawn": "0.000000",
            "available": "0.000000",
            "active": True,
        }
        assert (await data(client, BALANCE))["balances"][0]["available"] == "10000.000000"

        # A fresh day's faucet is used up by the demo funding: the cap holds.
        capped = await gql(
            client,
            'mutation { chainFaucet(amount: "1") { __typename ... on UserError { code } } }',
        )
        assert capped["data"]["chainFaucet"]["__typename"] == "DepositLimitExceededError"

        opened_trade = await market_order_until_filled(
            client, symbol="BTC-USDT-PERP", side="BUY", size="0.01", leverage=10
        )
        trades = await data(client, "{ myTrades { tradeId } }")
        trade_id = trades["myTrades"][0]["tradeId"]
        assert opened_trade["fills"]

        proof = await confirmed_proof(client, trade_id)
        engine_proof = TradeProof(
            **{
                "trade_id": proof["tradeId"],
                "batch_id": proof["batchId"],
                "status": proof["status"],
                "leaf_index": proof["leafIndex"],
                "tree_size": proof["treeSize"],
                "path": tuple(proof["path"]),
                "merkle_root": proof["merkleRoot"],
                "leaf_data": proof["leafData"],
                "tx_signature": proof["txSignature"],
            }
        )
        assert engine_proof.verify()
        assert verify_inclusion(
            bytes.fromhex(proof["leafData"]),
            proof["leafIndex"],
            proof["treeSize"],
            [bytes.fromhex(node) for node in proof["path"]],
            bytes.fromhex(proof["merkleRoot"]),
        )
        batch_id, trade = decode_trade(bytes.fromhex(proof["leafData"]))
        assert batch_id == proof["batchId"] and trade.trade_id == trade_id
        leaves = await venue.settlement.repository.leaves(batch_id)
        assert MerkleTree([leaf.data for leaf in leaves]).root.hex() == proof["merkleRoot"]

        closed = await gql(
            client,
            'mutation { closePosition(symbol: "BTC-USDT-PERP") { __typename } }',
        )
        assert closed["data"]["closePosition"]["__typename"] == "PositionUpdated"

        withdrawn = await gql(
            client,
            """mutation { withdraw(input: {amount: "100", idempotencyKey: "w-1"}) { __typename
              ... on UserError { code message } ... on TransferSuccess { replayed } } }""",
        )
        assert withdrawn["data"]["withdraw"] == {"__typename": "TransferSuccess", "replayed": False}
        after = await data(client, WALLET)
        assert after["wallet"]["balance"] == "100.000000"
        assert after["vault"]["withdrawn"] == "100.000000"

        # On-chain balances, read by solana-py through /solana, equal the ledger's record.
        reconciliation = await venue.settlement.vaults.reconcile()
        assert reconciliation.matches
        async with AsyncClient(f"{base}/solana") as solana:
            wallet_balance = await solana.get_token_account_balance(
                Pubkey.from_string(after["wallet"]["tokenAccount"])
            )
            vault_balance = await solana.get_token_account_balance(
                venue.settlement.chain.vault_token_account
            )
            signatures = await solana.get_signatures_for_address(venue.settlement.chain.authority)
            memo = next(s.memo for s in signatures.value if s.memo and batch_id in s.memo)
        assert int(wallet_balance.value.amount) == 100_000_000
        assert int(vault_balance.value.amount) == reconciliation.expected
        assert proof["merkleRoot"] in memo
        assert proof["txSignature"] is not None


async def test_chain_down_trading_continues_batches_retry_and_settle_once(url: str) -> None:
    async with running(url) as (app, base), signed_in(base) as client:
        venue = venue_of(app)
        chain = venue.settlement.chain
        real_submit = chain.submit_batch
        calls = 0

        async def failing(*args: Any, **kwargs: Any) -> str:
            nonlocal calls
            calls += 1
            raise ChainUnavailable("the chain is down")

        chain.submit_batch = failing  # type: ignore[method-assign]
        await market_order_until_filled(
            client, symbol="BTC-USDT-PERP", side="BUY", size="0.01", leverage=10
        )
        await market_order_until_filled(
            client, symbol="BTC-USDT-PERP", side="SELL", size="0.01", leverage=10
        )
        trade_id = (await data(client, "{ myTrades { tradeId } }"))["myTrades"][0]["tradeId"]
        for _ in range(60):
            if calls >= 2:
                break
            await asyncio.sleep(0.1)
        assert calls >= 2
        proof = (await data(client, PROOF, id=trade_id))["tradeProof"]
        assert proof is not None and proof["status"] in ("FAILED", "PENDING")

        chain.submit_batch = real_submit  # type: ignore[method-assign]
        proof = await confirmed_proof(client, trade_id)
        memos = [
            text
            for signature in venue.settlement.embedded.signatures_for(chain.authority)  # type: ignore[union-attr]
            for text in venue.settlement.embedded.recorded(signature).memos  # type: ignore[union-attr]
            if f":{proof['batchId']}:" in text
        ]
        assert len(memos) == 1
        assert (await venue.settlement.vaults.reconcile()).matches


async def test_restarts_keep_balances_and_never_settle_a_batch_twice(url: str) -> None:
    async with running(url) as (app, base), signed_in(base) as client:
        venue = venue_of(app)
        wallet_before = await data(client, WALLET)
        # Crash between submitting a batch and recording its confirmation.
        repository = venue.settlement.repository

        async def crash(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("the process died")

        repository.mark_confirmed = crash  # type: ignore[method-assign]
        await market_order_until_filled(
            client, symbol="BTC-USDT-PERP", side="BUY", size="0.01", leverage=10
        )
        trade_id = (await data(client, "{ myTrades { tradeId } }"))["myTrades"][0]["tradeId"]
        for _ in range(60):
            proof = (await data(client, PROOF, id=trade_id))["tradeProof"]
            if proof is not None and proof["status"] == "PENDING":
                break
            await asyncio.sleep(0.1)
        batch_id = proof["batchId"]
        vault_before = await venue.settlement.chain.token_balance(
            venue.settlement.chain.vault_token_account
        )
        token = client.headers["Authorization"]

    async with running(url) as (app, base):
        venue = venue_of(app)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            client.headers["Authorization"] = token
            assert (await data(client, WALLET))["wallet"] == wallet_before["wallet"]
            proof = await confirmed_proof(client, trade_id)
        chain = venue.settlement.embedded
        assert chain is not None
        memos = [
            text
            for signature in chain.signatures_for(chain.authority)
            for text in chain.recorded(signature).memos  # type: ignore[union-attr]
            if f":{batch_id}:" in text
        ]
        assert len(memos) == 1  # found on chain after the restart, not sent again
        assert await chain.token_balance(chain.vault_token_account) >= 0
        assert vault_before > 0
        assert (await venue.settlement.vaults.reconcile()).matches


async def test_revoke_is_refused_with_an_open_position_then_withdraws_everything(url: str) -> None:
    async with running(url) as (_app, base), signed_in(base) as client:
        await market_order_until_filled(
            client, symbol="BTC-USDT-PERP", side="BUY", size="0.01", leverage=10
        )
        revoke = """mutation { revokeVault { __typename ... on UserError { code }
          ... on VaultUpdated { vault { active } wallet { balance delegated } } } }"""
        refused = (await data(client, revoke))["revokeVault"]
        assert refused == {"__typename": "VaultError", "code": "POSITIONS_OPEN"}
        closed = await gql(
            client, 'mutation { closePosition(symbol: "BTC-USDT-PERP") { __typename } }'
        )
        assert closed["data"]["closePosition"]["__typename"] == "PositionUpdated"
        available = Decimal((await data(client, BALANCE))["balances"][0]["available"])
        revoked = (await data(client, revoke))["revokeVault"]
        assert revoked["__typename"] == "VaultUpdated", revoked
        assert revoked["vault"]["active"] is False
        assert Decimal(revoked["wallet"]["balance"]) == available
        assert revoked["wallet"]["delegated"] == "0.000000"


async def test_reconciliation_flags_a_tampered_vault_and_halts_withdrawals(url: str) -> None:
    async with running(url) as (app, base), signed_in(base) as client:
        venue = venue_of(app)
        chain = venue.settlement.embedded
        assert chain is not None
        assert (await venue.settlement.vaults.reconcile()).matches
        vault = chain.vault_token_account
        account = chain.account(vault)
        assert account is not None
        state = TokenAccount.from_bytes(bytes(account.data))
        tampered = TokenAccount(
            mint=state.mint,
            owner=state.owner,
            amount=state.amount - 1,
            delegate=state.delegate,
            state=state.state,
            is_native=state.is_native,
            delegated_amount=state.delegated_amount,
            close_authority=state.close_authority,
        )
        chain.set_account(
            vault, Account(account.lamports, bytes(tampered), account.owner, account.executable)
        )
        result = await venue.settlement.vaults.reconcile()
        assert result.difference == -1 and venue.settlement.vaults.withdrawals_halted
        refused = await gql(
            client,
            """mutation { withdraw(input: {amount: "1", idempotencyKey: "w-halt"}) { __typename
              ... on UserError { code } } }""",
        )
        assert refused["data"]["withdraw"]["code"] == "WITHDRAWALS_HALTED"
        metrics = (await client.get("/metrics")).text
        assert "godark_vault_withdrawals_halted 1.0" in metrics
        assert "godark_settlement_lag_seconds" in metrics
