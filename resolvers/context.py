"""What every resolver can reach: the running venue and the request it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from engine.accounts.roles import Action, Principal, Unauthenticated
from engine.accounts.service import RequestMeta
from engine.errors import DomainError
from engine.venue import Venue


@dataclass
class Context:
    venue: Venue
    version: str
    request_id: str
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    connection_params: dict[str, Any] = field(default_factory=dict)
    principal: Principal | None = None
    meta: RequestMeta = field(default_factory=RequestMeta)
    # The socket's entry in the per-principal connection count, while it is open.
    connection_key: str | None = None

    def require(self, action: Action) -> Principal:
        """The caller, if signed in and allowed to do this; else a typed refusal."""
        try:
            if self.principal is None:
                raise Unauthenticated("sign in, or sign the request with an API key")
            self.principal.require(action)
        except DomainError as refusal:
            raise access_error(refusal) from None
        return self.principal


def access_error(refusal: DomainError) -> GraphQLError:
    """Not signed in, or not allowed: a GraphQL error with the code in its extensions."""
    return GraphQLError(refusal.message, extensions={"code": refusal.code})


Info = StrawberryInfo[Context, None]
