"""The ASGI application: /graphql, /healthz, /metrics and the built web app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api import __version__
from api.auth import AccessPolicy
from api.cluster_metrics import ReplicaCollector, replica_health
from api.graphql import GoDarkGraphQL
from api.metrics import venue_registry
from api.middleware import RequestContextMiddleware
from api.schema import schema
from api.settings import Settings
from engine.accounts.approvals import ApprovalPolicy
from engine.accounts.mail import SmtpConfig
from engine.accounts.ratelimit import Tier
from engine.cluster import ROLE_API
from engine.flash.protection import ProtectionPolicy
from engine.gc_policy import settle_after_start
from engine.settlement.chain.jsonrpc import solana_rpc_app
from engine.venue import Venue, VenueConfig


def create_app(settings: Settings | None = None, venue: Venue | None = None) -> Starlette:
    settings = settings if settings is not None else Settings()
    if venue is None:
        venue = Venue.build(venue_config(settings))
    running = venue

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await running.start()
        if getattr(app.state, "serving_process", False):
            settle_after_start()
        try:
            yield
        finally:
            await running.stop()

    async def healthz(_request: Request) -> Response:
        database_ok = await running.database.ping()
        bus_ok = await running.bus.healthy()
        healthy = database_ok and bus_ok
        body: dict[str, object] = {
            "status": "ok" if healthy else "degraded",
            "version": __version__,
            "database": "ok" if database_ok else "down",
            "bus": "ok" if bus_ok else "down",
            # Which process answered: `serve --workers N` runs N behind one port.
            "role": running.config.role,
            "pid": os.getpid(),
        }
        replica = replica_health(running)
        if replica is not None:
            body["replica"] = replica
        return JSONResponse(body, status_code=200 if healthy else 503)

    venue_metrics = venue_registry(running)
    venue_metrics.register(ReplicaCollector(running))

    async def metrics(_request: Request) -> Response:
        body = generate_latest() + generate_latest(venue_metrics)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    policy = AccessPolicy(
        restricted_countries=frozenset(settings.restricted_countries),
        country_header=settings.country_header,
        trusted_proxies=tuple(settings.trusted_proxies),
        anonymous_tier=None if settings.anonymous_tier == "NONE" else Tier(settings.anonymous_tier),
    )
    graphql = GoDarkGraphQL(schema, venue=running, version=__version__, policy=policy)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
    ]
    if running.settlement.embedded is not None and running.config.role != ROLE_API:
        # The embedded chain, read through standard Solana clients (docs/settlement-chain.md);
        # with many processes it lives in the engine process, which serves no HTTP.
        routes.append(
            Route("/solana", solana_rpc_app(running.settlement.embedded), methods=["POST"])
        )
    routes.append(_web_app(settings.web_dist))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(RequestContextMiddleware), _widget_cors()],
        lifespan=lifespan,
    )
    app.state.venue = running
    app.state.graphql = graphql
    return app


def venue_config(settings: Settings) -> VenueConfig:
    """The venue as configured; shared by the API server and `godark engine`."""
    return VenueConfig(
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        redis_prefix=settings.redis_prefix,
        demo_mode=settings.demo,
        price_sources=tuple(settings.price_sources),
        market_makers=settings.market_makers,
        secret=settings.signing_secret,
        rate_limits=settings.rate_limits,
        terms_version=settings.terms_version,
        role=settings.role,
        solana_rpc_url=settings.solana_rpc_url,
        public_url=settings.web_url,
        smtp=_smtp(settings),
        protection=ProtectionPolicy(
            reality_check_interval=timedelta(seconds=settings.reality_check_seconds)
        ),
        approvals=ApprovalPolicy(
            threshold=settings.approval_threshold,
            signers=settings.approval_signers,
            timelock=timedelta(seconds=settings.approval_timelock_seconds),
            expiry=max(
                timedelta(days=7),
                timedelta(seconds=settings.approval_timelock_seconds) * 2,
            ),
        ),
    )


def _smtp(settings: Settings) -> SmtpConfig | None:
    if settings.smtp_host is None:
        return None
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=(
            None if settings.smtp_password is None else settings.smtp_password.get_secret_value()
        ),
        sender=settings.smtp_sender,
    )


def _widget_cors() -> Middleware:
    """The odds widget (/widget.js) runs on other sites' pages and reads public data: any
    origin may POST a query with a JSON body, but no Authorization header and no cookies
    cross origins, so another site only ever gets what an anonymous caller gets."""
    return Middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["POST"],
        allow_headers=["content-type"],
        allow_credentials=False,
        max_age=600,
    )


class SinglePageApp(StaticFiles):
    """Serves the built web app; unknown paths get index.html so client routes survive a reload."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as missing:
            if missing.status_code != 404 or path.startswith("assets/"):
                raise
            return await super().get_response("index.html", scope)


def _web_app(web_dist: Path) -> BaseRoute:
    if (web_dist / "index.html").is_file():
        return Mount("/", SinglePageApp(directory=web_dist, html=True), name="web")

    async def not_built(_request: Request) -> Response:
        return PlainTextResponse(
            "The web app is not built: run `make run` (or `make web`). GraphQL is at /graphql.",
            status_code=503,
        )

    return Route("/", not_built)
