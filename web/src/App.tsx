import { Suspense, useEffect, useRef, useState, type MouseEvent, type RefObject } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary';
import { StatusBar } from './components/StatusBar';
import { TopBar } from './components/TopBar';
import { LAZY_PAGES } from './lazyPages';
import { PAGES, useRoute, type Route } from './router';

function loadingText(route: Route): string {
  const page = PAGES.find((candidate) => candidate.id === route);
  return page === undefined ? 'Loading the page…' : `Loading the ${page.label} page…`;
}

/** Shown while a page's code arrives: a polite status message, visible only if the wait is noticeable. */
function PageLoading({ route }: { route: Route }) {
  return (
    <div className="page-loading" role="status" data-testid="page-loading">
      <span className="spinner" aria-hidden="true" />
      {loadingText(route)}
    </div>
  );
}

/**
 * Rendered beside the page inside Suspense, so its effect runs once the page's code
 * has arrived and its heading exists: after client-side navigation, focus moves there.
 */
function FocusHeading({ main, enabled }: { main: RefObject<HTMLElement | null>; enabled: boolean }) {
  useEffect(() => {
    if (enabled) main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [main, enabled]);
  return null;
}

export function App() {
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);

  // The first page keeps focus at the top of the document; later ones move it to their heading.
  const [firstRoute] = useState(route);
  const [navigated, setNavigated] = useState(false);
  if (!navigated && route !== firstRoute) setNavigated(true);
  const Page = LAZY_PAGES[route];

  const skipToContent = (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault(); // the hash is reserved for routing
    mainRef.current?.focus();
  };

  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={skipToContent}>
        Skip to content
      </a>
      <TopBar route={route} />
      <main id="main" ref={mainRef} tabIndex={-1} className="content">
        <ErrorBoundary key={route}>
          <Suspense fallback={<PageLoading route={route} />}>
            <Page />
            <FocusHeading main={mainRef} enabled={navigated} />
          </Suspense>
        </ErrorBoundary>
      </main>
      <StatusBar />
    </div>
  );
}
