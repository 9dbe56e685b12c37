import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Empty, ErrorState, Loading } from '../components/States.js';
import { formatClock } from '../lib/format.js';
import { useTitle } from '../lib/useTitle.js';

/** A fault as the supervisor records it (ground truth). */
interface Fault {
  id: string;
  kind: string;
  service: string;
  route?: string;
  dependency?: string;
  params: Record<string, number>;
  startedAt: string;
  endsAt: string;
  endedAt: string | null;
  by: string;
}

interface KindSpec {
  scope: string;
  description: string;
  route: boolean;
  dependency: boolean;
  params: Record<string, { min: number; max: number; default: number; description: string }>;
}

interface FaultsAnswer {
  faults: Fault[];
  catalogue: Record<string, KindSpec>;
}

interface Problem {
  detail?: string;
  errors?: { path: string; message: string }[];
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await res.json().catch(() => ({}))) as T & Problem;
  if (!res.ok) throw new Error(answer.detail ?? `the supervisor answered ${res.status}`);
  return answer;
}

const SERVICES = ['gateway', 'auth', 'user', 'catalog', 'inventory', 'order', 'payment'];

function InjectForm({ catalogue }: { catalogue: Record<string, KindSpec> }) {
  const client = useQueryClient();
  const kinds = Object.keys(catalogue);
  const [kind, setKind] = useState(kinds[0] ?? 'latency');
  const [service, setService] = useState('catalog');
  const [route, setRoute] = useState('');
  const [dependency, setDependency] = useState('');
  const [forMin, setForMin] = useState('2');
  const [values, setValues] = useState<Record<string, string>>({});
  const spec = catalogue[kind];
  const inject = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = { kind, service, forMs: Math.round(Number(forMin) * 60_000) };
      if (spec?.route && route) body.route = route;
      if (spec?.dependency) body.dependency = dependency;
      for (const name of Object.keys(spec?.params ?? {})) {
        const v = values[name];
        if (v !== undefined && v !== '') body[name] = Number(v);
      }
      return call<{ fault: Fault }>('POST', '/api/chaos/faults', body);
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: ['chaos-faults'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    inject.mutate();
  };
  return (
    <form className="fault-form" onSubmit={submit} data-testid="fault-form">
      <label>
        kind{' '}
        <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="fault-kind">
          {kinds.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label>
        service{' '}
        <select value={service} onChange={(e) => setService(e.target.value)} data-testid="fault-service">
          {SERVICES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {spec?.route ? (
        <label>
          route{' '}
          <input value={route} placeholder="/api/v1/products" onChange={(e) => setRoute(e.target.value)} />
        </label>
      ) : null}
      {spec?.dependency ? (
        <label>
          dependency <input value={dependency} onChange={(e) => setDependency(e.target.value)} />
        </label>
      ) : null}
      {Object.entries(spec?.params ?? {}).map(([name, p]) => (
        <label key={name} title={p.description}>
          {name}{' '}
          <input
            className="mono"
            size={7}
            value={values[name] ?? ''}
            placeholder={String(p.default)}
            onChange={(e) => setValues({ ...values, [name]: e.target.value })}
            data-testid={`fault-param-${name}`}
          />{' '}
          <span className="muted small">
            {p.min}–{p.max}
          </span>
        </label>
      ))}
      <label>
        for (min) <input size={4} value={forMin} onChange={(e) => setForMin(e.target.value)} />
      </label>
      <button type="submit" className="btn" disabled={inject.isPending} data-testid="fault-inject">
        Inject
      </button>
      {spec ? (
        <p className="muted small">
          {spec.description} ({spec.scope}-scoped)
        </p>
      ) : null}
      {inject.error ? (
        <p className="tone-bad" role="alert" data-testid="fault-error">
          {inject.error.message}
        </p>
      ) : null}
    </form>
  );
}

export function FaultsPage() {
  useTitle('Faults');
  const client = useQueryClient();
  const q = useQuery({
    queryKey: ['chaos-faults'],
    queryFn: () => call<FaultsAnswer>('GET', '/api/chaos/faults'),
    refetchInterval: 2_000,
  });
  const stop = useMutation({
    mutationFn: (id?: string) =>
      call('DELETE', id ? `/api/chaos/faults/${encodeURIComponent(id)}` : '/api/chaos/faults'),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['chaos-faults'] }),
  });
  const faults = q.data?.faults ?? [];
  const active = faults.filter((f) => f.endedAt === null);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Faults</h1>
        <p className="muted">
          Inject a fault from the catalogue into a running service (OpenFeature flags in flagd's format,
          applied by the kit); each one is recorded with its id, target, parameters, start and end, and the
          spans it touched carry <span className="mono">glassbox.fault.id</span>. Also:{' '}
          <span className="mono">glassbox chaos</span>.
        </p>
      </div>
      {q.error ? <ErrorState error={q.error} onRetry={() => void q.refetch()} /> : null}
      {!q.data && q.isPending ? <Loading /> : null}
      {q.data ? (
        <>
          <section className="card">
            <div className="card-head">
              <h2>Inject</h2>
            </div>
            <InjectForm catalogue={q.data.catalogue} />
          </section>
          <section className="card">
            <div className="card-head">
              <h2>Faults</h2>
              <span className="muted small">{active.length} active</span>
              {active.length > 0 ? (
                <button type="button" className="btn btn-small" onClick={() => stop.mutate(undefined)}>
                  Stop all
                </button>
              ) : null}
            </div>
            {faults.length === 0 ? (
              <Empty>No fault injected since the supervisor started.</Empty>
            ) : (
              <table className="table" data-testid="fault-table">
                <thead>
                  <tr>
                    <th>kind</th>
                    <th>target</th>
                    <th>parameters</th>
                    <th>started</th>
                    <th>end</th>
                    <th>by</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {faults.map((f) => (
                    <tr
                      key={f.id}
                      data-testid="fault-row"
                      data-fault-id={f.id}
                      data-kind={f.kind}
                      data-active={f.endedAt === null}
                    >
                      <td className="strong" title={f.id}>
                        {f.kind}
                      </td>
                      <td>
                        {f.service}
                        {f.route ? <span className="mono small"> {f.route}</span> : null}
                        {f.dependency ? <span className="small"> → {f.dependency}</span> : null}
                      </td>
                      <td className="mono small">
                        {Object.entries(f.params)
                          .map(([k, v]) => `${k}=${v}`)
                          .join(' ')}
                      </td>
                      <td className="small">{formatClock(Date.parse(f.startedAt), true)}</td>
                      <td className="small">
                        {f.endedAt
                          ? `ended ${formatClock(Date.parse(f.endedAt), true)}`
                          : `until ${formatClock(Date.parse(f.endsAt), true)}`}
                      </td>
                      <td className="small">{f.by}</td>
                      <td>
                        {f.endedAt === null ? (
                          <button
                            type="button"
                            className="btn btn-small"
                            onClick={() => stop.mutate(f.id)}
                            data-testid="fault-stop"
                          >
                            Stop
                          </button>
                        ) : null}
                      </td>
                    </tr>
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
