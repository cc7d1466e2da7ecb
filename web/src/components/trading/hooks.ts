import { useEffect, useRef, useState } from 'react';
import { useClient, type AnyVariables, type CombinedError, type TypedDocumentNode } from 'urql';
import { useSession } from '../../auth/AuthProvider';
import { privatePollingClient } from '../../graphql/client';
import {
  BalancesQuery,
  MyOrdersQuery,
  MyPositionsQuery,
  OrderUpdatesSubscription,
  PositionUpdatesSubscription,
  type Balance,
  type Order,
  type Position,
} from '../../graphql/operations';
import { usePolledQuery } from '../markets/hooks';

/* ---------- trading activity: "something changed, refresh now" ---------- */

const activityListeners = new Set<() => void>();

/** Call after a mutation so positions, orders and balances refresh at once. */
export function notifyTradingActivity(): void {
  activityListeners.forEach((listener) => listener());
}

/** Runs `callback` after every trading mutation made in this tab. */
export function useTradingActivity(callback: () => void): void {
  const callbackRef = useRef(callback);
  useEffect(() => {
    callbackRef.current = callback;
  });
  useEffect(() => {
    const listener = () => callbackRef.current();
    activityListeners.add(listener);
    return () => {
      activityListeners.delete(listener);
    };
  }, []);
}

/* ---------- subscriptions ---------- */

const RESUBSCRIBE_DELAY_MS = 3_000;

/**
 * Calls `onData` with every event of a subscription; restarts it 3 s after an
 * error. Changing `key` resubscribes (put the variables in it). Returns the
 * latest error, null while healthy. `enabled: false` holds no subscription.
 */
export function useSubscriptionEvents<Data, Variables extends AnyVariables>(
  query: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  key: string,
  onData: (data: Data) => void,
  enabled = true,
): CombinedError | null {
  const client = useClient();
  const [state, setState] = useState<{ key: string; error: CombinedError | null }>({
    key,
    error: null,
  });
  const onDataRef = useRef(onData);
  const variablesRef = useRef(variables);
  useEffect(() => {
    onDataRef.current = onData;
    variablesRef.current = variables;
  });

  useEffect(() => {
    if (!enabled) return;
    let active = true;
    let unsubscribe: (() => void) | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const start = (): void => {
      if (!active) return;
      let failed = false;
      const source = client.subscription(query, variablesRef.current);
      const subscription = source.subscribe((result) => {
        if (!active) return;
        if (result.error) {
          if (failed) return;
          failed = true;
          const error = result.error;
          setState({ key, error });
          retryTimer = setTimeout(() => {
            unsubscribe?.();
            start();
          }, RESUBSCRIBE_DELAY_MS);
        } else if (result.data) {
          setState((previous) =>
            previous.key === key && previous.error === null ? previous : { key, error: null },
          );
          onDataRef.current(result.data);
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
  }, [client, query, key, enabled]);

  return enabled && state.key === key ? state.error : null;
}

/* ---------- the trader's own state (signed in only) ---------- */

const NO_VARIABLES = () => ({});
const NO_SUBSCRIPTION_VARIABLES = {};
// Private polls spend the account's request quota (60 a minute on the FREE tier),
// so they are slower than the public ones; subscriptions and mutations refresh at once.
const POSITIONS_REFRESH_MS = 3_000;
const ORDERS_REFRESH_MS = 5_000;
const BALANCE_REFRESH_MS = 5_000;

export interface Live<T> {
  data: T | undefined;
  error: CombinedError | null;
  refresh: () => void;
}

/** Polls a private query for the signed-in account; nothing while signed out. */
function usePrivatePolledQuery<Data>(
  query: TypedDocumentNode<Data, Record<string, never>>,
  intervalMs: number,
  name: string,
) {
  const accountId = useSession()?.accountId ?? null;
  const polled = usePolledQuery(query, NO_VARIABLES, intervalMs, `${name}:${accountId ?? ''}`, {
    client: privatePollingClient,
    enabled: accountId !== null,
  });
  return { ...polled, accountId };
}

/** `myPositions`, refreshed every 3 s, on `positionUpdates` and after each mutation. */
export function useMyPositions(): Live<Position[]> {
  const { data, error, refresh, accountId } = usePrivatePolledQuery(
    MyPositionsQuery,
    POSITIONS_REFRESH_MS,
    'my-positions',
  );
  useSubscriptionEvents(
    PositionUpdatesSubscription,
    NO_SUBSCRIPTION_VARIABLES,
    `positions:${accountId ?? ''}`,
    refresh,
    accountId !== null,
  );
  useTradingActivity(refresh);
  return { data: data?.myPositions, error, refresh };
}

/** `myOrders`, refreshed every 5 s, on `orderUpdates` and after each mutation. */
export function useMyOrders(): Live<Order[]> {
  const { data, error, refresh, accountId } = usePrivatePolledQuery(
    MyOrdersQuery,
    ORDERS_REFRESH_MS,
    'my-orders',
  );
  useSubscriptionEvents(
    OrderUpdatesSubscription,
    NO_SUBSCRIPTION_VARIABLES,
    `orders:${accountId ?? ''}`,
    refresh,
    accountId !== null,
  );
  useTradingActivity(refresh);
  return { data: data?.myOrders, error, refresh };
}

/** The signed-in account's balances, every 5 s and after each mutation. */
export function useBalances(): Live<Balance[]> {
  const { data, error, refresh } = usePrivatePolledQuery(BalancesQuery, BALANCE_REFRESH_MS, 'balances');
  useTradingActivity(refresh);
  return { data: data?.balances, error, refresh };
}

/** Available USDT of the signed-in account ("0" without a USDT balance). */
export function useAvailableUsdt(): Live<string | null> {
  const { data, error, refresh } = useBalances();
  const available =
    data === undefined ? undefined : (data.find((balance) => balance.asset === 'USDT')?.available ?? '0');
  return { data: available, error, refresh };
}

/** A client order id, unique enough to make a double submit harmless. */
export function newClientOrderId(): string {
  const random =
    typeof crypto !== 'undefined' && 'randomUUID' in crypto
      ? crypto.randomUUID().replace(/-/g, '').slice(0, 20)
      : `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  return `web-${random}`;
}
