"""Browser-test fixtures: a real `godark serve` per module and Debian's headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import REPOSITORY_ROOT
from tests.servers import running_server

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


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert (REPOSITORY_ROOT / "web" / "dist" / "index.html").is_file(), (
        "the web app is not built: `make test` builds it before the tests"
    )
    with running_server(tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server_url: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser_page(browser: Browser) -> Iterator[Page]:
    """One page shared by the module's tests: once it opens a demo account, it stays signed in."""
    page = browser.new_page()
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def newcomer_page(browser: Browser) -> Iterator[Page]:
    """A browser profile of its own (empty localStorage): nobody is signed in."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()
