import { createClient as createWsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import {
  authFetch,
  authFetchOptions,
  freshAccessToken,
  getSession,
  subscribeSession,
} from '../auth/session';
import { spendBackground, spendForeground } from './requestBudget';

/* ---------- live-connection status (tiny external store) ---------- */

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting';

let status: ConnectionStatus = 'connecting';
const listeners = new Set<() => void>();

function setStatus(next: ConnectionStatus): void {
  if (next === status) return;
  status = next;
  listeners.forEach((listener) => listener());
}

export function getConnectionStatus(): ConnectionStatus {
  return status;
}

export function subscribeConnectionStatus(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/* ---------- websocket (graphql-transport-ws) ---------- */

/** Same-origin websocket URL: http -> ws, https -> wss. */
export function graphqlWsUrl(location: Location = window.location): string {
  const url = new URL('/graphql', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** Reconnect backoff: 1 s, 2 s, 4 s ... capped at 10 s, plus jitter. */
function retryWait(retries: number): Promise<void> {
  const delay = Math.min(1000 * 2 ** retries, 10_000) + Math.floor(Math.random() * 500);
  return new Promise((resolve) => setTimeout(resolve, delay));
}

/**
 * Watchdog: the server pings and sends a heartbeat every second, so a silent
 * socket for this long is half-open; close it so graphql-ws reconnects.
 */
const SILENCE_LIMIT_MS = 20_000;
let activeSocket: WebSocket | null = null;
let silenceTimer: ReturnType<typeof setTimeout> | undefined;

function armWatchdog(): void {
  clearTimeout(silenceTimer);
  silenceTimer = setTimeout(() => {
    if (activeSocket?.readyState === WebSocket.OPEN) activeSocket.close(4408, 'Silent connection');
  }, SILENCE_LIMIT_MS);
}

let restartRequested = false;

/**
 * The server authenticates a websocket once, at connection_init, so a new
 * identity needs a new connection: close the socket and graphql-ws reconnects
 * (with the new connectionParams) and resubscribes every live subscription.
 */
function restartWebSocket(): void {
  if (activeSocket?.readyState === WebSocket.OPEN) {
    activeSocket.close(4205, 'Client Restart');
  } else {
    restartRequested = true;
  }
}

export const wsClient = createWsClient({
  url: graphqlWsUrl(),
  // Read at every (re)connection, so it always carries the current access token.
  connectionParams: async () => {
    const token = await freshAccessToken();
    return token ? { authorization: `Bearer ${token}` } : {};
  },
  keepAlive: 10_000,
  shouldRetry: () => true,
  retryAttempts: Infinity,
  retryWait,
  lazy: false,
  onNonLazyError: () => {
    // Reported through the connection indicator instead of the console.
  },
  on: {
    connected: (socket) => {
      activeSocket = socket instanceof WebSocket ? socket : null;
      if (restartRequested) {
        restartRequested = false;
        restartWebSocket();
        return;
      }
      armWatchdog();
      setStatus('live');
    },
    message: () => armWatchdog(),
    closed: () => {
      activeSocket = null;
      clearTimeout(silenceTimer);
      setStatus('reconnecting');
    },
  },
});

let connectedAccount = getSession()?.accountId ?? null;
subscribeSession(() => {
  const account = getSession()?.accountId ?? null;
  if (account === connectedAccount) return; // a token refresh keeps the connection
  connectedAccount = account;
  restartWebSocket();
});

/* ---------- the public socket (signed in only) ---------- */

/**
 * Root fields of the public subscriptions (api/fanout.py PUBLIC_SUBSCRIPTIONS): the
 * server runs each distinct one once and shares it, and they need no identity. Not
 * `heartbeat`: it stays on the main socket, whose liveness it shows (status bar, watchdog).
 */
const PUBLIC_SUBSCRIPTIONS = new Set([
  'trades',
  'funding',
  'liquidations',
  'marketStatus',
  'ticker',
  'referenceBook',
  'liveEvent',
  'flashTicker',
  'flashMarket',
  'settlements',
]);

interface SelectionLike {
  readonly kind: string;
  readonly name?: { readonly value: string };
}

interface DefinitionLike {
  readonly kind: string;
  readonly operation?: string;
  readonly selectionSet?: { readonly selections: readonly SelectionLike[] };
}

/** True when the document's one operation is a subscription to public root fields only. */
export function isPublicSubscription(document: { readonly definitions: readonly DefinitionLike[] }): boolean {
  const operations = document.definitions.filter((definition) => definition.kind === 'OperationDefinition');
  const operation = operations.length === 1 ? operations[0] : undefined;
  if (operation?.operation !== 'subscription' || operation.selectionSet === undefined) return false;
  return operation.selectionSet.selections.every(
    (selection) => selection.kind === 'Field' && PUBLIC_SUBSCRIPTIONS.has(selection.name?.value ?? ''),
  );
}

/**
 * A second, anonymous socket for public subscriptions while signed in. A signed-in
 * socket is held to its tier's limits (FREE: 10 subscriptions, 10 messages a second),
 * which the tickers of every market alone would exhaust; public data needs no token,
 * just as `pollingClient` sends none. It connects on the first public subscription and
 * closes a little after the last one ends (so switching markets does not reconnect).
 */
export const publicWsClient = createWsClient({
  url: graphqlWsUrl(),
  keepAlive: 10_000,
  shouldRetry: () => true,
  retryAttempts: Infinity,
  retryWait,
  lazy: true,
  lazyCloseTimeout: 5_000,
});

/* ---------- urql clients ---------- */

/** What the user asked for (mutations, page loads): sent at once, counted. */
const foregroundFetch: typeof fetch = (input, init) => {
  if (getSession() !== null) spendForeground();
  return authFetch(input, init);
};

/** Panel loads and refreshes: wait for the reserve (requestBudget.ts) while signed in. */
const backgroundFetch: typeof fetch = async (input, init) => {
  if (getSession() !== null) await spendBackground();
  return authFetch(input, init);
};

/**
 * The app's client, with the document cache. Make a new one whenever the
 * signed-in account changes so nothing cached for one person shows to the next.
 */
export function createAppClient(): Client {
  return new Client({
    url: '/graphql',
    preferGetMethod: false, // always HTTP POST
    fetchOptions: authFetchOptions,
    fetch: foregroundFetch,
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request, operation) {
          const input = { ...request, query: request.query ?? '' };
          // Signed out, the one socket is anonymous already: no second connection.
          const socket =
            getSession() !== null && isPublicSubscription(operation.query) ? publicWsClient : wsClient;
          return {
            subscribe(sink) {
              const unsubscribe = socket.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}

/**
 * Cache-less client for polled public queries. Their variables often change on
 * every poll (sliding time windows), and the document cache would keep every
 * result. It sends no token: public data needs none, and anonymous polling does
 * not spend the signed-in account's request quota.
 */
export const pollingClient = new Client({
  url: '/graphql',
  preferGetMethod: false,
  exchanges: [fetchExchange],
});

/**
 * Cache-less client for polled private queries (balances, orders, positions): background
 * reads, paced so that they leave the user's own actions a reserve of the account's quota.
 */
export const privatePollingClient = new Client({
  url: '/graphql',
  preferGetMethod: false,
  fetchOptions: authFetchOptions,
  fetch: backgroundFetch,
  exchanges: [fetchExchange],
});
