"""/healthz and /metrics, as a load balancer and a Prometheus scraper see them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx

from api.app import create_app
from api.settings import Settings
from engine.store.migrations import upgrade
from tests.api.conftest import open_demo_account


async def test_healthz_reports_database_and_bus(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": "0.1.0",
        "database": "ok",
        "bus": "ok",
        # One process of role `all` has no replica to report.
        "role": "all",
        "pid": os.getpid(),
    }


async def test_healthz_is_503_when_the_configured_redis_is_down(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/h.db"
    await asyncio.to_thread(upgrade, url)
    app = create_app(Settings(database_url=url, redis_url="redis://127.0.0.1:9/0", demo=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["bus"] == "down"
    assert response.json()["database"] == "ok"


async def test_metrics_count_requests_and_operations(client: httpx.AsyncClient) -> None:
    await client.post("/graphql", json={"query": "{ serverInfo { mode } }"})
    await client.post("/graphql", json={"query": "{ nope }"})
    metrics = (await client.get("/metrics")).text

    assert 'godark_http_requests_total{method="POST",route="/graphql",status="200"}' in metrics
    assert 'godark_graphql_operations_total{outcome="ok",type="query"}' in metrics
    assert "godark_http_request_duration_seconds_bucket" in metrics


async def test_the_web_app_is_served_with_client_routes_and_real_404s(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>GoDark</title>")
    (dist / "assets" / "app.js").write_text("console.log('app')")
    url = f"sqlite+aiosqlite:///{tmp_path}/w.db"
    await asyncio.to_thread(upgrade, url)
    app = create_app(Settings(database_url=url, web_dist=dist, demo=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            home = await client.get("/")
            deep_link = await client.get("/trade/BTC-USDT-PERP")
            asset = await client.get("/assets/app.js")
            missing_asset = await client.get("/assets/gone.js")

    assert home.status_code == 200 and "<title>GoDark</title>" in home.text
    assert deep_link.status_code == 200 and deep_link.text == home.text
    assert asset.status_code == 200 and "console.log" in asset.text
    assert missing_asset.status_code == 404


async def test_without_a_built_web_app_the_root_says_how_to_build_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/w.db"
    await asyncio.to_thread(upgrade, url)
    app = create_app(Settings(database_url=url, web_dist=tmp_path / "nothing", demo=True))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/")
    assert response.status_code == 503
    assert "make run" in response.text


def _sample(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} is not on /metrics")


async def test_metrics_show_the_sequencers_batches_and_snapshots(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    await open_demo_account(client)  # journaled: the faucet's deposit
    after = (await client.get("/metrics")).text

    assert _sample(after, "godark_sequencer_commands_total") > _sample(
        before, "godark_sequencer_commands_total"
    )
    batches = _sample(after, "godark_sequencer_batches_total")
    assert 1 <= batches <= _sample(after, "godark_sequencer_commands_total")
    assert _sample(after, "godark_sequencer_write_seconds_total") > 0
    assert 'godark_sequencer_snapshots_total{result="failed"} 0.0' in after
    assert _sample(after, "godark_sequencer_commands_since_snapshot") >= 1
