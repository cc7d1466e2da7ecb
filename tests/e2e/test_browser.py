"""The web app in Debian's headless Chromium, against a real `godark serve`."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import register_and_log_in, try_the_demo

pytestmark = pytest.mark.browser


def test_the_page_shows_the_heartbeat_ticking(browser_page: Page, server_url: str) -> None:
    browser_page.goto(server_url)
    sequence = browser_page.get_by_test_id("heartbeat-seq")
    expect(sequence).to_have_text(re.compile(r"^\d+$"), timeout=15_000)
    first = int(sequence.inner_text())
    # The next tick arrives within about a second; give a loaded machine some slack.
    browser_page.wait_for_function(
        "first => Number(document.querySelector('[data-testid=heartbeat-seq]').textContent)"
        " > first",
        arg=first,
        timeout=10_000,
    )
    assert int(sequence.inner_text()) > first
    expect(browser_page.get_by_test_id("connection-status")).to_have_text("live")


def test_the_page_shows_server_info_and_the_demo_balance(
    browser_page: Page, server_url: str
) -> None:
    browser_page.goto(server_url)
    expect(browser_page.get_by_test_id("server-version")).to_have_text("0.1.0", timeout=15_000)
    expect(browser_page.get_by_test_id("server-mode")).to_have_text("DEMO")
    try_the_demo(browser_page)
    expect(browser_page.get_by_test_id("balance-USDT-available")).to_have_text(
        "10000.000000", timeout=15_000
    )


def test_navigation_reaches_every_section(browser_page: Page, server_url: str) -> None:
    browser_page.goto(server_url)
    for section in ("Flash", "Stats", "Admin", "Trade"):
        browser_page.get_by_role("link", name=section, exact=True).click()
        expect(browser_page.get_by_role("heading", level=1)).to_contain_text(section)


def test_the_trade_page_shows_live_oracle_prices(browser_page: Page, server_url: str) -> None:
    browser_page.goto(server_url)
    index = browser_page.get_by_test_id("index-price-BTC-USDT-PERP")
    expect(index).to_have_text(re.compile(r"^\d{4,6}\.\d+$"), timeout=15_000)
    expect(browser_page.get_by_test_id("oracle-health-BTC-USDT-PERP")).to_have_text("Healthy")
    expect(browser_page.get_by_test_id("source-BINANCE-status")).to_contain_text("OK")
    browser_page.get_by_test_id("market-row-ETH-USDT-PERP").click()
    expect(browser_page.get_by_test_id("selected-market")).to_contain_text("ETH-USDT-PERP")
    expect(browser_page.get_by_test_id("ticker-index")).to_have_text(
        re.compile(r"^\d{3,5}\.\d+$"), timeout=10_000
    )


def test_a_newcomer_opens_a_100x_long_and_closes_it(browser_page: Page, server_url: str) -> None:
    browser_page.goto(server_url)
    try_the_demo(browser_page)
    expect(browser_page.get_by_test_id("index-price-BTC-USDT-PERP")).to_have_text(
        re.compile(r"^\d"), timeout=15_000
    )
    browser_page.get_by_test_id("ticket-side-buy").click()
    browser_page.get_by_test_id("ticket-type-market").click()
    browser_page.get_by_test_id("ticket-leverage-100").click()
    browser_page.get_by_test_id("ticket-size").fill("0.01")
    result = browser_page.get_by_test_id("ticket-result")
    for _ in range(10):  # the simulated makers quote within a couple of seconds of start
        browser_page.get_by_test_id("ticket-submit").click()
        expect(result).not_to_be_empty(timeout=10_000)
        if "Filled" in result.inner_text():
            break
        browser_page.wait_for_timeout(1_000)
    expect(result).to_contain_text("Filled")
    row = browser_page.get_by_test_id("position-row-BTC-USDT-PERP")
    expect(row).to_be_visible(timeout=10_000)
    expect(browser_page.get_by_test_id("position-liq-BTC-USDT-PERP")).to_have_text(
        re.compile(r"\d")
    )
    browser_page.get_by_test_id("position-close-BTC-USDT-PERP").click()
    expect(row).to_have_count(0, timeout=10_000)


def test_the_flash_page_shows_live_games(browser_page: Page, server_url: str) -> None:
    browser_page.goto(server_url)
    browser_page.get_by_role("link", name="Flash", exact=True).click()
    games = browser_page.locator("[data-testid^='game-score-']")
    expect(games.first).to_be_visible(timeout=15_000)
    assert games.count() >= 3


def test_signed_out_visitors_see_markets_and_a_way_in(newcomer_page: Page, server_url: str) -> None:
    newcomer_page.goto(server_url)
    expect(newcomer_page.get_by_test_id("index-price-BTC-USDT-PERP")).to_have_text(
        re.compile(r"^\d"), timeout=15_000
    )
    expect(newcomer_page.get_by_test_id("ticket-signed-out")).to_contain_text(
        "Try the demo or log in to trade"
    )
    expect(newcomer_page.get_by_test_id("order-ticket")).to_have_count(0)


def test_a_newcomer_registers_verifies_the_email_and_logs_in(
    newcomer_page: Page, server_url: str
) -> None:
    email, _password = register_and_log_in(newcomer_page, server_url)
    newcomer_page.get_by_role("link", name="Trade", exact=True).click()
    expect(newcomer_page.get_by_role("heading", level=1)).to_contain_text("Trade")
    expect(newcomer_page.get_by_role("banner").get_by_test_id("signed-in-as")).to_have_text(email)


def test_two_factor_authentication_is_enabled_from_the_admin_page(
    newcomer_page: Page, server_url: str
) -> None:
    register_and_log_in(newcomer_page, server_url)
    newcomer_page.get_by_role("link", name="Admin", exact=True).click()
    section = newcomer_page.get_by_test_id("admin-two-factor")
    section.get_by_role("button", name="Enable two-factor authentication").click()
    expect(section.get_by_role("img", name=re.compile("QR code"))).to_be_visible(timeout=10_000)
    secret = section.get_by_test_id("totp-secret").inner_text().strip()
    section.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    section.get_by_role("button", name="Confirm and turn on").click()
    codes = section.get_by_test_id("backup-code")
    expect(codes).to_have_count(10, timeout=10_000)
    assert all(code.strip() for code in codes.all_inner_texts())


def test_a_newcomer_bets_on_a_flash_market_after_a_quote(
    newcomer_page: Page, server_url: str
) -> None:
    page = newcomer_page
    page.goto(server_url)
    try_the_demo(page)
    page.get_by_role("link", name="Flash", exact=True).click()
    expect(page.get_by_test_id("live-mode-toggle")).to_have_attribute("aria-pressed", "true")
    ticker = page.get_by_test_id("flash-ticker")
    # Markets open during the simulated games; pick one with time left to bet.
    bet_button = ticker.locator("[data-testid^='flash-bet-fm_']").first
    expect(bet_button).to_be_visible(timeout=90_000)
    result = page.get_by_test_id("flash-bet-result")
    for _ in range(5):  # a market can close between the quote and the confirmation
        ticker.locator("[data-testid^='flash-bet-fm_']").first.click()
        card = page.get_by_test_id("flash-bet-card")
        card.get_by_test_id("flash-stake").fill("5")
        card.get_by_test_id("flash-get-quote").click()
        quote = card.get_by_test_id("flash-quote")
        expect(quote.or_(result.locator("p"))).to_be_visible(timeout=10_000)
        if quote.is_visible():
            expect(card.get_by_test_id("flash-quote-payout")).to_have_text(
                re.compile(r"^\d[\d,]*\.\d{2} USDT$")
            )
            card.get_by_test_id("flash-confirm").click()
            expect(result).not_to_be_empty(timeout=10_000)
            if "Bet placed" in result.inner_text():
                break
        page.wait_for_timeout(1_000)
    expect(result).to_contain_text("Bet placed")
    rows = page.get_by_test_id("flash-my-bets").locator("tbody tr")
    expect(rows).to_have_count(1, timeout=10_000)
    expect(rows.first.locator("[data-testid^='flash-bet-status-']")).to_have_text(
        re.compile("Open|Won|Lost|Void")
    )


def test_a_loss_limit_set_on_the_flash_page_refuses_a_bigger_bet(
    newcomer_page: Page, server_url: str
) -> None:
    page = newcomer_page
    page.goto(server_url)
    try_the_demo(page)
    page.get_by_role("link", name="Flash", exact=True).click()
    page.get_by_test_id("rg-open").click()
    panel = page.get_by_test_id("rg-panel")
    panel.get_by_test_id("rg-loss-amount").fill("2")
    panel.get_by_test_id("rg-save-limit").click()
    expect(panel.get_by_test_id("rg-limit-LOSS-DAY")).to_contain_text("2.00", timeout=10_000)
    panel.get_by_role("button", name="Close").click()

    ticker = page.get_by_test_id("flash-ticker")
    result = page.get_by_test_id("flash-bet-result")
    # Markets come and go with the simulated games; a quiet minute can pass between them.
    expect(ticker.locator("[data-testid^='flash-bet-fm_']").first).to_be_visible(timeout=90_000)
    for _ in range(5):
        ticker.locator("[data-testid^='flash-bet-fm_']").first.click()
        card = page.get_by_test_id("flash-bet-card")
        card.get_by_test_id("flash-stake").fill("5")
        card.get_by_test_id("flash-get-quote").click()
        quote = card.get_by_test_id("flash-quote")
        expect(quote.or_(result.locator("p"))).to_be_visible(timeout=10_000)
        if quote.is_visible():
            card.get_by_test_id("flash-confirm").click()
            expect(result).not_to_be_empty(timeout=10_000)
            if "LIMIT_REACHED" in result.inner_text():
                break
        page.wait_for_timeout(1_000)
    expect(result).to_contain_text("LIMIT_REACHED")
    expect(page.get_by_test_id("flash-no-bets")).to_be_visible()


def test_a_trade_settles_and_its_proof_is_verified_in_the_browser(
    browser_page: Page, server_url: str
) -> None:
    page = browser_page
    page.goto(server_url)
    try_the_demo(page)
    expect(page.get_by_test_id("index-price-BTC-USDT-PERP")).to_have_text(
        re.compile(r"^\d"), timeout=15_000
    )
    page.get_by_test_id("ticket-side-buy").click()
    page.get_by_test_id("ticket-type-market").click()
    page.get_by_test_id("ticket-size").fill("0.01")
    result = page.get_by_test_id("ticket-result")
    for _ in range(10):
        page.get_by_test_id("ticket-submit").click()
        expect(result).not_to_be_empty(timeout=10_000)
        if "Filled" in result.inner_text():
            break
        page.wait_for_timeout(1_000)
    expect(result).to_contain_text("Filled")
    page.wait_for_timeout(2_500)  # the one-second window closes and the batch confirms
    page.get_by_role("link", name="Stats", exact=True).click()
    fills = page.get_by_test_id("my-settled-fills")
    expect(fills).to_be_visible(timeout=10_000)
    fills.get_by_role("button", name="Verify").first.click()
    expect(fills.get_by_test_id("proof-result").first).to_have_text("verified", timeout=10_000)
    expect(page.get_by_test_id("settlement-batches")).to_contain_text("CONFIRMED")


def test_advanced_mode_persists_and_a_gtc_limit_order_is_placed_and_cancelled(
    newcomer_page: Page, server_url: str
) -> None:
    page = newcomer_page
    page.goto(server_url)
    try_the_demo(page)
    page.get_by_test_id("mode-advanced").click()
    page.reload()
    expect(page.get_by_test_id("mode-advanced")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("advanced-ticket")).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("reference-book")).to_contain_text("our own orders stay dark")
    expect(page.get_by_test_id("candle-chart").locator("canvas").first).to_be_visible()

    # Keyboard: ? opens the help, Esc closes it, S and B set the side.
    page.locator("body").press("?")
    expect(page.get_by_test_id("shortcuts-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("shortcuts-dialog")).to_have_count(0)
    page.locator("body").press("s")
    expect(page.get_by_test_id("adv-side-sell")).to_have_attribute("aria-pressed", "true")
    page.locator("body").press("b")
    expect(page.get_by_test_id("adv-side-buy")).to_have_attribute("aria-pressed", "true")

    page.get_by_test_id("adv-type").select_option("LIMIT")
    page.get_by_test_id("adv-tif").select_option("GTC")
    page.get_by_test_id("adv-size").fill("0.01")
    page.get_by_test_id("adv-price").fill("1000")  # far below the market: it rests
    page.get_by_test_id("adv-review").click()
    confirm = page.get_by_test_id("adv-confirm")
    expect(confirm).to_contain_text("Time in force GTC")
    page.keyboard.press("Escape")  # Esc cancels: nothing is sent
    expect(confirm).to_have_count(0)
    page.get_by_test_id("adv-review").click()
    page.get_by_test_id("adv-confirm-submit").click()
    expect(page.get_by_test_id("adv-result")).to_contain_text("Order placed", timeout=10_000)

    working = page.get_by_test_id("working-orders")
    row = working.locator("[data-testid^='working-row-']").filter(has_text="Limit")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row).to_contain_text("1,000.00")
    row.locator("[data-testid^='working-cancel-']").click()
    expect(page.get_by_test_id("working-result")).to_contain_text("Cancelled", timeout=10_000)
    expect(row).to_have_count(0, timeout=10_000)
    working.get_by_test_id("orders-tab-closed").click()
    expect(
        working.locator("[data-testid^='working-row-']").filter(has_text="Cancelled").first
    ).to_be_visible(timeout=10_000)


def test_the_stats_page_renders_charts(newcomer_page: Page, server_url: str) -> None:
    page = newcomer_page
    page.goto(f"{server_url}/#/stats")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stats")
    for chart in ("stats-chart-savings", "stats-chart-volume", "stats-chart-fees"):
        expect(page.get_by_test_id(chart).locator("canvas").first).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("stats-execution")).to_contain_text("Execution quality")
    # Order flow: the demo's market makers' orders are counted and charted.
    expect(page.get_by_test_id("stats-chart-liquidity").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("stats-orders")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(page.get_by_test_id("stats-availability")).to_have_text(re.compile(r"%$"))
    page.get_by_test_id("stats-symbol").select_option("BTC-USDT-PERP")
    expect(page.get_by_test_id("stats-chart-volume")).to_have_attribute(
        "aria-label", re.compile("BTC-USDT-PERP")
    )


def test_the_operator_panel_is_hidden_for_a_normal_user(
    newcomer_page: Page, server_url: str
) -> None:
    page = newcomer_page
    page.goto(server_url)
    try_the_demo(page)
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_test_id("admin-account")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("operator-panel")).to_have_count(0)


def test_a_referral_link_fills_in_the_code_at_sign_up(newcomer_page: Page, server_url: str) -> None:
    newcomer_page.goto(f"{server_url}/register?ref=FRIEND42")
    dialog = newcomer_page.get_by_test_id("register-dialog")
    expect(dialog).to_be_visible(timeout=10_000)
    expect(dialog.get_by_label("Referral code (optional)")).to_have_value("FRIEND42")
