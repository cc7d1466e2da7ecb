"""Email addresses as account identifiers: one canonical form per mailbox, and its throttle key.

The canonical form is what uniqueness and login compare, so two spellings a person would
read as the same address must normalise to the same string or be refused.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from email_validator import EmailNotValidError, ValidatedEmail, validate_email

from engine.errors import DomainError

# RFC 5321 path limit (256) minus the angle brackets: the longest usable address.
MAX_EMAIL_LENGTH = 254

PUNYCODE_LABEL_PREFIX = "xn--"

# Seed 004 names the first three; the rest are other widely used throwaway-inbox services.
# A subdomain of a listed domain is refused too.
DISPOSABLE_EMAIL_DOMAINS = frozenset(
    {
        "tempmail.com",
        "guerrillamail.com",
        "10minutemail.com",
        "guerrillamail.net",
        "guerrillamail.org",
        "sharklasers.com",
        "mailinator.com",
        "yopmail.com",
        "trashmail.com",
        "temp-mail.org",
        "throwawaymail.com",
        "maildrop.cc",
        "getnada.com",
        "dispostable.com",
        "fakeinbox.com",
    }
)


class InvalidEmail(DomainError):
    code = "INVALID_EMAIL"


class DisposableEmail(DomainError):
    code = "DISPOSABLE_EMAIL"


def normalise_email(raw: str) -> str:
    """Return the canonical address, or raise InvalidEmail / DisposableEmail.

    The whole address is lowercased: mailbox local parts are case-sensitive in theory, but
    no mainstream provider treats them so and users expect `Alice@X.com` to log in as
    `alice@x.com`. Only ASCII addresses are accepted: after NFKC, fullwidth letters become
    ASCII (and so collide with the real address as a duplicate), while lookalikes such as
    Cyrillic U+0430 (drawn like 'a') stay non-ASCII and are refused rather than let one
    account impersonate another.
    """
    trimmed = raw.strip()
    if len(trimmed) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(f"Email address must be at most {MAX_EMAIL_LENGTH} characters.")
    first_pass = _validate(trimmed, allow_unicode=True)
    if _has_punycode_label(first_pass.ascii_domain):
        raise InvalidEmail(
            "Internationalised domain names are not accepted; use an address with an ASCII domain."
        )
    folded = unicodedata.normalize("NFKC", first_pass.normalized).lower()
    if not folded.isascii():
        raise InvalidEmail("Only email addresses made of ASCII characters are accepted.")
    # NFKC can create new syntax (e.g. U+FE6B small '﹫' becomes '@'), so the folded
    # address is validated again; this pass is the one that decides.
    canonical = _validate(folded, allow_unicode=False).normalized.lower()
    if _is_disposable(canonical.rpartition("@")[2]):
        raise DisposableEmail("Disposable email addresses are not accepted.")
    return canonical


def email_lookup_key(normalised: str, secret: bytes) -> str:
    """HMAC-SHA256 hex of a canonical address: a throttle key that does not reveal the email."""
    if not secret:
        raise ValueError("email_lookup_key needs a non-empty secret")
    return hmac.new(secret, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def _validate(address: str, *, allow_unicode: bool) -> ValidatedEmail:
    try:
        return validate_email(address, check_deliverability=False, allow_smtputf8=allow_unicode)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error


def _has_punycode_label(ascii_domain: str | None) -> bool:
    if ascii_domain is None:
        return False
    return any(label.startswith(PUNYCODE_LABEL_PREFIX) for label in ascii_domain.split("."))


def _is_disposable(domain: str) -> bool:
    labels = domain.split(".")
    return any(
        ".".join(labels[index:]) in DISPOSABLE_EMAIL_DOMAINS for index in range(len(labels) - 1)
    )
