import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
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
  type Ticker,
} from '../../graphql/operations';
import { SAFETY_NET_MS, usePolledQuery, useTickers } from '../markets/hooks';
import { mul, parseDec, rescale, sub, toPlain, ZERO } from './decimal';

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
// Issue #8: private reads spend the account's request quota (60 a minute on the FREE
// tier). Each panel loads once, then follows its subscription and the user's own
// mutations; the timer is only a safety net.
const PRIVATE_REFRESH_MS = SAFETY_NET_MS;
/** Balances have no subscription: fills refetch them, at most once per this gap. */
const BALANCE_REFRESH_GAP_MS = 3_000;
const USDT_DECIMALS = 6;
const OPEN_ORDER_STATUSES: ReadonlySet<string> = new Set(['OPEN', 'PARTIALLY_FILLED']);

export interface Live<T> {
  data: T | undefined;
  error: CombinedError | null;
  refresh: () => void;
}

/** A private query for the signed-in account; nothing while signed out. */
function usePrivatePolledQuery<Data>(
  query: TypedDocumentNode<Data, Record<string, never>>,
  name: string,
  minRefreshGapMs?: number,
) {
  const accountId = useSession()?.accountId ?? null;
  const polled = usePolledQuery(query, NO_VARIABLES, PRIVATE_REFRESH_MS, `${name}:${accountId ?? ''}`, {
    client: privatePollingClient,
    enabled: accountId !== null,
    minRefreshGapMs,
  });
  return { ...polled, accountId };
}

/**
 * A fetched list kept current by subscription events between fetches: `apply` folds
 * an event into the list (null when only a refetch can tell). A new fetch replaces it.
 */
export function usePatchedList<Item, Event>(
  fetched: Item[] | undefined,
  apply: (list: Item[], event: Event) => Item[] | null,
  refresh: () => void,
): { list: Item[] | undefined; onEvent: (event: Event) => void } {
  const [patched, setPatched] = useState<{ base: Item[] | undefined; list: Item[] }>({
    base: undefined,
    list: [],
  });
  const patchedRef = useRef(patched);
  const fetchedRef = useRef(fetched);
  useEffect(() => {
    fetchedRef.current = fetched;
  });
  const onEvent = useCallback(
    (event: Event) => {
      const base = fetchedRef.current;
      const previous = patchedRef.current;
      const next = base === undefined ? null : apply(previous.base === base ? previous.list : base, event);
      if (next === null) {
        refresh();
        return;
      }
      patchedRef.current = { base, list: next };
      setPatched(patchedRef.current);
    },
    [apply, refresh],
  );
  const list = fetched !== undefined && patched.base === fetched ? patched.list : fetched;
  return { list, onEvent };
}

/** The event's position in place of the listed one; a closed one (null) needs a refetch. */
function applyPositionUpdate(list: Position[], position: Position | null): Position[] | null {
  if (position === null) return null;
  if (!list.some((item) => item.symbol === position.symbol)) return [...list, position];
  return list.map((item) => (item.symbol === position.symbol ? position : item));
}

/** The event's order in place of the listed one; a finished order leaves the open list. */
function applyOrderUpdate(list: Order[], order: Order): Order[] {
  if (!OPEN_ORDER_STATUSES.has(order.status)) return list.filter((item) => item.id !== order.id);
  if (!list.some((item) => item.id === order.id)) return [order, ...list];
  return list.map((item) => (item.id === order.id ? order : item));
}

type LiveMarkFields = Pick<Position, 'symbol' | 'side' | 'size' | 'entryPrice' | 'markPrice' | 'unrealizedPnl'>;

/**
 * A position valued at the ticker's newer mark: unrealised PnL is
 * (mark − entry) × size, negated for shorts, rounded down to the micro-USDT as the
 * engine does (engine/perps/position.py). Margin ratio and liquidation price stay the server's.
 */
export function withLiveMark<P extends LiveMarkFields>(position: P, ticker: Ticker | undefined): P {
  const mark = parseDec(ticker?.markPrice);
  const entry = parseDec(position.entryPrice);
  const size = parseDec(position.size);
  if (ticker?.markPrice == null || mark === null || entry === null || size === null) return position;
  const long = mul(sub(mark, entry), size);
  const pnl = position.side === 'SHORT' ? sub(ZERO, long) : long;
  return {
    ...position,
    markPrice: ticker.markPrice,
    unrealizedPnl: toPlain(rescale(pnl, USDT_DECIMALS, 'floor')),
  };
}

/** `positions`, each valued at its market's live ticker mark. */
export function useLiveMarks<P extends LiveMarkFields>(positions: P[] | undefined): P[] | undefined {
  const tickers = useTickers(positions?.map((position) => position.symbol) ?? []);
  return useMemo(
    () => positions?.map((position) => withLiveMark(position, tickers.get(position.symbol))),
    [positions, tickers],
  );
}

/**
 * `myPositions`: fetched once, then kept current by `positionUpdates` (each event
 * carries the whole position), valued live at each market's ticker mark, refetched
 * after each mutation here and every 30 s as a safety net.
 */
export function useMyPositions(): Live<Position[]> {
  const { data, error, refresh, accountId } = usePrivatePolledQuery(MyPositionsQuery, 'my-positions');
  const { list, onEvent } = usePatchedList(data?.myPositions, applyPositionUpdate, refresh);
  useSubscriptionEvents(
    PositionUpdatesSubscription,
    NO_SUBSCRIPTION_VARIABLES,
    `positions:${accountId ?? ''}`,
    (event) => onEvent(event.positionUpdates),
    accountId !== null,
  );
  useTradingActivity(refresh);
  return { data: useLiveMarks(list), error, refresh };
}

/** `myOrders` (open ones): fetched once, then kept current by `orderUpdates`. */
export function useMyOrders(): Live<Order[]> {
  const { data, error, refresh, accountId } = usePrivatePolledQuery(MyOrdersQuery, 'my-orders');
  const { list, onEvent } = usePatchedList(data?.myOrders, applyOrderUpdate, refresh);
  useSubscriptionEvents(
    OrderUpdatesSubscription,
    NO_SUBSCRIPTION_VARIABLES,
    `orders:${accountId ?? ''}`,
    (event) => onEvent(event.orderUpdates),
    accountId !== null,
  );
  useTradingActivity(refresh);
  return { data: list, error, refresh };
}

/**
 * The signed-in account's balances: after each mutation here, after fills and position
 * changes (at most every 3 s), and every 30 s.
 */
export function useBalances(): Live<Balance[]> {
  const { data, error, refresh, accountId } = usePrivatePolledQuery(
    BalancesQuery,
    'balances',
    BALANCE_REFRESH_GAP_MS,
  );
  useSubscriptionEvents(
    OrderUpdatesSubscription,
    NO_SUBSCRIPTION_VARIABLES,
    `orders:${accountId ?? ''}`,
    refresh,
    accountId !== null,
  );
  useSubscriptionEvents(
    PositionUpdatesSubscription,
    NO_SUBSCRIPTION_VARIABLES,
    `positions:${accountId ?? ''}`,
    refresh,
    accountId !== null,
  );
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
