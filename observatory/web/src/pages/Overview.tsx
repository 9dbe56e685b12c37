import { type ReactNode, useMemo } from 'react';
import { useRed, useSelfHealth, useServices } from '../api/hooks.js';
import type { RedService, SelfHealth, ServiceSummary } from '../api/schemas.js';
import { Sparkline } from '../charts/Sparkline.js';
import { Link } from '../components/Link.js';
import { Empty, ErrorState, Loading } from '../components/States.js';
import {
  formatAgo,
  formatBytes,
  formatDurationMs,
  formatNumber,
  formatPercent,
  formatRatePerSec,
} from '../lib/format.js';
import { useTime } from '../lib/timeContext.js';
import { href } from '../lib/url.js';
import { useServiceColors } from '../lib/useServiceColors.js';
import { useTitle } from '../lib/useTitle.js';

interface Row {
  name: string;
  red: RedService | undefined;
  summary: ServiceSummary | undefined;
}

export function OverviewPage() {
  useTitle('Overview');
  const red = useRed();
  const services = useServices();
  const { window } = useTime();
  const colorOf = useServiceColors();

  const rows = useMemo<Row[]>(() => {
    const byName = new Map<string, Row>();
    for (const s of services.data?.services ?? [])
      byName.set(s.name, { name: s.name, red: undefined, summary: s });
    for (const r of red.data?.services ?? []) {
      const row = byName.get(r.service) ?? { name: r.service, red: undefined, summary: undefined };
      row.red = r;
      byName.set(r.service, row);
    }
    return [...byName.values()].sort(
      (a, b) => (b.red?.requestRate ?? -1) - (a.red?.requestRate ?? -1) || a.name.localeCompare(b.name),
    );
  }, [red.data, services.data]);

  const domain: [number, number] = [window.startMs, window.endMs];
  const loading = (red.isPending && !red.data) || (services.isPending && !services.data);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Overview</h1>
        <p className="muted">
          Requests, errors and latency of every service, from its server and consumer spans.
        </p>
      </div>

      <SelfPanel />

      <section className="card">
        <div className="card-head">
          <h2>Services</h2>
          <span className="muted small">{rows.length ? `${rows.length} services` : ''}</span>
        </div>
        {red.error ? <ErrorState error={red.error} onRetry={() => void red.refetch()} /> : null}
        {services.error && !red.error ? (
          <ErrorState error={services.error} onRetry={() => void services.refetch()} />
        ) : null}
        {loading ? (
          <Loading />
        ) : rows.length === 0 ? (
          red.error || services.error ? null : (
            <Empty>
              No telemetry in this window yet. Point an OpenTelemetry exporter at the observatory (OTLP HTTP
              :4318, gRPC :4317) and data will show up here.
            </Empty>
          )
        ) : (
          <table className="table services-table" data-testid="services-table">
            <thead>
              <tr>
                <th>Service</th>
                <th className="num">Requests</th>
                <th />
                <th className="num">Errors</th>
                <th />
                <th className="num">p50</th>
                <th className="num">p95</th>
                <th />
                <th className="num">p99</th>
                <th className="num">Spans</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const series = row.red?.series ?? [];
                const color = colorOf(row.name);
                return (
                  <tr key={row.name} data-service={row.name}>
                    <td>
                      <span className="dot" style={{ background: color }} />
                      <Link to={`/services/${encodeURIComponent(row.name)}`} className="strong">
                        {row.name}
                      </Link>
                    </td>
                    <td className="num">{row.red ? formatRatePerSec(row.red.requestRate) : '—'}</td>
                    <td className="spark">
                      <Sparkline
                        label={`${row.name} request rate`}
                        points={series.map((p) => [p.tMs, p.requestRate] as const)}
                        domain={domain}
                        color={color}
                      />
                    </td>
                    <td className={`num ${(row.red?.errorRatio ?? 0) > 0.01 ? 'bad' : ''}`}>
                      {row.red ? formatPercent(row.red.errorRatio) : '—'}
                    </td>
                    <td className="spark">
                      <Sparkline
                        label={`${row.name} error ratio`}
                        points={series.map((p) => [p.tMs, p.errorRatio] as const)}
                        domain={domain}
                        color="#d64545"
                      />
                    </td>
                    <td className="num">{formatDurationMs(row.red?.p50Ms)}</td>
                    <td className="num">{formatDurationMs(row.red?.p95Ms)}</td>
                    <td className="spark">
                      <Sparkline
                        label={`${row.name} p95 latency`}
                        points={series.map((p) => [p.tMs, p.p95Ms] as const)}
                        domain={domain}
                        color="#7a5cc2"
                      />
                    </td>
                    <td className="num">{formatDurationMs(row.red?.p99Ms)}</td>
                    <td
                      className="num muted"
                      title={row.summary ? `last seen ${formatAgo(row.summary.lastSeenMs, Date.now())}` : ''}
                    >
                      {row.summary ? formatNumber(row.summary.spanCount) : '—'}
                    </td>
                    <td className="links">
                      <Link to={href('/traces', { service: row.name })}>traces</Link>
                      <Link to={href('/logs', { service: row.name })}>logs</Link>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

const sum = (c: { spans: number; logs: number; metricPoints: number }) => c.spans + c.logs + c.metricPoints;

function SelfPanel() {
  const self = useSelfHealth();
  if (self.error && !self.data) {
    return (
      <section className="card">
        <h2>Observatory health</h2>
        <ErrorState error={self.error} onRetry={() => void self.refetch()} />
      </section>
    );
  }
  const s: SelfHealth | undefined = self.data;
  const pending = '…';
  const ingest = s?.ingest;
  const lost = ingest ? sum(ingest.dropped) + sum(ingest.rejected) : 0;
  const n = (v: number | null | undefined, f: (x: number) => string = formatNumber) =>
    s === undefined ? pending : v === null || v === undefined ? '—' : f(v);
  return (
    <section className="health" aria-label="Observatory health" data-testid="self-health">
      <Stat label="Ingest rate" value={ingest ? `${formatNumber(ingest.spansPerSec)} spans/s` : n(null)}>
        {ingest
          ? `${formatNumber(ingest.logsPerSec)} logs/s · ${formatNumber(ingest.metricPointsPerSec)} points/s`
          : s
            ? 'no ingest statistics'
            : ''}
      </Stat>
      <Stat label="Accepted" value={ingest ? `${formatNumber(ingest.accepted.spans)} spans` : n(null)}>
        {ingest
          ? `${formatNumber(ingest.accepted.logs)} logs · ${formatNumber(ingest.accepted.metricPoints)} points`
          : ''}
      </Stat>
      <Stat
        label="Dropped · rejected"
        value={
          ingest ? `${formatNumber(sum(ingest.dropped))} · ${formatNumber(sum(ingest.rejected))}` : n(null)
        }
        bad={lost > 0}
      >
        {ingest ? (lost > 0 ? 'items lost to overload or bad input' : 'nothing lost') : ''}
      </Stat>
      <Stat label="Queue depth" value={n(s?.queueDepth)}>
        rows waiting to be written
      </Stat>
      <Stat label="Store size" value={n(s?.storeBytes, formatBytes)}>
        {s?.storeMaxBytes ? `of ${formatBytes(s.storeMaxBytes)} retention budget` : 'DuckDB'}
      </Stat>
      <Stat label="Query latency p50" value={n(s?.queryLatencyMs.p50, formatDurationMs)}>
        {s ? `p95 ${formatDurationMs(s.queryLatencyMs.p95)}` : ''}
      </Stat>
    </section>
  );
}

function Stat({
  label,
  value,
  bad,
  children,
}: {
  label: string;
  value: string;
  bad?: boolean;
  children?: ReactNode;
}) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className={`stat-value ${bad ? 'bad' : ''}`}>{value}</div>
      <div className="stat-sub muted">{children}</div>
    </div>
  );
}
