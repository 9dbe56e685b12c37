import { FAULT_KINDS, type Fault, isFaultKind } from '@glassbox/contracts';
import type { QueryStore } from '../query/types.js';

/** Ground truth of injected faults, beside the telemetry it explains (same DuckDB file). */
export const FAULTS_DDL = `CREATE TABLE IF NOT EXISTS faults (
  id VARCHAR PRIMARY KEY,
  kind VARCHAR,
  service VARCHAR,
  route VARCHAR,
  dependency VARCHAR,
  params JSON,
  started_ns BIGINT,
  ends_ns BIGINT,
  ended_ns BIGINT,
  injected_by VARCHAR,
  record JSON
)`;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const NAME = /^[\w.@-]{1,64}$/;

/** Checks a fault record as the supervisor posts it; returns the problems, each naming the member. */
export function checkFaultRecord(input: unknown): { path: string; message: string }[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return [{ path: 'body', message: 'must be a fault record (JSON object)' }];
  }
  const r = input as Record<string, unknown>;
  const problems: { path: string; message: string }[] = [];
  const need = (ok: boolean, path: string, message: string) => {
    if (!ok) problems.push({ path: `body/${path}`, message });
  };
  need(typeof r.id === 'string' && /^[\w-]{1,64}$/.test(r.id), 'id', 'must be an id (letters, digits, -)');
  need(
    typeof r.kind === 'string' && isFaultKind(r.kind),
    'kind',
    `${JSON.stringify(r.kind)} is not a fault kind (${FAULT_KINDS.join(', ')})`,
  );
  need(typeof r.service === 'string' && NAME.test(r.service), 'service', 'must be a service name');
  need(
    r.route === undefined || (typeof r.route === 'string' && r.route.length <= 256),
    'route',
    'must be a path',
  );
  need(
    r.dependency === undefined || (typeof r.dependency === 'string' && NAME.test(r.dependency)),
    'dependency',
    'must be a service name',
  );
  const params = r.params;
  need(
    params !== null &&
      typeof params === 'object' &&
      !Array.isArray(params) &&
      Object.values(params).every((v) => typeof v === 'number' && Number.isFinite(v)),
    'params',
    'must be an object of numbers',
  );
  for (const key of ['startedAt', 'endsAt'] as const) {
    need(typeof r[key] === 'string' && ISO.test(r[key] as string), key, 'must be an RFC 3339 time');
  }
  need(
    r.endedAt === null || (typeof r.endedAt === 'string' && ISO.test(r.endedAt)),
    'endedAt',
    'must be null or an RFC 3339 time',
  );
  need(typeof r.by === 'string' && NAME.test(r.by), 'by', 'must be a name');
  need(
    r.endedBy === undefined || (typeof r.endedBy === 'string' && NAME.test(r.endedBy)),
    'endedBy',
    'must be a name (who ended the fault)',
  );
  return problems;
}

const nsOf = (iso: string | null): bigint | null =>
  iso === null ? null : BigInt(Date.parse(iso)) * 1_000_000n;

export class FaultStore {
  private ready: Promise<unknown> | undefined;

  constructor(private readonly store: QueryStore) {}

  private init(): Promise<unknown> {
    this.ready ??= this.store.query(FAULTS_DDL);
    return this.ready;
  }

  /** Records a fault, or its end (the same id again). */
  async upsert(f: Fault): Promise<void> {
    await this.init();
    await this.store.query(
      'INSERT OR REPLACE INTO faults VALUES (?, ?, ?, ?, ?, ?::JSON, ?, ?, ?, ?, ?::JSON)',
      [
        f.id,
        f.kind,
        f.service,
        f.route ?? null,
        f.dependency ?? null,
        JSON.stringify(f.params),
        nsOf(f.startedAt),
        nsOf(f.endsAt),
        nsOf(f.endedAt),
        f.by,
        JSON.stringify(f),
      ],
    );
  }

  /** Faults in effect at any time in [fromMs, toMs], newest first. */
  async list(options: { fromMs: number; toMs: number; service?: string; limit?: number }): Promise<Fault[]> {
    await this.init();
    const from = BigInt(Math.floor(options.fromMs)) * 1_000_000n;
    const to = BigInt(Math.floor(options.toMs)) * 1_000_000n;
    const rows = await this.store.query<{ record: string }>(
      `SELECT record::VARCHAR AS record FROM faults
       WHERE started_ns <= ? AND coalesce(ended_ns, ends_ns) >= ? AND (? IS NULL OR service = ?)
       ORDER BY started_ns DESC LIMIT ?`,
      [to, from, options.service ?? null, options.service ?? null, options.limit ?? 500],
    );
    return rows.map((r) => JSON.parse(r.record) as Fault);
  }
}
