"""The embedded chain on the real LiteSVM runtime: mint, token accounts, delegate deposits,
withdrawals, revocation and batches, executed by the real SPL Token and Memo programs."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from solders.keypair import Keypair

from engine.clock import ManualClock
from engine.settlement.chain import (
    InsufficientAllowance,
    InsufficientTokenBalance,
    LiteSvmChain,
)
from engine.settlement.chain.base import (
    MAX_TRANSACTION_BYTES,
    batch_instructions,
    plan_batch,
    wallet_token_account,
)

USDT = 1_000_000


async def started_chain() -> LiteSvmChain:
    chain = LiteSvmChain(clock=ManualClock())
    await chain.start()
    return chain


async def funded_wallet(chain: LiteSvmChain, amount: int) -> Keypair:
    wallet = Keypair()
    await chain.create_wallet_token_account(wallet.pubkey())
    await chain.faucet(wallet.pubkey(), amount)
    return wallet


async def test_mint_token_accounts_and_faucet() -> None:
    chain = await started_chain()
    wallet = await funded_wallet(chain, 250 * USDT)
    await chain.faucet(wallet.pubkey(), 250 * USDT)  # equal grants stay distinct transactions
    account = wallet_token_account(wallet.pubkey(), chain.mint)
    assert await chain.token_balance(account) == 500 * USDT
    assert await chain.token_balance(chain.vault_token_account) == 0
    state = await chain.token_account(account)
    assert state is not None and state.owner == wallet.pubkey() and state.mint == chain.mint


async def test_deposit_as_delegate_moves_exactly_the_amount() -> None:
    chain = await started_chain()
    wallet = await funded_wallet(chain, 1_000 * USDT)
    account = wallet_token_account(wallet.pubkey(), chain.mint)
    await chain.approve(wallet, 600 * USDT)
    assert await chain.delegated_amount(wallet.pubkey()) == 600 * USDT

    signature = await chain.deposit_from(wallet.pubkey(), 150 * USDT, "deposit:order-1")

    assert await chain.token_balance(account) == 850 * USDT
    assert await chain.token_balance(chain.vault_token_account) == 150 * USDT
    assert await chain.delegated_amount(wallet.pubkey()) == 450 * USDT
    recorded = await chain.transaction(signature)
    assert recorded is not None and recorded["memos"] == ["deposit:order-1"]
    assert "Program log: deposit:order-1" in recorded["logs"]


async def test_deposit_beyond_allowance_is_refused_and_moves_nothing() -> None:
    chain = await started_chain()
    wallet = await funded_wallet(chain, 1_000 * USDT)
    account = wallet_token_account(wallet.pubkey(), chain.mint)
    await chain.approve(wallet, 100 * USDT)
    with pytest.raises(InsufficientAllowance) as refused:
        await chain.deposit_from(wallet.pubkey(), 101 * USDT, "deposit:too-much")
    assert refused.value.code == "INSUFFICIENT_ALLOWANCE"
    assert await chain.token_balance(account) == 1_000 * USDT
    assert await chain.token_balance(chain.vault_token_account) == 0
    assert await chain.delegated_amount(wallet.pubkey()) == 100 * USDT


async def test_withdraw_to_returns_funds_without_the_user_signing() -> None:
    chain = await started_chain()
    wallet = await funded_wallet(chain, 300 * USDT)
    account = wallet_token_account(wallet.pubkey(), chain.mint)
    await chain.approve(wallet, 300 * USDT)
    await chain.deposit_from(wallet.pubkey(), 300 * USDT, "deposit:1")
    await chain.withdraw_to(wallet.pubkey(), 120 * USDT, "withdraw:1")
    assert await chain.token_balance(account) == 120 * USDT
    assert await chain.token_balance(chain.vault_token_account) == 180 * USDT
    with pytest.raises(InsufficientTokenBalance):
        await chain.withdraw_to(wallet.pubkey(), 181 * USDT, "withdraw:2")


async def test_revoke_then_deposit_is_refused() -> None:
    chain = await started_chain()
    wallet = await funded_wallet(chain, 100 * USDT)
    await chain.approve(wallet, 100 * USDT)
    await chain.revoke(wallet)
    assert await chain.delegated_amount(wallet.pubkey()) == 0
    with pytest.raises(InsufficientAllowance):
        await chain.deposit_from(wallet.pubkey(), 1, "deposit:after-revoke")


async def test_batch_with_memo_is_found_and_never_submitted_twice() -> None:
    chain = await started_chain()
    payer = await funded_wallet(chain, 100 * USDT)
    receiver = await funded_wallet(chain, 0 + 1)
    await chain.approve(payer, 100 * USDT)
    assert await chain.find_batch("batch-1") is None

    transfers = [(receiver.pubkey(), 40 * USDT), (payer.pubkey(), -40 * USDT)]
    signature = await chain.submit_batch("batch-1", b"root=00ff", transfers)

    assert await chain.find_batch("batch-1") == signature
    recorded = await chain.transaction(signature)
    assert recorded is not None and recorded["memos"] == ["godark:batch:batch-1:1/1:root=00ff"]
    # After a crash the batcher asks again: the batch is found, and resubmitting is a no-op.
    assert await chain.submit_batch("batch-1", b"root=00ff", transfers) == signature
    assert await chain.token_balance(wallet_token_account(receiver.pubkey(), chain.mint)) == (
        40 * USDT + 1
    )
    assert await chain.token_balance(chain.vault_token_account) == 0


async def test_batch_over_the_packet_limit_is_split_and_resumes_after_a_partial_crash() -> None:
    chain = await started_chain()
    wallets = [await funded_wallet(chain, 1) for _ in range(50)]
    source = await funded_wallet(chain, 500 * USDT)
    await chain.approve(source, 500 * USDT)
    await chain.deposit_from(source.pubkey(), 500 * USDT, "deposit:source")
    transfers = [(wallet.pubkey(), USDT) for wallet in wallets]

    # A crash after the first part went out: the batch is incomplete, and resubmitting it
    # sends only the missing parts.
    parts = plan_batch(
        "batch-big",
        b"root=aa",
        transfers,
        authority=chain.authority,
        mint=chain.mint,
        vault=chain.vault_token_account,
    )
    assert len(parts) > 1
    chain._send(
        batch_instructions(
            parts[0], authority=chain.authority, mint=chain.mint, vault=chain.vault_token_account
        )
    )
    assert await chain.find_batch("batch-big") is None

    signature = await chain.submit_batch("batch-big", b"root=aa", transfers)

    record = chain.recorded(signature)
    assert record is not None and len(bytes(record.transaction)) <= MAX_TRANSACTION_BYTES
    parts = [m for m in record.memos if m.startswith("godark:batch:batch-big:")]
    assert parts and parts[0].split(":")[3].split("/")[0] == parts[0].split(":")[3].split("/")[1]
    assert await chain.token_balance(chain.vault_token_account) == 450 * USDT
    assert await chain.submit_batch("batch-big", b"root=aa", transfers) == signature
    assert await chain.token_balance(chain.vault_token_account) == 450 * USDT


async def test_slot_and_blockhash_follow_the_clock() -> None:
    clock = ManualClock()
    chain = LiteSvmChain(clock=clock)
    await chain.start()
    slot = chain.slot()
    blockhash, _ = chain.latest_blockhash()
    clock.advance(timedelta(seconds=2))
    assert chain.slot() == slot + 5
    assert chain.latest_blockhash()[0] != blockhash
    wallet = await funded_wallet(chain, 5)  # transactions still go through on the new hash
    assert await chain.token_balance(wallet_token_account(wallet.pubkey(), chain.mint)) == 5


async def test_speed_of_a_fifty_transfer_batch() -> None:
    chain = await started_chain()
    wallets = [await funded_wallet(chain, 1) for _ in range(50)]
    source = await funded_wallet(chain, 10_000 * USDT)
    await chain.approve(source, 10_000 * USDT)
    await chain.deposit_from(source.pubkey(), 10_000 * USDT, "deposit:source")
    rounds = 20
    started = time.perf_counter()
    for index in range(rounds):
        await chain.submit_batch(f"speed-{index}", b"root=00", [(w.pubkey(), 1) for w in wallets])
    per_batch_ms = (time.perf_counter() - started) * 1000 / rounds
    print(f"submit_batch of 50 transfers on LiteSVM: {per_batch_ms:.2f} ms per batch")
    assert per_batch_ms < 1_000
