"""Access tokens (JWT, HS256, 15 minutes) and opaque single-use tokens stored only as hashes.

Refresh, email-verification and password-reset tokens are 256 random bits: a plain
SHA-256 of such a token is enough to store it (no dictionary can guess it), and a leak of
the table does not let anyone use one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from engine.accounts.roles import Unauthenticated

ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=7)
ISSUER = "godark"
AUDIENCE = "godark-api"
ALGORITHM = "HS256"  # pinned: a token naming any other algorithm, "none" included, is refused
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "sid", "iss", "aud"]
# Tokens whose signature and claims were checked, so a client's every request with the same
# token is not verified again (a third of a placeOrder's auth cost). The key is the whole
# token, signature included: only a token that verified once can hit. Expiry is still
# checked on every use, and revocation is the caller's (by session id).
VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class AccessClaims:
    account_id: str
    session_id: str
    roles: str
    tier: str
    terms: str
    expires_at: int


class AccessTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()

    def issue(
        self,
        *,
        account_id: str,
        session_id: str,
        roles: str,
        tier: str,
        at: datetime,
        terms: str = "",
    ) -> str:
        expires = at + ACCESS_TOKEN_LIFETIME
        claims = {
            "sub": account_id,
            "sid": session_id,
            "roles": roles,
            "tier": tier,
            "terms": terms,
            "iat": int(at.timestamp()),
            "exp": int(expires.timestamp()),
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, *, at: datetime) -> AccessClaims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._decode(token)
            self._verified[token] = claims
            if len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        # Expiry against the venue's clock, not the system's, so tests and replays agree.
        if claims.expires_at <= int(at.timestamp()):
            raise Unauthenticated("the access token has expired; refresh the session")
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": _REQUIRED_CLAIMS, "verify_exp": False},
            )
        except jwt.PyJWTError as refused:
            raise Unauthenticated("the access token is not valid") from refused
        return AccessClaims(
            account_id=str(claims["sub"]),
            session_id=str(claims["sid"]),
            roles=str(claims.get("roles", "")),
            tier=str(claims.get("tier", "FREE")),
            terms=str(claims.get("terms", "")),
            expires_at=int(claims["exp"]),
        )


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"
