import { useRemediations } from '../api/hooks.js';
import type { Remediation } from '../api/schemas.js';
import { Link } from '../components/Link.js';
import { Empty, ErrorState, Loading } from '../components/States.js';
import { formatClock, formatDurationMs } from '../lib/format.js';
import { useTitle } from '../lib/useTitle.js';

/** How a step's status reads as a chip: healed green, acted-and-failed or paged red, held back amber. */
export function statusTone(status: string): 'resolved' | 'firing' | 'pending' {
  if (status === 'succeeded') return 'resolved';
  if (status === 'failed' || status === 'paged' || status === 'rejected') return 'firing';
  return 'pending';
}

function Row({ r }: { r: Remediation }) {
  const at = Date.parse(r.startedAt ?? r.createdAt);
  return (
    <tr data-testid="remediation-row" data-action={r.action} data-status={r.status}>
      <td className="mono small">{formatClock(at, true)}</td>
      <td>
        <span className="strong">{r.alertname}</span>
        <div className="muted small">
          runbook {r.runbook}, step {r.step + 1}
        </div>
      </td>
      <td className="mono">{r.action}</td>
      <td>{r.target ? <Link to={`/services/${encodeURIComponent(r.target)}`}>{r.target}</Link> : null}</td>
      <td className="small">{r.decision}</td>
      <td>
        <span className={`state-chip state-${statusTone(r.status)}`}>{r.status}</span>
        {r.verification ? <div className="muted small">verified: {r.verification}</div> : null}
      </td>
      <td className="small">{r.durationMs === null ? '' : formatDurationMs(r.durationMs)}</td>
      <td className="small">
        {r.detail}
        {r.traceId ? (
          <>
            {' '}
            <Link to={`/traces/${r.traceId}`}>trace</Link>
          </>
        ) : null}
      </td>
    </tr>
  );
}

export function RemediationsPage() {
  useTitle('Remediations');
  const q = useRemediations();
  const data = q.data;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Remediations</h1>
        <p className="muted">
          What the healer did about the alerts: each step of a runbook (
          <span className="mono">runbooks/*.yaml</span>
          ), the safeguards’ decision, the result of its verification and how long it took.
          {data ? (
            <>
              {' '}
              Mode: {data.mode.dryRun ? <strong className="tone-bad">dry-run</strong> : 'acting'}, approval{' '}
              {data.mode.approval}, cooldown {data.mode.cooldownSeconds} s per target, at most{' '}
              {data.mode.maxActionsPerHour} actions per hour.
            </>
          ) : null}
        </p>
      </div>
      {q.error ? <ErrorState error={q.error} onRetry={() => void q.refetch()} /> : null}
      {!data && q.isPending ? <Loading /> : null}
      {data ? (
        <>
          <section className="card">
            <div className="card-head">
              <h2>Audit log</h2>
              <span className="muted small">{data.remediations.length} steps</span>
            </div>
            {data.remediations.length === 0 ? (
              <Empty>The healer has not acted yet.</Empty>
            ) : (
              <table className="table" data-testid="remediations">
                <thead>
                  <tr>
                    <th>when</th>
                    <th>alert</th>
                    <th>action</th>
                    <th>target</th>
                    <th>decision</th>
                    <th>result</th>
                    <th>took</th>
                    <th>detail</th>
                  </tr>
                </thead>
                <tbody>
                  {data.remediations.map((r) => (
                    <Row key={r.id} r={r} />
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section className="card">
            <div className="card-head">
              <h2>Runbooks</h2>
              <span className="muted small">{data.runbooks.length}</span>
            </div>
            <table className="table" data-testid="runbooks">
              <thead>
                <tr>
                  <th>runbook</th>
                  <th>matches</th>
                  <th>actions, in order (then a page)</th>
                </tr>
              </thead>
              <tbody>
                {data.runbooks.map((r) => (
                  <tr key={r.name}>
                    <td>
                      <span className="strong">{r.name}</span>
                      <div className="muted small">{r.description}</div>
                    </td>
                    <td className="mono small">{r.match.join(', ')}</td>
                    <td className="mono small">{r.actions.join(' → ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      ) : null}
    </div>
  );
}
