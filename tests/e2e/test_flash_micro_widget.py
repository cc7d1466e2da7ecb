"""Micro-bets on the Flash page, and the embeddable odds widget on the demo page and on a
page of another origin, in headless Chromium against a real `godark serve`."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import offer_closing_last, try_the_demo
from tests.servers import free_port

pytestmark = pytest.mark.browser

ODDS_TIMEOUT_MS = 30_000


@pytest.fixture
def third_party_origin(server_url: str, tmp_path: Path) -> Iterator[str]:
    """Another site (another port, so another origin) embedding the widget by script tag."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>Someone's blog</title>"
        "<style>a { color: red !important; } * { font-size: 40px; }</style></head><body>"
        "<main><h1>Someone's blog</h1>"
        f'<script src="{server_url}/widget.js" data-godark-sport="soccer" data-ref="BLOG1">'
        "</script></main></body></html>"
    )
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"
    finally:
        site.shutdown()
        site.server_close()


def test_the_widget_demo_page_shows_live_odds(newcomer_page: Page, server_url: str) -> None:
    page = newcomer_page
    page.goto(f"{server_url}/widget-demo.html")
    widgets = page.locator(".godark-widget")
    expect(widgets).to_have_count(2)
    region = page.get_by_role("region", name="Live Soccer odds")
    expect(region).to_be_visible()
    odds = widgets.first.locator("a.o .n")
    expect(odds.first).to_have_text(re.compile(r"^\d+\.\d\d$"), timeout=ODDS_TIMEOUT_MS)
    link = widgets.first.locator("a.o").first.get_attribute("href") or ""
    assert link.startswith(server_url) and "ref=DEMO" in link and "#/flash" in link
    # The host page cannot reach inside: the widget lives in a shadow root.
    assert page.evaluate("document.querySelectorAll('a.o').length") == 0


def test_the_widget_works_on_a_page_of_another_origin(
    newcomer_page: Page,
    server_url: str,
    third_party_origin: str,
) -> None:
    page = newcomer_page
    failed: list[str] = []
    polled: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("request", lambda r: polled.append(r.url) if r.method == "POST" else None)
    page.goto(third_party_origin)
    odds = page.locator(".godark-widget a.o")
    expect(odds.first).to_be_visible(timeout=ODDS_TIMEOUT_MS)
    assert "ref=BLOG1" in (odds.first.get_attribute("href") or "")
    # Live over the socket from this other origin: updates keep arriving with no reload and
    # no polling request (the widget polls only if the socket fails).
    widget = page.locator(".godark-widget")
    expect(widget).to_have_attribute("data-godark-transport", "socket")
    received = int(widget.get_attribute("data-godark-updates") or "0")
    expect(widget).not_to_have_attribute(
        "data-godark-updates", str(received), timeout=ODDS_TIMEOUT_MS
    )
    assert not polled, polled
    # The blog's `font-size: 40px` and red links do not leak into the shadow root.
    size = odds.first.evaluate("element => getComputedStyle(element).fontSize")
    assert size != "40px", size
    assert not failed, failed


def test_the_widget_polls_when_its_socket_cannot_be_kept(
    newcomer_page: Page, third_party_origin: str
) -> None:
    """A proxy that drops WebSockets, say: the widget still shows odds, by polling."""
    page = newcomer_page
    page.route_web_socket(re.compile(r"/graphql$"), lambda socket: socket.close())
    page.goto(third_party_origin)
    widget = page.locator(".godark-widget")
    expect(widget).to_have_attribute("data-godark-transport", "polling", timeout=ODDS_TIMEOUT_MS)
    expect(page.locator(".godark-widget a.o").first).to_be_visible(timeout=ODDS_TIMEOUT_MS)


def test_a_micro_session_is_opened_and_a_bet_placed(newcomer_page: Page, server_url: str) -> None:
    page = newcomer_page
    page.goto(f"{server_url}/#/flash")
    try_the_demo(page)
    panel = page.get_by_test_id("micro-betting")
    expect(panel).to_be_visible(timeout=15_000)
    panel.get_by_label("Deposit (USDT)").fill("50")
    expect(panel.get_by_test_id("micro-deposit-split")).to_contain_text(
        "Reserve (protected): 5.00 USDT · to bet: 45.00 USDT"
    )
    panel.get_by_test_id("micro-open").click()
    expect(panel.get_by_test_id("micro-balance")).to_have_text("45.00 USDT", timeout=10_000)
    expect(panel.get_by_test_id("micro-reserve")).to_have_text("5.00 USDT")

    offer = offer_closing_last(panel)
    offer.get_by_test_id("micro-outcome").first.click()
    stake = offer.get_by_label("Stake on", exact=False)
    stake.fill("5")  # above 10% of the balance: refused before it is sent
    expect(offer.get_by_text("At most 4.50 USDT (10% of the balance).")).to_be_visible()
    expect(offer.get_by_test_id("micro-place")).to_be_disabled()
    stake.fill("2")
    offer.get_by_test_id("micro-place").click()
    expect(panel.get_by_test_id("micro-result")).to_contain_text("Bet placed", timeout=10_000)
    expect(panel.get_by_test_id("micro-bet-row")).to_have_count(1)
    expect(panel.get_by_test_id("micro-bet-status").first).to_have_text("Open")
    expect(panel.get_by_test_id("micro-in-play")).to_have_text("2.00 USDT")
    # The observed street streams in (about 2 s behind the camera).
    expect(panel.get_by_test_id("micro-street-event").first).to_be_visible(timeout=20_000)

    close = panel.get_by_test_id("micro-close")
    expect(close).to_contain_text("USDT comes back")
    back = re.search(r"(\d+\.\d\d) USDT comes back", close.inner_text())
    assert back is not None and back.group(1) in {"50.00", "48.00"}  # open, or settled and lost
    close.click()
    expect(panel.get_by_test_id("micro-result")).to_contain_text(
        f"Session closed: {back.group(1)} USDT back to your balance", timeout=10_000
    )
    expect(panel.get_by_test_id("micro-open-form")).to_be_visible()
