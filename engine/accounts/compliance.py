"""Compliance checks on an account's access and money movements (seed 004, section 13,
"Compliance & Legal"): geo-restriction, Terms of Service, KYC tier limits, AML flags.

Pure functions: the caller supplies headers, the account's state and its movement history.

Geo-restriction. The country comes from a header set by a reverse proxy or CDN (for example
Cloudflare's ``CF-IPCountry``), believed only when the TCP peer is one of the configured
trusted proxies; a client talking to us directly could otherwise send the header itself.
Only whole countries can be enforced this way: the seed's regional blocks (Quebec, Ontario,
Crimea, Donetsk, Luhansk) need a region-level source this header does not give. An unknown
country (no trusted header, ``XX``, Tor's ``T1``) is not refused here; the caller decides.

KYC tiers. The seed gives triggers per month and per balance, not per day; the daily limits
below are ours, chosen so that an unverified account stays well under the seed's BASIC
triggers (balance above 5,000 USDT, volume above 10,000 USDT a month) within a few days:

    tier    daily deposit    daily withdrawal
    NONE        1,000 USDT        1,000 USDT
    BASIC      50,000 USDT       50,000 USDT
    FULL    1,000,000 USDT    1,000,000 USDT

AML rules raise flags for review, never refusals. ``evaluate_aml`` looks at the account's
history as of an instant ``at`` over a review window (24 h, ``at`` included, the instant 24 h
before excluded), so running it after every movement or once a day both see each event:

- VELOCITY: more than 10 withdrawals, or more than 100,000 USDT withdrawn, within the window.
- STRUCTURING: 3 or more deposits within the window each between 90% and 100% (both
  included) of the 10,000 USDT reporting threshold, i.e. 9,000 to 10,000 USDT: amounts kept
  just under the seed's large-transaction report (``amount > 10000``).
- DEPOSIT_WITHDRAW_NO_TRADE: a withdrawal within the window of at least 80% of the deposits
  made in the 48 h before it, with no trade between the first of those deposits and the
  withdrawal: money passing through the venue without being used.

Each flag's ``at`` is the movement that completed the pattern, so the same history gives the
same flags whenever it is evaluated inside the window.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from engine.errors import DomainError
from engine.ledger.assets import USDT, format_units

MICRO_USDT_PER_USDT = USDT.unit

# --- Geo-restriction ---------------------------------------------------------------------

# Seed 004, section 13, "Restricted Regions": the whole-country blocks.
SEED_RESTRICTED_COUNTRIES: frozenset[str] = frozenset(
    {
        "US", "BO", "EC", "CU", "GB", "FR", "BY", "RU", "UA",
        "CN", "KP", "IR", "IQ", "SY", "BD", "MM", "NP", "DZ", "MA", "EG",
    }
)  # fmt: skip

# For messages a user reads; codes without a name here are shown as the bare code.
COUNTRY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "US": "the United States",
        "BO": "Bolivia",
        "EC": "Ecuador",
        "CU": "Cuba",
        "GB": "the United Kingdom",
        "FR": "France",
        "BY": "Belarus",
        "RU": "Russia",
        "UA": "Ukraine",
        "CN": "China",
        "KP": "North Korea",
        "IR": "Iran",
        "IQ": "Iraq",
        "SY": "Syria",
        "BD": "Bangladesh",
        "MM": "Myanmar",
        "NP": "Nepal",
        "DZ": "Algeria",
        "MA": "Morocco",
        "EG": "Egypt",
    }
)

# Cloudflare's "unknown"; Tor's "T1" is already refused by the two-letter check.
_UNKNOWN_COUNTRY = "XX"

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RestrictedCountry(DomainError):
    code = "RESTRICTED_JURISDICTION"

    def __init__(self, message: str, country: str) -> None:
        super().__init__(message)
        self.country = country


def country_from_request(
    headers: Mapping[str, str],
    peer_ip: str,
    *,
    header: str | None,
    trusted_proxies: Sequence[str],
) -> str | None:
    """The upper-case ISO 3166-1 alpha-2 country the trusted proxy reported, else None.

    ``trusted_proxies`` holds addresses or CIDR networks; a malformed entry is a
    configuration error and raises ValueError. Header names match case-insensitively.
    """
    if header is None:
        return None
    networks = [ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies]
    if not _is_trusted_peer(peer_ip, networks):
        return None
    value = _header_value(headers, header)
    if value is None:
        return None
    country = value.strip().upper()
    if len(country) != 2 or not (country.isascii() and country.isalpha()):
        return None
    if country == _UNKNOWN_COUNTRY:
        return None
    return country


def check_country(country: str | None, restricted: Collection[str]) -> None:
    """Refuse a country in ``restricted`` (codes compared case-insensitively)."""
    if country is None:
        return
    code = country.upper()
    if code in {entry.upper() for entry in restricted}:
        name = COUNTRY_NAMES.get(code)
        where = code if name is None else f"{name} ({code})"
        raise RestrictedCountry(
            f"GoDark is not available in {where}; access from this jurisdiction is restricted",
            country=code,
        )


def is_trusted_proxy(peer_ip: str, trusted_proxies: Sequence[str]) -> bool:
    """Whether the connection comes from one of our proxies, whose headers we may believe."""
    networks = [ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies]
    return _is_trusted_peer(peer_ip, networks)


def _is_trusted_peer(peer_ip: str, networks: Sequence[_Network]) -> bool:
    try:
        address: _Address = ipaddress.ip_address(peer_ip)
    except ValueError:
        return False
    # A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _header_value(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


# --- Terms of Service --------------------------------------------------------------------

CURRENT_TERMS_VERSION = "2026-11-01"


class TermsNotAccepted(DomainError):
    code = "TERMS_NOT_ACCEPTED"

    def __init__(self, message: str, required_version: str) -> None:
        super().__init__(message)
        self.required_version = required_version


def check_terms(accepted_version: str | None, current: str) -> None:
    """Refuse unless the account accepted exactly the current version (seed 004, "Acceptance
    Tracking": any other version, older or not, must be accepted again)."""
    if accepted_version == current:
        return
    if accepted_version is None:
        message = f"please accept the Terms of Service (version {current}) to continue"
    else:
        message = (
            f"the Terms of Service changed: you accepted version {accepted_version}, "
            f"please accept version {current} to continue"
        )
    raise TermsNotAccepted(message, required_version=current)


# --- KYC tiers ---------------------------------------------------------------------------

MovementKind = Literal["deposit", "withdrawal"]


class KycTier(StrEnum):
    NONE = "NONE"
    BASIC = "BASIC"
    FULL = "FULL"


@dataclass(frozen=True)
class KycLimits:
    daily_deposit: int  # micro-USDT
    daily_withdrawal: int  # micro-USDT

    def for_kind(self, kind: MovementKind) -> int:
        return self.daily_deposit if kind == "deposit" else self.daily_withdrawal


# Daily limits per tier (module docstring explains the numbers).
KYC_LIMITS: Mapping[KycTier, KycLimits] = MappingProxyType(
    {
        KycTier.NONE: KycLimits(
            daily_deposit=1_000 * MICRO_USDT_PER_USDT,
            daily_withdrawal=1_000 * MICRO_USDT_PER_USDT,
        ),
        KycTier.BASIC: KycLimits(
            daily_deposit=50_000 * MICRO_USDT_PER_USDT,
            daily_withdrawal=50_000 * MICRO_USDT_PER_USDT,
        ),
        KycTier.FULL: KycLimits(
            daily_deposit=1_000_000 * MICRO_USDT_PER_USDT,
            daily_withdrawal=1_000_000 * MICRO_USDT_PER_USDT,
        ),
    }
)


class KycLimitExceeded(DomainError):
    code = "KYC_LIMIT_EXCEEDED"

    def __init__(self, message: str, remaining: int) -> None:
        super().__init__(message)
        self.remaining = remaining


def check_kyc_limit(tier: KycTier, kind: MovementKind, amount: int, already_today: int) -> None:
    """Refuse a movement that would take the day's total of its kind above the tier's limit.

    ``already_today`` is what the account already moved of that kind in the caller's day
    (micro-USDT); reaching the limit exactly is allowed.
    """
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    if already_today < 0:
        raise ValueError(f"already_today must not be negative, got {already_today}")
    limit = KYC_LIMITS[tier].for_kind(kind)
    if already_today + amount <= limit:
        return
    remaining = max(0, limit - already_today)
    raise KycLimitExceeded(
        f"a {kind} of {_usdt(amount)} exceeds the daily {kind} limit of {_usdt(limit)} "
        f"for KYC tier {tier}; {_usdt(remaining)} remaining today"
        + ("" if tier is KycTier.FULL else "; complete verification to raise the limit"),
        remaining=remaining,
    )


def _usdt(micro_usdt: int) -> str:
    return f"{format_units(micro_usdt, USDT)} USDT"


# --- AML ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    kind: Literal["deposit", "withdrawal", "trade"]
    amount: int  # micro-USDT; for a trade, its notional (only its existence matters here)
    at: datetime

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError(f"movement amount must be positive, got {self.amount}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("movement time must be timezone-aware")


@dataclass(frozen=True)
class AmlFlag:
    rule: str
    detail: str
    at: datetime


@dataclass(frozen=True)
class AmlRules:
    review_window: timedelta = timedelta(hours=24)
    velocity_max_withdrawals: int = 10
    velocity_max_withdrawn: int = 100_000 * MICRO_USDT_PER_USDT
    reporting_threshold: int = 10_000 * MICRO_USDT_PER_USDT
    structuring_lower_bound_bps: int = 9_000  # 90% of the reporting threshold
    structuring_min_deposits: int = 3
    deposit_lookback: timedelta = timedelta(hours=48)
    deposit_withdraw_ratio_bps: int = 8_000  # 80% of the recent deposits

    def __post_init__(self) -> None:
        for name in (
            "velocity_max_withdrawals",
            "velocity_max_withdrawn",
            "reporting_threshold",
            "structuring_min_deposits",
            "deposit_withdraw_ratio_bps",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if not 0 < self.structuring_lower_bound_bps <= 10_000:
            raise ValueError("structuring_lower_bound_bps must be in 1..10000")
        if self.review_window <= timedelta(0) or self.deposit_lookback <= timedelta(0):
            raise ValueError("review_window and deposit_lookback must be positive")

    @property
    def structuring_lower_bound(self) -> int:
        return self.reporting_threshold * self.structuring_lower_bound_bps // 10_000


DEFAULT_AML_RULES = AmlRules()


def evaluate_aml(
    movements: Sequence[Movement], at: datetime, rules: AmlRules = DEFAULT_AML_RULES
) -> list[AmlFlag]:
    """Flags raised by the history as of ``at`` (movements after ``at`` are ignored)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("evaluation time must be timezone-aware")
    history = sorted((m for m in movements if m.at <= at), key=lambda m: m.at)
    window_start = at - rules.review_window
    in_window = [m for m in history if m.at > window_start]
    flags: list[AmlFlag] = []
    flags.extend(_velocity(in_window, rules))
    flags.extend(_structuring(in_window, rules))
    flags.extend(_deposit_withdraw_no_trade(history, in_window, rules))
    return flags


def _velocity(in_window: Sequence[Movement], rules: AmlRules) -> list[AmlFlag]:
    withdrawals = [m for m in in_window if m.kind == "withdrawal"]
    total = 0
    for count, withdrawal in enumerate(withdrawals, start=1):
        total += withdrawal.amount
        if count > rules.velocity_max_withdrawals or total > rules.velocity_max_withdrawn:
            window_total = sum(m.amount for m in withdrawals)
            return [
                AmlFlag(
                    rule="VELOCITY",
                    detail=(
                        f"{len(withdrawals)} withdrawals totalling {_usdt(window_total)} "
                        f"within {_hours(rules.review_window)} (limits: "
                        f"{rules.velocity_max_withdrawals} withdrawals, "
                        f"{_usdt(rules.velocity_max_withdrawn)})"
                    ),
                    at=withdrawal.at,
                )
            ]
    return []


def _structuring(in_window: Sequence[Movement], rules: AmlRules) -> list[AmlFlag]:
    near_threshold = [
        m
        for m in in_window
        if m.kind == "deposit"
        and rules.structuring_lower_bound <= m.amount <= rules.reporting_threshold
    ]
    if len(near_threshold) < rules.structuring_min_deposits:
        return []
    total = sum(m.amount for m in near_threshold)
    return [
        AmlFlag(
            rule="STRUCTURING",
            detail=(
                f"{len(near_threshold)} deposits between {_usdt(rules.structuring_lower_bound)} "
                f"and {_usdt(rules.reporting_threshold)} within {_hours(rules.review_window)}, "
                f"totalling {_usdt(total)}"
            ),
            at=near_threshold[rules.structuring_min_deposits - 1].at,
        )
    ]


def _deposit_withdraw_no_trade(
    history: Sequence[Movement], in_window: Sequence[Movement], rules: AmlRules
) -> list[AmlFlag]:
    flags: list[AmlFlag] = []
    for withdrawal in (m for m in in_window if m.kind == "withdrawal"):
        lookback_start = withdrawal.at - rules.deposit_lookback
        deposits = [
            m for m in history if m.kind == "deposit" and lookback_start < m.at <= withdrawal.at
        ]
        if not deposits:
            continue
        first_deposit_at = deposits[0].at
        traded = any(
            m.kind == "trade" and first_deposit_at <= m.at <= withdrawal.at for m in history
        )
        deposited = sum(m.amount for m in deposits)
        if traded or withdrawal.amount * 10_000 < deposited * rules.deposit_withdraw_ratio_bps:
            continue
        flags.append(
            AmlFlag(
                rule="DEPOSIT_WITHDRAW_NO_TRADE",
                detail=(
                    f"withdrawal of {_usdt(withdrawal.amount)} is "
                    f"{withdrawal.amount * 100 // deposited}% of the {_usdt(deposited)} "
                    f"deposited in the previous {_hours(rules.deposit_lookback)}, "
                    "with no trade in between"
                ),
                at=withdrawal.at,
            )
        )
    return flags


def _hours(duration: timedelta) -> str:
    return f"{int(duration.total_seconds()) // 3600} h"
