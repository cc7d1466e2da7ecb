"""The `godark` command: serve, migrate, audit, bench."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from api.settings import Settings

app = typer.Typer(help="GoDark venue: server, migrations, ledger audit and benchmarks.")
bench_app = typer.Typer(help="Benchmarks; each prints one JSON object.")
app.add_typer(bench_app, name="bench")
accounts_app = typer.Typer(help="Operator's account tasks.")
app.add_typer(accounts_app, name="accounts")


def _quiet_logs() -> None:
    """Commands that print JSON keep stdout for it; warnings go to stderr."""
    from api.logging import configure_logging

    configure_logging("WARNING", stream=sys.stderr)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "settings"
            typer.echo(f"configuration error: {field}: {problem['msg']}", err=True)
        raise typer.Exit(code=2) from None


@app.command()
def serve(
    bind: Annotated[str | None, typer.Option(help="host:port, overrides GODARK_BIND")] = None,
    role: Annotated[
        str | None, typer.Option(help="all (default) or api, overrides GODARK_ROLE")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="N API processes on one port plus one engine process"),
    ] = None,
) -> None:
    """Run the API server (and, in demo mode, bring the embedded database up to date)."""
    import uvicorn

    from api.app import create_app
    from api.graphql import MAX_MESSAGE_BYTES
    from api.logging import configure_logging
    from engine.store.migrations import upgrade

    if role is not None:
        os.environ["GODARK_ROLE"] = role
    if workers is not None:
        os.environ["GODARK_ROLE"] = "api"  # checked now: PostgreSQL and Redis are required
    settings = _settings()
    if bind is not None:
        settings = settings.model_copy(update={"bind": bind})
    configure_logging(settings.log_level)
    if settings.demo:
        upgrade(settings.database_url)
    if workers is not None:
        from api.workers import serve_workers

        serve_workers(settings, workers)
        return
    server = create_app(settings)
    server.state.serving_process = True  # this interpreter serves only this app
    uvicorn.run(
        server,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        ws_max_size=MAX_MESSAGE_BYTES,
    )


@app.command()
def engine() -> None:
    """Run the trading engine for API processes (`serve --role api`): a standby until it holds
    the PostgreSQL lease, then the sequencer, timers, prices and demo drivers."""
    from api.app import venue_config
    from api.logging import configure_logging
    from engine.cluster.engine_process import run_engine

    os.environ["GODARK_ROLE"] = "engine"
    settings = _settings()
    configure_logging(settings.log_level)
    raise typer.Exit(code=asyncio.run(run_engine(venue_config(settings))))


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
    down: Annotated[bool, typer.Option(help="downgrade to the target revision")] = False,
) -> None:
    """Apply the database migrations (or, with --down, revert them)."""
    _quiet_logs()
    from engine.store.migrations import downgrade, upgrade

    settings = _settings()
    if down:
        downgrade(settings.database_url, revision)
    else:
        upgrade(settings.database_url, revision)
    typer.echo(json.dumps({"migrated": "down" if down else "up", "revision": revision}))


@app.command()
def audit() -> None:
    """Recompute every balance from the journal; exit 1 on any difference."""
    _quiet_logs()
    from dataclasses import asdict

    from engine.ledger import audit_ledger
    from engine.store.database import Database

    settings = _settings()

    async def run() -> dict[str, object]:
        database = Database(settings.database_url)
        try:
            report = await audit_ledger(database)
        finally:
            await database.dispose()
        return {**asdict(report), "differences": report.differences}

    result = asyncio.run(run())
    typer.echo(json.dumps(result, indent=2, default=str))
    if result["differences"]:
        raise typer.Exit(code=1)


@accounts_app.command("grant-role")
def grant_role(
    email: Annotated[str, typer.Argument(help="the account's email")],
    roles: Annotated[
        list[str], typer.Argument(help="USER LIQUIDATOR RELAYER ORACLE_UPDATER ADMIN EMERGENCY")
    ],
) -> None:
    """Set an account's roles (bootstrap of the first admins); its sessions end."""
    _quiet_logs()
    from engine.accounts.admin import grant_roles
    from engine.accounts.roles import Role
    from engine.clock import SystemClock
    from engine.errors import DomainError
    from engine.store.database import Database

    try:
        chosen = [Role(role.upper()) for role in roles]
    except ValueError:
        typer.echo(f"roles are some of {[r.value for r in Role]}", err=True)
        raise typer.Exit(code=2) from None

    async def run() -> str:
        database = Database(_settings().database_url)
        try:
            return await grant_roles(database, SystemClock(), email, chosen)
        finally:
            await database.dispose()

    try:
        account_id = asyncio.run(run())
    except DomainError as refusal:
        typer.echo(refusal.message, err=True)
        raise typer.Exit(code=1) from None
    typer.echo(json.dumps({"account": account_id, "roles": sorted(r.value for r in chosen)}))


