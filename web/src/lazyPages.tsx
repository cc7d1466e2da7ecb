import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Route } from './router';

/**
 * Each page is its own chunk, fetched the first time its route is shown, so the
 * first screen does not wait for the code (and chart library) of every other page.
 * `import()` of the same module returns the same promise, so preloading a page
 * and then rendering it fetches it once.
 */
const loaders: Record<Route, () => Promise<ComponentType>> = {
  trade: () => import('./pages/TradePage').then((module) => module.TradePage),
  flash: () => import('./pages/FlashPage').then((module) => module.FlashPage),
  stats: () => import('./pages/StatsPage').then((module) => module.StatsPage),
  admin: () => import('./pages/AdminPage').then((module) => module.AdminPage),
  'verify-email': () => import('./pages/VerifyEmailPage').then((module) => module.VerifyEmailPage),
  'not-found': () => import('./pages/NotFoundPage').then((module) => module.NotFoundPage),
};

function lazyPage(route: Route): LazyExoticComponent<ComponentType> {
  return lazy(() => loaders[route]().then((page) => ({ default: page })));
}

export const LAZY_PAGES: Record<Route, LazyExoticComponent<ComponentType>> = {
  trade: lazyPage('trade'),
  flash: lazyPage('flash'),
  stats: lazyPage('stats'),
  admin: lazyPage('admin'),
  'verify-email': lazyPage('verify-email'),
  'not-found': lazyPage('not-found'),
};

/** Starts fetching a page's code before the click (on hover or focus of its link). */
export function preloadPage(route: Route): void {
  // A failed fetch shows up, with its message, when the page itself is rendered.
  loaders[route]().catch(() => undefined);
}
