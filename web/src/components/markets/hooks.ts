import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  useClient,
  type AnyVariables,
  type Client,
  type CombinedError,
  type TypedDocumentNode,
} from 'urql';
import { pollingClient } from '../../graphql/client';
import { MarketsQuery, TickerSubscription, type Market, type Ticker } from '../../graphql/operations';
import { cmp, parseDec } from '../trading/decimal';

export interface Polled<Data> {
  /** The last good result; kept through failed refreshes. */
  data: Data | undefined;
  /** The error of the latest refresh, if it failed. */
  error: CombinedError | null;
}

export interface PolledWithRefresh<Data> extends Polled<Data> {
  /** Polls again now (after the one in flight, if any), e.g. after a mutation. */
  refresh: () => void;
}

interface Keyed<Data> extends Polled<Data> {
  key: string;
}

export interface PollOptions {
  /** Defaults to the anonymous `pollingClient`; private data needs `privatePollingClient`. */
  client?: Client;
  /** False stops polling (e.g. private data while signed out). */
  enabled?: boolean;
  /** `refresh()` calls closer together than this are coalesced into one request. */
  minRefreshGapMs?: number;
}

/**
 * Issue #8: live data comes from subscriptions; a query's own timer is only a safety
 * net against a missed event (e.g. across a reconnect). Panels pass this, or longer.
 */
export const SAFETY_NET_MS = 30_000;
/** At most one event-driven refetch a second per panel, however many events arrive. */
export const MIN_REFRESH_GAP_MS = 1_000;

/** Seconds the server asked us to wait (HTTP 429, `RATE_LIMITED`), or null. */
export function retryAfterOf(error: CombinedError | undefined): number | null {
  const extensions = error?.graphQLErrors[0]?.extensions;
  if (extensions?.code !== 'RATE_LIMITED') return null;
  const seconds = Number(extensions.retryAfter);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 1;
}

/**
 * Runs a query now and again `intervalMs` after each answer (never overlapping),
 * straight from the network. `refresh()` asks for a fresh answer soon: at once, or
 * `minRefreshGapMs` after the previous request started, so a burst of events costs
 * one request. `variables` is read at each request, so it may hold a sliding time
 * window; changing `key` starts over with no data. Nothing is sent while the tab is
 * hidden (it refreshes when shown again), and after a rate limit nothing is sent
 * before the server's `retryAfter`.
 */
export function usePolledQuery<Data, Variables extends AnyVariables>(
  query: TypedDocumentNode<Data, Variables>,
  variables: () => Variables,
  intervalMs: number,
  key: string,
  options: PollOptions = {},
): PolledWithRefresh<Data> {
  const client = options.client ?? pollingClient;
  const enabled = options.enabled ?? true;
  const minGapMs = options.minRefreshGapMs ?? MIN_REFRESH_GAP_MS;
  const [state, setState] = useState<Keyed<Data>>({ key, data: undefined, error: null });
  const variablesRef = useRef(variables);
  useEffect(() => {
    variablesRef.current = variables;
  });
  const pollNowRef = useRef<() => void>(() => undefined);
  const refresh = useCallback(() => pollNowRef.current(), []);

  useEffect(() => {
    if (!enabled) return;
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    let again = false;
    let lastStart = -Infinity;
    let blockedUntil = 0;

    const schedule = (delayMs: number): void => {
      clearTimeout(timer);
      timer = setTimeout(() => void poll(), Math.max(0, delayMs));
    };
    /** Milliseconds until a coalesced refresh may go out. */
    const refreshDelay = (): number => Math.max(lastStart + minGapMs, blockedUntil) - Date.now();

    const poll = async (): Promise<void> => {
      clearTimeout(timer);
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      let wait = intervalMs;
      if (!document.hidden) {
        lastStart = Date.now();
        const result = await client.query(query, variablesRef.current()).toPromise();
        const retryAfter = retryAfterOf(result.error);
        if (retryAfter !== null) {
          blockedUntil = Date.now() + retryAfter * 1000;
          wait = Math.max(intervalMs, retryAfter * 1000);
        }
        if (active) {
          setState((previous) => {
            const kept = previous.key === key ? previous.data : undefined;
            return { key, data: result.data ?? kept, error: result.error ?? null };
          });
        }
      }
      inFlight = false;
      if (!active) return;
      if (again) {
        again = false;
        schedule(refreshDelay());
        return;
      }
      schedule(wait);
    };

    const pollSoon = (): void => {
      if (!active) return;
      if (inFlight) {
        again = true;
        return;
      }
      const delay = refreshDelay();
      if (delay <= 0) void poll();
      else schedule(delay);
    };
    const onVisible = (): void => {
      if (!document.hidden) pollSoon();
    };

    pollNowRef.current = pollSoon;
    document.addEventListener('visibilitychange', onVisible);
    void poll();
    return () => {
      active = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
      pollNowRef.current = () => undefined;
    };
  }, [query, intervalMs, key, client, enabled, minGapMs]);

  return enabled && state.key === key
    ? { data: state.data, error: state.error, refresh }
    : { data: undefined, error: null, refresh };
}

const RESUBSCRIBE_DELAY_MS = 3_000;

interface TickerState {
  symbol: string;
  ticker: Ticker | null;
  error: CombinedError | null;
}

