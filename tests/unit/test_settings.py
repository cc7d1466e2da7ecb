"""Configuration: safe defaults for development, and a clear refusal in production."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings


def test_development_defaults_need_no_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "DEMO", "JWT_SECRET", "BIND"):
        monkeypatch.delenv(f"GODARK_{name}", raising=False)
    settings = Settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.redis_url is None
    assert settings.demo is True
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert len(settings.signing_secret) >= 32


def test_production_without_a_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODARK_DEMO", "false")
    monkeypatch.delenv("GODARK_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="GODARK_JWT_SECRET"):
        Settings()
    monkeypatch.setenv("GODARK_JWT_SECRET", "too-short")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings()
    monkeypatch.setenv("GODARK_JWT_SECRET", "s" * 40)
    assert Settings().signing_secret == "s" * 40


@pytest.mark.parametrize("bind", ["8000", "localhost", "127.0.0.1:http", "127.0.0.1:70000", ":80"])
def test_a_bad_bind_address_is_refused(bind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODARK_BIND", bind)
    with pytest.raises(ValidationError, match="bind"):
        Settings()


def test_an_empty_redis_url_means_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODARK_REDIS_URL", "")
    assert Settings().redis_url is None


def test_the_server_will_not_start_in_production_without_a_secret(
    cli_env: dict[str, str],
) -> None:
    cli_env["GODARK_DEMO"] = "false"
    godark = str(Path(sys.executable).parent / "godark")
    result = subprocess.run(
        [godark, "serve"], env=cli_env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "GODARK_JWT_SECRET must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_price_sources_are_a_comma_separated_list_of_known_venues(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GODARK_PRICE_SOURCES", "Binance, okx")
    assert Settings().price_sources == ["binance", "okx"]
    monkeypatch.setenv("GODARK_PRICE_SOURCES", "binance,nasdaq")
    with pytest.raises(ValidationError, match="nasdaq"):
        Settings()
