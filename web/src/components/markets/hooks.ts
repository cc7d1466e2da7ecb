import { useCallback, useEffect, useRef, useState } from 'react';
import {
  useClient,
  type AnyVariables,
  type Client,
  type CombinedError,
  type TypedDocumentNode,
} from 'urql';
import { pollingClient } from '../../graphql/client';
import { TickerSubscription, type Ticker } from '../../graphql/operations';

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
}

/** Seconds the server asked us to wait (HTTP 429, `RATE_LIMITED`), or null. */
export function retryAfterOf(error: CombinedError | undefined): number | null {
  const extensions = error?.graphQLErrors[0]?.extensions;
  if (extensions?.code !== 'RATE_LIMITED') return null;
  const seconds = Number(extensions.retryAfter);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : 1;
}

/**
 * Runs a query now and again `intervalMs` after each answer (never overlapping),
 * straight from the network. `variables` is read at each poll, so it may hold a
 * sliding time window; changing `key` starts over with no data. Polling pauses
 * while the tab is hidden, and waits as long as the server asks after a rate limit.
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
    let wait = intervalMs;

    const poll = async (): Promise<void> => {
      clearTimeout(timer);
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      if (!document.hidden) {
        const result = await client.query(query, variablesRef.current()).toPromise();
        const retryAfter = retryAfterOf(result.error);
        wait = retryAfter === null ? intervalMs : Math.max(intervalMs, retryAfter * 1000);
        if (active) {
          setState((previous) => {
            const kept = previous.key === key ? previous.data : undefined;
            return { key, data: result.data ?? kept, error: result.error ?? null };
          });
        }
      }
      inFlight = false;
      if (!active) return;
      if (again && wait === intervalMs) {
        again = false;
        void poll();
        return;
      }
      again = false;
      timer = setTimeout(() => void poll(), wait);
    };

    pollNowRef.current = () => {
      if (active) void poll();
    };
    void poll();
    return () => {
      active = false;
      clearTimeout(timer);
      pollNowRef.current = () => undefined;
    };
  }, [query, intervalMs, key, client, enabled]);

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
