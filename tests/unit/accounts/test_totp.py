"""TOTP enrolment and verification with replay protection, and single-use backup codes."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from engine.accounts.totp import (
    TotpVerifier,
    hash_backup_code,
    match_backup_code,
    new_backup_codes,
    new_totp_secret,
    provisioning_uri,
    qr_png_data_url,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STEP = timedelta(seconds=30)
NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
BACKUP_KEY = b"backup-code-key"


@pytest.fixture
def secret() -> str:
    return new_totp_secret()


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def test_secret_is_160_bit_base32() -> None:
    secret = new_totp_secret()
    assert len(base64.b32decode(secret)) == 20
    assert new_totp_secret() != secret


def test_provisioning_uri_names_issuer_and_account(secret: str) -> None:
    uri = provisioning_uri(secret, "alice@example.com")
    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert parsed.path == "/GoDark:alice%40example.com"
    query = parse_qs(parsed.query)
    assert query["secret"] == [secret] and query["issuer"] == ["GoDark"]


def test_qr_data_url_is_a_png(secret: str) -> None:
    url = qr_png_data_url(provisioning_uri(secret, "alice@example.com"))
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    assert base64.b64decode(url.removeprefix(prefix)).startswith(PNG_SIGNATURE)


def test_current_code_verifies_and_returns_its_step(secret: str) -> None:
    step = TotpVerifier().verify(secret, code_at(secret, NOW), NOW, None)
    assert step == pyotp.TOTP(secret).timecode(NOW)


@pytest.mark.parametrize("offset", [-1, 1])
def test_adjacent_step_is_tolerated(secret: str, offset: int) -> None:
    step = TotpVerifier().verify(secret, code_at(secret, NOW + offset * STEP), NOW, None)
    assert step == pyotp.TOTP(secret).timecode(NOW) + offset


def test_code_from_two_steps_ago_fails(secret: str) -> None:
    old_code = code_at(secret, NOW - 2 * STEP)
    assert TotpVerifier().verify(secret, old_code, NOW, None) is None


def test_same_code_twice_is_refused(secret: str) -> None:
    verifier = TotpVerifier()
    code = code_at(secret, NOW)
    used_step = verifier.verify(secret, code, NOW, None)
    assert used_step is not None
    assert verifier.verify(secret, code, NOW + timedelta(seconds=5), used_step) is None


def test_earlier_step_after_a_later_one_is_refused(secret: str) -> None:
    verifier = TotpVerifier()
    later_step = verifier.verify(secret, code_at(secret, NOW + STEP), NOW, None)
    assert later_step is not None
    assert verifier.verify(secret, code_at(secret, NOW), NOW, later_step) is None


def test_next_step_after_a_used_one_is_accepted(secret: str) -> None:
    verifier = TotpVerifier()
    used_step = verifier.verify(secret, code_at(secret, NOW), NOW, None)
    assert used_step is not None
    assert verifier.verify(secret, code_at(secret, NOW + STEP), NOW + STEP, used_step) == (
        used_step + 1
    )


def test_code_typed_with_a_space_verifies(secret: str) -> None:
    code = code_at(secret, NOW)
    assert TotpVerifier().verify(secret, f"{code[:3]} {code[3:]}", NOW, None) is not None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", "-12345"])
def test_non_six_digit_input_is_refused(secret: str, code: str) -> None:
    assert TotpVerifier().verify(secret, code, NOW, None) is None


def test_arabic_indic_digits_of_the_right_code_are_refused(secret: str) -> None:
    code = code_at(secret, NOW)
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert TotpVerifier().verify(secret, arabic, NOW, None) is None


def test_naive_datetime_is_a_programming_error(secret: str) -> None:
    with pytest.raises(ValueError):
        TotpVerifier().verify(secret, "123456", NOW.replace(tzinfo=None), None)


def test_ten_unique_human_friendly_backup_codes() -> None:
    codes = new_backup_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[2-9a-km-np-z]{4}-[2-9a-km-np-z]{4}-[2-9a-km-np-z]{4}", code)


def test_backup_code_matches_once_by_index() -> None:
    codes = new_backup_codes()
    stored = [hash_backup_code(code, BACKUP_KEY) for code in codes]
    assert match_backup_code(codes[3], BACKUP_KEY, stored) == 3
    # The caller spends the code by removing its hash; the same code then no longer matches.
    remaining = stored[:3] + stored[4:]
    assert match_backup_code(codes[3], BACKUP_KEY, remaining) is None
    assert match_backup_code(codes[4], BACKUP_KEY, remaining) == 3


def test_backup_code_ignores_case_dashes_and_spaces() -> None:
    stored = [hash_backup_code("k7m2-x9qp-4h3d", BACKUP_KEY)]
    for typed in ["K7M2-X9QP-4H3D", "k7m2x9qp4h3d", " k7m2 x9qp 4h3d ", "K7M2 - X9QP - 4h3d"]:
        assert match_backup_code(typed, BACKUP_KEY, stored) == 0


def test_wrong_backup_code_or_key_does_not_match() -> None:
    codes = new_backup_codes()
    stored = [hash_backup_code(code, BACKUP_KEY) for code in codes]
    assert match_backup_code("aaaa-bbbb-cccc", BACKUP_KEY, stored) is None
    assert match_backup_code(codes[0], b"another-key", stored) is None
    assert match_backup_code("", BACKUP_KEY, stored) is None