/** Live index / mark / reference quote of one market; the subscription restarts after an error. */
export function useTicker(symbol: string): { ticker: Ticker | null; error: CombinedError | null } {
  const client = useClient();
  const [state, setState] = useState<TickerState>({ symbol, ticker: null, error: null });

  useEffect(() => {
    let active = true;
    let unsubscribe: (() => void) | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const start = (): void => {
      if (!active) return;
      let failed = false;
      const source = client.subscription(TickerSubscription, { symbol });
      const subscription = source.subscribe((result) => {
        if (result.error) {
          if (failed) return;
          failed = true;
          const error = result.error;
          setState((previous) => ({
            symbol,
            ticker: previous.symbol === symbol ? previous.ticker : null,
            error,
          }));
          retryTimer = setTimeout(() => {
            unsubscribe?.();
            start();
          }, RESUBSCRIBE_DELAY_MS);
        } else if (result.data) {
          setState({ symbol, ticker: result.data.ticker, error: null });
        }
      });
      unsubscribe = () => subscription.unsubscribe();
    };

    start();
    return () => {
      active = false;
      clearTimeout(retryTimer);
      unsubscribe?.();
    };
  }, [client, symbol]);

  return state.symbol === symbol ? state : { ticker: null, error: null };
}

/* ---------- every market's ticker at once ---------- */

/** The markets table and positions take the tickers' latest values at most once a second. */
const TICKERS_FLUSH_MS = 1_000;
/** The list of markets (symbols, price sources) changes rarely; prices come from tickers. */
const MARKETS_REFRESH_MS = SAFETY_NET_MS;
const NO_VARIABLES = () => ({});

/**
 * Subscribes to `query` and calls `onData` with each event; after an error it waits
 * 3 s and subscribes again. Returns the unsubscribe function.
 */
function followSubscription<Data, Variables extends AnyVariables>(
  client: Client,
  query: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  onData: (data: Data) => void,
): () => void {
  let active = true;
  let unsubscribe: (() => void) | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const start = (): void => {
    if (!active) return;
    let failed = false;
    const subscription = client.subscription(query, variables).subscribe((result) => {
      if (!active) return;
      if (result.error) {
        if (failed) return;
        failed = true;
        retryTimer = setTimeout(() => {
          unsubscribe?.();
          start();
        }, RESUBSCRIBE_DELAY_MS);
      } else if (result.data) {
        onData(result.data);
      }
    });
    unsubscribe = () => subscription.unsubscribe();
  };
  start();
  return () => {
    active = false;
    clearTimeout(retryTimer);
    unsubscribe?.();
  };
}

/**
 * The latest event of one subscription per key (e.g. a ticker per symbol), handed to
 * React at most once per `flushMs` however fast events come. `variablesOf` and
 * `select` must be stable (module-level) functions.
 */
export function useLatestEach<Data, Variables extends AnyVariables, Item>(
  query: TypedDocumentNode<Data, Variables>,
  keys: readonly string[],
  variablesOf: (key: string) => Variables,
  select: (data: Data) => Item,
  flushMs: number = TICKERS_FLUSH_MS,
): ReadonlyMap<string, Item> {
  const client = useClient();
  const joined = [...new Set(keys)].sort().join('\n');
  const [latest, setLatest] = useState<ReadonlyMap<string, Item>>(() => new Map());

  useEffect(() => {
    if (joined === '') return;
    const pending = new Map<string, Item>();
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      flushTimer = undefined;
      const batch = [...pending];
      pending.clear();
      setLatest((previous) => new Map([...previous, ...batch]));
    };
    const stops = joined.split('\n').map((key) =>
      followSubscription(client, query, variablesOf(key), (data) => {
        pending.set(key, select(data));
        flushTimer ??= setTimeout(flush, flushMs);
      }),
    );
    return () => {
      clearTimeout(flushTimer);
      stops.forEach((stop) => stop());
    };
  }, [client, query, joined, variablesOf, select, flushMs]);

  return latest;
}

const tickerVariables = (symbol: string) => ({ symbol });
const tickerOf = (data: { ticker: Ticker }) => data.ticker;

/** The latest ticker of each of `symbols` (public subscriptions, shared by the server), once a second. */
export function useTickers(symbols: readonly string[]): ReadonlyMap<string, Ticker> {
  return useLatestEach(TickerSubscription, symbols, tickerVariables, tickerOf);
}

/** A market row with a newer ticker's prices (the ticker carries no price sources). */
function withTicker(market: Market, ticker: Ticker | undefined): Market {
  if (ticker === undefined) return market;
  if (market.updatedAt !== null && Date.parse(ticker.time) < Date.parse(market.updatedAt)) return market;
  const bid = parseDec(ticker.nbbo.bid);
  const ask = parseDec(ticker.nbbo.ask);
  return {
    ...market,
    indexPrice: ticker.indexPrice,
    markPrice: ticker.markPrice,
    oracleConfidence: ticker.oracleConfidence,
    oracleHealthy: ticker.oracleHealthy,
    oracleTier: ticker.oracleTier,
    nbbo: {
      ...market.nbbo,
      bid: ticker.nbbo.bid,
      ask: ticker.nbbo.ask,
      mid: ticker.nbbo.mid,
      crossed: bid !== null && ask !== null && cmp(bid, ask) > 0,
      locked: bid !== null && ask !== null && cmp(bid, ask) === 0,
    },
    updatedAt: ticker.time,
  };
}

/**
 * Every market: the list once (and every 30 s for its price sources), prices live from
 * each market's ticker subscription — no per-second polling (issue #8).
 */
export function useLiveMarkets(): Polled<Market[]> {
  const { data, error } = usePolledQuery(MarketsQuery, NO_VARIABLES, MARKETS_REFRESH_MS, 'markets');
  const markets = data?.markets;
  const tickers = useTickers(markets?.map((market) => market.symbol) ?? []);
  const live = useMemo(
    () => markets?.map((market) => withTicker(market, tickers.get(market.symbol))),
    [markets, tickers],
  );
  return { data: live, error };
}
