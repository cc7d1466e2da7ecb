"""openDemoAccount when the engine cannot fund the account: a typed error, not "Internal
error." (the api role's engine timeout reaches the resolver the same way, as a VaultError
with ENGINE_UNAVAILABLE)."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

OPEN_DEMO = """mutation { openDemoAccount { __typename
  ... on SignedIn { accessToken } ... on UserError { code message } } }"""


async def test_an_unfunded_demo_account_is_a_typed_error(app: Starlette) -> None:
    sequencer = app.state.venue.sequencer
    assert sequencer is not None
    await sequencer.stop()  # the engine stopped: the deposit cannot be journaled
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        body = (await http.post("/graphql", json={"query": OPEN_DEMO})).json()
    assert "errors" not in body, body
    opened = body["data"]["openDemoAccount"]
    assert opened["__typename"] == "NotAvailableError", opened
    assert opened["code"] == "ENGINE_UNAVAILABLE", opened
    assert "try again" in opened["message"]
