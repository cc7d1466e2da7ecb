/**
 * The signed-in session: tokens, their refresh, and who is signed in. A plain
 * external store (no React) so the urql fetches and the websocket can read the
 * current access token; `AuthProvider` exposes it to components.
 *
 * Storage choice: the tokens live in localStorage so a reload or a new tab stays
 * signed in. That is acceptable here because the access token is short-lived
 * (15 minutes) and the refresh token is single use: every refresh rotates it and
 * a replayed one revokes the whole session on the server. Both are removed on
 * sign-out and after a failed refresh. Tabs share the entry and follow each
 * other through `storage` events; a Web Lock keeps two tabs from spending the
 * same refresh token at once.
 */

import type { RefreshSessionMutation } from '../graphql/generated/graphql';

const STORAGE_KEY = 'godark.session';
/** Refresh this long before the access token expires. */
const REFRESH_AHEAD_MS = 60_000;
/** After a network failure (not a refusal), try the refresh again this much later. */
const REFRESH_RETRY_MS = 10_000;
const DEMO_EMAIL_SUFFIX = '@demo.godark.invalid';

export interface SignedInPayload {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  account: { id: string; email: string };
}

export interface Session {
  accessToken: string;
  /** Epoch milliseconds. */
  accessTokenExpiresAt: number;
  refreshToken: string;
  refreshTokenExpiresAt: number;
  accountId: string;
  email: string;
  /** Opened with "Try the demo": no password, a generated address. */
  demo: boolean;
}

/* ---------- the store ---------- */

let session: Session | null = readStored();
const listeners = new Set<() => void>();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<Session | null> | null = null;

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.accessToken === 'string' &&
    typeof candidate.refreshToken === 'string' &&
    typeof candidate.accessTokenExpiresAt === 'number' &&
    typeof candidate.refreshTokenExpiresAt === 'number' &&
    typeof candidate.accountId === 'string' &&
    typeof candidate.email === 'string'
  );
}

function readStored(): Session | null {
  try {
    const parsed: unknown = JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (!isSession(parsed) || parsed.refreshTokenExpiresAt <= Date.now()) return null;
    return { ...parsed, demo: parsed.demo === true };
  } catch {
    return null;
  }
}

function write(next: Session | null): void {
  try {
    if (next) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Private mode or a full quota: the session still lives in this tab's memory.
  }
}

function publish(next: Session | null): void {
  session = next;
  scheduleRefresh();
  listeners.forEach((listener) => listener());
}

export function getSession(): Session | null {
  return session;
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function isDemoEmail(email: string): boolean {
  return email.endsWith(DEMO_EMAIL_SUFFIX);
}

/** Starts a session from a `SignedIn` answer (login, demo, refresh). */
export function signIn(payload: SignedInPayload, options: { demo?: boolean } = {}): Session {
  const next: Session = {
    accessToken: payload.accessToken,
    accessTokenExpiresAt: Date.parse(payload.accessTokenExpiresAt),
    refreshToken: payload.refreshToken,
    refreshTokenExpiresAt: Date.parse(payload.refreshTokenExpiresAt),
    accountId: payload.account.id,
    email: payload.account.email,
    demo: options.demo ?? isDemoEmail(payload.account.email),
  };
  write(next);
  publish(next);
  return next;
}

/** Forgets the tokens locally (the caller revokes them on the server first, if it can). */
export function signOut(): void {
  write(null);
  publish(null);
}

/** The access token to send now, or null when signed out. */
export function getAccessToken(): string | null {
  return session?.accessToken ?? null;
}

/* ---------- refresh ---------- */

const REFRESH_MUTATION = /* GraphQL */ `
  mutation RefreshSession($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      __typename
      ... on SignedIn {
        accessToken
        accessTokenExpiresAt
        refreshToken
        refreshTokenExpiresAt
        account { id email }
      }
      ... on UserError { code message }
    }
  }
`;

type RefreshOutcome = { kind: 'ok'; payload: SignedInPayload } | { kind: 'refused' } | { kind: 'offline' };

async function callRefresh(refreshToken: string): Promise<RefreshOutcome> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: REFRESH_MUTATION, variables: { refreshToken } }),
    });
  } catch {
    return { kind: 'offline' };
  }
  if (response.status === 429 || response.status >= 500) return { kind: 'offline' };
  try {
    const body = (await response.json()) as { data?: RefreshSessionMutation };
    const result = body.data?.refreshSession;
    if (result?.__typename === 'SignedIn') return { kind: 'ok', payload: result };
    return { kind: 'refused' };
  } catch {
    return { kind: 'offline' };
  }
}

