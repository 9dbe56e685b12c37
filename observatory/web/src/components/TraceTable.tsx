import type { TraceQuery } from '../api/client.js';
import { useTraces } from '../api/hooks.js';
import type { TraceSummary } from '../api/schemas.js';
import { formatClock, formatDurationMs, shortId } from '../lib/format.js';
import { navigate } from '../lib/router.js';
import { traceHref } from '../lib/url.js';
import { useServiceColors } from '../lib/useServiceColors.js';
import { Link } from './Link.js';
import { QueryView } from './States.js';

/** Traces matching a query, newest first, with a duration bar and the services each one touched. */
export function TraceTable({ query, compact = false }: { query: TraceQuery; compact?: boolean }) {
  const traces = useTraces(query);
  return (
    <QueryView
      query={traces}
      isEmpty={(d) => d.traces.length === 0}
      empty="No traces match in this window. Widen the time range or loosen the filters."
    >
      {(d) => <TraceRows traces={d.traces} compact={compact} />}
    </QueryView>
  );
}

export function TraceRows({ traces, compact }: { traces: TraceSummary[]; compact?: boolean }) {
  const colorOf = useServiceColors();
  const longest = Math.max(...traces.map((t) => t.durationMs), 0.001);
  return (
    <table className="table trace-table" data-testid="trace-results">
      <thead>
        <tr>
          <th>Started</th>
          <th>Root</th>
          <th className="num">Duration</th>
          <th />
          <th className="num">Spans</th>
          {compact ? null : <th>Services</th>}
          <th>Trace</th>
        </tr>
      </thead>
      <tbody>
        {traces.map((t) => (
          <tr
            key={t.traceId}
            className="clickable"
            data-trace-id={t.traceId}
            onClick={(e) => {
              if ((e.target as HTMLElement).closest('a')) return;
              navigate(traceHref(t.traceId, t.startTimeMs));
            }}
          >
            <td className="mono nowrap">{formatClock(t.startTimeMs)}</td>
            <td className="root-cell" title={`${t.rootService} ${t.rootName}`}>
              <span className="dot" style={{ background: colorOf(t.rootService) }} />
              <span className="muted">{t.rootService}</span> <span className="strong">{t.rootName}</span>
              {t.errorCount > 0 ? <span className="badge badge-error">{t.errorCount} err</span> : null}
            </td>
            <td className="num nowrap">{formatDurationMs(t.durationMs)}</td>
            <td className="bar-cell">
              <div className="duration-bar">
                <div
                  style={{
                    width: `${Math.max(1, (t.durationMs / longest) * 100)}%`,
                    background: t.errorCount > 0 ? '#e38b8b' : '#9db5ea',
                  }}
                />
              </div>
            </td>
            <td className="num">{t.spanCount}</td>
            {compact ? null : (
              <td>
                <div className="chips">
                  {t.services.map((s) => (
                    <span key={s.name} className="chip" title={`${s.spanCount} spans`}>
                      <span className="dot" style={{ background: colorOf(s.name) }} />
                      {s.name} <span className="muted">{s.spanCount}</span>
                    </span>
                  ))}
                </div>
              </td>
            )}
            <td className="mono">
              <Link to={traceHref(t.traceId, t.startTimeMs)}>{shortId(t.traceId, 12)}</Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
