"""The benchmark functions run and report JSON-able figures (the numbers: docs/perps.md)."""

from __future__ import annotations

import json

from engine.perps.bench import run_funding_bench, run_liquidation_sweep_bench


def test_the_benches_run_on_small_inputs() -> None:
    sweep = run_liquidation_sweep_bench(600, markets=3, rounds=2)
    funding = run_funding_bench(3, positions_per_market=20, rounds=3)
    json.dumps([sweep, funding])
    assert sweep["positions"] == 600 and sweep["stress"]["sweep_ms_median"] >= 0
    assert funding["markets"] == 3 and funding["residue_micro_usdt"] >= 0
