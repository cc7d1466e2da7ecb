import { useSyncExternalStore } from 'react';

export type PageId = 'trade' | 'flash' | 'stats' | 'admin';
export type Route = PageId | 'not-found';

export const PAGES: ReadonlyArray<{ id: PageId; label: string }> = [
  { id: 'trade', label: 'Trade' },
  { id: 'flash', label: 'Flash' },
  { id: 'stats', label: 'Stats' },
  { id: 'admin', label: 'Admin' },
];

export function hrefFor(page: PageId): string {
  return `#/${page}`;
}

/** Parses `#/flash` style hashes; an empty hash is the default Trade page. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').replace(/\/+$/, '').toLowerCase();
  if (path === '') return 'trade';
  return PAGES.find((page) => page.id === path)?.id ?? 'not-found';
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

function getSnapshot(): Route {
  return parseHash(window.location.hash);
}

/** A tiny hash router: the current route, re-rendered on `hashchange`. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, getSnapshot, () => 'trade');
}
