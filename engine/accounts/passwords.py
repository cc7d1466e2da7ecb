"""Password policy (seed 004) and password hashing with Argon2id.

Pure functions and one small hasher; nothing here touches storage or the clock.
"""

from __future__ import annotations

import asyncio
import string
from functools import cache
from importlib import resources

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from engine.errors import DomainError

# Seed 004: length bounds. The upper bound keeps a single login request from carrying
# megabytes into the hasher; 128 is far beyond any passphrase a person types.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

# Seed 004 names these special characters. Any other printable ASCII punctuation
# (e.g. `-`, `_`, `+`, `=`, `[`, `]`, `~`, `'`, `/`, `\`, `;`, backtick) also counts as
# special: refusing `-` or `_` would only frustrate users without adding strength.
SEED_SPECIAL_CHARACTERS = '!@#$%^&*(),.?":{}|<>'
SPECIAL_CHARACTERS = frozenset(SEED_SPECIAL_CHARACTERS) | frozenset(string.punctuation)

# A password may not contain the local part of the user's email once it is this long;
# shorter local parts ("al", "bob") would refuse too many unrelated passwords.
MIN_EMAIL_LOCAL_PART_TO_REFUSE = 4

_COMMON_PASSWORDS_RESOURCE = "common-passwords.txt"

# Argon2id parameters from the OWASP Password Storage Cheat Sheet
# (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html):
# "m=19456 (19 MiB), t=2, p=1". Hash and salt sizes are the argon2-cffi / RFC 9106 defaults.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_COST_KIB = 19_456
ARGON2_PARALLELISM = 1
ARGON2_HASH_LENGTH_BYTES = 32
ARGON2_SALT_LENGTH_BYTES = 16

# A real Argon2id hash made with exactly the parameters above, of a random password nobody
# knows. Verifying against it costs the same as verifying a real user's hash, which keeps a
# login for an unknown email as slow as one for a known email (no account enumeration by
# timing). tests/unit/accounts/test_passwords.py checks that it matches the parameters.
DUMMY_PASSWORD_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$"
    "k9QyK/YjTBUCaxfAqmSTXg$"
    "8hrBC/Ulc8RiejISkkKgK7IppSGL1yoe0UyBsk7mUOg"
)


class WeakPassword(DomainError):
    """The password lacks something the policy requires; `missing` lists what, for the UI."""

    code = "WEAK_PASSWORD"

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


class PasswordTooLong(WeakPassword):
    """Over MAX_PASSWORD_LENGTH characters.

    Shares WEAK_PASSWORD: to the user it is one more way the password fails the policy,
    and the API needs no extra error type for it.
    """


class CommonPassword(DomainError):
    """The password is on the list of the 10,000 most common passwords."""

    code = "COMMON_PASSWORD"


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """Raise WeakPassword, PasswordTooLong or CommonPassword; return None when acceptable."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordTooLong(
            f"Password must be at most {MAX_PASSWORD_LENGTH} characters.",
            missing=("at most 128 characters",),
        )
    missing = _missing_requirements(password)
    if missing:
        raise WeakPassword("Password needs " + ", ".join(missing) + ".", missing=missing)
    if password.lower() in common_passwords():
        raise CommonPassword("This password is too common; choose one that is harder to guess.")
    if email is not None and _contains_email_local_part(password, email):
        raise WeakPassword(
            "Password must not contain the name part of your email address.",
            missing=("no part of your email address",),
        )


def _missing_requirements(password: str) -> tuple[str, ...]:
    requirements = (
        (len(password) >= MIN_PASSWORD_LENGTH, f"at least {MIN_PASSWORD_LENGTH} characters"),
        (any(character.isupper() for character in password), "an uppercase letter"),
        (any(character.islower() for character in password), "a lowercase letter"),
        (any(character in string.digits for character in password), "a digit"),
        (
            any(character in SPECIAL_CHARACTERS for character in password),
            f"a special character such as {SEED_SPECIAL_CHARACTERS}",
        ),
    )
    return tuple(description for satisfied, description in requirements if not satisfied)


def _contains_email_local_part(password: str, email: str) -> bool:
    local_part = email.strip().rpartition("@")[0].lower()
    return len(local_part) >= MIN_EMAIL_LOCAL_PART_TO_REFUSE and local_part in password.lower()


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased, loaded once; `#` lines are comments."""
    text = (
        resources.files("engine.accounts")
        .joinpath("data", _COMMON_PASSWORDS_RESOURCE)
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


class PasswordHasher:
    """Argon2id hashing with the OWASP parameters; verification never raises."""

    def __init__(self) -> None:
        self._hasher = argon2.PasswordHasher(
            time_cost=ARGON2_TIME_COST,
            memory_cost=ARGON2_MEMORY_COST_KIB,
            parallelism=ARGON2_PARALLELISM,
            hash_len=ARGON2_HASH_LENGTH_BYTES,
            salt_len=ARGON2_SALT_LENGTH_BYTES,
            type=argon2.Type.ID,
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        """True only on a match; False for a wrong password or a malformed stored hash."""
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            # VerifyMismatchError (wrong password) is a VerificationError.
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters, or cannot be parsed at all."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    # Argon2 deliberately costs tens of milliseconds of CPU and 19 MiB; the async variants
    # run it in a worker thread (argon2-cffi releases the GIL) so the event loop keeps serving.

    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, stored_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self.verify, stored_hash, password)

    async def dummy_verify_async(self, password: str) -> None:
        """Spend the time of a real verification, for logins with an unknown email."""
        await asyncio.to_thread(self.verify, DUMMY_PASSWORD_HASH, password)