async function withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? locks.request('godark-session-refresh', task) : task();
}

/**
 * Trades the refresh token for new tokens. `staleToken` is the access token the
 * caller found wanting: when another tab (or call) already replaced it, the
 * newer session is used instead of spending the refresh token again. Resolves
 * to the new session, or null once signed out (refused refresh).
 */
export function refreshSession(staleToken: string | null = session?.accessToken ?? null): Promise<Session | null> {
  if (refreshing) return refreshing;
  refreshing = withRefreshLock(async () => {
    const stored = readStored();
    if (stored && stored.accessToken !== staleToken && stored.accessTokenExpiresAt - Date.now() > REFRESH_AHEAD_MS) {
      publish(stored);
      return stored;
    }
    const current = stored ?? session;
    if (!current) {
      if (session) publish(null);
      return null;
    }
    const outcome = await callRefresh(current.refreshToken);
    if (outcome.kind === 'ok') return signIn(outcome.payload, { demo: current.demo });
    if (outcome.kind === 'refused') {
      signOut();
      return null;
    }
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void refreshSession(), REFRESH_RETRY_MS);
    return session;
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** An access token valid for at least a minute more (refreshing first if needed), or null. */
export async function freshAccessToken(): Promise<string | null> {
  if (!session) return null;
  if (session.accessTokenExpiresAt - Date.now() > REFRESH_AHEAD_MS) return session.accessToken;
  return (await refreshSession(session.accessToken))?.accessToken ?? null;
}

function scheduleRefresh(): void {
  clearTimeout(refreshTimer);
  if (!session) return;
  const due = Math.max(0, session.accessTokenExpiresAt - REFRESH_AHEAD_MS - Date.now());
  const token = session.accessToken;
  refreshTimer = setTimeout(() => void refreshSession(token), due);
}

/* ---------- other tabs ---------- */

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== STORAGE_KEY) return;
    const next = readStored();
    if (next?.accessToken === session?.accessToken) return;
    publish(next);
  });
  scheduleRefresh();
}

/* ---------- authenticated fetch ---------- */

function bearerOf(init: RequestInit | undefined): string | null {
  const headers = new Headers(init?.headers);
  const value = headers.get('authorization');
  return value?.toLowerCase().startsWith('bearer ') ? value.slice(7) : null;
}

async function saysUnauthenticated(response: Response): Promise<boolean> {
  if (response.status === 401) return true;
  if (!response.ok) return false;
  try {
    const body = (await response.clone().json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    return body.errors?.some((error) => error.extensions?.code === 'UNAUTHENTICATED') ?? false;
  } catch {
    return false;
  }
}

/** The `Authorization` header for urql's `fetchOptions`. */
export function authFetchOptions(): RequestInit {
  const token = getAccessToken();
  return token ? { headers: { authorization: `Bearer ${token}` } } : {};
}

/**
 * `fetch` for urql: when a request sent with a token comes back unauthenticated
 * (expired or revoked token), refresh once and send it again. A refused refresh
 * signs out, and the request is retried anonymously.
 */
export const authFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const sent = bearerOf(init);
  if (sent === null || !(await saysUnauthenticated(response))) return response;
  const next = await refreshSession(sent);
  const headers = new Headers(init?.headers);
  if (next) headers.set('authorization', `Bearer ${next.accessToken}`);
  else headers.delete('authorization');
  return fetch(input, { ...init, headers });
};
