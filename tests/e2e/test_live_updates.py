"""Issue #8: the web app follows live data by subscription, not by polling.

An idle Trade page must stay far inside the FREE tier's 60 requests a minute (seed 004),
and a change made elsewhere (here: an order placed through the API with the page's own
token) must reach the page by subscription, without a reload and without a refetch.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.e2e.steps import try_the_demo

IDLE_SECONDS = 30
# Safety-net refreshes of a few panels every 30 s; far under the FREE tier's 60 a minute.
MAX_POSTS_WHILE_IDLE = 15
SYMBOL = "BTC-USDT-PERP"
PLACE_ORDER = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on OrderPlaced { order { status filled } }
    ... on UserError { code message }
  }
}
"""


class GraphqlPosts:
    """The page's GraphQL HTTP POSTs, by operation name, as they are sent."""

    def __init__(self, page: Page) -> None:
        self.names: list[str] = []
        page.on("request", self._record)

    def _record(self, request: Request) -> None:
        if request.method != "POST" or not request.url.split("?")[0].endswith("/graphql"):
            return
        try:
            body = json.loads(request.post_data or "{}")
        except ValueError:
            body = {}
        self.names.append(str(body.get("operationName") or "anonymous"))

    def since(self, start: int) -> list[str]:
        return self.names[start:]


@pytest.fixture
def trade_page(browser: Browser, server_url: str) -> Iterator[tuple[Page, GraphqlPosts]]:
    """A fresh demo account on the Trade page (Basic mode), loaded and settled."""
    context = browser.new_context()
    try:
        page = context.new_page()
        posts = GraphqlPosts(page)
        page.goto(server_url)
        try_the_demo(page)
        expect(page.get_by_test_id(f"index-price-{SYMBOL}")).to_have_text(
            re.compile(r"^\d"), timeout=15_000
        )
        expect(page.get_by_test_id("positions-empty")).to_be_visible(timeout=15_000)
        expect(page.get_by_test_id("reference-book").locator("tbody tr").first).to_be_visible(
            timeout=15_000
        )
        page.wait_for_timeout(3_000)  # the first loads are done
        yield page, posts
    finally:
        context.close()


def test_an_idle_trade_page_sends_few_requests_and_stays_live(
    trade_page: tuple[Page, GraphqlPosts],
) -> None:
    page, posts = trade_page
    index = page.get_by_test_id(f"index-price-{SYMBOL}")
    first_index = index.inner_text()
    start = len(posts.names)
    page.wait_for_timeout(IDLE_SECONDS * 1_000)
    sent = posts.since(start)
    assert len(sent) <= MAX_POSTS_WHILE_IDLE, f"{len(sent)} POSTs in {IDLE_SECONDS} s: {sent}"
    # The markets table still moved: its prices come from the ticker subscriptions.
    expect(index).not_to_have_text(first_index, timeout=10_000)


def test_a_position_opened_elsewhere_appears_without_a_reload(
    trade_page: tuple[Page, GraphqlPosts], server_url: str
) -> None:
    page, posts = trade_page
    token = page.evaluate("JSON.parse(localStorage.getItem('godark.session')).accessToken")
    start = len(posts.names)
    order = {"symbol": SYMBOL, "side": "BUY", "type": "MARKET", "size": "0.01", "leverage": 10}
    with httpx.Client(base_url=server_url, timeout=10) as api:
        for _ in range(10):  # the simulated makers quote within seconds of the start
            answer = api.post(
                "/graphql",
                json={"query": PLACE_ORDER, "variables": {"input": order}},
                headers={"Authorization": f"Bearer {token}"},
            )
            placed = answer.json()["data"]["placeOrder"]
            if placed["__typename"] == "OrderPlaced" and placed["order"]["filled"] != "0":
                break
            time.sleep(1)
        assert placed["__typename"] == "OrderPlaced", placed
    placed_at = time.monotonic()

    row = page.get_by_test_id(f"position-row-{SYMBOL}")
    expect(row).to_be_visible(timeout=10_000)
    # Well before the 30 s safety net, and from the `positionUpdates` event itself.
    assert time.monotonic() - placed_at < 10
    assert "MyPositions" not in posts.since(start), posts.since(start)
    expect(page.get_by_test_id(f"position-pnl-{SYMBOL}")).to_have_text(re.compile(r"\d"))


def test_micro_offers_arrive_by_subscription_not_by_a_timer(
    browser: Browser, server_url: str
) -> None:
    """New micro-bet offers appear on the Flash page as they are listed, while the page
    sends no MicroMarkets query for them (it polled every 2 s before)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        posts = GraphqlPosts(page)
        page.goto(f"{server_url}/#/flash")
        try_the_demo(page)
        panel = page.get_by_test_id("micro-betting")
        expect(panel).to_be_visible(timeout=15_000)
        panel.get_by_label("Deposit (USDT)").fill("20")
        panel.get_by_test_id("micro-open").click()
        offers = panel.get_by_test_id("micro-offer")
        expect(offers.first).to_be_visible(timeout=15_000)
        page.wait_for_timeout(2_000)  # the first loads are done
        start = len(posts.names)
        listed = "offers => offers.map(offer => offer.dataset.offerId)"
        shown = set(offers.evaluate_all(listed))
        for _ in range(40):
            page.wait_for_timeout(500)
            if set(offers.evaluate_all(listed)) - shown:
                break
        else:
            raise AssertionError("no newly listed offer appeared within 20 s")
        assert posts.since(start).count("MicroMarkets") == 0, posts.since(start)
    finally:
        context.close()
