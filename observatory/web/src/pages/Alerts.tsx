import { useAlerts } from '../api/hooks.js';
import type { ActiveAlert, AlertTransition } from '../api/schemas.js';
import { Link } from '../components/Link.js';
import { Empty, ErrorState, Loading } from '../components/States.js';
import { contextLinks, displayLabels, runbookHref } from '../lib/alerts.js';
import { formatAgo, formatClock } from '../lib/format.js';
import { useTitle } from '../lib/useTitle.js';

function Labels({ labels }: { labels: Readonly<Record<string, string>> }) {
  return (
    <div className="label-chips">
      {displayLabels(labels).map(([k, v]) => (
        <span key={k} className="label-chip mono">
          {k}=<strong>{v}</strong>
        </span>
      ))}
    </div>
  );
}

function AlertCard({ alert, nowMs }: { alert: ActiveAlert; nowMs: number }) {
  const links = contextLinks(alert.service, alert.activeAtMs, nowMs);
  const runbook = runbookHref(alert.annotations.runbook_url ?? '');
  return (
    <article
      className={`alert-card alert-${alert.state}`}
      data-testid="alert-card"
      data-alert={alert.name}
      data-state={alert.state}
      data-severity={alert.severity}
    >
      <header className="alert-head">
        <span className={`state-chip state-${alert.state}`}>{alert.state}</span>
        <span className={`severity severity-${alert.severity}`}>{alert.severity}</span>
        <h3>{alert.name}</h3>
        <span className="muted small">
          {alert.service ? (
            <>
              service <Link to={`/services/${encodeURIComponent(alert.service)}`}>{alert.service}</Link> ·{' '}
            </>
          ) : null}
          active since {formatClock(alert.activeAtMs, true)} ({formatAgo(alert.activeAtMs, nowMs)})
          {alert.firedAtMs !== null ? ` · firing since ${formatClock(alert.firedAtMs)}` : ''}
        </span>
      </header>
      {alert.annotations.summary ? <p className="alert-summary">{alert.annotations.summary}</p> : null}
      {alert.annotations.description ? (
        <p className="muted small alert-description">{alert.annotations.description}</p>
      ) : null}
      <Labels labels={alert.labels} />
      <div className="alert-links small">
        <Link to={links.traces} data-testid="alert-traces">
          Traces of {alert.service || 'all services'} around the start
        </Link>
        <Link to={links.logs} data-testid="alert-logs">
          Logs around the start
        </Link>
        {runbook ? (
          <a href={runbook} target="_blank" rel="noreferrer" data-testid="alert-runbook">
            Runbook ({alert.annotations.runbook_url})
          </a>
        ) : null}
      </div>
    </article>
  );
}

function HistoryRow({ h }: { h: AlertTransition }) {
  return (
    <tr data-testid="alert-history-row">
      <td className="mono small">{formatClock(h.atMs, true)}</td>
      <td className="strong">{h.name}</td>
      <td>
        <span className={`severity severity-${h.severity}`}>{h.severity}</span>
      </td>
      <td>{h.service}</td>
      <td className="small">
        <span className={`state-chip state-${h.from}`}>{h.from}</span> →{' '}
        <span className={`state-chip state-${h.to}`}>{h.to}</span>
      </td>
      <td>
        <Labels labels={h.labels} />
      </td>
    </tr>
  );
}

export function AlertsPage() {
  useTitle('Alerts');
  const q = useAlerts();
  const data = q.data;
  const nowMs = data?.evaluation.lastEvaluation ?? Date.now();
  const firing = data?.alerts.filter((a) => a.state === 'firing') ?? [];
  const pending = data?.alerts.filter((a) => a.state === 'pending') ?? [];
  return (
    <div className="page">
      <div className="page-head">
        <h1>Alerts</h1>
        <p className="muted">
          The alerts of <span className="mono">deploy/prometheus/rules</span>, evaluated here every{' '}
          {data ? `${data.evaluation.intervalMs / 1000} s` : '…'}
          {data && data.evaluation.timeScale !== 1 ? ` (time scale ×${data.evaluation.timeScale})` : ''}. Also
          as Prometheus answers them: <span className="mono">/prometheus/api/v1/alerts</span>.
          {data?.evaluation.lastError ? (
            <strong className="tone-bad"> Last evaluation failed: {data.evaluation.lastError}</strong>
          ) : null}
        </p>
      </div>
      {q.error ? <ErrorState error={q.error} onRetry={() => void q.refetch()} /> : null}
      {!data && q.isPending ? <Loading /> : null}
      {data ? (
        <>
          <section className="card">
            <div className="card-head">
              <h2>Firing</h2>
              <span className="muted small">{firing.length}</span>
            </div>
            {firing.length === 0 ? <Empty>Nothing is firing.</Empty> : null}
            {firing.map((a) => (
              <AlertCard key={JSON.stringify(a.labels)} alert={a} nowMs={nowMs} />
            ))}
          </section>
          <section className="card">
            <div className="card-head">
              <h2>Pending</h2>
              <span className="muted small">{pending.length}</span>
            </div>
            {pending.length === 0 ? <Empty>Nothing is pending.</Empty> : null}
            {pending.map((a) => (
              <AlertCard key={JSON.stringify(a.labels)} alert={a} nowMs={nowMs} />
            ))}
          </section>
          <section className="card">
            <div className="card-head">
              <h2>Recent history</h2>
              <span className="muted small">{data.history.length} transitions</span>
            </div>
            {data.history.length === 0 ? (
              <Empty>No alert has changed state since the observatory started.</Empty>
            ) : (
              <table className="table" data-testid="alert-history">
                <thead>
                  <tr>
                    <th>when</th>
                    <th>alert</th>
                    <th>severity</th>
                    <th>service</th>
                    <th>change</th>
                    <th>labels</th>
                  </tr>
                </thead>
                <tbody>
                  {data.history.slice(0, 100).map((h) => (
                    <HistoryRow key={`${h.atMs}-${JSON.stringify(h.labels)}-${h.to}`} h={h} />
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      ) : null}
    </div>
  );
}
