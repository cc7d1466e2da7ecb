import { useEffect, useRef, useState } from 'react';
import { useClient, type AnyVariables, type CombinedError, type TypedDocumentNode } from 'urql';
import {
  DemoAccountQuery,
  MyOrdersQuery,
  MyPositionsQuery,
  OrderUpdatesSubscription,
  PositionUpdatesSubscription,
  type DemoAccount,
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
 * latest error, null while healthy.
 */
export function useSubscriptionEvents<Data, Variables extends AnyVariables>(
  query: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  key: string,
  onData: (data: Data) => void,
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
  }, [client, query, key]);

  return state.key === key ? state.error : null;
}

/* ---------- the trader's own state ---------- */

const NO_VARIABLES = () => ({});
const NO_SUBSCRIPTION_VARIABLES = {};
const OWN_REFRESH_MS = 1_000;
const BALANCE_REFRESH_MS = 2_000;

export interface Live<T> {
  data: T | undefined;
  error: CombinedError | null;
  refresh: () => void;
}

/** `myPositions`, refreshed every second, on `positionUpdates` and after each mutation. */
export function useMyPositions(): Live<Position[]> {
  const { data, error, refresh } = usePolledQuery(
    MyPositionsQuery,
    NO_VARIABLES,
    OWN_REFRESH_MS,
    'my-positions',
  );
  useSubscriptionEvents(PositionUpdatesSubscription, NO_SUBSCRIPTION_VARIABLES, 'positions', refresh);
  useTradingActivity(refresh);
  return { data: data?.myPositions, error, refresh };
}

/** `myOrders`, refreshed every second, on `orderUpdates` and after each mutation. */
export function useMyOrders(): Live<Order[]> {
  const { data, error, refresh } = usePolledQuery(
    MyOrdersQuery,
    NO_VARIABLES,
    OWN_REFRESH_MS,
    'my-orders',
  );
  useSubscriptionEvents(OrderUpdatesSubscription, NO_SUBSCRIPTION_VARIABLES, 'orders', refresh);
  useTradingActivity(refresh);
  return { data: data?.myOrders, error, refresh };
}

/** Available USDT of the demo account (null outside demo mode), every 2 s and after each mutation. */
export function useAvailableUsdt(): Live<string | null> {
  const { data, error, refresh } = usePolledQuery(
    DemoAccountQuery,
    NO_VARIABLES,
    BALANCE_REFRESH_MS,
    'demo-account-available',
  );
  useTradingActivity(refresh);
  const account: DemoAccount | null | undefined = data?.demoAccount;
  const available =
    account === undefined
      ? undefined
      : (account?.balances.find((balance) => balance.asset === 'USDT')?.available ?? null);
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
