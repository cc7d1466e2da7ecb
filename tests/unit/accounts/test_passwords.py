"""Password policy refusals as a user sees them, and Argon2id hashing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import argon2
import pytest
from argon2 import extract_parameters
from argon2.exceptions import InvalidHashError
from argon2.low_level import Type

from engine.accounts.passwords import (
    ARGON2_MEMORY_COST_KIB,
    DUMMY_PASSWORD_HASH,
    MAX_PASSWORD_LENGTH,
    CommonPassword,
    PasswordHasher,
    PasswordTooLong,
    WeakPassword,
    check_password_policy,
    common_passwords,
)

STRONG_PASSWORD = "Tr4ding-Desk!Blue"


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher()


def test_strong_password_is_accepted() -> None:
    check_password_policy(STRONG_PASSWORD)
    check_password_policy(STRONG_PASSWORD, email="alice@example.com")


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("Ab1!xyz", "at least 8 characters"),
        ("tr4ding-desk!blue", "an uppercase letter"),
        ("TR4DING-DESK!BLUE", "a lowercase letter"),
        ("Trading-Desk!Blue", "a digit"),
        ("Tr4dingDeskBlue", "a special character"),
    ],
)
def test_each_missing_class_is_named(password: str, missing: str) -> None:
    with pytest.raises(WeakPassword) as refused:
        check_password_policy(password)
    assert refused.value.code == "WEAK_PASSWORD"
    assert missing in refused.value.message
    assert len(refused.value.missing) == 1


def test_all_missing_classes_are_named_at_once() -> None:
    with pytest.raises(WeakPassword) as refused:
        check_password_policy("abc")
    missing = refused.value.missing
    assert missing[:3] == ("at least 8 characters", "an uppercase letter", "a digit")
    assert len(missing) == 4 and missing[3].startswith("a special character")


@pytest.mark.parametrize("special", ["-", "_", "~", "[", "'", "\\"])
def test_other_ascii_punctuation_counts_as_special(special: str) -> None:
    check_password_policy(f"Tr4dingDesk{special}Blue")


def test_non_ascii_symbol_is_not_special() -> None:
    with pytest.raises(WeakPassword, match="special character"):
        check_password_policy("Tr4dingDesk€Blue")


def test_oversized_password_is_refused() -> None:
    check_password_policy("Aa1!" * (MAX_PASSWORD_LENGTH // 4))
    with pytest.raises(PasswordTooLong) as refused:
        check_password_policy("Aa1!" * (MAX_PASSWORD_LENGTH // 4) + "x")
    assert refused.value.code == "WEAK_PASSWORD"
    assert "128" in refused.value.message


@pytest.mark.parametrize("password", ["P@ssw0rd", "p@SSW0RD", "1QAZ!qaz"])
def test_common_password_is_refused_in_any_case(password: str) -> None:
    with pytest.raises(CommonPassword) as refused:
        check_password_policy(password)
    assert refused.value.code == "COMMON_PASSWORD"


def test_common_list_ships_ten_thousand_lowercase_entries() -> None:
    passwords = common_passwords()
    assert len(passwords) == 10_000
    assert "password" in passwords and "123456" in passwords
    assert all(entry == entry.lower() and not entry.startswith("#") for entry in passwords)


def test_password_containing_email_local_part_is_refused() -> None:
    with pytest.raises(WeakPassword, match="email"):
        check_password_policy("Xalice1!Blue", email="Alice@example.com")
    # A local part shorter than four characters does not restrict the password.
    check_password_policy("Bob-Tr4ding!", email="bob@example.com")


def test_hash_then_verify_roundtrip(hasher: PasswordHasher) -> None:
    stored = hasher.hash(STRONG_PASSWORD)
    assert hasher.verify(stored, STRONG_PASSWORD) is True
    assert hasher.verify(stored, STRONG_PASSWORD + "x") is False
    assert hasher.needs_rehash(stored) is False


def test_two_hashes_of_one_password_differ(hasher: PasswordHasher) -> None:
    assert hasher.hash(STRONG_PASSWORD) != hasher.hash(STRONG_PASSWORD)


@pytest.mark.parametrize(
    "malformed",
    ["", "not-a-hash", "$argon2id$v=19$m=19456,t=2,p=1$short", "$2b$12$" + "a" * 53],
)
def test_malformed_hash_verifies_false(hasher: PasswordHasher, malformed: str) -> None:
    assert hasher.verify(malformed, STRONG_PASSWORD) is False
    assert hasher.needs_rehash(malformed) is True


def test_hash_is_argon2id_with_owasp_parameters(hasher: PasswordHasher) -> None:
    stored = hasher.hash(STRONG_PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    parameters = extract_parameters(stored)
    assert parameters.type is Type.ID
    assert parameters.memory_cost == ARGON2_MEMORY_COST_KIB
    assert (parameters.time_cost, parameters.parallelism) == (2, 1)
    assert (parameters.hash_len, parameters.salt_len) == (32, 16)


def test_weaker_stored_hash_needs_rehash(hasher: PasswordHasher) -> None:
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(STRONG_PASSWORD)
    assert hasher.verify(weak, STRONG_PASSWORD) is True
    assert hasher.needs_rehash(weak) is True


def test_dummy_hash_uses_current_parameters(hasher: PasswordHasher) -> None:
    try:
        extract_parameters(DUMMY_PASSWORD_HASH)
    except InvalidHashError:
        pytest.fail("DUMMY_PASSWORD_HASH is not a valid Argon2 hash")
    assert hasher.needs_rehash(DUMMY_PASSWORD_HASH) is False


async def test_async_variants_roundtrip(hasher: PasswordHasher) -> None:
    stored = await hasher.hash_async(STRONG_PASSWORD)
    assert await hasher.verify_async(stored, STRONG_PASSWORD) is True
    assert await hasher.verify_async(stored, "Wrong-Pass1!") is False


async def test_hashing_does_not_block_the_event_loop(hasher: PasswordHasher) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await hasher.hash_async(STRONG_PASSWORD)
    finally:
        task.cancel()
    assert ticks > 0


async def test_unknown_email_login_costs_as_much_as_a_known_one(hasher: PasswordHasher) -> None:
    stored = await hasher.hash_async(STRONG_PASSWORD)

    async def fastest_of_five(action: Callable[[], Awaitable[object]]) -> float:
        durations = []
        for _ in range(5):
            started = time.perf_counter()
            await action()
            durations.append(time.perf_counter() - started)
        return min(durations)

    known = await fastest_of_five(lambda: hasher.verify_async(stored, "Wrong-Pass1!"))
    unknown = await fastest_of_five(lambda: hasher.dummy_verify_async("Wrong-Pass1!"))
    assert 0.5 < unknown / known < 2.0
