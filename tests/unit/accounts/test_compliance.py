"""Geo-restriction, Terms of Service, KYC tier limits and AML flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.accounts.compliance import (
    CURRENT_TERMS_VERSION,
    KYC_LIMITS,
    SEED_RESTRICTED_COUNTRIES,
    AmlFlag,
    KycLimitExceeded,
    KycTier,
    Movement,
    MovementKind,
    RestrictedCountry,
    TermsNotAccepted,
    check_country,
    check_kyc_limit,
    check_terms,
    country_from_request,
    evaluate_aml,
)

PROXIES = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
HEADER = "CF-IPCountry"
T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def usdt(whole: int) -> int:
    return whole * 1_000_000


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def rules_hit(flags: list[AmlFlag]) -> list[str]:
    return [flag.rule for flag in flags]


# --- Geo -----------------------------------------------------------------------------------


@pytest.mark.parametrize("peer", ["10.1.2.3", "192.0.2.7", "2001:db8::1", "::ffff:10.9.9.9"])
def test_country_header_trusted_from_a_trusted_proxy(peer: str) -> None:
    headers = {"cf-ipcountry": "fr"}
    assert country_from_request(headers, peer, header=HEADER, trusted_proxies=PROXIES) == "FR"


@pytest.mark.parametrize("peer", ["203.0.113.5", "192.0.2.8", "2001:db9::1", "not-an-ip"])
def test_spoofed_country_header_from_an_untrusted_peer_is_ignored(peer: str) -> None:
    headers = {HEADER: "CH"}
    assert country_from_request(headers, peer, header=HEADER, trusted_proxies=PROXIES) is None


def test_no_configured_header_means_no_country() -> None:
    headers = {HEADER: "CH"}
    assert country_from_request(headers, "10.0.0.1", header=None, trusted_proxies=PROXIES) is None


@pytest.mark.parametrize("value", ["", "U", "USA", "1A", "T1", "XX", "Ü S", "é1"])
def test_malformed_or_unknown_country_header_is_ignored(value: str) -> None:
    headers = {HEADER: value}
    assert country_from_request(headers, "10.0.0.1", header=HEADER, trusted_proxies=PROXIES) is None


def test_missing_header_from_a_trusted_proxy_means_no_country() -> None:
    assert country_from_request({}, "10.0.0.1", header=HEADER, trusted_proxies=PROXIES) is None


def test_malformed_trusted_proxy_configuration_fails_loudly() -> None:
    with pytest.raises(ValueError):
        country_from_request({HEADER: "CH"}, "10.0.0.1", header=HEADER, trusted_proxies=["nope"])


def test_restricted_country_is_refused_with_its_name() -> None:
    with pytest.raises(RestrictedCountry) as refused:
        check_country("US", SEED_RESTRICTED_COUNTRIES)
    assert refused.value.code == "RESTRICTED_JURISDICTION"
    assert refused.value.country == "US"
    assert "the United States (US)" in refused.value.message


def test_restricted_country_comparison_ignores_case() -> None:
    with pytest.raises(RestrictedCountry, match="ZZ"):
        check_country("zz", {"Zz"})


@pytest.mark.parametrize("country", ["CH", "DE", None])
def test_other_or_unknown_country_is_allowed(country: str | None) -> None:
    check_country(country, SEED_RESTRICTED_COUNTRIES)


def test_header_to_refusal_end_to_end() -> None:
    country = country_from_request(
        {HEADER: "gb"}, "10.0.0.1", header=HEADER, trusted_proxies=PROXIES
    )
    with pytest.raises(RestrictedCountry, match="United Kingdom"):
        check_country(country, SEED_RESTRICTED_COUNTRIES)


# --- Terms ---------------------------------------------------------------------------------


def test_current_terms_accepted_passes() -> None:
    check_terms(CURRENT_TERMS_VERSION, CURRENT_TERMS_VERSION)


def test_terms_never_accepted_is_refused() -> None:
    with pytest.raises(TermsNotAccepted) as refused:
        check_terms(None, CURRENT_TERMS_VERSION)
    assert refused.value.code == "TERMS_NOT_ACCEPTED"
    assert refused.value.required_version == CURRENT_TERMS_VERSION
    assert CURRENT_TERMS_VERSION in refused.value.message


def test_older_terms_must_be_accepted_again() -> None:
    with pytest.raises(TermsNotAccepted, match="2026-01-15"):
        check_terms("2026-01-15", CURRENT_TERMS_VERSION)


# --- KYC -----------------------------------------------------------------------------------


def test_kyc_limits_are_ordered_by_tier() -> None:
    assert KYC_LIMITS[KycTier.NONE].daily_deposit == usdt(1_000)
    assert KYC_LIMITS[KycTier.BASIC].daily_withdrawal == usdt(50_000)
    assert KYC_LIMITS[KycTier.FULL].daily_deposit == usdt(1_000_000)


@pytest.mark.parametrize("kind", ["deposit", "withdrawal"])
def test_kyc_limit_reached_exactly_is_allowed(kind: MovementKind) -> None:
    check_kyc_limit(KycTier.NONE, kind, usdt(400), already_today=usdt(600))


@pytest.mark.parametrize("kind", ["deposit", "withdrawal"])
def test_one_micro_usdt_over_the_kyc_limit_is_refused(kind: MovementKind) -> None:
    with pytest.raises(KycLimitExceeded) as refused:
        check_kyc_limit(KycTier.NONE, kind, usdt(400) + 1, already_today=usdt(600))
    assert refused.value.code == "KYC_LIMIT_EXCEEDED"
    assert refused.value.remaining == usdt(400)
    assert "400.000000 USDT remaining" in refused.value.message


def test_kyc_limit_remaining_never_negative() -> None:
    with pytest.raises(KycLimitExceeded) as refused:
        check_kyc_limit(KycTier.BASIC, "withdrawal", 1, already_today=usdt(60_000))
    assert refused.value.remaining == 0


def test_higher_tier_allows_what_lower_refuses() -> None:
    with pytest.raises(KycLimitExceeded):
        check_kyc_limit(KycTier.BASIC, "deposit", usdt(50_001), already_today=0)
    check_kyc_limit(KycTier.FULL, "deposit", usdt(50_001), already_today=0)


def test_non_positive_amount_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_kyc_limit(KycTier.FULL, "deposit", 0, already_today=0)


# --- AML: a normal account stays quiet -----------------------------------------------------


def test_normal_history_raises_no_flags() -> None:
    history = [
        Movement("deposit", usdt(2_000), at(0)),
        Movement("trade", usdt(5_000), at(1)),
        Movement("trade", usdt(3_000), at(3)),
        Movement("deposit", usdt(500), at(5)),
        Movement("trade", usdt(1_000), at(6)),
        Movement("withdrawal", usdt(2_200), at(8)),
    ]
    assert evaluate_aml(history, at(8)) == []


# --- AML: velocity --------------------------------------------------------------------------


def withdrawals(count: int, amount: int) -> list[Movement]:
    return [Movement("withdrawal", amount, at(i)) for i in range(count)]


def test_velocity_ten_withdrawals_is_quiet_eleven_flags() -> None:
    assert evaluate_aml(withdrawals(10, usdt(100)), at(10)) == []
    flags = evaluate_aml(withdrawals(11, usdt(100)), at(10))
    assert rules_hit(flags) == ["VELOCITY"]
    assert flags[0].at == at(10)  # the eleventh withdrawal completed the pattern
    assert "11 withdrawals" in flags[0].detail


def test_velocity_amount_boundary() -> None:
    exactly = [
        Movement("withdrawal", usdt(60_000), at(0)),
        Movement("withdrawal", usdt(40_000), at(1)),
    ]
    assert evaluate_aml(exactly, at(1)) == []
    over = [*exactly[:1], Movement("withdrawal", usdt(40_000) + 1, at(1))]
    assert rules_hit(evaluate_aml(over, at(1))) == ["VELOCITY"]


def test_velocity_only_counts_the_last_24_hours() -> None:
    # The first withdrawal is exactly 24 h old at evaluation: out of the window.
    history = [Movement("withdrawal", usdt(100), at(0)), *withdrawals(11, usdt(100))[1:]]
    history.append(Movement("withdrawal", usdt(100), at(24)))
    assert len(history) == 12
    assert rules_hit(evaluate_aml(history, at(24))) == ["VELOCITY"]  # 11 inside
    assert evaluate_aml(history[:-1], at(24)) == []  # 10 inside


def test_movements_after_the_evaluation_time_are_ignored() -> None:
    assert evaluate_aml(withdrawals(11, usdt(100)), at(9)) == []


# --- AML: structuring -----------------------------------------------------------------------


def test_structuring_three_deposits_just_under_the_threshold() -> None:
    history = [
        Movement("deposit", usdt(9_500), at(0)),
        Movement("trade", usdt(9_000), at(1)),
        Movement("deposit", usdt(9_900), at(6)),
        Movement("deposit", usdt(9_800), at(12)),
    ]
    flags = evaluate_aml(history, at(12))
    assert rules_hit(flags) == ["STRUCTURING"]
    assert flags[0].at == at(12)
    assert "3 deposits" in flags[0].detail


def test_structuring_two_near_threshold_deposits_are_quiet() -> None:
    history = [
        Movement("deposit", usdt(9_500), at(0)),
        Movement("trade", usdt(9_000), at(1)),
        Movement("deposit", usdt(9_900), at(6)),
        Movement("deposit", usdt(5_000), at(12)),
    ]
    assert evaluate_aml(history, at(12)) == []


def test_structuring_band_is_90_to_100_percent_inclusive() -> None:
    def deposits(amount: int) -> list[Movement]:
        return [
            Movement("trade", usdt(1), at(-1)),
            *(Movement("deposit", amount, at(i)) for i in range(3)),
            Movement("trade", usdt(1), at(3)),
        ]

    assert rules_hit(evaluate_aml(deposits(usdt(9_000)), at(3))) == ["STRUCTURING"]
    assert rules_hit(evaluate_aml(deposits(usdt(10_000)), at(3))) == ["STRUCTURING"]
    assert evaluate_aml(deposits(usdt(9_000) - 1), at(3)) == []
    assert evaluate_aml(deposits(usdt(10_000) + 1), at(3)) == []


def test_structuring_spread_over_more_than_24_hours_is_quiet() -> None:
    history = [
        Movement("deposit", usdt(9_500), at(0)),
        Movement("deposit", usdt(9_500), at(12)),
        Movement("trade", usdt(100), at(13)),
        Movement("deposit", usdt(9_500), at(24)),
    ]
    assert evaluate_aml(history, at(24)) == []


# --- AML: deposit then withdraw without trading ----------------------------------------------


def test_deposit_withdraw_without_trade_flags() -> None:
    history = [
        Movement("deposit", usdt(3_000), at(0)),
        Movement("deposit", usdt(2_000), at(20)),
        Movement("withdrawal", usdt(4_000), at(30)),  # exactly 80% of 5,000
    ]
    flags = evaluate_aml(history, at(30))
    assert rules_hit(flags) == ["DEPOSIT_WITHDRAW_NO_TRADE"]
    assert flags[0].at == at(30)
    assert "80%" in flags[0].detail


def test_deposit_withdraw_just_under_80_percent_is_quiet() -> None:
    history = [
        Movement("deposit", usdt(5_000), at(0)),
        Movement("withdrawal", usdt(4_000) - 1, at(30)),
    ]
    assert evaluate_aml(history, at(30)) == []


def test_deposit_withdraw_with_a_trade_in_between_is_quiet() -> None:
    history = [
        Movement("deposit", usdt(5_000), at(0)),
        Movement("trade", usdt(10_000), at(10)),
        Movement("withdrawal", usdt(5_000), at(30)),
    ]
    assert evaluate_aml(history, at(30)) == []


def test_trade_before_the_deposits_does_not_count() -> None:
    history = [
        Movement("trade", usdt(10_000), at(-5)),
        Movement("deposit", usdt(5_000), at(0)),
        Movement("withdrawal", usdt(5_000), at(30)),
    ]
    assert rules_hit(evaluate_aml(history, at(30))) == ["DEPOSIT_WITHDRAW_NO_TRADE"]


def test_deposits_older_than_48_hours_do_not_count() -> None:
    history = [
        Movement("deposit", usdt(5_000), at(0)),  # exactly 48 h before the withdrawal
        Movement("withdrawal", usdt(5_000), at(48)),
    ]
    assert evaluate_aml(history, at(48)) == []
    history[0] = Movement("deposit", usdt(5_000), at(0.5))
    assert rules_hit(evaluate_aml(history, at(48))) == ["DEPOSIT_WITHDRAW_NO_TRADE"]


def test_history_order_does_not_matter() -> None:
    history = [
        Movement("withdrawal", usdt(5_000), at(30)),
        Movement("trade", usdt(10_000), at(10)),
        Movement("deposit", usdt(5_000), at(0)),
    ]
    assert evaluate_aml(history, at(30)) == []


def test_several_rules_can_fire_together() -> None:
    history = [
        *(Movement("deposit", usdt(9_900), at(i)) for i in range(3)),
        *(Movement("withdrawal", usdt(100), at(3 + i / 10)) for i in range(11)),
        Movement("withdrawal", usdt(24_000), at(5)),  # over 80% of the 29,700 deposited
    ]
    assert sorted(rules_hit(evaluate_aml(history, at(5)))) == [
        "DEPOSIT_WITHDRAW_NO_TRADE",
        "STRUCTURING",
        "VELOCITY",
    ]
