import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient, type AnyVariables, type CombinedError, type TypedDocumentNode } from 'urql';
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

/**
 * Runs a query now and again `intervalMs` after each answer (never overlapping),
 * straight from the network. `variables` is read at each poll, so it may hold a
 * sliding time window; changing `key` starts over with no data. Polling pauses
 * while the tab is hidden.
 */
export function usePolledQuery<Data, Variables extends AnyVariables>(
  query: TypedDocumentNode<Data, Variables>,
  variables: () => Variables,
  intervalMs: number,
  key: string,
): PolledWithRefresh<Data> {
  const [state, setState] = useState<Keyed<Data>>({ key, data: undefined, error: null });
  const variablesRef = useRef(variables);
  useEffect(() => {
    variablesRef.current = variables;
  });
  const pollNowRef = useRef<() => void>(() => undefined);
  const refresh = useCallback(() => pollNowRef.current(), []);

  useEffect(() => {
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    let again = false;

    const poll = async (): Promise<void> => {
      clearTimeout(timer);
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      if (!document.hidden) {
        const result = await pollingClient.query(query, variablesRef.current()).toPromise();
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
        void poll();
        return;
      }
      timer = setTimeout(() => void poll(), intervalMs);
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
  }, [query, intervalMs, key]);

  return state.key === key
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
