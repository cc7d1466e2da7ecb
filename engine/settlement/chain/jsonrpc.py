"""A read-only subset of the Solana JSON-RPC API over the embedded chain, served at /solana so
standard clients (solana-py, @solana/web3.js, the CLI's `solana confirm`) can inspect settlement.

A plain ASGI application (the engine does not import a web framework); api/ mounts it. Response
shapes follow Solana's RPC so that solana-py's parsers accept them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import base58
from solders.pubkey import Pubkey
from solders.signature import Signature
from spl.token.constants import TOKEN_PROGRAM_ID

from engine.settlement.chain.base import USDT_DECIMALS, rpc_memo_field
from engine.settlement.chain.litesvm import LiteSvmChain, RecordedTransaction

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
MAX_BODY_BYTES = 1 << 20
MAX_BATCH_REQUESTS = 100
MAX_SIGNATURES = 1000  # Solana's limit for getSignaturesForAddress
SOLANA_CORE_VERSION = "2.2.0"  # the runtime generation LiteSVM 0.x embeds; reported as such
RENT_EXEMPT_EPOCH = 18_446_744_073_709_551_615  # u64::MAX, what Solana reports today


class InvalidParams(Exception):
    pass


class SolanaRpcView:
    """Dispatches JSON-RPC 2.0 requests to read methods of a LiteSvmChain."""

    def __init__(self, chain: LiteSvmChain) -> None:
        self._chain = chain
        self._methods: dict[str, Callable[[list[Any]], Any]] = {
            "getVersion": self._get_version,
            "getHealth": lambda params: "ok",
            "getSlot": lambda params: self._chain.slot(),
            "getBlockHeight": lambda params: self._chain.slot(),
            "getLatestBlockhash": self._get_latest_blockhash,
            "getBalance": self._get_balance,
            "getAccountInfo": self._get_account_info,
            "getTokenAccountBalance": self._get_token_account_balance,
            "getTokenAccountsByOwner": self._get_token_accounts_by_owner,
            "getSignaturesForAddress": self._get_signatures_for_address,
            "getTransaction": self._get_transaction,
        }

    def handle(self, payload: object) -> object | None:
        """The response to a request or a batch (None when a batch held only notifications)."""
        if isinstance(payload, list):
            if not payload or len(payload) > MAX_BATCH_REQUESTS:
                return _error(None, INVALID_REQUEST, "invalid batch")
            responses = [self._one(item) for item in payload]
            return [response for response in responses if response is not None] or None
        return self._one(payload)

    def _one(self, request: object) -> dict[str, Any] | None:
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0":
            return _error(None, INVALID_REQUEST, "invalid request")
        identifier = request.get("id")
        method = request.get("method")
        params = request.get("params", [])
        handler = self._methods.get(method) if isinstance(method, str) else None
        if handler is None:
            return _error(identifier, METHOD_NOT_FOUND, f"Method not found: {method}")
        if not isinstance(params, list):
            return _error(identifier, INVALID_PARAMS, "params must be an array")
        try:
            result = handler(params)
        except InvalidParams as error:
            return _error(identifier, INVALID_PARAMS, f"Invalid params: {error}")
        return {"jsonrpc": "2.0", "result": result, "id": identifier}

    # --- methods -------------------------------------------------------------------------

    def _context(self) -> dict[str, Any]:
        return {"slot": self._chain.slot(), "apiVersion": SOLANA_CORE_VERSION}

    def _get_version(self, params: list[Any]) -> dict[str, Any]:
        return {"solana-core": SOLANA_CORE_VERSION, "feature-set": 0}

    def _get_latest_blockhash(self, params: list[Any]) -> dict[str, Any]:
        blockhash, last_valid = self._chain.latest_blockhash()
        return {
            "context": self._context(),
            "value": {"blockhash": str(blockhash), "lastValidBlockHeight": last_valid},
        }

    def _get_balance(self, params: list[Any]) -> dict[str, Any]:
        address = _pubkey(params, 0)
        return {"context": self._context(), "value": self._chain.lamports(address)}

    def _get_account_info(self, params: list[Any]) -> dict[str, Any]:
        address = _pubkey(params, 0)
        _require_encoding(_config(params, 1))
        return {"context": self._context(), "value": self._encoded_account(address)}

    def _get_token_account_balance(self, params: list[Any]) -> dict[str, Any]:
        address = _pubkey(params, 0)
        state = self._chain.read_token_account(address)
        if state is None:
            raise InvalidParams("not a Token account")
        return {"context": self._context(), "value": _ui_amount(state.amount)}

    def _get_token_accounts_by_owner(self, params: list[Any]) -> dict[str, Any]:
        owner = _pubkey(params, 0)
        selector = params[1] if len(params) > 1 else None
        if not isinstance(selector, dict) or len(selector) != 1:
            raise InvalidParams("expected a filter: {mint} or {programId}")
        _require_encoding(_config(params, 2))
        mint: Pubkey | None = None
        if "mint" in selector:
            mint = _parse_pubkey(selector["mint"])
        elif "programId" in selector:
            if _parse_pubkey(selector["programId"]) != TOKEN_PROGRAM_ID:
                raise InvalidParams("unrecognized Token program id")
        else:
            raise InvalidParams("expected a filter: {mint} or {programId}")
        accounts = [
            {"pubkey": str(address), "account": self._encoded_account(address)}
            for address, account in self._chain.token_accounts_of(owner)
            if mint is None or Pubkey(bytes(account.data)[:32]) == mint
        ]
        return {"context": self._context(), "value": accounts}

    def _get_signatures_for_address(self, params: list[Any]) -> list[dict[str, Any]]:
        address = _pubkey(params, 0)
        config = _config(params, 1)
        limit = config.get("limit")
        limit = MAX_SIGNATURES if limit is None else limit
        if not isinstance(limit, int) or not 1 <= limit <= MAX_SIGNATURES:
            raise InvalidParams(f"limit must be between 1 and {MAX_SIGNATURES}")
        before, until = config.get("before"), config.get("until")
        signatures = self._chain.signatures_for(address)
        if before is not None:
            signatures = signatures[signatures.index(before) + 1 :] if before in signatures else []
        if until is not None and until in signatures:
            signatures = signatures[: signatures.index(until)]
        statuses = []
        for signature in signatures[:limit]:
            record = self._chain.recorded(signature)
            if record is None:
                continue
            statuses.append(
                {
                    "signature": signature,
                    "slot": record.slot,
                    "err": _error_value(record),
                    "memo": rpc_memo_field(record.memos),
                    "blockTime": record.block_time,
                    "confirmationStatus": "finalized",
                }
            )
        return statuses

    def _get_transaction(self, params: list[Any]) -> dict[str, Any] | None:
        if not params or not isinstance(params[0], str):
            raise InvalidParams("expected a transaction signature")
        try:
            Signature.from_string(params[0])
        except ValueError:
            raise InvalidParams("invalid signature") from None
        config = _config(params, 1)
        if config.get("encoding", "json") != "json":
            raise InvalidParams("only the json encoding is served")
        record = self._chain.recorded(params[0])
        if record is None:
            return None
        result = _encoded_transaction(record)
        if config.get("maxSupportedTransactionVersion") is not None:
            result["version"] = "legacy"
        return result

    def _encoded_account(self, address: Pubkey) -> dict[str, Any] | None:
        account = self._chain.account(address)
        if account is None:
            return None
        data = bytes(account.data)
        return {
            "data": [base64.b64encode(data).decode("ascii"), "base64"],
            "executable": account.executable,
            "lamports": account.lamports,
            "owner": str(account.owner),
            "rentEpoch": RENT_EXEMPT_EPOCH,
            "space": len(data),
        }


def _encoded_transaction(record: RecordedTransaction) -> dict[str, Any]:
    message = record.transaction.message
    header = message.header
    return {
        "slot": record.slot,
        "blockTime": record.block_time,
        "transaction": {
            "signatures": [str(signature) for signature in record.transaction.signatures],
            "message": {
                "header": {
                    "numRequiredSignatures": header.num_required_signatures,
                    "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
                    "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
                },
                "accountKeys": [str(key) for key in message.account_keys],
                "recentBlockhash": str(message.recent_blockhash),
                "instructions": [
                    {
                        "programIdIndex": instruction.program_id_index,
                        "accounts": list(bytes(instruction.accounts)),
                        "data": base58.b58encode(bytes(instruction.data)).decode(),
                        "stackHeight": None,
                    }
                    for instruction in message.instructions
                ],
            },
        },
        "meta": {
            "err": _error_value(record),
            "status": {"Ok": None} if record.error is None else {"Err": _error_value(record)},
            "fee": record.fee,
            "preBalances": list(record.pre_balances),
            "postBalances": list(record.post_balances),
            "innerInstructions": [],
            "logMessages": list(record.logs),
            "preTokenBalances": [],
            "postTokenBalances": [],
            "rewards": [],
            "loadedAddresses": {"writable": [], "readonly": []},
            "computeUnitsConsumed": record.compute_units,
        },
    }


def _error_value(record: RecordedTransaction) -> object:
    # Solana reports a TransactionError as JSON; the embedded chain keeps only its name, which
    # solana-py reads as a fieldless error when it is one and leaves as text otherwise.
    if record.error is None:
        return None
    return record.error.rsplit(".", 1)[-1]


def _ui_amount(amount: int) -> dict[str, Any]:
    whole, fraction = divmod(amount, 10**USDT_DECIMALS)
    text = f"{whole}.{fraction:0{USDT_DECIMALS}d}".rstrip("0").rstrip(".")
    return {
        "amount": str(amount),
        "decimals": USDT_DECIMALS,
        "uiAmount": float(text),  # Solana's own field is a float; amountString is exact
        "uiAmountString": text,
    }


def _parse_pubkey(value: object) -> Pubkey:
    if not isinstance(value, str):
        raise InvalidParams("expected a base-58 address")
    try:
        return Pubkey.from_string(value)
    except ValueError:
        raise InvalidParams(f"invalid address {value!r}") from None


def _pubkey(params: list[Any], index: int) -> Pubkey:
    if len(params) <= index:
        raise InvalidParams("missing address")
    return _parse_pubkey(params[index])


def _config(params: list[Any], index: int) -> dict[str, Any]:
    if len(params) <= index or params[index] is None:
        return {}
    if not isinstance(params[index], dict):
        raise InvalidParams("the configuration must be an object")
    config: dict[str, Any] = params[index]
    return config


def _require_encoding(config: dict[str, Any]) -> None:
    if config.get("encoding", "base64") != "base64":
        raise InvalidParams("only the base64 encoding is served")


def _error(identifier: object, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": identifier}


def solana_rpc_app(chain: LiteSvmChain) -> AsgiApp:
    """The ASGI app answering JSON-RPC POSTs. An object rather than a function, so Starlette's
    ``Route("/solana", solana_rpc_app(chain))`` serves it as an app (no slash redirect)."""
    return SolanaRpcApp(SolanaRpcView(chain))


class SolanaRpcApp:
    def __init__(self, view: SolanaRpcView) -> None:
        self._view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"error": "use POST with a JSON-RPC 2.0 body"})
            return
        body = await _read_body(receive)
        if body is None:
            await _respond(send, 413, _error(None, INVALID_REQUEST, "request too large"))
            return
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            await _respond(send, 200, _error(None, PARSE_ERROR, "Parse error"))
            return
        await _respond(send, 200, self._view.handle(payload))


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, payload: object) -> None:
    body = b"" if payload is None else json.dumps(payload).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
