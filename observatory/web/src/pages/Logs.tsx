import { type FormEvent, useEffect, useMemo, useRef, useState } from 'react';
import { type LogQuery, logTailUrl } from '../api/client.js';
import { useLogs, useServices } from '../api/hooks.js';
import { type LogRecord, logRecordSchema } from '../api/schemas.js';
import { Link } from '../components/Link.js';
import { ServiceSelect } from '../components/ServiceSelect.js';
import { QueryView } from '../components/States.js';
import { formatClock, severityLevel, shortId } from '../lib/format.js';
import { useSearch } from '../lib/router.js';
import { href, traceHref } from '../lib/url.js';
import { useServiceColors } from '../lib/useServiceColors.js';
import { useTitle } from '../lib/useTitle.js';
import { AttributeTable } from '../trace/SpanDetails.js';
import { parseAttrFilters } from './TraceSearch.js';

/** Minimum severities by the names the API takes (shown in capitals). */
const severities = ['', 'debug', 'info', 'warn', 'error', 'fatal'];
const TAIL_CAP = 1000;

function queryFromUrl(search: URLSearchParams): LogQuery {
  return {
    q: search.get('q') ?? undefined,
    severity: search.get('severity') ?? undefined,
    service: search.get('service') ?? undefined,
    traceId: search.get('traceId') ?? undefined,
    attrs: search.getAll('attr'),
    limit: Number(search.get('limit')) || 200,
  };
}

interface Form {
  q: string;
  severity: string;
  service: string;
  traceId: string;
  attrs: string;
}

const toForm = (q: LogQuery): Form => ({
  q: q.q ?? '',
  severity: q.severity?.toLowerCase() ?? '',
  service: q.service ?? '',
  traceId: q.traceId ?? '',
  attrs: (q.attrs ?? []).join(' '),
});

export function LogsPage() {
  useTitle('Logs');
  const [search, setSearch] = useSearch();
  const query = useMemo(() => queryFromUrl(search), [search]);
  const [form, setForm] = useState<Form>(() => toForm(query));
  const tailing = search.get('tail') === 'true';
  const services = useServices();
  const logs = useLogs(query, { enabled: !tailing });

  useEffect(() => setForm(toForm(query)), [query]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearch({
      q: form.q || undefined,
      severity: form.severity || undefined,
      service: form.service || undefined,
      traceId: form.traceId.trim() || undefined,
      attr: parseAttrFilters(form.attrs),
    });
  };
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  return (
    <div className="page">
      <div className="page-head row">
        <h1>Logs</h1>
        <button
          type="button"
          className={`btn ${tailing ? 'btn-live' : ''}`}
          onClick={() => setSearch({ tail: tailing ? undefined : 'true' })}
          data-testid="tail-toggle"
        >
          {tailing ? '■ Stop live tail' : '▶ Live tail'}
        </button>
      </div>
      <form className="card search-form" onSubmit={submit} aria-label="Log search">
        <label className="grow">
          <span>Text</span>
          <input
            name="q"
            placeholder="search the message"
            value={form.q}
            onChange={(e) => set('q', e.target.value)}
          />
        </label>
        <label>
          <span>Min severity</span>
          <select name="severity" value={form.severity} onChange={(e) => set('severity', e.target.value)}>
            {severities.map((s) => (
              <option key={s} value={s}>
                {s ? s.toUpperCase() : 'any'}
              </option>
            ))}
          </select>
        </label>
        <ServiceSelect
          value={form.service}
          services={services.data?.services}
          onChange={(service) => set('service', service)}
        />
        <label>
          <span>Trace id</span>
          <input
            name="traceId"
            className="mono"
            placeholder="32 hex digits"
            value={form.traceId}
            onChange={(e) => set('traceId', e.target.value)}
          />
        </label>
        <label className="grow">
          <span>Attributes</span>
          <input
            name="attrs"
            placeholder="tenant.id=demo"
            value={form.attrs}
            onChange={(e) => set('attrs', e.target.value)}
          />
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>

      {query.traceId ? (
        <div className="notice">
          Showing the logs of trace <span className="mono">{query.traceId}</span> —{' '}
          <Link to={`/traces/${query.traceId}`}>open the trace</Link>
        </div>
      ) : null}

      {tailing ? (
        <LiveTail query={query} />
      ) : (
        <section className="card">
          <QueryView
            query={logs}
            isEmpty={(d) => d.logs.length === 0}
            empty="No log records match in this window."
          >
            {(d) => <LogTable logs={d.logs} />}
          </QueryView>
        </section>
      )}
    </div>
  );
}

type TailState = 'connecting' | 'open' | 'retrying';

