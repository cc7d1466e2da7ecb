"""The `godark` command as an operator runs it: migrate, audit, bench."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GODARK = str(Path(sys.executable).parent / "godark")


def godark(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GODARK, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_migrate_then_audit_a_fresh_database(cli_env: dict[str, str]) -> None:
    assert godark("migrate", env=cli_env).returncode == 0
    audit = godark("audit", env=cli_env)
    assert audit.returncode == 0, audit.stderr
    assert json.loads(audit.stdout)["differences"] == 0


def test_audit_exits_non_zero_when_a_balance_was_tampered_with(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    import sqlite3

    assert godark("migrate", env=cli_env).returncode == 0
    database = sqlite3.connect(tmp_path / "cli.db")
    database.execute(
        "INSERT INTO ledger_account (owner_kind, owner_id, purpose, asset, allow_negative, "
        "balance, created_at) VALUES ('USER', 'eve', 'AVAILABLE', 'USDT', 0, 500, "
        "'2026-01-01T00:00:00+00:00')"
    )
    database.commit()
    database.close()

    audit = godark("audit", env=cli_env)
    assert audit.returncode == 1
    report = json.loads(audit.stdout)
    assert report["balance_differences"][0]["account"] == "USER:eve:AVAILABLE:USDT"


def test_migrate_down_to_base_and_back(cli_env: dict[str, str]) -> None:
    assert godark("migrate", env=cli_env).returncode == 0
    assert godark("migrate", "--down", "--revision", "base", env=cli_env).returncode == 0
    assert godark("audit", env=cli_env).returncode != 0  # no ledger tables to audit
    assert godark("migrate", env=cli_env).returncode == 0


@pytest.mark.parametrize("benchmark", ["ledger", "graphql"])
def test_bench_prints_one_json_object_with_medians(benchmark: str, cli_env: dict[str, str]) -> None:
    sizes = ["--transfers", "40"] if benchmark == "ledger" else ["--requests", "40"]
    result = godark("bench", benchmark, *sizes, "--rounds", "2", env=cli_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ops_per_second_median"] > 0
    assert len(report["ops_per_second_rounds"]) == 2
    assert report["machine"]["cpus"] >= 1


@pytest.mark.parametrize(
    ("over", "rate"), [("http", None), ("ws", None), ("http", 40.0), ("ws", 40.0)]
)
def test_bench_orders_drives_a_real_server(
    cli_env: dict[str, str], over: str, rate: float | None
) -> None:
    paced = [] if rate is None else ["--rate", str(rate)]
    sizes = ["--requests", "20", "--concurrency", "4", "--rounds", "1"]
    result = godark("bench", "orders", *sizes, "--over", over, *paced, env=cli_env)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["benchmark"] == f"place_order_{over}"
    assert report["offered_per_second"] == rate
    assert report["ops_per_second_median"] > 0
    if rate is not None:  # an open loop cannot go faster than it sends
        assert report["ops_per_second_median"] <= rate * 1.05


def test_grant_role_makes_the_first_admin_and_ends_its_sessions(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    import sqlite3

    assert godark("migrate", env=cli_env).returncode == 0
    database = sqlite3.connect(tmp_path / "cli.db")
    database.execute(
        "INSERT INTO account (id, email, password_hash, status, roles, tier, kyc_tier, "
        "terms_version, referral_code, totp_enabled, backup_codes, created_at) VALUES "
        "('acc_ops', 'ops@example.com', '!', 'ACTIVE', 'USER', 'FREE', 'NONE', "
        "'2026-11-01', 'OPS00001', 0, '', '2026-01-01T00:00:00+00:00')"
    )
    database.commit()

    granted = godark("accounts", "grant-role", "OPS@example.com", "admin", "emergency", env=cli_env)
    assert granted.returncode == 0, granted.stderr
    assert json.loads(granted.stdout) == {"account": "acc_ops", "roles": ["ADMIN", "EMERGENCY"]}
    roles, kind = database.execute(
        "SELECT roles, (SELECT kind FROM account_activity WHERE account_id = 'acc_ops') "
        "FROM account WHERE id = 'acc_ops'"
    ).fetchone()
    database.close()
    assert roles == "ADMIN,EMERGENCY,USER" and kind == "ROLES_CHANGED"

    assert (
        godark("accounts", "grant-role", "nobody@example.com", "ADMIN", env=cli_env).returncode == 1
    )
    assert godark("accounts", "grant-role", "ops@example.com", "KING", env=cli_env).returncode == 2


def test_bench_auth_reports_per_request_and_login_costs(cli_env: dict[str, str]) -> None:
    result = godark("bench", "auth", "--requests", "200", "--logins", "3", env=cli_env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["bearer_verify_and_authorise_us"]["samples"] == 200
    assert report["login_argon2id_ms"]["samples"] == 3
    assert report["targets"] == {"auth_per_request_us": 200, "login_ms_p95": 300}


def test_bench_fanout_holds_sockets_and_measures_delivery(cli_env: dict[str, str]) -> None:
    result = godark(
        "bench",
        "fanout",
        "--connections",
        "20",
        "--subscribers",
        "10",
        "--seconds",
        "2",
        "--generators",
        "2",
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["generator_processes"] == 2
    assert report["connections_alive_at_end"] == 20
    assert report["messages_per_second"] > 0 and report["latency_ms"]["p50"] > 0


def test_bench_flash_reports_quotes_bets_and_resolution(cli_env: dict[str, str]) -> None:
    result = godark(
        "bench",
        "flash",
        "--quotes",
        "200",
        "--bets",
        "100",
        "--resolution-bets",
        "100",
        "--no-day",
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["quote_us"]["samples"] == 200
    assert report["resolution"]["bets"] == 100


def test_bench_settlement_reports_throughput_and_confirmation(cli_env: dict[str, str]) -> None:
    result = godark(
        "bench", "settlement", "--trades", "500", "--seconds", "2", "--rate", "20", env=cli_env
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["benchmark"] == "settlement"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_bench_sequencer_journals_every_order_on_a_scratch_database(
    cli_env: dict[str, str], database: str
) -> None:
    from tests.conftest import POSTGRES_ADMIN_URL

    target = [] if database == "sqlite" else ["--postgres", POSTGRES_ADMIN_URL]
    result = godark("bench", "sequencer", "--orders", "300", "--rounds", "2", *target, env=cli_env)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert (report["benchmark"], report["database"]) == ("sequencer_orders", database)
    assert len(report["orders_per_second_rounds"]) == 2
    assert report["orders_per_second_median"] > 0 and report["batch_write_ms_median"] > 0
