"""Bot API keys: what a bot author notices when signing requests, and what the server stores."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

import pytest

from engine.accounts.apikeys import (
    MAX_ACTIVE_KEYS,
    REPLAY_TTL_MS,
    SIGNATURE_WINDOW_MS,
    BadSignature,
    InvalidAllowList,
    InvalidKeyName,
    MemoryReplayCache,
    Permission,
    ReplayCacheFull,
    ReplayedSignature,
    SealedSecretUnreadable,
    SecretBox,
    StaleSignature,
    canonical_message,
    check_not_replayed,
    derive_key,
    ip_allowed,
    new_api_key,
    parse_allow_list,
    sign,
    sign_connection_init,
    validate_key_name,
    verify_request,
)
from engine.clock import ManualClock

NOW_MS = 1_767_225_600_000
TIMESTAMP = str(NOW_MS)
BODY = b'{"query":"mutation { placeOrder(symbol: \\"BTC-PERP\\") { id } }"}'
PATH = "/graphql?op=placeOrder"


@pytest.fixture
def secret() -> str:
    return new_api_key()[1]


# --- key material ---------------------------------------------------------------------------


def test_new_keys_have_the_documented_shape_and_are_unique() -> None:
    keys = [new_api_key() for _ in range(50)]
    for key_id, secret in keys:
        assert re.fullmatch(r"gdk_[A-Za-z0-9_-]{24}", key_id)
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)  # 32 bytes, no padding
    assert len({key_id for key_id, _ in keys}) == 50
    assert len({secret for _, secret in keys}) == 50


def test_permissions_and_key_limit() -> None:
    assert [permission.value for permission in Permission] == ["READ", "TRADE", "WITHDRAW"]
    assert MAX_ACTIVE_KEYS == 5


# --- signing --------------------------------------------------------------------------------


def test_the_signature_is_the_documented_hmac_so_any_language_can_compute_it(secret: str) -> None:
    message = TIMESTAMP.encode() + b"POST" + PATH.encode() + BODY
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    assert canonical_message(TIMESTAMP, "post", PATH, BODY) == message
    assert sign(secret, TIMESTAMP, "post", PATH, BODY) == expected
    assert re.fullmatch(r"[0-9a-f]{64}", expected)


def test_a_signed_request_verifies(secret: str) -> None:
    signature = sign(secret, TIMESTAMP, "POST", PATH, BODY)
    verify_request(secret, TIMESTAMP, "POST", PATH, BODY, signature, now_ms=NOW_MS)
    get_signature = sign(secret, TIMESTAMP, "GET", "/graphql?query=%7Bme%7D", b"")
    verify_request(
        secret, TIMESTAMP, "get", "/graphql?query=%7Bme%7D", b"", get_signature, now_ms=NOW_MS
    )


@pytest.mark.parametrize(
    "tampered",
    [
        {"timestamp_ms": str(NOW_MS + 1)},
        {"method": "PUT"},
        {"path": "/graphql?op=cancelOrder"},
        {"path": "/graphql"},
        {"body": BODY.replace(b"BTC", b"ETH")},
        {"body": b""},
        {"secret": new_api_key()[1]},
    ],
    ids=["timestamp", "method", "path", "query", "body", "empty-body", "other-secret"],
)
def test_changing_any_signed_part_is_refused(secret: str, tampered: dict[str, object]) -> None:
    signature = sign(secret, TIMESTAMP, "POST", PATH, BODY)
    request: dict[str, object] = {
        "secret": secret,
        "timestamp_ms": TIMESTAMP,
        "method": "POST",
        "path": PATH,
        "body": BODY,
    } | tampered
    with pytest.raises(BadSignature) as refused:
        verify_request(**request, signature=signature, now_ms=NOW_MS)  # type: ignore[arg-type]
    assert refused.value.code == "BAD_SIGNATURE"


@pytest.mark.parametrize(
    "signature",
    ["0" * 64, "", "not hex", "é" * 64],
    ids=["zeros", "empty", "garbage", "non-ascii"],
)
def test_a_wrong_signature_is_refused(secret: str, signature: str) -> None:
    with pytest.raises(BadSignature):
        verify_request(secret, TIMESTAMP, "POST", PATH, BODY, signature, now_ms=NOW_MS)


def test_a_flipped_signature_character_or_uppercase_hex_is_refused(secret: str) -> None:
    signature = sign(secret, TIMESTAMP, "POST", PATH, BODY)
    flipped = ("1" if signature[0] == "0" else "0") + signature[1:]
    for wrong in (flipped, signature.upper(), signature[:-1]):
        with pytest.raises(BadSignature):
            verify_request(secret, TIMESTAMP, "POST", PATH, BODY, wrong, now_ms=NOW_MS)


@pytest.mark.parametrize("skew_ms", [0, SIGNATURE_WINDOW_MS, -SIGNATURE_WINDOW_MS])
def test_a_timestamp_within_five_seconds_either_way_is_fresh(secret: str, skew_ms: int) -> None:
    timestamp = str(NOW_MS - skew_ms)
    signature = sign(secret, timestamp, "POST", PATH, BODY)
    verify_request(secret, timestamp, "POST", PATH, BODY, signature, now_ms=NOW_MS)


@pytest.mark.parametrize("skew_ms", [5_001, -5_001, 3_600_000], ids=["old", "future", "hour"])
def test_a_timestamp_beyond_five_seconds_is_stale(secret: str, skew_ms: int) -> None:
    timestamp = str(NOW_MS - skew_ms)
    signature = sign(secret, timestamp, "POST", PATH, BODY)
    with pytest.raises(StaleSignature) as refused:
        verify_request(secret, timestamp, "POST", PATH, BODY, signature, now_ms=NOW_MS)
    assert refused.value.code == "STALE_SIGNATURE"


@pytest.mark.parametrize(
    "timestamp",
    ["", "abc", "1767225600.5", "1.7e12", "+1767225600000", " 1767225600000", "1_767_225_600_000"],
)
def test_a_timestamp_that_is_not_an_integer_is_stale(secret: str, timestamp: str) -> None:
    signature = sign(secret, timestamp, "POST", PATH, BODY)
    with pytest.raises(StaleSignature):
        verify_request(secret, timestamp, "POST", PATH, BODY, signature, now_ms=NOW_MS)


def test_a_timestamp_in_seconds_instead_of_milliseconds_is_stale(secret: str) -> None:
    timestamp = str(NOW_MS // 1000)
    signature = sign(secret, timestamp, "POST", PATH, BODY)
    with pytest.raises(StaleSignature, match="ms"):
        verify_request(secret, timestamp, "POST", PATH, BODY, signature, now_ms=NOW_MS)


def test_connection_init_payload_is_the_get_graphql_signature(secret: str) -> None:
    payload = sign_connection_init("gdk_abc", secret, TIMESTAMP)
    assert payload == {
        "apiKey": "gdk_abc",
        "timestamp": TIMESTAMP,
        "signature": sign(secret, TIMESTAMP, "GET", "/graphql", b""),
    }
    verify_request(
        secret, payload["timestamp"], "GET", "/graphql", b"", payload["signature"], now_ms=NOW_MS
    )


# --- replay ---------------------------------------------------------------------------------


def test_replay_ttl_covers_the_whole_freshness_span() -> None:
    assert REPLAY_TTL_MS == 2 * SIGNATURE_WINDOW_MS


async def test_memory_cache_refuses_a_replay_then_forgets_it_after_the_ttl(secret: str) -> None:
    clock = ManualClock()
    cache = MemoryReplayCache(clock)
    signature = sign(secret, TIMESTAMP, "POST", PATH, BODY)

    await check_not_replayed(cache, signature, REPLAY_TTL_MS)
    clock.advance(timedelta(milliseconds=REPLAY_TTL_MS - 1))
    with pytest.raises(ReplayedSignature) as refused:
        await check_not_replayed(cache, signature, REPLAY_TTL_MS)
    assert refused.value.code == "REPLAYED_SIGNATURE"

    clock.advance(timedelta(milliseconds=1))
    await check_not_replayed(cache, signature, REPLAY_TTL_MS)


async def test_memory_cache_keeps_distinct_signatures_apart(secret: str) -> None:
    cache = MemoryReplayCache(ManualClock())
    await check_not_replayed(cache, sign(secret, TIMESTAMP, "POST", PATH, BODY))
    await check_not_replayed(cache, sign(secret, str(NOW_MS + 1), "POST", PATH, BODY))


async def test_memory_cache_drops_expired_entries_and_refuses_rather_than_forget_live_ones() -> (
    None
):
    clock = ManualClock()
    cache = MemoryReplayCache(clock, max_entries=3)
    for n in range(3):
        assert await cache.first_use(f"sig-{n}", 1_000)
    with pytest.raises(ReplayCacheFull):
        await cache.first_use("sig-3", 1_000)
    assert not await cache.first_use("sig-0", 1_000)  # still remembered

    clock.advance(timedelta(milliseconds=1_000))
    assert await cache.first_use("sig-3", 1_000)
    assert len(cache) == 1


# --- sealed secrets -------------------------------------------------------------------------


def test_a_sealed_secret_opens_with_its_key_id_and_does_not_contain_the_secret(
    secret: str,
) -> None:
    box = SecretBox(derive_key("configured master secret", "api-key-box"))
    sealed = box.seal(secret, associated_data=b"gdk_first")
    assert secret.encode() not in sealed
    assert box.open(sealed, associated_data=b"gdk_first") == secret
    assert box.seal(secret, associated_data=b"gdk_first") != sealed  # fresh nonce each time


def test_a_sealed_secret_moved_to_another_key_row_does_not_open(secret: str) -> None:
    box = SecretBox(derive_key("configured master secret", "api-key-box"))
    sealed = box.seal(secret, associated_data=b"gdk_first")
    with pytest.raises(SealedSecretUnreadable):
        box.open(sealed, associated_data=b"gdk_second")


@pytest.mark.parametrize(
    "position", [0, 11, 12, -17, -1], ids=["nonce", "nonce-end", "body", "body-end", "tag"]
)
def test_a_tampered_sealed_secret_does_not_open(secret: str, position: int) -> None:
    box = SecretBox(derive_key("configured master secret", "api-key-box"))
    sealed = bytearray(box.seal(secret, associated_data=b"gdk_first"))
    sealed[position] ^= 0x01
    with pytest.raises(SealedSecretUnreadable):
        box.open(bytes(sealed), associated_data=b"gdk_first")


def test_a_truncated_or_wrong_key_sealed_secret_does_not_open(secret: str) -> None:
    box = SecretBox(derive_key("configured master secret", "api-key-box"))
    sealed = box.seal(secret, associated_data=b"gdk_first")
    with pytest.raises(SealedSecretUnreadable):
        box.open(sealed[:20], associated_data=b"gdk_first")
    other_box = SecretBox(derive_key("another master secret", "api-key-box"))
    with pytest.raises(SealedSecretUnreadable):
        other_box.open(sealed, associated_data=b"gdk_first")


def test_derived_keys_are_stable_and_distinct_per_purpose_and_secret() -> None:
    box_key = derive_key("configured master secret", "api-key-box")
    assert len(box_key) == 32
    assert derive_key("configured master secret", "api-key-box") == box_key
    assert derive_key("configured master secret", "session-tokens") != box_key
    assert derive_key("another master secret", "api-key-box") != box_key
    with pytest.raises(ValueError):
        SecretBox(b"too short")


# --- IP allow-list --------------------------------------------------------------------------


def test_an_empty_allow_list_allows_any_ip() -> None:
    assert ip_allowed("203.0.113.7", [])
    assert ip_allowed("2001:db8::1", [])


def test_allow_list_with_single_ips_and_networks_of_both_families() -> None:
    allow_list = parse_allow_list(["203.0.113.7", "198.51.100.0/24", "2001:db8::/32", "::1"])
    assert ip_allowed("203.0.113.7", allow_list)
    assert not ip_allowed("203.0.113.8", allow_list)
    assert ip_allowed("198.51.100.0", allow_list)
    assert ip_allowed("198.51.100.255", allow_list)
    assert not ip_allowed("198.51.101.1", allow_list)
    assert ip_allowed("2001:db8:abcd::42", allow_list)
    assert ip_allowed("::1", allow_list)
    assert not ip_allowed("2001:db9::1", allow_list)
    assert ip_allowed("::ffff:203.0.113.7", allow_list)  # IPv4 seen through an IPv6 socket
    assert not ip_allowed("not an ip", allow_list)


def test_allow_list_entries_are_canonicalised() -> None:
    assert parse_allow_list([" 10.0.0.7/24 ", "2001:DB8:0::1", "10.0.0.0/24"]) == [
        "10.0.0.0/24",
        "2001:db8::1",
    ]


@pytest.mark.parametrize(
    "entry", ["", "256.0.0.1", "10.0.0.0/33", "example.com", "2001:db8::/129", "1.2.3.4/abc"]
)
def test_malformed_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(InvalidAllowList) as refused:
        parse_allow_list(["203.0.113.7", entry])
    assert refused.value.code == "INVALID_ALLOW_LIST"


def test_an_allow_list_holds_at_most_twenty_entries() -> None:
    twenty = [f"203.0.113.{n}" for n in range(20)]
    assert len(parse_allow_list(twenty)) == 20
    with pytest.raises(InvalidAllowList, match="20"):
        parse_allow_list([*twenty, "203.0.113.99"])


# --- key names ------------------------------------------------------------------------------


def test_key_names_are_trimmed_and_limited() -> None:
    assert validate_key_name("  market maker #1 ") == "market maker #1"
    assert validate_key_name("x" * 64) == "x" * 64
    for bad in ["", "   ", "x" * 65, "line\nbreak", "tab\there", "bell\x07"]:
        with pytest.raises(InvalidKeyName) as refused:
            validate_key_name(bad)
        assert refused.value.code == "INVALID_NAME"
