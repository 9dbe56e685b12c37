import type { ReactNode } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary.js';
import { Layout } from './components/Layout.js';
import { Link } from './components/Link.js';
import { Empty } from './components/States.js';
import { useLocation } from './lib/router.js';
import { TimeProvider } from './lib/timeContext.js';
import { matchPath } from './lib/url.js';
import { AlertsPage } from './pages/Alerts.js';
import { FaultsPage } from './pages/Faults.js';
import { FlashSalePage } from './pages/FlashSale.js';
import { LogsPage } from './pages/Logs.js';
import { MetricsPage } from './pages/Metrics.js';
import { OverviewPage } from './pages/Overview.js';
import { RemediationsPage } from './pages/Remediations.js';
import { ServiceMapPage } from './pages/ServiceMap.js';
import { ServicePage } from './pages/ServicePage.js';
import { SlosPage } from './pages/Slos.js';
import { TracePage } from './pages/TracePage.js';
import { TraceSearchPage } from './pages/TraceSearch.js';

const routes: { pattern: string; render: (params: Record<string, string>) => ReactNode }[] = [
  { pattern: '/', render: () => <OverviewPage /> },
  { pattern: '/map', render: () => <ServiceMapPage /> },
  { pattern: '/services/:service', render: (p) => <ServicePage key={p.service} service={p.service!} /> },
  { pattern: '/traces', render: () => <TraceSearchPage /> },
  { pattern: '/traces/:traceId', render: (p) => <TracePage key={p.traceId} traceId={p.traceId!} /> },
  { pattern: '/logs', render: () => <LogsPage /> },
  { pattern: '/metrics', render: () => <MetricsPage /> },
  { pattern: '/slos', render: () => <SlosPage /> },
  { pattern: '/alerts', render: () => <AlertsPage /> },
  { pattern: '/faults', render: () => <FaultsPage /> },
  { pattern: '/remediations', render: () => <RemediationsPage /> },
  { pattern: '/flash-sale', render: () => <FlashSalePage /> },
];

function Routes() {
  const { pathname } = useLocation();
  for (const route of routes) {
    const params = matchPath(route.pattern, pathname);
    if (params) return <ErrorBoundary resetKey={pathname}>{route.render(params)}</ErrorBoundary>;
  }
  return (
    <div className="page">
      <Empty>
        No page at <span className="mono">{pathname}</span>. <Link to="/">Go to the overview</Link>
      </Empty>
    </div>
  );
}

export function App() {
  return (
    <TimeProvider>
      <Layout>
        <Routes />
      </Layout>
    </TimeProvider>
  );
}
