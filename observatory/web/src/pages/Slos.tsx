import { useMemo, useState } from 'react';
import { useSlos } from '../api/hooks.js';
import { type Slo, type SloWindow, sloWindows } from '../api/schemas.js';
import { BurnRateChart, type BurnSeries } from '../charts/BurnRateChart.js';
import { Link } from '../components/Link.js';
import { Empty, ErrorState, Loading } from '../components/States.js';
import { budgetTone, runbookHref, worstState } from '../lib/alerts.js';
import { serviceColor } from '../lib/colors.js';
import { formatNumber, formatPercent } from '../lib/format.js';
import { useTitle } from '../lib/useTitle.js';

const CHART_WINDOWS: readonly SloWindow[] = ['5m', '1h', '6h'];

function Burn({ value }: { value: number | null }) {
  if (value === null) return <span className="muted">—</span>;
  const tone = value >= 14.4 ? 'bad' : value >= 1 ? 'warn' : 'ok';
  return <span className={`burn burn-${tone}`}>{formatNumber(value)}×</span>;
}

function BudgetBar({ remaining }: { remaining: number | null }) {
  const tone = budgetTone(remaining);
  const width = remaining === null ? 0 : Math.max(0, Math.min(1, remaining)) * 100;
  return (
    <div className="budget" title="error budget remaining over the SLO period">
      <div className="budget-track">
        <div className={`budget-fill tone-${tone}`} style={{ width: `${width}%` }} />
      </div>
      <span className={`budget-text tone-${tone}`}>{formatPercent(remaining)}</span>
    </div>
  );
}

function StateChip({ state }: { state: 'inactive' | 'pending' | 'firing' }) {
  return <span className={`state-chip state-${state}`}>{state === 'inactive' ? 'ok' : state}</span>;
}

function SloRow({ slo }: { slo: Slo }) {
  const state = worstState(slo.alerts.map((a) => a.state));
  const runbook = runbookHref(slo.runbookUrl);
  return (
    <tr className={`slo-row slo-${state}`} data-testid={`slo-${slo.id}`} data-state={state}>
      <td>
        <div className="strong">
          {slo.service} / {slo.name}
        </div>
        <div className="muted small" title={slo.description}>
          {slo.summary}
        </div>
      </td>
      <td className="small">
        <Link to={`/services/${encodeURIComponent(slo.alertService)}`}>{slo.alertService}</Link>
        <div className="muted">{slo.owner}</div>
      </td>
      <td className="num">{formatPercent(slo.objective)}</td>
      <td className="num">{formatPercent(slo.sli['5m'])}</td>
      <td className="num">{formatPercent(slo.sli['1h'])}</td>
      <td className="num">
        <Burn value={slo.burnRate['5m']} />
      </td>
      <td className="num">
        <Burn value={slo.burnRate['1h']} />
      </td>
      <td className="num">
        <Burn value={slo.burnRate['6h']} />
      </td>
      <td>
        <BudgetBar remaining={slo.errorBudgetRemaining} />
      </td>
      <td>
        {slo.alerts.map((a) => (
          <div key={a.severity} className="small">
            <StateChip state={a.state} /> {a.severity}
          </div>
        ))}
      </td>
      <td className="links small">
        {runbook ? (
          <a href={runbook} target="_blank" rel="noreferrer">
            runbook
          </a>
        ) : null}
      </td>
    </tr>
  );
}

export function SlosPage() {
  useTitle('SLOs');
  const [window, setWindow] = useState<SloWindow>('1h');
  const slos = useSlos(window);
  const data = slos.data;
  const series = useMemo<BurnSeries[]>(
    () =>
      (data?.slos ?? []).map((s) => ({
        id: s.id,
        label: `${s.service}/${s.name}`,
        color: serviceColor(s.id),
        points: s.history.map((p) => [p.tMs, p.burnRate] as const),
        emphasis: s.alerts.some((a) => a.state !== 'inactive'),
      })),
    [data],
  );
  const thresholds = useMemo(
    () =>
      (data?.thresholds ?? [])
        .filter((t) => t.long === window || t.short === window)
        .map((t) => ({ factor: t.factor, severity: t.severity, label: `${t.factor}× ${t.severity}` })),
    [data, window],
  );
  const allThresholds =
    thresholds.length > 0
      ? thresholds
      : (data?.thresholds ?? []).map((t) => ({
          factor: t.factor,
          severity: t.severity,
          label: `${t.factor}× ${t.severity}`,
        }));

  return (
    <div className="page">
      <div className="page-head row">
        <div>
          <h1>SLOs</h1>
          <p className="muted">
            Every SLO of <span className="mono">slo/*.yaml</span>, judged by the observatory from the rule
            files Prometheus uses: SLI, burn rate (error ratio ÷ error budget) and the budget left over 30
            days.
            {data && data.timeScale !== 1 ? (
              <strong className="scale-note">
                {' '}
                Time scale ×{data.timeScale}: every window is {data.timeScale}× shorter.
              </strong>
            ) : null}
          </p>
        </div>
      </div>

      <section className="card">
        <div className="card-head">
          <h2>Burn rate over {window}</h2>
          <fieldset className="segmented" aria-label="burn rate window">
            {CHART_WINDOWS.filter((w) => sloWindows.includes(w)).map((w) => (
              <button
                key={w}
                type="button"
                className={w === window ? 'active' : ''}
                aria-pressed={w === window}
                onClick={() => setWindow(w)}
              >
                {w}
              </button>
            ))}
          </fieldset>
        </div>
        {slos.error ? <ErrorState error={slos.error} onRetry={() => void slos.refetch()} /> : null}
        {data ? (
          <BurnRateChart series={series} thresholds={allThresholds} domain={[data.startMs, data.endMs]} />
        ) : slos.isPending ? (
          <Loading />
        ) : null}
      </section>

      <section className="card">
        <div className="card-head">
          <h2>Objectives</h2>
          <span className="muted small">{data ? `${data.slos.length} SLOs` : ''}</span>
        </div>
        {data && data.slos.length === 0 ? <Empty>No SLO in the rule files.</Empty> : null}
        {data && data.slos.length > 0 ? (
          <table className="table slo-table" data-testid="slo-table">
            <thead>
              <tr>
                <th>SLO</th>
                <th>service</th>
                <th className="num">objective</th>
                <th className="num">SLI 5m</th>
                <th className="num">SLI 1h</th>
                <th className="num">burn 5m</th>
                <th className="num">burn 1h</th>
                <th className="num">burn 6h</th>
                <th>budget left</th>
                <th>alerts</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.slos.map((s) => (
                <SloRow key={s.id} slo={s} />
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </div>
  );
}
