"""The app on a 375 x 812 touch phone: order tickets in bottom sheets, nothing scrolls sideways.

Saves phone-size screenshots of every page, the order sheets and the flash bet card to
docs/screenshots/phone-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from tests.conftest import REPOSITORY_ROOT
from tests.e2e.steps import try_the_demo

PHONE = ViewportSize(width=375, height=812)
SCREENSHOTS = REPOSITORY_ROOT / "docs" / "screenshots"
SYMBOL = "BTC-USDT-PERP"


@pytest.fixture(scope="module")
def phone_page(browser: Browser) -> Iterator[Page]:
    """One touch-screen phone for the module: once it opens a demo account, it stays signed in."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_trade_page(page: Page, server_url: str, mode: str) -> None:
    page.goto(f"{server_url}/#/trade")
    try_the_demo(page)
    page.get_by_test_id(f"mode-{mode}").tap()
    expect(page.get_by_test_id(f"index-price-{SYMBOL}")).to_have_text(
        re.compile(r"^\d"), timeout=15_000
    )


def open_sheet(page: Page, side: str, name: str) -> Locator:
    """Taps Buy / Long or Sell / Short in the bar at the bottom; the ticket rises as a dialog."""
    page.get_by_test_id(f"sheet-open-{side}").tap()
    sheet = page.get_by_role("dialog", name=name)
    expect(sheet).to_be_visible()
    assert sheet.evaluate("dialog => dialog.contains(document.activeElement)"), "focus moved in"
    sheet.evaluate("dialog => Promise.all(dialog.getAnimations().map((rise) => rise.finished))")
    box = sheet.bounding_box()
    assert box is not None
    assert box["width"] == PHONE["width"]
    assert abs(box["y"] + box["height"] - PHONE["height"]) <= 1, "docked to the bottom edge"
    return sheet


def place_market_order(sheet: Locator, page: Page) -> None:
    sheet.get_by_test_id("ticket-type-market").tap()
    sheet.get_by_test_id("ticket-size").fill("0.01")
    result = sheet.get_by_test_id("ticket-result")
    for _ in range(10):  # the simulated makers quote within a couple of seconds of start
        sheet.get_by_test_id("ticket-submit").tap()
        expect(result).not_to_be_empty(timeout=10_000)
        if "Filled" in result.inner_text():
            break
        page.wait_for_timeout(1_000)
    expect(result).to_contain_text("Filled")


def test_a_newcomer_places_a_market_order_from_the_bottom_sheet(
    phone_page: Page, server_url: str
) -> None:
    page = phone_page
    open_trade_page(page, server_url, "basic")
    expect(page.get_by_test_id("order-ticket")).to_have_count(0)  # not on the page itself

    sheet = open_sheet(page, "buy", f"Order ticket · {SYMBOL}")
    expect(sheet.get_by_test_id("ticket-side-buy")).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=str(SCREENSHOTS / "phone-order-sheet.png"), animations="disabled")
    place_market_order(sheet, page)

    page.keyboard.press("Escape")
    expect(sheet).to_have_count(0)
    expect(page.get_by_test_id("sheet-open-buy")).to_be_focused()
    row = page.get_by_test_id(f"position-row-{SYMBOL}")
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("Long")


def test_the_advanced_ticket_works_from_its_sheet(phone_page: Page, server_url: str) -> None:
    page = phone_page
    open_trade_page(page, server_url, "advanced")
    expect(page.get_by_test_id("advanced-ticket")).to_have_count(0)

    sheet = open_sheet(page, "sell", f"Advanced order · {SYMBOL}")
    expect(sheet.get_by_test_id("adv-side-sell")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(sheet).to_have_count(0)
    expect(page.get_by_test_id("sheet-open-sell")).to_be_focused()

    sheet = open_sheet(page, "buy", f"Advanced order · {SYMBOL}")
    expect(sheet.get_by_test_id("adv-side-buy")).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=str(SCREENSHOTS / "phone-advanced-sheet.png"), animations="disabled")
    sheet.get_by_test_id("adv-type").select_option("LIMIT")
    sheet.get_by_test_id("adv-tif").select_option("GTC")
    sheet.get_by_test_id("adv-size").fill("0.01")
    sheet.get_by_test_id("adv-price").fill("1000")  # far below the market: it rests
    sheet.get_by_test_id("adv-review").tap()
    page.get_by_test_id("adv-confirm-submit").tap()
    expect(sheet.get_by_test_id("adv-result")).to_contain_text("Order placed", timeout=10_000)
    sheet.get_by_test_id("sheet-close").tap()
    expect(sheet).to_have_count(0)

    row = page.get_by_test_id("working-orders").locator("[data-testid^='working-row-']")
    row = row.filter(has_text="Limit")
    expect(row).to_have_count(1, timeout=10_000)
    expect(row).to_contain_text("1,000.00")
    row.locator("[data-testid^='working-cancel-']").tap()
    expect(row).to_have_count(0, timeout=10_000)


