import { useOperations, useRed, useRoutes } from '../api/hooks.js';
import type { RedPoint } from '../api/schemas.js';
import { LineChart } from '../charts/LineChart.js';
import { Link } from '../components/Link.js';
import { Empty, ErrorState, Loading, QueryView } from '../components/States.js';
import { TraceTable } from '../components/TraceTable.js';
import { useFaultMarkers } from '../lib/faultMarkers.js';
import { formatDurationMs, formatPercent, formatRatePerSec } from '../lib/format.js';
import { navigate } from '../lib/router.js';
import { windowAround } from '../lib/time.js';
import { useTime } from '../lib/timeContext.js';
import { href } from '../lib/url.js';
import { useServiceColors } from '../lib/useServiceColors.js';
import { useTitle } from '../lib/useTitle.js';

export function ServicePage({ service }: { service: string }) {
  useTitle(service);
  const red = useRed();
  const { window, stepMs } = useTime();
  const colorOf = useServiceColors();
  const color = colorOf(service);
  const mine = red.data?.services.find((s) => s.service === service);
  const series: RedPoint[] = mine?.series ?? [];
  const domain: [number, number] = [window.startMs, window.endMs];
  const markers = useFaultMarkers(domain, service);

  const tracesAround = (tMs: number, extra: Record<string, string> = {}) => {
    const w = windowAround(tMs + stepMs / 2, stepMs);
    navigate(href('/traces', { service, from: w.startMs, to: w.endMs, ...extra }));
  };

  return (
    <div className="page">
      <div className="page-head row">
        <div>
          <h1>
            <span className="dot dot-lg" style={{ background: color }} />
            {service}
          </h1>
          <p className="muted">
            {mine
              ? `${formatRatePerSec(mine.requestRate)} · ${formatPercent(mine.errorRatio)} errors · p50 ${formatDurationMs(mine.p50Ms)} · p95 ${formatDurationMs(mine.p95Ms)} · p99 ${formatDurationMs(mine.p99Ms)}`
              : 'No server or consumer spans from this service in the window.'}
          </p>
        </div>
        <div className="actions">
          <Link className="btn" to={href('/traces', { service })}>
            Traces
          </Link>
          <Link className="btn" to={href('/traces', { service, errorsOnly: 'true' })}>
            Error traces
          </Link>
          <Link className="btn" to={href('/logs', { service })}>
            Logs
          </Link>
        </div>
      </div>

      {red.error && !red.data ? <ErrorState error={red.error} onRetry={() => void red.refetch()} /> : null}
      {red.isPending && !red.data ? (
        <Loading />
      ) : (
        <div className="chart-grid">
          <section className="card">
            <LineChart
              title="Requests per second"
              domain={domain}
              markers={markers}
              formatValue={formatRatePerSec}
              series={[
                {
                  id: 'rate',
                  label: 'requests',
                  color,
                  points: series.map((p) => [p.tMs, p.requestRate] as const),
                },
              ]}
              onPointClick={(t) => tracesAround(t)}
              clickHint="click: traces around this moment"
            />
          </section>
          <section className="card">
            <LineChart
              title="Error ratio"
              domain={domain}
              markers={markers}
              formatValue={formatPercent}
              series={[
                {
                  id: 'err',
                  label: 'errors',
                  color: '#d64545',
                  points: series.map((p) => [p.tMs, p.errorRatio] as const),
                },
              ]}
              onPointClick={(t) => tracesAround(t, { errorsOnly: 'true' })}
              clickHint="click: error traces around this moment"
            />
          </section>
          <section className="card" data-testid="latency-chart">
            <LineChart
              title="Latency p95"
              domain={domain}
              markers={markers}
              formatValue={formatDurationMs}
              series={[
                {
                  id: 'p95',
                  label: 'p95',
                  color: '#7a5cc2',
                  points: series.map((p) => [p.tMs, p.p95Ms] as const),
                },
              ]}
              onPointClick={(t) => tracesAround(t)}
              clickHint="click: traces around this moment"
            />
          </section>
        </div>
      )}

      <div className="two-col">
        <section className="card">
          <h2>Routes</h2>
          <RoutesTable service={service} />
        </section>
        <section className="card">
          <h2>Operations</h2>
          <OperationsList service={service} />
        </section>
      </div>

      <section className="card">
        <div className="card-head">
          <h2>Recent traces</h2>
          <Link to={href('/traces', { service })}>search all →</Link>
        </div>
        <TraceTable query={{ service, limit: 10 }} compact />
      </section>
    </div>
  );
}

function RoutesTable({ service }: { service: string }) {
  const routes = useRoutes(service);
  return (
    <QueryView query={routes} isEmpty={(d) => d.routes.length === 0} empty="No routes in this window.">
      {(d) => (
        <table className="table" data-testid="routes-table">
          <thead>
            <tr>
              <th>Route</th>
              <th className="num">Requests</th>
              <th className="num">Errors</th>
              <th className="num">p50</th>
              <th className="num">p95</th>
              <th className="num">p99</th>
            </tr>
          </thead>
          <tbody>
            {[...d.routes]
              .sort((a, b) => b.requestRate - a.requestRate)
              .map((r) => (
                <tr key={r.route}>
                  <td className="mono">{r.route}</td>
                  <td className="num">{formatRatePerSec(r.requestRate)}</td>
                  <td className={`num ${(r.errorRatio ?? 0) > 0.01 ? 'bad' : ''}`}>
                    {formatPercent(r.errorRatio)}
                  </td>
                  <td className="num">{formatDurationMs(r.p50Ms)}</td>
                  <td className="num">{formatDurationMs(r.p95Ms)}</td>
                  <td className="num">{formatDurationMs(r.p99Ms)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </QueryView>
  );
}

function OperationsList({ service }: { service: string }) {
  const ops = useOperations(service);
  if (ops.isPending) return <Loading />;
  if (ops.error) return <ErrorState error={ops.error} onRetry={() => void ops.refetch()} />;
  if (ops.data.operations.length === 0) return <Empty>No operations recorded.</Empty>;
  return (
    <ul className="op-list" data-testid="operations">
      {[...ops.data.operations]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((op) => (
          <li key={`${op.name}|${op.spanKind}`}>
            <Link to={href('/traces', { service, operation: op.name })} className="mono">
              {op.name}
            </Link>
            <span className="kind">{op.spanKind}</span>
          </li>
        ))}
    </ul>
  );
}
