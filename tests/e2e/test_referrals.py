"""The referral modal in headless Chromium: a friend follows your link and signs up, and your
modal counts the sign-up (never showing who it was)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.steps import register_and_log_in, try_the_demo

pytestmark = pytest.mark.browser


def open_referral_modal(page: Page) -> None:
    page.get_by_test_id("referral-open").click()
    expect(page.get_by_test_id("referral-modal")).to_be_visible(timeout=10_000)


def test_a_friend_who_signs_up_with_your_link_shows_in_your_referrals(
    newcomer_page: Page, browser: Browser, server_url: str
) -> None:
    you = newcomer_page
    you.goto(server_url)
    try_the_demo(you)
    open_referral_modal(you)
    modal = you.get_by_test_id("referral-modal")
    expect(modal.get_by_test_id("referral-sign-ups")).to_have_text("0", timeout=10_000)
    expect(modal.get_by_test_id("referral-rewards-pending")).to_have_text("0 USDT")
    expect(modal).to_contain_text("20% of the trading fees")
    code = modal.get_by_test_id("referral-code").inner_text().strip()
    assert code in modal.get_by_test_id("referral-link").inner_text()
    modal.get_by_role("button", name="Close", exact=True).last.click()

    friend_profile = browser.new_context()
    try:
        friend_email, _ = register_and_log_in(friend_profile.new_page(), server_url, code)
    finally:
        friend_profile.close()

    open_referral_modal(you)
    modal = you.get_by_test_id("referral-modal")
    expect(modal.get_by_test_id("referral-sign-ups")).to_have_text("1", timeout=10_000)
    expect(modal.get_by_test_id("referral-active")).to_have_text("0")
    expect(modal).not_to_contain_text(friend_email)
