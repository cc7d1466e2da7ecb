"""Configuration from GODARK_* environment variables, checked once at start-up."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from engine.accounts.compliance import CURRENT_TERMS_VERSION
from engine.oracle.model import SourceName

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
# HS256 keys shorter than the hash output weaken the signature (RFC 7518 §3.2).
MIN_JWT_SECRET_LENGTH = 32

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class SettingsError(ValueError):
    """A configuration the server refuses to start with."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GODARK_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///var/godark.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///... or postgresql+asyncpg://...",
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db; unset = in-process"
    )
    redis_prefix: str = Field(
        default="godark",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="names this venue's Redis channels and keys; venues sharing a Redis differ",
    )
    solana_rpc_url: str | None = Field(default=None, description="Solana JSON-RPC; unset = LiteSVM")
    jwt_secret: SecretStr | None = Field(default=None, description="HS256 key for access tokens")
    demo: bool = Field(
        default=True, description="simulated prices, games, market makers, demo account"
    )
    price_sources: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="venues to stream real prices from, e.g. binance,coinbase; empty = simulated",
    )
    market_makers: bool = Field(
        default=True, description="in demo mode, run the simulated market makers"
    )
    public_url: str | None = Field(
        default=None, description="where users reach the web app (mail links); unset = http://BIND"
    )
    smtp_host: str | None = Field(default=None, description="SMTP server; unset = demo outbox")
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_sender: str = "GoDark <no-reply@godark.local>"
    restricted_countries: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="ISO country codes refused, e.g. US,KP,IR"
    )
    country_header: str | None = Field(
        default=None, description="header a trusted proxy sets to the client's country"
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="proxy IPs/CIDRs whose country and X-Forwarded-For count"
    )
    rate_limits: bool = Field(
        default=True, description="false only for benchmarks of the engine's capacity"
    )
    anonymous_tier: str = Field(
        default="PRO", description="rate-limit tier per IP for anonymous calls; NONE = unlimited"
    )
    terms_version: str = Field(
        default=CURRENT_TERMS_VERSION,
        description="current Terms of Service; trading needs it accepted",
        max_length=16,
    )
    reality_check_seconds: int = Field(
        default=30 * 60,
        ge=10,
        description="play time between reality checks; jurisdictions differ (20, 30, 60 min)",
    )
    approval_threshold: int = Field(default=3, description="admins needed for a critical op")
    approval_signers: int = Field(default=5, description="admins who may approve")
    approval_timelock_seconds: int = Field(
        default=48 * 3600, description="wait between approval and execution"
    )
    secret_file: Path = Field(
        default=REPOSITORY_ROOT / "var" / "demo-secret",
        description="demo mode without GODARK_JWT_SECRET: where the generated key is kept",
    )
    log_level: LogLevel = "INFO"
    bind: str = Field(default="127.0.0.1:8000", description="host:port the server listens on")
    role: Literal["all", "engine", "api"] = Field(
        default="all",
        description="all = one process; engine / api = parts of many (PostgreSQL and Redis)",
    )
    web_dist: Path = REPOSITORY_ROOT / "web" / "dist"

    @field_validator("redis_url", "solana_rpc_url", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("price_sources", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip().lower() for name in value.split(",") if name.strip()]
        return value

    @field_validator("restricted_countries", "trusted_proxies", mode="before")
    @classmethod
    def _comma_separated_as_is(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("restricted_countries")
    @classmethod
    def _country_codes(cls, value: list[str]) -> list[str]:
        codes = [code.upper() for code in value]
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad:
            raise ValueError(f"restricted countries are ISO 3166 alpha-2 codes, not {bad}")
        return codes

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"trusted proxy {entry!r} is not an IP or CIDR") from None
        return value

    @field_validator("anonymous_tier")
    @classmethod
    def _tier(cls, value: str) -> str:
        allowed = {"NONE", "FREE", "BASIC", "PRO", "MARKET_MAKER"}
        if value.upper() not in allowed:
            raise ValueError(f"anonymous tier must be one of {sorted(allowed)}")
        return value.upper()

    @field_validator("price_sources")
    @classmethod
    def _known_sources(cls, value: list[str]) -> list[str]:
        known = {source.value.lower() for source in SourceName}
        unknown = [name for name in value if name not in known]
        if unknown:
            raise ValueError(f"unknown price sources {unknown}; known: {sorted(known)}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("bind")
    @classmethod
    def _valid_bind(cls, value: str) -> str:
        host, separator, port = value.rpartition(":")
        if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bind must be host:port, got {value!r}")
        return value

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.demo:
            return self
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else ""
        if len(secret) < MIN_JWT_SECRET_LENGTH:
            raise SettingsError(
                "GODARK_JWT_SECRET must be set to at least "
                f"{MIN_JWT_SECRET_LENGTH} characters when GODARK_DEMO is off"
            )
        return self

    @model_validator(mode="after")
    def _many_processes_need_postgres_and_redis(self) -> Settings:
        from engine.cluster import ClusterConfigurationError, require_cluster_backing

        try:
            require_cluster_backing(self.role, self.database_url, self.redis_url)
        except ClusterConfigurationError as error:
            raise SettingsError(str(error)) from None
        return self

    @property
    def web_url(self) -> str:
        return (self.public_url or f"http://{self.bind}").rstrip("/")

    @property
    def host(self) -> str:
        return self.bind.rpartition(":")[0]

    @property
    def port(self) -> int:
        return int(self.bind.rpartition(":")[2])

    @cached_property
    def signing_secret(self) -> str:
        """The master key of JWTs and sealed secrets. In demo mode without one, a random key
        kept in a file, so sessions and API keys survive a restart."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        path = self.secret_file
        if path.is_file():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of this venue made it first
            return path.read_text().strip()
        with os.fdopen(descriptor, "w") as file:
            file.write(secret)
        return secret
