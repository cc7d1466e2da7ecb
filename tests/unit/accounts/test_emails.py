"""Email normalisation: one canonical address per mailbox, lookalikes refused."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from engine.accounts.emails import (
    DisposableEmail,
    InvalidEmail,
    email_lookup_key,
    normalise_email,
)


def test_case_and_whitespace_are_normalised() -> None:
    assert normalise_email("  Alice.Smith@Example.COM \n") == "alice.smith@example.com"


def test_fullwidth_letters_collide_with_the_ascii_address() -> None:
    fullwidth = "\uff41lice@\uff45xample.com"  # fullwidth 'a' and 'e'
    assert normalise_email(fullwidth) == normalise_email("alice@example.com")


def test_cyrillic_lookalike_is_refused() -> None:
    with pytest.raises(InvalidEmail, match="ASCII") as refused:
        normalise_email("\u0430lice@example.com")  # Cyrillic small 'a'
    assert refused.value.code == "INVALID_EMAIL"


@pytest.mark.parametrize(
    "address",
    ["bob@xn--80ak6aa92e.com", "bob@mail.xn--mller-kva.de", "bob@m\u00fcller.de"],
)
def test_internationalised_domains_are_refused(address: str) -> None:
    with pytest.raises(InvalidEmail, match="Internationalised domain") as refused:
        normalise_email(address)
    assert refused.value.code == "INVALID_EMAIL"


@pytest.mark.parametrize(
    "address",
    [
        "someone@tempmail.com",
        "someone@GuerrillaMail.com",
        "someone@10minutemail.com",
        "someone@mailinator.com",
        "someone@inbox.yopmail.com",
    ],
)
def test_disposable_domains_are_refused(address: str) -> None:
    with pytest.raises(DisposableEmail) as refused:
        normalise_email(address)
    assert refused.value.code == "DISPOSABLE_EMAIL"


def test_domain_merely_ending_like_a_disposable_one_is_accepted() -> None:
    assert normalise_email("someone@nottempmail.com") == "someone@nottempmail.com"


def _address_of_length(length: int) -> str:
    domain_tail = "d" * (length - 64 - 1 - 64 - 64 - 4) + ".com"
    return "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + domain_tail


def test_oversized_address_is_refused() -> None:
    longest = _address_of_length(254)
    assert len(longest) == 254 and normalise_email(longest) == longest
    with pytest.raises(InvalidEmail, match="254") as refused:
        normalise_email(_address_of_length(255))
    assert refused.value.code == "INVALID_EMAIL"


@pytest.mark.parametrize(
    "address",
    ["", "alice", "alice@", "@example.com", "a..b@example.com", "alice@localhost", "a b@x.com"],
)
def test_malformed_addresses_are_refused(address: str) -> None:
    with pytest.raises(InvalidEmail) as refused:
        normalise_email(address)
    assert refused.value.code == "INVALID_EMAIL"
    assert refused.value.message


def test_compatibility_character_that_becomes_a_second_at_sign_is_refused() -> None:
    with pytest.raises(InvalidEmail):
        normalise_email("alice\ufe6bevil.com@example.com")  # small commercial at -> '@'


def test_lookup_key_is_hmac_sha256_of_the_canonical_address() -> None:
    secret = b"throttle-secret"
    canonical = normalise_email("Alice@Example.com")
    key = email_lookup_key(canonical, secret)
    assert key == hmac.new(secret, b"alice@example.com", hashlib.sha256).hexdigest()
    assert "alice" not in key and len(key) == 64
    assert email_lookup_key(canonical, b"other-secret") != key


def test_lookup_key_needs_a_secret() -> None:
    with pytest.raises(ValueError):
        email_lookup_key("alice@example.com", b"")
