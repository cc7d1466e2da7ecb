"""The built web app's first load stays small: pages and the chart library come with their route.

Reads web/dist as `npm run build` leaves it (`make test` builds it before the tests). Issue #8:
"Initial JS at most 300 KB gzipped, the rest split per route."
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from tests.conftest import REPOSITORY_ROOT

DIST = REPOSITORY_ROOT / "web" / "dist"
INITIAL_JS_BUDGET_BYTES = 300 * 1024  # gzipped

# What the browser fetches before the first page can render.
ENTRY_SCRIPT = re.compile(r'<script[^>]*type="module"[^>]*src="/([^"]+\.js)"')
PRELOADED_MODULE = re.compile(r'<link[^>]*rel="modulepreload"[^>]*href="/([^"]+\.js)"')
# `import"./x.js"` and `from"./x.js"` load with the importing chunk; `import("./x.js")` waits.
STATIC_IMPORT = re.compile(r'(?:\bimport|\bfrom)\s*"\./([^"]+\.js)"')

# Text that only the Trade page shows, and a class name only the chart library sets.
TRADE_PAGE_TEXT = "Dark-pool perpetual futures: hidden orders"
CHART_LIBRARY_MARKER = "tv-lightweight-charts"


def built_index() -> str:
    index = DIST / "index.html"
    assert index.is_file(), "the web app is not built: `make test` runs `npm run build` first"
    return index.read_text()


def initial_scripts() -> set[Path]:
    """The entry module, the modules index.html preloads, and everything they import statically."""
    html = built_index()
    pending = [DIST / name for name in ENTRY_SCRIPT.findall(html) + PRELOADED_MODULE.findall(html)]
    assert pending, "index.html loads no module script"
    loaded: set[Path] = set()
    while pending:
        script = pending.pop()
        if script in loaded:
            continue
        loaded.add(script)
        pending.extend(script.parent / name for name in STATIC_IMPORT.findall(script.read_text()))
    return loaded


def gzipped_size(script: Path) -> int:
    return len(gzip.compress(script.read_bytes(), compresslevel=9))


def test_the_first_load_needs_at_most_300_kb_of_gzipped_javascript() -> None:
    sizes = {script.name: gzipped_size(script) for script in initial_scripts()}
    assert sum(sizes.values()) <= INITIAL_JS_BUDGET_BYTES, f"initial JS (gzipped bytes): {sizes}"


def test_pages_and_the_chart_library_load_with_their_route() -> None:
    initial = initial_scripts()
    later = set((DIST / "assets").glob("*.js")) - initial
    for marker in (TRADE_PAGE_TEXT, CHART_LIBRARY_MARKER):
        assert not any(marker in script.read_text() for script in initial), marker
        assert any(marker in script.read_text() for script in later), marker
