import { type FormEvent, useEffect, useMemo, useState } from 'react';
import type { TraceQuery } from '../api/client.js';
import { useOperations, useServices, useTraces } from '../api/hooks.js';
import type { TraceSummary } from '../api/schemas.js';
import { ScatterChart } from '../charts/ScatterChart.js';
import { ServiceSelect } from '../components/ServiceSelect.js';
import { QueryView } from '../components/States.js';
import { TraceRows } from '../components/TraceTable.js';
import { formatDurationMs } from '../lib/format.js';
import { navigate, useSearch } from '../lib/router.js';
import { useTime } from '../lib/timeContext.js';
import { traceHref } from '../lib/url.js';
import { useServiceColors } from '../lib/useServiceColors.js';
import { useTitle } from '../lib/useTitle.js';

const numberOrUndefined = (v: string | null) => {
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** The search as it stands in the URL. */
function queryFromUrl(search: URLSearchParams): TraceQuery {
  return {
    service: search.get('service') ?? undefined,
    operation: search.get('operation') ?? undefined,
    attrs: search.getAll('attr'),
    minDurationMs: numberOrUndefined(search.get('minDurationMs')),
    maxDurationMs: numberOrUndefined(search.get('maxDurationMs')),
    errorsOnly: search.get('errorsOnly') === 'true',
    limit: numberOrUndefined(search.get('limit')) ?? 20,
  };
}

interface Form {
  service: string;
  operation: string;
  attrs: string;
  minDurationMs: string;
  maxDurationMs: string;
  errorsOnly: boolean;
  limit: string;
}

const toForm = (q: TraceQuery): Form => ({
  service: q.service ?? '',
  operation: q.operation ?? '',
  attrs: (q.attrs ?? []).join(' '),
  minDurationMs: q.minDurationMs?.toString() ?? '',
  maxDurationMs: q.maxDurationMs?.toString() ?? '',
  errorsOnly: q.errorsOnly ?? false,
  limit: String(q.limit ?? 20),
});

/** "http.route=/api/v1/orders  tenant.id=demo" → ["http.route=/api/v1/orders", "tenant.id=demo"]. */
export function parseAttrFilters(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => /^[^=]+=.*$/.test(s));
}

export function TraceSearchPage() {
  useTitle('Traces');
  const [search, setSearch] = useSearch();
  const query = useMemo(() => queryFromUrl(search), [search]);
  const [form, setForm] = useState<Form>(() => toForm(query));
  const services = useServices();
  const operations = useOperations(form.service || undefined);
  const traces = useTraces(query);
  const { window } = useTime();
  const colorOf = useServiceColors();

  // Follow the URL when it changes under us (back button, a link from elsewhere).
  useEffect(() => setForm(toForm(query)), [query]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSearch({
      service: form.service || undefined,
      operation: form.operation || undefined,
      attr: parseAttrFilters(form.attrs),
      minDurationMs: form.minDurationMs || undefined,
      maxDurationMs: form.maxDurationMs || undefined,
      errorsOnly: form.errorsOnly ? 'true' : undefined,
      limit: form.limit && form.limit !== '20' ? form.limit : undefined,
    });
  };
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));

  return (
    <div className="page">
      <div className="page-head">
        <h1>Traces</h1>
      </div>
      <form className="card search-form" onSubmit={submit} aria-label="Trace search">
        <ServiceSelect
          value={form.service}
          services={services.data?.services}
          onChange={(service) => setForm((f) => ({ ...f, service, operation: '' }))}
        />
        <label>
          <span>Operation</span>
          <select
            name="operation"
            value={form.operation}
            onChange={(e) => set('operation', e.target.value)}
            disabled={!form.service}
          >
            <option value="">all operations</option>
            {[...new Set((operations.data?.operations ?? []).map((o) => o.name))].sort().map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
            {form.operation && !operations.data?.operations.some((o) => o.name === form.operation) ? (
              <option value={form.operation}>{form.operation}</option>
            ) : null}
          </select>
        </label>
        <label className="grow">
          <span>Attributes</span>
          <input
            name="attrs"
            placeholder="http.route=/api/v1/orders tenant.id=demo"
            value={form.attrs}
            onChange={(e) => set('attrs', e.target.value)}
          />
        </label>
        <label className="narrow">
          <span>Min ms</span>
          <input
            name="minDurationMs"
            inputMode="decimal"
            value={form.minDurationMs}
            onChange={(e) => set('minDurationMs', e.target.value)}
          />
        </label>
        <label className="narrow">
          <span>Max ms</span>
          <input
            name="maxDurationMs"
            inputMode="decimal"
            value={form.maxDurationMs}
            onChange={(e) => set('maxDurationMs', e.target.value)}
          />
        </label>
        <label className="narrow">
          <span>Limit</span>
          <select name="limit" value={form.limit} onChange={(e) => set('limit', e.target.value)}>
            {['20', '50', '100', '200'].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={form.errorsOnly}
            onChange={(e) => set('errorsOnly', e.target.checked)}
          />
          errors only
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
      </form>

      <QueryView
        query={traces}
        isEmpty={(d) => d.traces.length === 0}
        empty="No traces match in this window. Widen the time range or loosen the filters."
      >
        {(d) => (
          <>
            <section className="card">
              <ScatterChart
                title={`${d.traces.length} traces — duration over time (click a dot to open it)`}
                domain={[window.startMs, window.endMs]}
                points={d.traces.map((t: TraceSummary) => ({
                  id: t.traceId,
                  tMs: t.startTimeMs,
                  value: t.durationMs,
                  color: t.errorCount > 0 ? '#d64545' : colorOf(t.rootService),
                  label: `${t.rootService} ${t.rootName} · ${formatDurationMs(t.durationMs)}`,
                }))}
                formatValue={formatDurationMs}
                onPointClick={(id) =>
                  navigate(traceHref(id, d.traces.find((t) => t.traceId === id)?.startTimeMs))
                }
              />
            </section>
            <section className="card">
              <TraceRows traces={d.traces} />
            </section>
          </>
        )}
      </QueryView>
    </div>
  );
}
