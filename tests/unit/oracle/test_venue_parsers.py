"""Venue parsers against payloads written to each venue's documented format.

Every fixture under tests/fixtures/venues/<venue>/ must parse to the hand-checked events
below; every fixture under <venue>/malformed/ must raise MalformedPayload; and no input
at all may raise anything else. A fixture's name says which parser reads it: `stream_*`
the WebSocket parser, `rest_quote_*`, `rest_book_*`, `rest_trades_*` the REST parsers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.oracle.model import (
    BookLevel,
    MalformedPayload,
    SourceBook,
    SourceEvent,
    SourceName,
    SourceQuote,
    SourceTrade,
)
from engine.oracle.venues import (
    ADAPTERS,
    BinanceAdapter,
    BybitAdapter,
    CoinbaseAdapter,
    KrakenAdapter,
    OkxAdapter,
    VenueAdapter,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "venues"
RECEIVED_AT = datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
REST_ASSET = "BTC"  # every REST fixture answers a request about BTC
ADAPTER_BY_FOLDER: dict[str, VenueAdapter] = {
    name.lower(): adapter_class() for name, adapter_class in ADAPTERS.items()
}


def parse_fixture(adapter: VenueAdapter, path: Path) -> list[SourceEvent]:
    return parse(adapter, path.stem, path.read_bytes())


def parse(adapter: VenueAdapter, kind: str, raw: str | bytes) -> list[SourceEvent]:
    if kind.startswith("stream_"):
        return adapter.parse_stream_message(raw, received_at=RECEIVED_AT)
    if kind.startswith("rest_quote"):
        return [adapter.parse_rest_quote(REST_ASSET, raw, received_at=RECEIVED_AT)]
    if kind.startswith("rest_book"):
        return [adapter.parse_rest_book(REST_ASSET, raw, received_at=RECEIVED_AT)]
    if kind.startswith("rest_trades"):
        return list(adapter.parse_rest_trades(REST_ASSET, raw, received_at=RECEIVED_AT))
    raise AssertionError(f"fixture {kind} does not say which parser reads it")


def at(seconds: int, microseconds: int = 0) -> datetime:
    """A venue time on 2026-01-01, the day every fixture is dated."""
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=microseconds)


def trade(
    source: SourceName, asset: str, price: int, size: int, venue_time: datetime, trade_id: str
) -> SourceTrade:
    return SourceTrade(source, asset, price, size, venue_time, RECEIVED_AT, trade_id)


def quote(
    source: SourceName,
    asset: str,
    bid: tuple[int, int],
    ask: tuple[int, int],
    venue_time: datetime = RECEIVED_AT,
) -> SourceQuote:
    return SourceQuote(source, asset, bid[0], ask[0], bid[1], ask[1], venue_time, RECEIVED_AT)


def book(
    source: SourceName,
    asset: str,
    bids: list[tuple[int, int]],
    asks: list[tuple[int, int]],
    venue_time: datetime = RECEIVED_AT,
) -> SourceBook:
    return SourceBook(
        source,
        asset,
        tuple(BookLevel(price, size) for price, size in bids),
        tuple(BookLevel(price, size) for price, size in asks),
        venue_time,
        RECEIVED_AT,
    )


BINANCE, COINBASE, KRAKEN, BYBIT, OKX = (
    SourceName.BINANCE,
    SourceName.COINBASE,
    SourceName.KRAKEN,
    SourceName.BYBIT,
    SourceName.OKX,
)

# Prices in units of 1e-10 USDT, sizes in units of 1e-8 of the base asset; each figure was
# worked out by hand from the decimal text in the comment beside it.
EXPECTED: dict[tuple[str, str], list[SourceEvent]] = {
    ("binance", "stream_trade"): [
        # "67123.45000000" x "0.01200000" at T=1767225600123
        trade(BINANCE, "BTC", 671234500000000, 1200000, at(0, 123000), "5281937361")
    ],
    ("binance", "stream_trade_raw_endpoint"): [
        # "3456.78" x "1.5" at T=1767225601001
        trade(BINANCE, "ETH", 34567800000000, 150000000, at(1, 1000), "2409571144")
    ],
    ("binance", "stream_book_ticker"): [
        # bid "67123.45000000" x "1.23400000", ask "67123.46000000" x "0.56700000"; the
        # spot book ticker has no time, so receipt time stands in
        quote(BINANCE, "BTC", (671234500000000, 123400000), (671234600000000, 56700000))
    ],
    ("binance", "stream_depth5"): [
        book(
            BINANCE,
            "BTC",
            bids=[
                (671234500000000, 123400000),  # "67123.45" x "1.234"
                (671230000000000, 50000000),  # "67123.00" x "0.5"
                (671221000000000, 200000000),  # "67122.10" x "2"
                (671215000000000, 75000000),  # "67121.50" x "0.75"
                (671200000000000, 420000000),  # "67120.00" x "4.2"
            ],
            asks=[
                (671234600000000, 56700000),  # "67123.46" x "0.567"
                (671240000000000, 310000000),  # "67124.00" x "3.1"
                (671248000000000, 25000000),  # "67124.80" x "0.25"
                (671250000000000, 100000000),  # "67125.00" x "1"
                (671263000000000, 600000000),  # "67126.30" x "6"
            ],
        )
    ],
    ("binance", "stream_subscribe_ack"): [],
    ("binance", "rest_quote"): [
        # bid "67120.01" x "0.81234", ask "67120.02" x "2"
        quote(BINANCE, "BTC", (671200100000000, 81234000), (671200200000000, 200000000))
    ],
    ("binance", "rest_book"): [
        book(
            BINANCE,
            "BTC",
            bids=[(671200100000000, 81234000), (671195000000000, 100000000)],  # 67119.5 x 1
            asks=[(671200200000000, 200000000), (671210000000000, 5000000)],  # 67121 x 0.05
        )
    ],
    ("binance", "rest_trades"): [
        # "67120.02" x "0.0015" at 1767225605000; "67120.01" x "0.25" at 1767225605120
        trade(BINANCE, "BTC", 671200200000000, 150000, at(5), "5281937400"),
        trade(BINANCE, "BTC", 671200100000000, 25000000, at(5, 120000), "5281937401"),
    ],
    ("coinbase", "stream_match"): [
        # "67118.23" x "0.00514" at 00:00:02.123456Z
        trade(COINBASE, "BTC", 671182300000000, 514000, at(2, 123456), "578912345")
    ],
    ("coinbase", "stream_ticker"): [
        # bid "67118.22" x "0.41", ask "67118.23" x "1.0752"
        quote(
            COINBASE,
            "BTC",
            (671182200000000, 41000000),
            (671182300000000, 107520000),
            at(2, 123456),
        )
    ],
    ("coinbase", "stream_level2_snapshot"): [
        # bids "3455.10" x "12.5", "3455.00" x "3.25"; asks "3455.11" x "0.8", "3455.50" x "10"
        book(
            COINBASE,
            "ETH",
            bids=[(34551000000000, 1250000000), (34550000000000, 325000000)],
            asks=[(34551100000000, 80000000), (34555000000000, 1000000000)],
        )
    ],
    ("coinbase", "stream_level2_update"): [],
    ("coinbase", "stream_subscriptions"): [],
    ("coinbase", "stream_heartbeat"): [],
    ("coinbase", "stream_last_match"): [],
    ("coinbase", "rest_quote"): [
        quote(
            COINBASE,
            "BTC",
            (671182200000000, 41000000),
            (671182300000000, 107520000),
            at(4, 500000),
        )
    ],
    ("coinbase", "rest_book"): [
        book(
            COINBASE,
            "BTC",
            # "67118.22" x "0.41", "67118.00" x "2.5", "67117.45" x "0.001"
            bids=[
                (671182200000000, 41000000),
                (671180000000000, 250000000),
                (671174500000000, 100000),
            ],
            # "67118.23" x "1.0752", "67119.99" x "0.3"
            asks=[(671182300000000, 107520000), (671199900000000, 30000000)],
            venue_time=at(4, 500000),
        )
    ],
    ("coinbase", "rest_trades"): [
        trade(COINBASE, "BTC", 671182300000000, 2000000, at(4, 250000), "578912350"),
        trade(COINBASE, "BTC", 671182200000000, 50000000, at(4, 100000), "578912349"),
    ],
    ("kraken", "stream_trade"): [
        # JSON numbers 67121.9 x 0.00250000 and 67122.0 x 0.01, read exactly
        trade(KRAKEN, "BTC", 671219000000000, 250000, at(3, 271105), "83521907"),
        trade(KRAKEN, "BTC", 671220000000000, 1000000, at(3, 271105), "83521908"),
    ],
    ("kraken", "stream_ticker"): [
        # bid 3455.37 x 4.20135, ask 3455.38 x 0.5
        quote(KRAKEN, "ETH", (34553700000000, 420135000), (34553800000000, 50000000), at(3, 500000))
    ],
    ("kraken", "stream_ticker_without_timestamp"): [
        # bid 187.42 x 120.5, ask 187.44 x 33.125; no timestamp, receipt time stands in
        quote(KRAKEN, "SOL", (1874200000000, 12050000000), (1874400000000, 3312500000))
    ],
    ("kraken", "stream_book_snapshot"): [
        book(
            KRAKEN,
            "BTC",
            bids=[(671218000000000, 40000000), (671215000000000, 125000000)],
            asks=[(671219000000000, 2000000), (671226000000000, 300000000)],
            venue_time=at(3, 100000),
        )
    ],
    ("kraken", "stream_book_update"): [],
    ("kraken", "stream_heartbeat"): [],
    ("kraken", "stream_status"): [],
    ("kraken", "stream_subscribe_ack"): [],
    ("kraken", "stream_pong"): [],
    ("kraken", "rest_quote"): [
        # b ["67121.90000", "3", "3.250"], a ["67122.00000", "1", "1.000"]: lot volumes
        quote(KRAKEN, "BTC", (671219000000000, 325000000), (671220000000000, 100000000))
    ],
    ("kraken", "rest_book"): [
        book(
            KRAKEN,
            "BTC",
            bids=[(671219000000000, 325000000), (671200000000000, 75000000)],
            asks=[(671220000000000, 100000000), (671235000000000, 25000000)],
        )
    ],
    ("kraken", "rest_trades"): [
        # time 1767225603.2711 s
        trade(KRAKEN, "BTC", 671219000000000, 250000, at(3, 271100), "83521907"),
        trade(KRAKEN, "BTC", 671220000000000, 1000000, at(3, 271100), "83521908"),
    ],
    ("bybit", "stream_public_trade"): [
        # "67119.70" x "0.004512" and "67119.80" x "0.1"; the third row is a block trade
        trade(BYBIT, "BTC", 671197000000000, 451200, at(4, 10000), "2290000000561488218"),
        trade(BYBIT, "BTC", 671198000000000, 10000000, at(4, 10000), "2290000000561488219"),
    ],
    ("bybit", "stream_orderbook_1"): [
        # bid "67119.70" x "1.284311", ask "67119.80" x "0.301722" at cts 1767225604015
        quote(BYBIT, "BTC", (671197000000000, 128431100), (671198000000000, 30172200), at(4, 15000))
    ],
    ("bybit", "stream_orderbook_50_snapshot"): [
        book(
            BYBIT,
            "ETH",
            bids=[(34552100000000, 1051100000), (34552000000000, 2000000)],
            asks=[(34552200000000, 150000000), (34554000000000, 777000000)],
            venue_time=at(4, 97000),
        )
    ],
    ("bybit", "stream_orderbook_50_delta"): [],
    ("bybit", "stream_subscribe_ack"): [],
    ("bybit", "stream_pong"): [],
    ("bybit", "rest_quote"): [
        quote(BYBIT, "BTC", (671197000000000, 128431100), (671198000000000, 30172200), at(5, 1000))
    ],
    ("bybit", "rest_book"): [
        book(
            BYBIT,
            "BTC",
            bids=[(671197000000000, 128431100), (671180000000000, 50000000)],  # "67118" x "0.5"
            asks=[(671198000000000, 30172200), (671205000000000, 210000000)],  # 67120.5 x 2.1
            venue_time=at(5, 8000),
        )
    ],
    ("bybit", "rest_trades"): [
        trade(BYBIT, "BTC", 671198000000000, 100000, at(5, 100000), "2290000000561488300"),
        trade(BYBIT, "BTC", 671197000000000, 25000000, at(5, 50000), "2290000000561488299"),
    ],
    ("okx", "stream_trades"): [
        # "67120.1" x "0.00321" and "67120.2" x "0.1" at ts "1767225606001"
        trade(OKX, "BTC", 671201000000000, 321000, at(6, 1000), "786512349"),
        trade(OKX, "BTC", 671202000000000, 10000000, at(6, 1000), "786512350"),
    ],
    ("okx", "stream_bbo_tbt"): [
        # bid "67120.1" x "1.02", ask "67120.2" x "0.53618801"
        quote(OKX, "BTC", (671201000000000, 102000000), (671202000000000, 53618801), at(6, 10000))
    ],
    ("okx", "stream_books5"): [
        book(
            OKX,
            "ETH",
            bids=[(34552900000000, 725000000), (34552000000000, 100000000)],
            asks=[(34553000000000, 210000000), (34553100000000, 50000000)],
            venue_time=at(6, 100000),
        )
    ],
    ("okx", "stream_tickers"): [
        # bid "187.43" x "80.1", ask "187.44" x "215.339"
        quote(OKX, "SOL", (1874300000000, 8010000000), (1874400000000, 21533900000), at(6, 200000))
    ],
    ("okx", "stream_subscribe_ack"): [],
    ("okx", "stream_pong"): [],
    ("okx", "stream_notice"): [],
    ("okx", "rest_quote"): [
        quote(OKX, "BTC", (671201000000000, 102000000), (671202000000000, 53618801), at(7))
    ],
    ("okx", "rest_book"): [
        book(
            OKX,
            "BTC",
            bids=[(671201000000000, 102000000), (671199000000000, 4000000)],  # 67119.9 x 0.04
            asks=[(671202000000000, 53618801), (671210000000000, 150000000)],  # 67121 x 1.5
            venue_time=at(7, 10000),
        )
    ],
    ("okx", "rest_trades"): [
        trade(OKX, "BTC", 671202000000000, 10000000, at(6, 1000), "786512350"),
        trade(OKX, "BTC", 671201000000000, 321000, at(6, 1000), "786512349"),
    ],
}

VALID_FIXTURES = sorted(FIXTURES.glob("*/*.json"))
MALFORMED_FIXTURES = sorted(FIXTURES.glob("*/malformed/*.json"))


def fixture_id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


def test_every_venue_has_valid_and_malformed_fixtures() -> None:
    for venue in ADAPTER_BY_FOLDER:
        assert any(path.parent.name == venue for path in VALID_FIXTURES), venue
        assert any(path.parent.parent.name == venue for path in MALFORMED_FIXTURES), venue


@pytest.mark.parametrize("path", VALID_FIXTURES, ids=fixture_id)
def test_fixture_parses_to_the_hand_checked_events(path: Path) -> None:
    venue = path.parent.name
    expected = EXPECTED.get((venue, path.stem))
    assert expected is not None, f"no expected events written down for {fixture_id(path)}"
    assert parse_fixture(ADAPTER_BY_FOLDER[venue], path) == expected


def test_every_expectation_has_its_fixture() -> None:
    present = {(path.parent.name, path.stem) for path in VALID_FIXTURES}
    assert set(EXPECTED) <= present


def test_venue_times_are_utc_aware() -> None:
    for events in EXPECTED.values():
        for event in events:
            assert event.venue_time.utcoffset() == timedelta(0)


@pytest.mark.parametrize("path", MALFORMED_FIXTURES, ids=fixture_id)
def test_malformed_fixture_is_refused(path: Path) -> None:
    adapter = ADAPTER_BY_FOLDER[path.parent.parent.name]
    with pytest.raises(MalformedPayload):
        parse_fixture(adapter, path)


# --- Subscriptions and requests --------------------------------------------------------


def test_binance_subscribes_to_trade_and_book_ticker_streams() -> None:
    [message] = BinanceAdapter().subscribe_messages(["BTC", "ETH"])
    assert json.loads(message) == {
        "method": "SUBSCRIBE",
        "params": ["btcusdt@trade", "btcusdt@bookTicker", "ethusdt@trade", "ethusdt@bookTicker"],
        "id": 1,
    }


def test_coinbase_subscribes_to_matches_ticker_and_heartbeat() -> None:
    [message] = CoinbaseAdapter().subscribe_messages(["BTC"])
    assert json.loads(message) == {
        "type": "subscribe",
        "product_ids": ["BTC-USD"],
        "channels": ["matches", "ticker", "heartbeat"],
    }


def test_kraken_subscribes_to_trades_without_replay_and_to_bbo_tickers() -> None:
    messages = [json.loads(message) for message in KrakenAdapter().subscribe_messages(["BTC"])]
    assert messages == [
        {
            "method": "subscribe",
            "params": {"channel": "trade", "symbol": ["BTC/USDT"], "snapshot": False},
            "req_id": 1,
        },
        {
            "method": "subscribe",
            "params": {"channel": "ticker", "symbol": ["BTC/USDT"], "event_trigger": "bbo"},
            "req_id": 2,
        },
    ]


def test_bybit_splits_topics_into_requests_of_ten() -> None:
    symbols = {f"C{n}": f"C{n}USDT" for n in range(6)}
    messages = BybitAdapter(symbols=symbols).subscribe_messages(list(symbols))
    topics = [json.loads(message)["args"] for message in messages]
    assert [len(batch) for batch in topics] == [10, 2]
    assert topics[0][:2] == ["publicTrade.C0USDT", "orderbook.1.C0USDT"]
    assert all(json.loads(message)["op"] == "subscribe" for message in messages)


def test_okx_subscribes_to_trades_and_bbo_tbt() -> None:
    [message] = OkxAdapter().subscribe_messages(["BTC"])
    assert json.loads(message) == {
        "op": "subscribe",
        "args": [
            {"channel": "trades", "instId": "BTC-USDT"},
            {"channel": "bbo-tbt", "instId": "BTC-USDT"},
        ],
    }


def test_an_asset_the_venue_does_not_list_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="DOGE"):
        OkxAdapter().subscribe_messages(["DOGE"])
    with pytest.raises(ValueError, match="DOGE"):
        KrakenAdapter().quote_request("DOGE")


def test_symbols_and_urls_can_be_pointed_elsewhere() -> None:
    adapter = BinanceAdapter(
        symbols={"BTC": "BTCFDUSD"},
        stream_url="ws://127.0.0.1:9/stream",
        rest_base_url="http://127.0.0.1:9/",
    )
    assert adapter.stream_url == "ws://127.0.0.1:9/stream"
    assert adapter.rest_base_url == "http://127.0.0.1:9"
    assert adapter.quote_request("BTC").params == {"symbol": "BTCFDUSD"}


def test_rest_requests_follow_each_venue_documented_paths() -> None:
    requests = {
        name: (adapter.quote_request("BTC"), adapter.book_request("BTC"))
        for name, adapter in ADAPTER_BY_FOLDER.items()
    }
    assert {name: (quote.path, book.path) for name, (quote, book) in requests.items()} == {
        "binance": ("/api/v3/ticker/bookTicker", "/api/v3/depth"),
        "coinbase": ("/products/BTC-USD/book", "/products/BTC-USD/book"),
        "kraken": ("/0/public/Ticker", "/0/public/Depth"),
        "bybit": ("/v5/market/tickers", "/v5/market/orderbook"),
        "okx": ("/api/v5/market/ticker", "/api/v5/market/books"),
    }
    assert requests["kraken"][0].params == {"pair": "XBTUSDT"}
    assert requests["bybit"][1].params == {"category": "spot", "symbol": "BTCUSDT", "limit": "10"}


def test_kraken_rate_limit_is_read_from_the_error_list() -> None:
    body = b'{"error":["EAPI:Rate limit exceeded"]}'
    assert KrakenAdapter().is_throttled(200, body)
    assert not KrakenAdapter().is_throttled(200, b'{"error":[],"result":{}}')


def test_a_deep_book_keeps_the_top_ten_levels() -> None:
    bids = [[f"{100 - n}.5", "1"] for n in range(30)]
    asks = [[f"{101 + n}.5", "2"] for n in range(30)]
    snapshot = {"type": "snapshot", "product_id": "BTC-USD", "bids": bids, "asks": asks}
    [parsed] = CoinbaseAdapter().parse_stream_message(json.dumps(snapshot), received_at=RECEIVED_AT)
    assert isinstance(parsed, SourceBook)
    assert len(parsed.bids) == len(parsed.asks) == 10
    assert parsed.bids[-1].price == 915000000000  # "91.5"


# --- Nothing but MalformedPayload, whatever arrives ------------------------------------

PARSER_KINDS = ("stream_", "rest_quote", "rest_book", "rest_trades")
FUZZ_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False).map(str)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


def assert_valid(events: list[SourceEvent]) -> None:
    """What a parser returns is always a well-formed event, never a half-checked one."""
    for event in events:
        assert event.venue_time.tzinfo is not None
        if isinstance(event, SourceTrade):
            assert event.price > 0 and event.size > 0
        elif isinstance(event, SourceQuote):
            assert 0 < event.bid < event.ask and event.bid_size > 0 and event.ask_size > 0
        else:
            bid_prices = [level.price for level in event.bids]
            ask_prices = [level.price for level in event.asks]
            assert bid_prices == sorted(bid_prices, reverse=True)
            assert ask_prices == sorted(ask_prices)
            assert bid_prices[0] < ask_prices[0]


def parse_or_refuse(adapter: VenueAdapter, kind: str, raw: str | bytes) -> None:
    try:
        events = parse(adapter, kind, raw)
    except MalformedPayload:
        return
    assert_valid(events)


@pytest.mark.parametrize("venue", sorted(ADAPTER_BY_FOLDER))
@FUZZ_SETTINGS
@given(raw=st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_bytes_raise_only_malformed_payload(venue: str, raw: str | bytes) -> None:
    for kind in PARSER_KINDS:
        parse_or_refuse(ADAPTER_BY_FOLDER[venue], kind, raw)


@pytest.mark.parametrize("venue", sorted(ADAPTER_BY_FOLDER))
@FUZZ_SETTINGS
@given(value=json_values)
def test_arbitrary_json_raises_only_malformed_payload(venue: str, value: object) -> None:
    raw = json.dumps(value)
    for kind in PARSER_KINDS:
        parse_or_refuse(ADAPTER_BY_FOLDER[venue], kind, raw)


def _paths(value: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every place inside a JSON document a mutation can land."""
    paths: list[tuple[object, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            paths.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths.extend(_paths(child, (*prefix, index)))
    return paths


DELETE = object()


def _mutated(document: object, path: tuple[object, ...], replacement: object) -> object:
    """`document` with the value at `path` replaced, or removed for DELETE."""
    copy = json.loads(json.dumps(document))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if replacement is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return copy


JSON_FIXTURES = [
    path
    for path in VALID_FIXTURES
    if path.read_bytes().lstrip()[:1] in (b"{", b"[")  # not OKX's bare "pong"
]

edge_values = st.sampled_from(
    ["", "0", "-1", "NaN", "Infinity", "1e999999", "1e-999999", "67123.45", "BTC-USD", "BTCUSDT"]
) | st.sampled_from([0, -1, 10**30, 1767225600, 1767225600000, True, None, [], {}])


@FUZZ_SETTINGS
@given(data=st.data())
def test_a_valid_fixture_with_one_field_broken_raises_only_malformed_payload(
    data: st.DataObject,
) -> None:
    path = data.draw(st.sampled_from(JSON_FIXTURES), label="fixture")
    document = json.loads(path.read_bytes())
    place = data.draw(st.sampled_from(_paths(document)), label="place")
    replacement = data.draw(st.just(DELETE) | edge_values | json_values, label="replacement")
    broken = json.dumps(_mutated(document, place, replacement))
    parse_or_refuse(ADAPTER_BY_FOLDER[path.parent.name], path.stem, broken)
