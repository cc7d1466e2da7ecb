"""Access tokens: a token verified once is remembered, and the memory never lets through a
token that would fail verification (forged, tampered, expired)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from engine.accounts.roles import Unauthenticated
from engine.accounts.tokens import ACCESS_TOKEN_LIFETIME, VERIFIED_CACHE_SIZE, AccessTokens

KEY = b"k" * 32
AT = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)  # issued in the past: PyJWT checks iat


def _issue(tokens: AccessTokens, account: str = "acc_1", roles: str = "USER") -> str:
    return tokens.issue(account_id=account, session_id="ses_1", roles=roles, tier="FREE", at=AT)


def test_a_remembered_token_still_expires_on_the_venue_clock() -> None:
    tokens = AccessTokens(KEY)
    token = _issue(tokens)
    assert tokens.verify(token, at=AT).account_id == "acc_1"
    assert tokens.verify(token, at=AT + timedelta(minutes=14)).account_id == "acc_1"
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify(token, at=AT + ACCESS_TOKEN_LIFETIME)


def test_a_tampered_copy_of_a_remembered_token_is_refused() -> None:
    tokens = AccessTokens(KEY)
    token = _issue(tokens)
    tokens.verify(token, at=AT)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = "USER,ADMIN"
    raised = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(Unauthenticated, match="not valid"):
        tokens.verify(f"{header}.{raised}.{signature}", at=AT)
    forged = jwt.encode(claims, b"x" * 32, algorithm="HS256")
    with pytest.raises(Unauthenticated, match="not valid"):
        tokens.verify(forged, at=AT)
    assert tokens.verify(token, at=AT).roles == "USER"


def test_another_keys_tokens_are_refused_even_when_this_process_verified_them() -> None:
    ours, theirs = AccessTokens(KEY), AccessTokens(b"t" * 32)
    token = _issue(theirs)
    theirs.verify(token, at=AT)
    with pytest.raises(Unauthenticated, match="not valid"):
        ours.verify(token, at=AT)


def test_the_memory_is_bounded_and_forgetting_only_costs_a_new_verification() -> None:
    tokens = AccessTokens(KEY)
    first = _issue(tokens, account="acc_first")
    tokens.verify(first, at=AT)
    for n in range(VERIFIED_CACHE_SIZE):
        tokens.verify(_issue(tokens, account=f"acc_{n}"), at=AT)
    assert len(tokens._verified) == VERIFIED_CACHE_SIZE
    assert first not in tokens._verified
    assert tokens.verify(first, at=AT).account_id == "acc_first"
