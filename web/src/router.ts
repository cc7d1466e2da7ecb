import { useSyncExternalStore } from 'react';

export type PageId = 'trade' | 'flash' | 'stats' | 'admin';
/** `verify-email` is a path (/verify-email?token=...), as written in the mail; pages are hashes. */
export type Route = PageId | 'verify-email' | 'not-found';

const VERIFY_EMAIL_PATH = '/verify-email';

export const PAGES: ReadonlyArray<{ id: PageId; label: string }> = [
  { id: 'trade', label: 'Trade' },
  { id: 'flash', label: 'Flash' },
  { id: 'stats', label: 'Stats' },
  { id: 'admin', label: 'Admin' },
];

/** From the root path, so the links also leave a path route such as /verify-email. */
export function hrefFor(page: PageId): string {
  return `/#/${page}`;
}

/** Parses `#/flash` style hashes; an empty hash is the default Trade page. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').replace(/\/+$/, '').toLowerCase();
  if (path === '') return 'trade';
  return PAGES.find((page) => page.id === path)?.id ?? 'not-found';
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  window.addEventListener('popstate', listener);
  return () => {
    window.removeEventListener('hashchange', listener);
    window.removeEventListener('popstate', listener);
  };
}

function getSnapshot(): Route {
  if (window.location.pathname.replace(/\/+$/, '') === VERIFY_EMAIL_PATH) return 'verify-email';
  return parseHash(window.location.hash);
}

/** A tiny hash router: the current route, re-rendered on `hashchange`. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, getSnapshot, () => 'trade');
}
