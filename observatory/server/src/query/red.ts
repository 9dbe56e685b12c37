import type { TimeRange } from './params.js';
import { jsonPointer, msToNs, num, numOrNull, Params, spanErrorExpr } from './sql.js';
import type { QueryStore, RedNumbers, RedPoint, RedRoute, RedService } from './types.js';

/**
 * RED (rate, errors, duration) from spans: requests are SERVER and CONSUMER spans (kind 2 and 5) starting
 * in the range; an error is status ERROR or an HTTP status ≥ 500; durations are span durations.
 */

const REQUEST_KINDS = 'kind IN (2, 5)';
const ROUTE_EXPR = `coalesce(json_extract_string(attributes, '${jsonPointer('http.route')}'), name)`;

interface TotalRow {
  k: string;
  n: unknown;
  e: unknown;
  p50: unknown;
  p95: unknown;
  p99: unknown;
}

interface BucketRow {
  k: string;
  b: unknown;
  n: unknown;
  e: unknown;
  p95: unknown;
}

async function red(
  store: QueryStore,
  keyExpr: string,
  range: TimeRange,
  stepMs: number,
  service?: string,
): Promise<Map<string, RedNumbers>> {
  const totalsP = new Params();
  const filter = (p: Params) =>
    [
      REQUEST_KINDS,
      `start_ns >= ${p.ns(range.startNs)}`,
      `start_ns < ${p.ns(range.endNs)}`,
      ...(service === undefined ? [] : [`service = ${p.add(service)}`]),
    ].join(' AND ');
  const totalsSql = `SELECT ${keyExpr} AS k, count(*) AS n, count(*) FILTER (WHERE ${spanErrorExpr()}) AS e,
      quantile_cont(duration_ns, 0.5) / 1e6 AS p50, quantile_cont(duration_ns, 0.95) / 1e6 AS p95,
      quantile_cont(duration_ns, 0.99) / 1e6 AS p99
    FROM spans WHERE ${filter(totalsP)} GROUP BY k ORDER BY k`;
  const bucketsP = new Params();
  const where = filter(bucketsP);
  const bucketsSql = `SELECT ${keyExpr} AS k, (start_ns - ${bucketsP.ns(range.startNs)}) // ${bucketsP.ns(msToNs(stepMs))} AS b,
      count(*) AS n, count(*) FILTER (WHERE ${spanErrorExpr()}) AS e, quantile_cont(duration_ns, 0.95) / 1e6 AS p95
    FROM spans WHERE ${where} GROUP BY k, b`;
  const totals = await store.query<TotalRow>(totalsSql, totalsP.values);
  const buckets = await store.query<BucketRow>(bucketsSql, bucketsP.values);

  const seconds = (range.endMs - range.startMs) / 1000;
  const stepSeconds = stepMs / 1000;
  const count = Math.ceil((range.endMs - range.startMs) / stepMs);
  const out = new Map<string, RedNumbers>();
  for (const t of totals) {
    const n = num(t.n);
    const e = num(t.e);
    const series: RedPoint[] = Array.from({ length: count }, (_, i) => ({
      tMs: range.startMs + i * stepMs,
      requestRate: 0,
      errorRatio: 0,
      p95Ms: null,
    }));
    out.set(t.k, {
      requestCount: n,
      errorCount: e,
      requestRate: n / seconds,
      errorRatio: n > 0 ? e / n : 0,
      p50Ms: numOrNull(t.p50),
      p95Ms: numOrNull(t.p95),
      p99Ms: numOrNull(t.p99),
      series,
    });
  }
  for (const b of buckets) {
    const point = out.get(b.k)?.series[num(b.b)];
    if (!point) continue;
    const n = num(b.n);
    point.requestRate = n / stepSeconds;
    point.errorRatio = n > 0 ? num(b.e) / n : 0;
    point.p95Ms = numOrNull(b.p95);
  }
  return out;
}

export async function redByService(
  store: QueryStore,
  range: TimeRange,
  stepMs: number,
): Promise<RedService[]> {
  const m = await red(store, 'service', range, stepMs);
  return [...m].map(([service, numbers]) => ({ service, ...numbers }));
}

export async function redByRoute(
  store: QueryStore,
  service: string,
  range: TimeRange,
  stepMs: number,
): Promise<RedRoute[]> {
  const m = await red(store, ROUTE_EXPR, range, stepMs, service);
  return [...m].map(([route, numbers]) => ({ route, ...numbers }));
}
