import type { ReactNode } from 'react';
import { useAlerts } from '../api/hooks.js';
import { alertCounts } from '../lib/alerts.js';
import { useLocation } from '../lib/router.js';
import { Link } from './Link.js';
import { TimeRangePicker } from './TimeRangePicker.js';

const nav = [
  { to: '/', label: 'Overview', match: (p: string) => p === '/' },
  { to: '/map', label: 'Service map', match: (p: string) => p.startsWith('/map') },
  { to: '/traces', label: 'Traces', match: (p: string) => p.startsWith('/traces') },
  { to: '/logs', label: 'Logs', match: (p: string) => p.startsWith('/logs') },
  { to: '/metrics', label: 'Metrics', match: (p: string) => p.startsWith('/metrics') },
  { to: '/slos', label: 'SLOs', match: (p: string) => p.startsWith('/slos') },
  { to: '/alerts', label: 'Alerts', match: (p: string) => p.startsWith('/alerts') },
  { to: '/faults', label: 'Faults', match: (p: string) => p.startsWith('/faults') },
  { to: '/remediations', label: 'Remediations', match: (p: string) => p.startsWith('/remediations') },
  { to: '/flash-sale', label: 'Flash sale', match: (p: string) => p.startsWith('/flash-sale') },
];

/** Firing (red) and pending (amber) alerts, on every page; a click opens the Alerts page. */
function AlertBadge() {
  const alerts = useAlerts();
  if (!alerts.data) return null;
  const { firing, pending } = alertCounts(alerts.data.alerts);
  const tone = firing > 0 ? 'firing' : pending > 0 ? 'pending' : 'ok';
  const text = firing > 0 ? `${firing} firing` : pending > 0 ? `${pending} pending` : 'no alerts';
  return (
    <Link
      to="/alerts"
      className={`alert-badge alert-badge-${tone}`}
      data-testid="alert-badge"
      data-firing={firing}
      data-pending={pending}
      title={`${firing} firing, ${pending} pending`}
    >
      <span className="alert-badge-dot" aria-hidden="true" />
      {text}
    </Link>
  );
}

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
        <AlertBadge />
        <TimeRangePicker />
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