@bench_app.command("ledger")
def bench_ledger(
    transfers: Annotated[int, typer.Option(min=1)] = 2_000,
    accounts: Annotated[int, typer.Option(min=2)] = 20,
    concurrency: Annotated[int, typer.Option(min=1)] = 20,
    rounds: Annotated[int, typer.Option(min=1)] = 3,
) -> None:
    """Concurrent ledger transfers per second against GODARK_DATABASE_URL."""
    _quiet_logs()
    from api.bench import run_ledger_bench

    result = asyncio.run(
        run_ledger_bench(_settings().database_url, transfers, accounts, concurrency, rounds)
    )
    typer.echo(json.dumps(result, indent=2))


@bench_app.command("fanout")
def bench_fanout(
    connections: Annotated[int, typer.Option(min=1)] = 10_000,
    subscribers: Annotated[int, typer.Option(min=1)] = 5_000,
    seconds: Annotated[float, typer.Option(min=1)] = 20.0,
    generators: Annotated[
        int, typer.Option(min=1, help="load-generator processes sharing the sockets")
    ] = 1,
) -> None:
    """Open N sockets, subscribe some to one public stream, measure delivery (JSON)."""
    _quiet_logs()
    import tempfile

    from api.bench_fanout import run_fanout_bench

    with tempfile.TemporaryDirectory() as directory:
        database = f"sqlite+aiosqlite:///{directory}/fanout.db"
        result = asyncio.run(
            run_fanout_bench(database, connections, subscribers, seconds, generators)
        )
    typer.echo(json.dumps(result, indent=2))


@bench_app.command("auth")
def bench_auth(
    requests: Annotated[int, typer.Option(min=1)] = 20_000,
    logins: Annotated[int, typer.Option(min=1)] = 50,
) -> None:
    """Per-request token and HMAC checks (µs), and Argon2id login time (ms)."""
    _quiet_logs()
    from api.bench import run_auth_bench

    typer.echo(json.dumps(asyncio.run(run_auth_bench(requests, logins)), indent=2))


@bench_app.command("oracle")
def bench_oracle(
    symbols: Annotated[int, typer.Option(min=1)] = 60,
    rounds: Annotated[int, typer.Option(min=1)] = 200,
) -> None:
    """Index, mark and reference NBBO for every symbol from five venues: ms per update."""
    from api.bench import run_oracle_bench

    typer.echo(json.dumps(run_oracle_bench(symbols, rounds), indent=2))


@bench_app.command("settlement")
def bench_settlement(
    trades: int = typer.Option(50_000, help="Synthetic trades through netting, Merkle, LiteSVM"),
    seconds: float = typer.Option(10.0, help="Duration of the trade->CONFIRMED run"),
    rate: int = typer.Option(200, help="Trades per second in the trade->CONFIRMED run"),
) -> None:
    """Settlement: trades/s to LiteSVM on one core, and trade->CONFIRMED p95/p99."""
    import logging
    import tempfile

    import structlog

    from engine.settlement.bench import run_settlement_chain_bench, run_settlement_latency_bench
    from engine.store.migrations import upgrade

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    throughput = run_settlement_chain_bench(trades)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/bench.db"
        upgrade(url)
        latency = asyncio.run(run_settlement_latency_bench(url, seconds, rate))
    from api.bench import _machine

    report = {
        "benchmark": "settlement",
        "throughput": throughput,
        "latency": latency,
        "targets": {"trades_per_second": 10_000, "confirmed_p95_s": 1.5, "confirmed_p99_s": 2.0},
        "machine": _machine(),
    }
    typer.echo(json.dumps(report, indent=2))


@bench_app.command("matching")
def bench_matching(
    orders: Annotated[int, typer.Option(min=1)] = 50_000,
) -> None:
    """The pure order book: resting and crossing orders per second, latency per order."""
    from engine.matching.bench import run_book_bench

    typer.echo(json.dumps(run_book_bench(orders), indent=2, default=str))


