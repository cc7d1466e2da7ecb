"""Whole journeys of issue #8 in Debian's headless Chromium, against a real `godark serve`:
a newcomer from registration to withdrawal, an IOC order with a minimum quantity, a flash
bet up to its payout, and an API key created in the browser then used from Python."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.steps import (
    bet_on_the_soonest_flash_market,
    enable_two_factor,
    offer_closing_last,
    place_market_order,
    register_and_log_in,
    try_the_demo,
)
from tests.servers import running_server

pytestmark = pytest.mark.browser

SIGNED_NUMBER = re.compile(r"^[+-]?\d[\d,]*\.\d{2}$")


def usdt(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace(" USDT", "").strip())


def test_a_newcomer_registers_secures_funds_trades_and_withdraws(
    newcomer_page: Page, server_url: str
) -> None:
    page = newcomer_page
    register_and_log_in(page, server_url)
    enable_two_factor(page)

    # Test USDT to the venue-held wallet on chain, then authorised to the vault. The panel
    # polls every 10 s, and a newcomer's FREE tier (2 requests a second) can delay a refresh
    # until the next poll: hence 30 s waits on its figures.
    page.get_by_role("link", name="Trade", exact=True).click()
    funding = page.get_by_test_id("funding-panel")
    funding.get_by_label("Amount (USDT)").fill("1000")
    funding.get_by_role("button", name="Faucet to wallet").click()
    expect(funding.get_by_role("status")).to_have_text(
        "Minted 1000 test USDT to your wallet.", timeout=15_000
    )
    wallet_balance = funding.get_by_test_id("wallet-balance")
    expect(wallet_balance).to_have_text(re.compile(r"^1,?000\.0+$"), timeout=30_000)
    funding.get_by_role("button", name="Authorise").click()
    expect(funding.get_by_role("status")).to_have_text(
        "Authorised 1000 USDT to the vault.", timeout=15_000
    )

    # The venue balance is empty: the order pulls its margin from the vault.
    expect(page.get_by_test_id("index-price-BTC-USDT-PERP")).to_have_text(
        re.compile(r"^\d"), timeout=15_000
    )
    place_market_order(page, size="0.01", leverage=10)
    # The margin and fee came out of the wallet, within what was authorised.
    expect(wallet_balance).not_to_have_text(re.compile(r"^1,?000\.0+$"), timeout=30_000)
    assert usdt(wallet_balance.inner_text()) < 1000
    row = page.get_by_test_id("position-row-BTC-USDT-PERP")
    expect(row).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("position-pnl-BTC-USDT-PERP")).to_have_text(SIGNED_NUMBER)

    page.get_by_test_id("position-close-BTC-USDT-PERP").click()
    expect(row).to_have_count(0, timeout=15_000)

    # What is left of the collateral goes back to the wallet on chain: the wallet holds the
    # 1,000 minted, less what the vault took in, plus what it paid out.
    balance = page.get_by_test_id("balance-card")
    expect(page.get_by_test_id("balance-USDT-available")).to_have_text(
        re.compile(r"^[1-9]\d*\.\d+$"), timeout=10_000
    )
    balance.get_by_label("Amount (USDT)").fill("50")
    balance.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_test_id("balance-result")).to_have_text("Withdrew 50 USDT.", timeout=15_000)
    vault = funding.locator("dt:text-is('Deposited / withdrawn') + dd")
    expect(vault).to_have_text(re.compile(r" / 50\.000000$"), timeout=30_000)
    deposited = usdt(vault.inner_text().split(" / ")[0])
    assert usdt(wallet_balance.inner_text()) == 1000 - deposited + 50


def test_an_ioc_order_with_a_minimum_quantity_never_trades_below_it(
    newcomer_page: Page, server_url: str
) -> None:
    page = newcomer_page
    page.goto(server_url)
    try_the_demo(page)
    page.get_by_test_id("mode-advanced").click()
    expect(page.get_by_test_id("advanced-ticket")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("index-price-BTC-USDT-PERP")).to_have_text(
        re.compile(r"^\d"), timeout=15_000
    )
    # Sell 1 BTC, immediate or cancel, at any price down to 1,000. The simulated makers show
    # about 25,000 USDT (~0.26 BTC) at each of three bid levels: ~0.77 BTC in pieces. They
    # requote only on 1 bp moves, so their bids sit just outside a reference that has moved
    # less than that: without NBBO protection the order reaches them.
    page.get_by_test_id("adv-side-sell").click()
    page.get_by_test_id("adv-type").select_option("LIMIT")
    page.get_by_test_id("adv-tif").select_option("IOC")
    page.get_by_test_id("adv-size").fill("1")
    page.get_by_test_id("adv-leverage").fill("20")
    page.get_by_test_id("adv-price").fill("1000")
    page.get_by_test_id("adv-nbbo").uncheck()
    result = page.get_by_test_id("adv-result")

    # No single maker can fill the whole of it: refused whole, nothing traded. (On a loaded
    # machine the simulated feed can go stale for a moment, halting trading: try again.)
    for _ in range(5):
        submit_advanced_order(page, min_quantity="1", expected_terms="min quantity 1")
        if "reference not tradable" not in result.inner_text():
            break
        page.wait_for_timeout(1_000)
    expect(result).to_have_text(
        "Not filled: no fill of at least your minimum quantity (1 BTC) was available,"
        " so nothing traded and the order was cancelled.",
        timeout=10_000,
    )
    expect(page.get_by_test_id("position-manager")).not_to_contain_text("BTC-USDT-PERP")

    # A tenth is enough: it takes every piece of at least 0.1, and the rest is cancelled.
    partial = re.compile(r"^Filled ([\d.]+) of 1 BTC at .*; the rest found no liquidity")
    for _ in range(5):  # the makers requote as the reference moves; catch them quoting
        submit_advanced_order(page, min_quantity="0.1", expected_terms="min quantity 0.1")
        expect(result).not_to_be_empty(timeout=10_000)
        if partial.search(result.inner_text()):
            break
        page.wait_for_timeout(1_000)
    filled = partial.search(result.inner_text())
    assert filled is not None, result.inner_text()
    assert Decimal("0.1") <= Decimal(filled.group(1)) < 1
    expect(page.get_by_test_id("managed-row-BTC-USDT-PERP")).to_contain_text(
        filled.group(1), timeout=30_000
    )


def submit_advanced_order(page: Page, min_quantity: str, expected_terms: str) -> None:
    """Sets the minimum quantity, reviews the order and confirms it."""
    page.get_by_test_id("adv-min-quantity").fill(min_quantity)
    page.get_by_test_id("adv-review").click()
    confirm = page.get_by_test_id("adv-confirm")
    expect(confirm).to_contain_text("Time in force IOC")
    expect(confirm).to_contain_text(expected_terms)
    page.get_by_test_id("adv-confirm-submit").click()
    expect(confirm).to_have_count(0, timeout=10_000)
    expect(page.get_by_test_id("adv-result")).not_to_be_empty(timeout=10_000)


def test_a_flash_bet_is_paid_when_its_market_resolves(newcomer_page: Page, server_url: str) -> None:
    page = newcomer_page
    page.goto(server_url)
    try_the_demo(page)
    page.get_by_role("link", name="Flash", exact=True).click()
    bet_on_the_soonest_flash_market(page, stake="5")

    rows = page.get_by_test_id("flash-my-bets").locator("tbody tr")
    expect(rows).to_have_count(1, timeout=10_000)
    status = rows.first.locator("[data-testid^='flash-bet-status-']")
    # Flash markets close within a minute of opening and settle seconds later.
    expect(status).to_have_text(re.compile("Won|Lost|Void"), timeout=120_000)
    paid = usdt(rows.first.locator("td").last.inner_text())
    if status.inner_text() == "Lost":
        assert paid == 0
    else:
        assert paid > 0

    # The ledger agrees: 10,000 demo USDT, less the 5 staked, plus what was paid.
    page.get_by_role("link", name="Trade", exact=True).click()
    available = page.get_by_test_id("balance-USDT-available")
    expect(available).to_have_text(re.compile(r"^\d"), timeout=15_000)
    assert abs(usdt(available.inner_text()) - (Decimal(9995) + paid)) <= Decimal("0.005")


# The operator's reality-check interval (GODARK_REALITY_CHECK_SECONDS), as short as allowed.
REALITY_CHECK_SECONDS = 10


@pytest.fixture(scope="module")
def reality_check_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A venue whose operator sets reality checks every REALITY_CHECK_SECONDS of play."""
    directory = tmp_path_factory.mktemp("reality-check-server")
    with running_server(directory, REALITY_CHECK_SECONDS=str(REALITY_CHECK_SECONDS)) as url:
        yield url