def test_the_flash_bet_card_rises_as_a_sheet_over_the_market_tapped(
    phone_page: Page, server_url: str
) -> None:
    page = phone_page
    page.goto(f"{server_url}/#/flash")
    try_the_demo(page)
    bet_button = page.get_by_test_id("flash-ticker").locator("[data-testid^='flash-bet-fm_']")
    expect(bet_button.first).to_be_visible(timeout=90_000)  # markets open during the games
    opener = bet_button.first.get_attribute("data-testid")
    bet_button.first.tap()
    # A modal sheet: in view at once (not after the whole ticker), focus inside it.
    sheet = page.get_by_role("dialog", name=re.compile(r"^Bet · "))
    expect(sheet).to_be_visible()
    assert sheet.evaluate("dialog => dialog.contains(document.activeElement)"), "focus moved in"
    sheet.evaluate("dialog => Promise.all(dialog.getAnimations().map((rise) => rise.finished))")
    box = sheet.bounding_box()
    assert box is not None
    assert box["width"] == PHONE["width"]
    assert abs(box["y"] + box["height"] - PHONE["height"]) <= 1, "docked to the bottom edge"
    card = sheet.get_by_test_id("flash-bet-card")
    expect(card.get_by_test_id("flash-bet-close")).to_have_count(0)  # the sheet's Close only
    card.get_by_test_id("flash-stake").fill("5")
    card.get_by_test_id("flash-get-quote").tap()
    quote = card.get_by_test_id("flash-quote")
    expect(quote.or_(page.get_by_test_id("flash-bet-result").locator("p"))).to_be_visible(
        timeout=10_000
    )
    page.screenshot(path=str(SCREENSHOTS / "phone-flash-bet-card.png"), animations="disabled")
    sheet.get_by_test_id("sheet-close").tap()
    expect(sheet).to_have_count(0)
    expect(page.get_by_test_id(str(opener))).to_be_focused()  # back where the bettor was


def show_page(page: Page, server_url: str, name: str) -> None:
    """Opens a page with its tab and waits for the content whose width matters."""
    if name in ("trade", "trade-advanced"):
        open_trade_page(page, server_url, "advanced" if name == "trade-advanced" else "basic")
        if name == "trade-advanced":
            expect(page.get_by_test_id("candle-chart").locator("canvas").first).to_be_visible()
        return
    page.get_by_role("navigation", name="Primary").get_by_role("link", name=name.title()).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(name.title(), timeout=15_000)
    if name == "flash":
        expect(page.locator("[data-testid^='game-score-']").first).to_be_visible(timeout=15_000)
    elif name == "stats":
        chart = page.get_by_test_id("stats-chart-volume").locator("canvas").first
        expect(chart).to_be_visible(timeout=15_000)
    else:
        section = page.get_by_role("heading", name="Two-factor authentication")
        expect(section).to_be_visible(timeout=15_000)


@pytest.mark.parametrize("name", ["trade", "trade-advanced", "flash", "stats", "admin"])
def test_no_page_scrolls_sideways_on_a_phone(phone_page: Page, server_url: str, name: str) -> None:
    page = phone_page
    show_page(page, server_url, name)
    scroll_width, client_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), animations="disabled")
    assert scroll_width <= client_width, f"{name}: {scroll_width}px wide, screen {client_width}px"