@bench_app.command("flash")
def bench_flash(
    quotes: Annotated[int, typer.Option(help="quotes timed")] = 20_000,
    bets: Annotated[int, typer.Option(help="flash bets timed through Exchange.apply")] = 5_000,
    resolution_bets: Annotated[int, typer.Option(help="bets in the resolved market")] = 10_000,
    day: Annotated[bool, typer.Option(help="also simulate a day of markets")] = True,
) -> None:
    """Flash markets in process: quote, bet placement, resolution, a simulated day."""
    _quiet_logs()
    from api.bench import run_flash_bench

    typer.echo(json.dumps(run_flash_bench(quotes, bets, resolution_bets, day), indent=2))


@bench_app.command("engine")
def bench_engine(
    orders: Annotated[int, typer.Option(min=1)] = 50_000,
    rounds: Annotated[int, typer.Option(min=1)] = 3,
) -> None:
    """The exchange state machine: orders through risk, matching, ledger and events."""
    from engine.trading.bench import run_engine_bench

    typer.echo(json.dumps(run_engine_bench(orders, rounds), indent=2))


@bench_app.command("sequencer")
def bench_sequencer(
    orders: Annotated[int, typer.Option(min=1)] = 20_000,
    rounds: Annotated[int, typer.Option(min=1)] = 3,
    postgres: Annotated[
        str | None,
        typer.Option(help="a PostgreSQL URL allowed to create databases (else SQLite)"),
    ] = None,
) -> None:
    """The sequencer: orders applied and journaled with their ledger entries, in batches."""
    _quiet_logs()
    from api.bench import run_sequencer_bench

    typer.echo(json.dumps(asyncio.run(run_sequencer_bench(orders, rounds, postgres)), indent=2))


@bench_app.command("orders")
def bench_orders(
    requests: Annotated[int, typer.Option(min=1)] = 3_000,
    concurrency: Annotated[int, typer.Option(min=1)] = 32,
    rounds: Annotated[int, typer.Option(min=1)] = 3,
    over: Annotated[str, typer.Option(help="http, or ws (graphql-transport-ws)")] = "http",
    rate: Annotated[
        float | None,
        typer.Option(min=1, help="orders per second sent whatever the answers (open loop)"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="serve --workers N (needs GODARK_DATABASE_URL and _REDIS_URL)"),
    ] = None,
) -> None:
    """placeOrder over HTTP or WebSocket against a real server on loopback."""
    from api.bench import run_orders_bench

    if over not in ("http", "ws"):
        raise typer.BadParameter("--over is http or ws")
    import tempfile

    # A fresh database per run unless one is named: the demo's own file keeps every earlier
    # run's resting orders, and the figures would depend on how often it was benchmarked.
    with tempfile.TemporaryDirectory(prefix="godark-bench-") as scratch:
        database = (
            os.environ.get("GODARK_DATABASE_URL") or f"sqlite+aiosqlite:///{scratch}/bench.db"
        )
        result = asyncio.run(
            run_orders_bench(database, requests, concurrency, rounds, over, rate, workers)
        )
    typer.echo(json.dumps(result, indent=2))


@bench_app.command("liquidation")
def bench_liquidation(
    positions: Annotated[int, typer.Option(min=1)] = 100_000,
) -> None:
    """Liquidation sweep over open positions against moved marks (target < 100 ms)."""
    from engine.perps.bench import run_liquidation_sweep_bench

    typer.echo(json.dumps(run_liquidation_sweep_bench(positions), indent=2, default=str))


@bench_app.command("funding")
def bench_funding(
    markets: Annotated[int, typer.Option(min=1)] = 60,
) -> None:
    """Per-second funding samples, the hourly close and payments for every market."""
    from engine.perps.bench import run_funding_bench

    typer.echo(json.dumps(run_funding_bench(markets), indent=2, default=str))


@bench_app.command("graphql")
def bench_graphql(
    requests: Annotated[int, typer.Option(min=1)] = 2_000,
    concurrency: Annotated[int, typer.Option(min=1)] = 10,
    rounds: Annotated[int, typer.Option(min=1)] = 3,
) -> None:
    """serverInfo queries per second through the full ASGI stack, in process."""
    _quiet_logs()
    from api.bench import run_graphql_bench

    result = asyncio.run(run_graphql_bench(requests, concurrency, rounds))
    typer.echo(json.dumps(result, indent=2))


if __name__ == "__main__":
    app()
