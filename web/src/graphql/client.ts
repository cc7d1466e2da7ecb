import { createClient as createWsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';

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

export const wsClient = createWsClient({
  url: graphqlWsUrl(),
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

/* ---------- urql client ---------- */

export const client = new Client({
  url: '/graphql',
  preferGetMethod: false, // always HTTP POST
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query ?? '' };
        return {
          subscribe(sink) {
            const unsubscribe = wsClient.subscribe(input, sink);
            return { unsubscribe };
          },
        };
      },
    }),
  ],
});

/**
 * Cache-less client for polled queries. Their variables often change on every
 * poll (sliding time windows), and the document cache would keep every result.
 */
export const pollingClient = new Client({
  url: '/graphql',
  preferGetMethod: false,
  exchanges: [fetchExchange],
});
