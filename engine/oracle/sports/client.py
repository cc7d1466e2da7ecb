"""How the oracle fetches a provider's feed: the client interface and its httpx implementation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from engine.oracle.sports.adapters import adapter_for
from engine.oracle.sports.model import ProviderName, ProviderUnreachable

# Polls come every 2 s; a request still hanging after 5 s is a failure, not a slow success.
REQUEST_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class FeedResponse:
    """What came back: the status, the raw body, and Retry-After when the provider sent it."""

    status_code: int
    body: bytes
    retry_after: str | None = None


class ProviderClient(Protocol):
    """A provider's live feed, over HTTP or in process (the simulated providers)."""

    @property
    def provider(self) -> ProviderName: ...

    @property
    def verification_key(self) -> Ed25519PublicKey:
        """The provider's ed25519 key, which its outcome attestations must verify against."""
        ...

    async def fetch_feed(self) -> FeedResponse:
        """One GET of the feed; raises ProviderUnreachable when no response came back."""
        ...

    async def aclose(self) -> None: ...


class HttpProviderClient:
    def __init__(
        self,
        provider: ProviderName,
        base_url: str,
        verification_key: Ed25519PublicKey,
        *,
        feed_path: str | None = None,
        http: httpx.AsyncClient | None = None,
        timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self._provider = provider
        self._verification_key = verification_key
        path = feed_path if feed_path is not None else adapter_for(provider).feed_path
        self._url = f"{base_url.rstrip('/')}/{path.lstrip('/')}"
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout_seconds)

    @property
    def provider(self) -> ProviderName:
        return self._provider

    @property
    def verification_key(self) -> Ed25519PublicKey:
        return self._verification_key

    async def fetch_feed(self) -> FeedResponse:
        try:
            response = await self._http.get(self._url, headers={"accept": "application/json"})
        except httpx.HTTPError as error:
            raise ProviderUnreachable(f"{self._provider}: {type(error).__name__}") from None
        return FeedResponse(
            response.status_code, response.content, response.headers.get("retry-after")
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()