def place_a_micro_bet(panel: Locator, stake: str) -> None:
    """Backs the first outcome of the offer closing last; offers come and go with the street."""
    result = panel.get_by_test_id("micro-result")
    for _ in range(5):
        offer = offer_closing_last(panel)
        offer.get_by_test_id("micro-outcome").first.click()
        offer.get_by_label("Stake on", exact=False).fill(stake)
        offer.get_by_test_id("micro-place").click()
        expect(result).not_to_be_empty(timeout=10_000)
        if "Bet placed" in result.inner_text():
            return
        panel.page.wait_for_timeout(1_000)
    expect(result).to_contain_text("Bet placed")


def test_a_reality_check_interrupts_a_micro_session_to_continue_or_stop(
    newcomer_page: Page, reality_check_server_url: str
) -> None:
    page = newcomer_page
    page.goto(f"{reality_check_server_url}/#/flash")
    try_the_demo(page)
    panel = page.get_by_test_id("micro-betting")
    expect(panel).to_be_visible(timeout=15_000)
    panel.get_by_label("Deposit (USDT)").fill("50")
    panel.get_by_test_id("micro-open").click()
    expect(panel.get_by_test_id("micro-balance")).to_have_text("45.00 USDT", timeout=10_000)

    # The first bet starts the session of play; the check comes due during it.
    place_a_micro_bet(panel, "2")
    check = page.get_by_test_id("reality-check")
    expect(check).to_be_visible(timeout=60_000)
    expect(check).to_contain_text("You have played for")
    expect(check.get_by_test_id("reality-check-net")).to_have_text(re.compile(r"USDT$"))

    # Continue: the dialog goes and bets are taken again.
    check.get_by_test_id("reality-check-ack").click()
    expect(check).to_have_count(0, timeout=10_000)
    place_a_micro_bet(panel, "2")

    # The next check: stop there, and the session closes with its money back.
    expect(check).to_be_visible(timeout=60_000)
    check.get_by_test_id("reality-check-stop").click()
    expect(check).to_have_count(0, timeout=10_000)
    expect(panel.get_by_test_id("micro-open-form")).to_be_visible(timeout=15_000)


