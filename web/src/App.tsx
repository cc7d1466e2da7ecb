import { useEffect, useRef, type MouseEvent } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary';
import { StatusBar } from './components/StatusBar';
import { TopBar } from './components/TopBar';
import { AdminPage } from './pages/AdminPage';
import { FlashPage } from './pages/FlashPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { StatsPage } from './pages/StatsPage';
import { TradePage } from './pages/TradePage';
import { VerifyEmailPage } from './pages/VerifyEmailPage';
import { useRoute, type Route } from './router';

function PageFor({ route }: { route: Route }) {
  switch (route) {
    case 'trade':
      return <TradePage />;
    case 'flash':
      return <FlashPage />;
    case 'stats':
      return <StatsPage />;
    case 'admin':
      return <AdminPage />;
    case 'verify-email':
      return <VerifyEmailPage />;
    case 'not-found':
      return <NotFoundPage />;
  }
}

export function App() {
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);

  // After client-side navigation, move focus to the new page's heading.
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route]);

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
          <PageFor route={route} />
        </ErrorBoundary>
      </main>
      <StatusBar />
    </div>
  );
}
