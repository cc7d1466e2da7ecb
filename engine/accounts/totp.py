"""Second factor: TOTP (RFC 6238) with replay protection, its QR enrolment, and backup codes.

Time always comes from the caller (the injected clock); nothing here reads the system time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from collections.abc import Sequence
from datetime import datetime

import pyotp
import qrcode  # type: ignore[import-untyped]
from qrcode.image.pure import PyPNGImage  # type: ignore[import-untyped]

DEFAULT_ISSUER = "GoDark"

# RFC 4226 recommends a shared secret of at least 160 bits.
TOTP_SECRET_BYTES = 20
TOTP_DIGITS = 6
# One step either side tolerates clock drift between the phone and the server
# and a code typed just as it rolled over.
TOTP_VALID_WINDOW_STEPS = 1

BACKUP_CODE_COUNT = 10
# Lowercase letters and digits without 0/o and 1/l, which people misread. 32 symbols give
# 5 bits each, so 12 symbols carry 60 bits of entropy.
BACKUP_CODE_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyz"
BACKUP_CODE_GROUPS = 3
BACKUP_CODE_GROUP_LENGTH = 4


def new_totp_secret() -> str:
    """A fresh 160-bit secret, base32 as authenticator apps expect it."""
    return base64.b32encode(secrets.token_bytes(TOTP_SECRET_BYTES)).decode("ascii")


def provisioning_uri(secret: str, account_email: str, issuer: str = DEFAULT_ISSUER) -> str:
    """The otpauth:// URI an authenticator app imports (usually through a QR code)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS).provisioning_uri(
        name=account_email, issuer_name=issuer
    )


def qr_png_data_url(uri: str) -> str:
    """A `data:image/png;base64,...` URL of the QR code, drawn with PyPNG (no Pillow)."""
    image = qrcode.make(uri, image_factory=PyPNGImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


class TotpVerifier:
    """Checks a 6-digit code and reports which time step it matched.

    The caller stores the returned step and passes it back as `last_used_step`; a code for
    that step or any earlier one is refused, so an observed code cannot be replayed.
    """

    def verify(
        self, secret: str, code: str, at: datetime, last_used_step: int | None
    ) -> int | None:
        if at.tzinfo is None:
            raise ValueError("TotpVerifier.verify needs a timezone-aware datetime")
        candidate = code.replace(" ", "")
        if len(candidate) != TOTP_DIGITS or not (candidate.isascii() and candidate.isdigit()):
            return None
        totp = pyotp.TOTP(secret, digits=TOTP_DIGITS)
        current_step = totp.timecode(at)
        matched_step: int | None = None
        # Every step in the window is compared, so the time taken does not tell which matched.
        for step in range(
            current_step - TOTP_VALID_WINDOW_STEPS, current_step + TOTP_VALID_WINDOW_STEPS + 1
        ):
            expected = totp.generate_otp(step)
            if hmac.compare_digest(candidate, expected) and matched_step is None:
                matched_step = step
        if matched_step is None:
            return None
        if last_used_step is not None and matched_step <= last_used_step:
            return None
        return matched_step


def new_backup_codes(count: int = BACKUP_CODE_COUNT) -> list[str]:
    """Distinct single-use codes such as "k7m2-x9qp-4h3d", shown to the user once."""
    codes: list[str] = []
    while len(codes) < count:
        code = "-".join(
            "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_GROUP_LENGTH))
            for _ in range(BACKUP_CODE_GROUPS)
        )
        if code not in codes:
            codes.append(code)
    return codes


def hash_backup_code(code: str, key: bytes) -> str:
    """HMAC-SHA256 hex of the code as typed, ignoring case, dashes and spaces."""
    return hmac.new(key, _normalise_backup_code(code).encode("utf-8"), hashlib.sha256).hexdigest()


def match_backup_code(code: str, key: bytes, stored_hashes: Sequence[str]) -> int | None:
    """Index of the stored hash this code matches, or None.

    `stored_hashes` holds the codes not yet used (the caller removes or blanks a used one,
    and an empty string never matches). Every entry is compared in constant time.
    """
    candidate = hash_backup_code(code, key)
    matched_index: int | None = None
    for index, stored_hash in enumerate(stored_hashes):
        if hmac.compare_digest(candidate, stored_hash) and matched_index is None:
            matched_index = index
    return matched_index


def _normalise_backup_code(code: str) -> str:
    return code.strip().lower().replace("-", "").replace(" ", "")