def signed_post(url: str, key: str, secret: str, query: str) -> httpx.Response:
    """A bot's request, signed exactly as docs/api.md shows."""
    path = "/graphql"
    body = json.dumps({"query": query}).encode()
    stamp = str(int(time.time() * 1000))
    signature = hmac.new(
        secret.encode(), stamp.encode() + b"POST" + path.encode() + body, hashlib.sha256
    ).hexdigest()
    headers = {
        "content-type": "application/json",
        "X-GoDark-Key": key,
        "X-GoDark-Timestamp": stamp,
        "X-GoDark-Signature": signature,
    }
    return httpx.post(url + path, content=body, headers=headers, timeout=15)


def test_an_api_key_made_on_the_admin_page_reads_balances_from_python(
    newcomer_page: Page, server_url: str
) -> None:
    page = newcomer_page
    register_and_log_in(page, server_url)
    page.get_by_role("link", name="Trade", exact=True).click()
    balance = page.get_by_test_id("balance-card")
    balance.get_by_label("Amount (USDT)").fill("250")
    balance.get_by_role("button", name="Get test USDT").click()
    expect(page.get_by_test_id("balance-USDT-available")).to_have_text("250.000000", timeout=15_000)

    page.get_by_role("link", name="Admin", exact=True).click()
    section = page.get_by_test_id("admin-api-keys")
    form = section.get_by_role("form", name="Create an API key")
    expect(form).to_be_visible(timeout=15_000)
    form.get_by_label("Name", exact=True).fill("journey-bot")
    form.get_by_role("checkbox", name=re.compile("^TRADE")).check()
    form.get_by_role("button", name="Create key").click()
    shown = section.get_by_test_id("api-key-secret")
    expect(shown).to_be_visible(timeout=10_000)
    key = shown.locator("span.mono").inner_text().strip()
    secret = shown.locator("code.secret").inner_text().strip()
    assert key.startswith("gdk_") and len(secret) >= 32
    row = section.get_by_test_id(f"api-key-{key}")
    expect(row).to_contain_text("journey-bot", timeout=15_000)
    expect(row).to_contain_text("READ, TRADE")

    # Shown once: after a reload the key is listed, its secret is nowhere.
    page.reload()
    expect(section.get_by_test_id(f"api-key-{key}")).to_contain_text("journey-bot", timeout=15_000)
    expect(section.get_by_test_id("api-key-secret")).to_have_count(0)
    assert secret not in page.content()

    # The key spends the account's allowance, which the page's own reload just used; a
    # well-behaved bot waits the Retry-After it is given (freshly signed each time).
    answer = signed_post(server_url, key, secret, "{ balances { asset available } }")
    for _ in range(5):
        if answer.status_code != 429:
            break
        time.sleep(float(answer.headers.get("retry-after", "1")))
        answer = signed_post(server_url, key, secret, "{ balances { asset available } }")
    assert answer.status_code == 200, answer.text
    balances = {b["asset"]: b["available"] for b in answer.json()["data"]["balances"]}
    assert Decimal(balances["USDT"]) == Decimal(250)
