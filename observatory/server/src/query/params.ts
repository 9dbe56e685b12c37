import { type Static, Type } from '@sinclair/typebox';
import { badParameter } from './problem.js';
import { type AttrFilter, msToNs } from './sql.js';

/**
 * Querystring schemas of the /api routes. Fastify validates (and coerces) with them, so a bad value is a 400
 * before a handler runs; the handlers' types come from `Static<typeof …>`.
 */

const TimeMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000, description: 'unix milliseconds' });
const Range = {
  start: Type.Optional(TimeMs),
  end: Type.Optional(TimeMs),
};
const Attr = Type.Optional(
  Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
    maxItems: 32,
    description: 'repeated key=value (or key alone: the attribute is present)',
  }),
);
const Name = Type.String({ minLength: 1, maxLength: 512 });
const DurationMs = Type.Number({ minimum: 0, maximum: 1e12 });
const StepMs = Type.Integer({ minimum: 1, maximum: 86_400_000 * 31 });

export const RangeQuery = Type.Object(Range);
export type RangeQuery = Static<typeof RangeQuery>;

export const ServiceParams = Type.Object({ service: Name });
export type ServiceParams = Static<typeof ServiceParams>;

export const TracesQuery = Type.Object({
  service: Type.Optional(Name),
  operation: Type.Optional(Name),
  attr: Attr,
  minDurationMs: Type.Optional(DurationMs),
  maxDurationMs: Type.Optional(DurationMs),
  errorsOnly: Type.Optional(Type.Boolean()),
  ...Range,
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
});
export type TracesQuery = Static<typeof TracesQuery>;

export const TraceParams = Type.Object({ traceId: Type.String({ pattern: '^[0-9a-fA-F]{32}$' }) });
export type TraceParams = Static<typeof TraceParams>;

/** Optional window hint for a trace lookup: lets the store skip row groups outside it. */
export const TraceQuery = Type.Object(Range);
export type TraceQuery = Static<typeof TraceQuery>;

const LogFilters = {
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  severity: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
  service: Type.Optional(Name),
  traceId: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{32}$' })),
  attr: Attr,
};
export const LogsQuery = Type.Object({
  ...LogFilters,
  ...Range,
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
export type LogsQuery = Static<typeof LogsQuery>;

export const TailQuery = Type.Object(LogFilters);
export type TailQuery = Static<typeof TailQuery>;

export const MetricFns = ['rate', 'increase', 'sum', 'avg', 'max', 'p50', 'p90', 'p95', 'p99'] as const;
export type MetricFn = (typeof MetricFns)[number];

export const MetricQuery = Type.Object({
  name: Name,
  fn: Type.Union(MetricFns.map((f) => Type.Literal(f))),
  attr: Attr,
  service: Type.Optional(Name),
  groupBy: Type.Optional(Type.String({ maxLength: 1024, description: 'comma-separated label keys' })),
  step: Type.Optional(StepMs),
  ...Range,
});
export type MetricQuery = Static<typeof MetricQuery>;

export const MetricPointsQuery = Type.Object({
  name: Name,
  attr: Attr,
  service: Type.Optional(Name),
  ...Range,
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});
export type MetricPointsQuery = Static<typeof MetricPointsQuery>;

export const RedQuery = Type.Object({ ...Range, stepMs: Type.Optional(StepMs) });
export type RedQuery = Static<typeof RedQuery>;

export interface TimeRange {
  startMs: number;
  endMs: number;
  startNs: bigint;
  endNs: bigint;
}

export const DEFAULT_RANGE_MS = 3_600_000;

/** `start`/`end` in unix ms; missing end = now, missing start = end − 1 h. */
export function resolveRange(
  q: { start?: number; end?: number },
  now = Date.now(),
  defaultRangeMs = DEFAULT_RANGE_MS,
): TimeRange {
  const endMs = q.end ?? now;
  const startMs = q.start ?? endMs - defaultRangeMs;
  if (startMs >= endMs) throw badParameter('querystring.start', 'must be before end');
  return { startMs, endMs, startNs: msToNs(startMs), endNs: msToNs(endMs) };
}

/** `attr=key=value` → filters; splits at the first `=` so values may contain `=`. */
export function parseAttrs(raw: string | readonly string[] | undefined): AttrFilter[] {
  if (raw === undefined) return [];
  const list = typeof raw === 'string' ? [raw] : raw;
  return list.map((item) => {
    const eq = item.indexOf('=');
    if (eq === 0) throw badParameter('querystring.attr', `"${item}" has no key`);
    return eq < 0 ? { key: item } : { key: item.slice(0, eq), value: item.slice(eq + 1) };
  });
}

const SEVERITY_BY_NAME: Record<string, number> = {
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  warning: 13,
  error: 17,
  fatal: 21,
};

/** Minimum severity as an OTLP SeverityNumber: a number 1–24 or a name (trace, debug, info, warn, error, fatal). */
export function parseSeverity(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= 24) return n;
  } else {
    const n = SEVERITY_BY_NAME[raw.toLowerCase()];
    if (n !== undefined) return n;
  }
  throw badParameter('querystring.severity', 'must be 1–24 or one of trace, debug, info, warn, error, fatal');
}

/** A step for `range`: the one asked for, else about 60 points (whole seconds, ≥ 1 s); at most 11 000 points. */
export function resolveStep(range: TimeRange, stepMs: number | undefined, path: string): number {
  const span = range.endMs - range.startMs;
  const step = stepMs ?? Math.max(1000, Math.ceil(span / 60 / 1000) * 1000);
  if (Math.ceil(span / step) > 11_000)
    throw badParameter(path, 'too small for the time range (more than 11000 points)');
  return step;
}

const GO_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go durations are int64 nanoseconds (about 292 years): they stay below 2^63. */
const DURATION_LIMIT_NS = 2 ** 63;

/**
 * A Go duration string ("1.2s", "100ms", "1m30s", "250µs") to nanoseconds, as Jaeger's query service parses
 * them; undefined when it is not one, or is longer than Go's time.Duration holds (Go: "invalid duration").
 */
export function parseGoDuration(raw: string): bigint | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  if (raw === '0') return 0n;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(raw); m !== null; m = re.exec(raw)) {
    total += Number(m[1]) * (GO_UNITS[m[2] as string] ?? 0);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== raw.length) return undefined;
  if (!(total < DURATION_LIMIT_NS)) return undefined;
  return BigInt(Math.round(total));
}
