import { preloadPage } from '../lazyPages';
import { PAGES, hrefFor, type Route } from '../router';
import { AuthControls } from './auth/AuthControls';

export function TopBar({ route }: { route: Route }) {
  return (
    <header className="topbar">
      <a className="brand" href={hrefFor('trade')} aria-label="GoDark home">
        <span className="brand-mark" aria-hidden="true" />
        <span className="brand-name">GoDark</span>
      </a>
      <nav aria-label="Primary">
        <ul className="nav-list">
          {PAGES.map((page) => (
            <li key={page.id}>
              <a
                className="nav-link"
                href={hrefFor(page.id)}
                aria-current={route === page.id ? 'page' : undefined}
                onPointerEnter={() => preloadPage(page.id)}
                onFocus={() => preloadPage(page.id)}
              >
                {page.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <AuthControls />
    </header>
  );
}
