"""The web app in Debian's headless Chromium, against a real `godark serve`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import REPOSITORY_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries to reach Google's services at every start, and this
# machine has no network beyond the package registries.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert (REPOSITORY_ROOT / "web" / "dist" / "index.html").is_file(), (
        "the web app is not built: `make test` builds it before the tests"
    )
    port = _free_port()
    directory = tmp_path_factory.mktemp("server")
    env = {key: value for key, value in os.environ.items() if not key.startswith("GODARK_")}
    env.update(
        GODARK_DATABASE_URL=f"sqlite+aiosqlite:///{directory}/godark.db",
        GODARK_BIND=f"127.0.0.1:{port}",
        GODARK_DEMO="true",
    )
    godark = str(Path(sys.executable).parent / "godark")
    log = (directory / "server.log").open("w")
    process = subprocess.Popen([godark, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((directory / "server.log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser_page(server_url: str) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        try:
            yield page
        finally:
            browser.close()


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
