"""Who is calling: a bearer token or a signed API-key request, checked before GraphQL runs.

Bad credentials end the request at once (401) rather than letting it run anonymously, so
a bot with a broken signature learns why instead of seeing empty results. Rate limits
apply per principal (per IP for anonymous callers) and answer 429 with Retry-After.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection, Request

from engine.accounts.apikeys import HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP
from engine.accounts.compliance import check_country, country_from_request, is_trusted_proxy
from engine.accounts.ratelimit import Tier
from engine.accounts.roles import Principal, Unauthenticated
from engine.accounts.service import RequestMeta
from engine.errors import DomainError
from engine.venue import Venue

BEARER = "bearer "
MAX_TOKEN_LENGTH = 4_096


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    """The request-level rules of compliance and rate limiting, from settings."""

    restricted_countries: frozenset[str] = frozenset()
    country_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    # Tier applied per IP to callers without credentials; None = no limit for them.
    anonymous_tier: Tier | None = Tier.PRO


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def request_meta(connection: HTTPConnection, policy: AccessPolicy) -> RequestMeta:
    peer = connection.client.host if connection.client is not None else "unknown"
    country = country_from_request(
        connection.headers,
        peer,
        header=policy.country_header,
        trusted_proxies=policy.trusted_proxies,
    )
    return RequestMeta(
        ip=_client_ip(connection, peer, policy),
        user_agent=connection.headers.get("user-agent", "")[:256],
        country=country,
    )


async def authenticate_request(
    venue: Venue, request: Request, meta: RequestMeta, policy: AccessPolicy
) -> Principal | None:
    check_country(meta.country, policy.restricted_countries)
    principal = await _principal(venue, request.headers, request, meta)
    await _limit(venue, principal, meta, policy)
    return principal


async def authenticate_connection_init(
    venue: Venue, payload: Mapping[str, Any], meta: RequestMeta, policy: AccessPolicy
) -> Principal | None:
    """graphql-transport-ws: `authorization: Bearer ...` or the API-key fields."""
    check_country(meta.country, policy.restricted_countries)
    authorization = payload.get("authorization") or payload.get("Authorization")
    if isinstance(authorization, str) and authorization:
        return _bearer(venue, authorization)
    key = payload.get("apiKey")
    if key is None:
        return None
    fields = [key, payload.get("timestamp"), payload.get("signature")]
    if not all(isinstance(f, str) for f in fields):
        raise Unauthenticated("apiKey, timestamp and signature must be strings")
    return await venue.keys.authenticate(
        str(key), str(fields[1]), "GET", "/graphql", b"", str(fields[2]), meta.ip
    )


async def _principal(
    venue: Venue, headers: Mapping[str, str], request: Request, meta: RequestMeta
) -> Principal | None:
    authorization = headers.get("authorization")
    if authorization:
        return _bearer(venue, authorization)
    key = headers.get(HEADER_KEY)
    if key is None:
        return None
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return await venue.keys.authenticate(
        key,
        headers.get(HEADER_TIMESTAMP, ""),
        request.method,
        path,
        await request.body(),
        headers.get(HEADER_SIGNATURE, ""),
        meta.ip,
    )


def _bearer(venue: Venue, authorization: str) -> Principal:
    if not authorization.lower().startswith(BEARER) or len(authorization) > MAX_TOKEN_LENGTH:
        raise Unauthenticated("send the access token as `Authorization: Bearer <token>`")
    return venue.accounts.authenticate_access_token(authorization[len(BEARER) :].strip())


async def _limit(
    venue: Venue, principal: Principal | None, meta: RequestMeta, policy: AccessPolicy
) -> None:
    if principal is not None:
        decision = await venue.limiter.request(principal.account_id, Tier.named(principal.tier))
    elif policy.anonymous_tier is not None:
        decision = await venue.limiter.request(f"ip:{meta.ip}", policy.anonymous_tier)
    else:
        return
    if not decision.allowed:
        raise RateLimited(
            f"too many requests; retry in {math.ceil(decision.retry_after)} s",
            decision.retry_after,
        )


def _client_ip(connection: HTTPConnection, peer: str, policy: AccessPolicy) -> str:
    """The peer, or the first X-Forwarded-For hop when the peer is a trusted proxy."""
    if policy.trusted_proxies and is_trusted_proxy(peer, policy.trusted_proxies):
        forwarded = connection.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first[:64]
    return peer
