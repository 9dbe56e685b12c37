import { useMemo } from 'react';
import { useMetricQuery } from '../api/hooks.js';
import type { MetricSeries } from '../api/schemas.js';
import { type ChartSeries, LineChart } from '../charts/LineChart.js';
import { ErrorState, Loading } from '../components/States.js';
import { chartPalette } from '../lib/colors.js';
import { FLASH_METRICS, OUTCOME, summarizeFlashSale } from '../lib/flashSale.js';
import { formatClock, formatDurationMs, formatNumber, formatRatePerSec } from '../lib/format.js';
import { useTime } from '../lib/timeContext.js';
import { useTitle } from '../lib/useTitle.js';

const dash = '—';

function toChart(series: readonly MetricSeries[], label: (s: MetricSeries) => string): ChartSeries[] {
  return series.map((s, i) => ({
    id: JSON.stringify(s.labels),
    label: label(s),
    color: chartPalette[i % chartPalette.length]!,
    points: s.points,
  }));
}

function Stat({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div className="stat" data-testid="flash-stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      <div className="stat-sub muted">{sub}</div>
    </div>
  );
}

/**
 * The Flash sale panel (issue 10 §6): accepted purchases per second, when the stock ran out, the admission queue
 * and the p99 admission latency, from the flash-sale service's metrics over the chosen window.
 */
export function FlashSalePage() {
  useTitle('Flash sale');
  const { window, stepMs } = useTime();
  const attempts = useMetricQuery({ name: FLASH_METRICS.attempts, fn: 'rate', groupBy: [OUTCOME], stepMs });
  const p99 = useMetricQuery({ name: FLASH_METRICS.latency, fn: 'p99', stepMs });
  const depth = useMetricQuery({ name: FLASH_METRICS.depth, fn: 'max', stepMs });
  const oversold = useMetricQuery({ name: FLASH_METRICS.oversold, fn: 'max', stepMs });
  const summary = useMemo(
    () =>
      summarizeFlashSale({
        attempts: attempts.data?.series ?? [],
        p99Seconds: p99.data?.series ?? [],
        depth: depth.data?.series ?? [],
        oversold: oversold.data?.series ?? [],
      }),
    [attempts.data, p99.data, depth.data, oversold.data],
  );
  const error = attempts.error ?? p99.error ?? depth.error ?? oversold.error;
  const loading = attempts.isLoading || p99.isLoading || depth.isLoading || oversold.isLoading;
  const domain = [window.startMs, window.endMs] as const;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Flash sale</h1>
        <p className="muted">
          Admission as the flash-sale service measures it: attempts per second by outcome, the admission queue
          and the p99 admission latency, and the oversell check: units held by purchases beyond their sale's
          quantity, read from the durable purchases (always 0; per sale in{' '}
          <span className="mono">GET /api/v1/admin/flash-sales/&#123;id&#125;</span>).
        </p>
      </div>
      {error ? <ErrorState error={error} /> : null}
      {loading ? <Loading label="flash-sale metrics" /> : null}
      <section className="health" aria-label="Flash sale" data-testid="flash-sale-summary">
        <Stat label="Accepted (peak)" value={formatRatePerSec(summary.peakAcceptedPerSec)} />
        <Stat
          label="Sold out"
          value={summary.soldOutAtMs === null ? 'not in this window' : formatClock(summary.soldOutAtMs)}
          sub={
            summary.soldOutAfterMs === null ? undefined : `after ${formatDurationMs(summary.soldOutAfterMs)}`
          }
        />
        <Stat
          label="p99 admission (worst)"
          value={summary.worstP99Ms === null ? dash : formatDurationMs(summary.worstP99Ms)}
        />
        <Stat
          label="Queue depth (max)"
          value={summary.maxQueueDepth === null ? dash : formatNumber(summary.maxQueueDepth)}
        />
        <Stat
          label="Oversold (check)"
          value={summary.maxOversold === null ? dash : `${formatNumber(summary.maxOversold)} units`}
          sub={
            summary.maxOversold === null
              ? undefined
              : summary.maxOversold === 0
                ? 'never oversold'
                : 'OVERSOLD'
          }
        />
      </section>
      <section className="card">
        <LineChart
          title="Attempts per second by outcome"
          domain={domain}
          series={toChart(attempts.data?.series ?? [], (s) => s.labels[OUTCOME] ?? 'attempts')}
          formatValue={formatRatePerSec}
          height={220}
        />
      </section>
      <section className="card">
        <LineChart
          title="p99 admission latency"
          domain={domain}
          series={toChart(p99.data?.series ?? [], () => 'p99')}
          formatValue={(v) => formatDurationMs(v * 1000)}
          height={180}
        />
      </section>
      <section className="card">
        <LineChart
          title="Admission queue depth"
          domain={domain}
          series={toChart(depth.data?.series ?? [], () => 'queue depth')}
          formatValue={formatNumber}
          height={180}
        />
      </section>
    </div>
  );
}
