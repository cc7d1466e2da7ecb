"""Steps shared by the browser tests: signing in the ways a person does, and the few actions
several journeys take (two-factor set-up, a market order, a flash bet)."""

from __future__ import annotations

import re
import secrets

import pyotp
from playwright.sync_api import Locator, Page, expect


def try_the_demo(page: Page) -> None:
    """Signs in with a fresh demo account from the top bar, unless already signed in."""
    banner = page.get_by_role("banner")
    signed_in = banner.get_by_test_id("signed-in-as")
    try_demo = banner.get_by_role("button", name="Try the demo", exact=True)
    expect(signed_in.or_(try_demo)).to_be_visible(timeout=15_000)
    if try_demo.is_visible():
        try_demo.click()
    expect(signed_in).to_have_text("Demo account", timeout=15_000)


def strong_password() -> str:
    """Meets the policy (upper, lower, digit, special, 8+) and is nobody's common password."""
    return f"Gd#{secrets.token_hex(6)}Xy7"


def register_and_log_in(
    page: Page, server_url: str, referral_code: str | None = None
) -> tuple[str, str]:
    """A newcomer registers (from a friend's referral link when given a code), confirms the
    email from the demo mailbox, and logs in."""
    email = f"newcomer-{secrets.token_hex(4)}@example.com"
    password = strong_password()
    if referral_code is None:
        page.goto(server_url)
        page.get_by_role("banner").get_by_role("button", name="Register", exact=True).click()
    else:
        page.goto(f"{server_url}/register?ref={referral_code}")  # opens the sign-up itself
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Email", exact=True).fill(email)
    dialog.get_by_label("Password", exact=True).fill(password)
    dialog.get_by_label(re.compile("I accept the Terms of Service")).check()
    dialog.get_by_role("button", name="Create account").click()
    expect(dialog.get_by_test_id("register-done")).to_contain_text(email, timeout=10_000)

    dialog.get_by_role("button", name="Open the demo mailbox").click()
    link = dialog.get_by_test_id("mail-link").filter(has_text="/verify-email?token=")
    expect(link).to_have_count(1, timeout=10_000)
    link.click()
    expect(page.get_by_test_id("verify-email-done")).to_have_text(
        "Your email is confirmed.", timeout=10_000
    )

    page.get_by_role("button", name="Log in now").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Email", exact=True).fill(email)
    dialog.get_by_label("Password", exact=True).fill(password)
    dialog.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("banner").get_by_test_id("signed-in-as")).to_have_text(
        email, timeout=10_000
    )
    return email, password


def enable_two_factor(page: Page) -> str:
    """Turns on TOTP from the Admin page with the secret shown; returns that secret."""
    page.get_by_role("link", name="Admin", exact=True).click()
    section = page.get_by_test_id("admin-two-factor")
    section.get_by_role("button", name="Enable two-factor authentication").click()
    expect(section.get_by_role("img", name=re.compile("QR code"))).to_be_visible(timeout=10_000)
    secret = section.get_by_test_id("totp-secret").inner_text().strip()
    section.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    section.get_by_role("button", name="Confirm and turn on").click()
    expect(section.get_by_test_id("backup-code")).to_have_count(10, timeout=10_000)
    return secret


def place_market_order(page: Page, size: str, leverage: int, side: str = "buy") -> None:
    """A Basic-mode market order on the selected market, until it fills: the simulated makers
    quote within a couple of seconds of the server's start."""
    page.get_by_test_id(f"ticket-side-{side}").click()
    page.get_by_test_id("ticket-type-market").click()
    page.get_by_test_id(f"ticket-leverage-{leverage}").click()
    page.get_by_test_id("ticket-size").fill(size)
    result = page.get_by_test_id("ticket-result")
    for _ in range(10):
        page.get_by_test_id("ticket-submit").click()
        expect(result).not_to_be_empty(timeout=10_000)
        if "Filled" in result.inner_text():
            break
        page.wait_for_timeout(1_000)
    expect(result).to_contain_text("Filled")


def bet_on_the_soonest_flash_market(page: Page, stake: str, outcome_index: int = 0) -> None:
    """On the Flash page, quotes and confirms a bet on the market closing soonest (the ticker
    lists them by deadline). A market can close between the quote and the confirmation, and
    a quiet minute can pass between games' markets: hence the generous waits and retries."""
    ticker = page.get_by_test_id("flash-ticker")
    bet_buttons = ticker.locator("[data-testid^='flash-bet-fm_']")
    expect(bet_buttons.first).to_be_visible(timeout=90_000)
    result = page.get_by_test_id("flash-bet-result")
    for _ in range(5):
        bet_buttons.first.click()
        card = page.get_by_test_id("flash-bet-card")
        card.locator("[data-testid^='flash-outcome-']").nth(outcome_index).click()
        card.get_by_test_id("flash-stake").fill(stake)
        card.get_by_test_id("flash-get-quote").click()
        quote = card.get_by_test_id("flash-quote")
        expect(quote.or_(result.locator("p"))).to_be_visible(timeout=10_000)
        if quote.is_visible():
            card.get_by_test_id("flash-confirm").click()
            expect(result).not_to_be_empty(timeout=10_000)
            if "Bet placed" in result.inner_text():
                return
        page.wait_for_timeout(1_000)
    expect(result).to_contain_text("Bet placed")


def offer_closing_last(panel: Locator) -> Locator:
    """The listed micro offer whose betting closes last ("bets close in m:ss"). Offers leave
    the list as their betting closes (some every 15 s), so `.first` could change under a
    test between two steps; this one is pinned by its id."""
    expect(panel.get_by_test_id("micro-offer").first).to_be_visible(timeout=15_000)
    offers: list[tuple[int, str]] = []
    for item in panel.get_by_test_id("micro-offer").all():
        countdown = re.search(r"bets close in (\d+):(\d\d)", item.inner_text())
        offer_id = item.get_attribute("data-offer-id")
        if countdown and offer_id:
            offers.append((int(countdown.group(1)) * 60 + int(countdown.group(2)), offer_id))
    assert offers, "no micro offer shows its closing countdown"
    return panel.locator(f'[data-offer-id="{max(offers)[1]}"]')