function LiveTail({ query }: { query: LogQuery }) {
  const [records, setRecords] = useState<LogRecord[]>([]);
  const [state, setState] = useState<TailState>('connecting');
  const [paused, setPaused] = useState(false);
  const [invalid, setInvalid] = useState(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const url = logTailUrl(query);

  useEffect(() => {
    setRecords([]);
    setState('connecting');
    const source = new EventSource(url);
    const pending: LogRecord[] = [];
    let frame = 0;
    const flush = () => {
      frame = 0;
      if (pending.length === 0) return;
      const batch = pending.splice(0).reverse();
      setRecords((prev) => [...batch, ...prev].slice(0, TAIL_CAP));
    };
    source.onopen = () => setState('open');
    source.onerror = () => setState('retrying');
    source.onmessage = (event: MessageEvent<string>) => {
      if (pausedRef.current) return;
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        setInvalid((n) => n + 1);
        return;
      }
      const parsed = logRecordSchema.safeParse(data);
      if (!parsed.success) {
        setInvalid((n) => n + 1);
        return;
      }
      pending.push(parsed.data);
      // Batch bursts into one render per frame.
      if (!frame) frame = requestAnimationFrame(flush);
    };
    return () => {
      source.close();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [url]);

  return (
    <section className="card">
      <div className="card-head">
        <div className="tail-status" data-testid="tail-status">
          <span className={`live-dot ${state}`} />
          {state === 'open' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          <span className="muted">
            {' '}
            · {records.length} record{records.length === 1 ? '' : 's'}
            {records.length >= TAIL_CAP ? ` (newest ${TAIL_CAP} kept)` : ''}
            {invalid > 0 ? ` · ${invalid} unreadable` : ''}
          </span>
        </div>
        <div className="actions">
          <button type="button" className="btn btn-small" onClick={() => setPaused((p) => !p)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" className="btn btn-small" onClick={() => setRecords([])}>
            Clear
          </button>
        </div>
      </div>
      {records.length === 0 ? (
        <div className="state state-empty">Waiting for new log records…</div>
      ) : (
        <LogTable logs={records} />
      )}
    </section>
  );
}

/**
 * Row keys from the records' content (not their position), so rows keep their identity — and an
 * expanded row stays expanded — when the live tail prepends new ones. Repeats get a suffix.
 */
function stableKeys(logs: readonly LogRecord[]): string[] {
  const seen = new Map<string, number>();
  return logs.map((l) => {
    const base = `${l.timeUnixNano}|${l.service}|${l.spanId}|${l.body.length}|${l.body.slice(0, 40)}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}#${n}`;
  });
}

export function LogTable({ logs }: { logs: LogRecord[] }) {
  const [open, setOpen] = useState<string | null>(null);
  const colorOf = useServiceColors();
  const keys = useMemo(() => stableKeys(logs), [logs]);
  return (
    <table className="table log-table" data-testid="log-results">
      <thead>
        <tr>
          <th>Time</th>
          <th>Level</th>
          <th>Service</th>
          <th>Message</th>
          <th>Trace</th>
        </tr>
      </thead>
      <tbody>
        {logs.map((l, i) => {
          const key = keys[i]!;
          const level = severityLevel(l.severityNumber, l.severityText);
          const expanded = open === key;
          return (
            <LogRow
              key={key}
              log={l}
              level={level}
              expanded={expanded}
              color={colorOf(l.service)}
              onToggle={() => setOpen(expanded ? null : key)}
            />
          );
        })}
      </tbody>
    </table>
  );
}

function LogRow({
  log,
  level,
  expanded,
  color,
  onToggle,
}: {
  log: LogRecord;
  level: string;
  expanded: boolean;
  color: string;
  onToggle: () => void;
}) {
  return (
    <>
      <tr
        className={`clickable log-row ${expanded ? 'expanded' : ''}`}
        onClick={onToggle}
        data-trace-id={log.traceId}
      >
        <td className="mono nowrap small">{formatClock(log.timeMs)}</td>
        <td>
          <span className={`sev sev-${level.toLowerCase()}`}>{level}</span>
        </td>
        <td className="nowrap">
          <span className="dot" style={{ background: color }} />
          {log.service}
        </td>
        <td className="log-body">{log.body}</td>
        <td className="mono nowrap">
          {log.traceId ? (
            <Link
              to={traceHref(log.traceId, log.timeMs, { span: log.spanId || undefined })}
              title="open the trace"
            >
              {shortId(log.traceId, 10)}
            </Link>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
      </tr>
      {expanded ? (
        <tr className="log-detail">
          <td colSpan={5}>
            <div className="log-detail-grid">
              <div>
                <h3>Attributes</h3>
                <AttributeTable attributes={log.attributes} />
              </div>
              <div>
                <h3>Resource</h3>
                <AttributeTable attributes={log.resource} />
              </div>
              <div>
                <h3>Record</h3>
                <AttributeTable
                  attributes={{
                    time: formatClock(log.timeMs, true),
                    timeUnixNano: log.timeUnixNano,
                    severityNumber: log.severityNumber,
                    severityText: log.severityText,
                    traceId: log.traceId,
                    spanId: log.spanId,
                  }}
                />
                {log.traceId ? (
                  <p>
                    <Link to={href('/logs', { traceId: log.traceId })}>all logs of this trace</Link>
                  </p>
                ) : null}
              </div>
            </div>
          </td>
        </tr>
      ) : null}
    </>
  );
}
