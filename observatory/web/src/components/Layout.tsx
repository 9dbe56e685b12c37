import type { ReactNode } from 'react';
import { useLocation } from '../lib/router.js';
import { Link } from './Link.js';
import { TimeRangePicker } from './TimeRangePicker.js';

const nav = [
  { to: '/', label: 'Overview', match: (p: string) => p === '/' },
  { to: '/map', label: 'Service map', match: (p: string) => p.startsWith('/map') },
  { to: '/traces', label: 'Traces', match: (p: string) => p.startsWith('/traces') },
  { to: '/logs', label: 'Logs', match: (p: string) => p.startsWith('/logs') },
  { to: '/metrics', label: 'Metrics', match: (p: string) => p.startsWith('/metrics') },
];

export function Layout({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Glassbox <span className="brand-sub">observatory</span>
        </Link>
        <nav className="nav" aria-label="Main">
          {nav.map((item) => (
            <Link
              key={item.to}
              to={item.to}
              className={item.match(pathname) ? 'nav-link active' : 'nav-link'}
              aria-current={item.match(pathname) ? 'page' : undefined}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <TimeRangePicker />
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
