"""The matching benchmark runs and reports plain JSON (its figures are not asserted)."""

from __future__ import annotations

import json

from engine.matching.bench import run_book_bench


def test_bench_reports_json_figures_for_both_cases() -> None:
    figures = run_book_bench(200, rounds=1)

    assert json.loads(json.dumps(figures)) == figures
    for case in ("rest", "fill"):
        assert figures[case]["orders_per_second"] > 0
        assert 0 < figures[case]["p50_us"] <= figures[case]["p99_us"]
