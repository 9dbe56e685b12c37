// The global time range lives in the URL so that every link carries it:
//   ?range=15m|1h|6h|24h           a window ending now (moves with auto-refresh)
//   ?from=<unix ms>&to=<unix ms>   a fixed window
//   ?refresh=10s|30s|1m|off        auto-refresh interval (default 10s for a window ending now, off for a
//                                  fixed one: a console opened before the first spans arrive fills in)

export const relativeRanges = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '6h': 6 * 60 * 60_000,
  '24h': 24 * 60 * 60_000,
} as const;
export type RelativeRangeKey = keyof typeof relativeRanges;

export type TimeRange =
  | { kind: 'relative'; key: RelativeRangeKey; durationMs: number }
  | { kind: 'absolute'; startMs: number; endMs: number };

export const refreshIntervals = { off: 0, '10s': 10_000, '30s': 30_000, '1m': 60_000 } as const;
export type RefreshKey = keyof typeof refreshIntervals;

export const defaultRange: TimeRange = { kind: 'relative', key: '1h', durationMs: relativeRanges['1h'] };

export interface Window {
  startMs: number;
  endMs: number;
}

function isRelativeKey(value: string | null): value is RelativeRangeKey {
  return value !== null && Object.hasOwn(relativeRanges, value);
}

export function parseRange(search: URLSearchParams): TimeRange {
  const from = Number(search.get('from'));
  const to = Number(search.get('to'));
  if (search.has('from') && search.has('to') && Number.isFinite(from) && Number.isFinite(to) && to > from) {
    return { kind: 'absolute', startMs: from, endMs: to };
  }
  const key = search.get('range');
  if (isRelativeKey(key)) return { kind: 'relative', key, durationMs: relativeRanges[key] };
  return defaultRange;
}

/** The refresh when the URL names none: a window ending now keeps moving, a fixed window stays put. */
export function defaultRefresh(search: URLSearchParams): RefreshKey {
  return search.has('from') || search.has('to') ? 'off' : '10s';
}

export function parseRefresh(search: URLSearchParams): RefreshKey {
  const value = search.get('refresh');
  return value !== null && Object.hasOwn(refreshIntervals, value)
    ? (value as RefreshKey)
    : defaultRefresh(search);
}

/** The URL parameters that encode a range (and remove the other encoding). */
export function rangeParams(range: TimeRange): Record<string, string | undefined> {
  return range.kind === 'relative'
    ? { range: range.key, from: undefined, to: undefined }
    : { range: undefined, from: String(Math.round(range.startMs)), to: String(Math.round(range.endMs)) };
}

export function resolveWindow(range: TimeRange, nowMs: number): Window {
  return range.kind === 'relative'
    ? { startMs: nowMs - range.durationMs, endMs: nowMs }
    : { startMs: range.startMs, endMs: range.endMs };
}

const niceSteps = [
  1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

/** A round bucket size giving at most `maxPoints` buckets over the window. */
export function chooseStepMs(window: Window, maxPoints = 60): number {
  const span = Math.max(1, window.endMs - window.startMs);
  for (const step of niceSteps) if (span / step <= maxPoints) return step;
  return niceSteps[niceSteps.length - 1]!;
}

/** A window of `halfWidthMs` either side of a moment, e.g. "traces around this point of the chart". */
export function windowAround(tMs: number, halfWidthMs: number): Window {
  return { startMs: Math.round(tMs - halfWidthMs), endMs: Math.round(tMs + halfWidthMs) };
}

/** Formats a unix-ms instant for an <input type="datetime-local"> in the local zone. */
export function toDateTimeLocal(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromDateTimeLocal(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** Difference of two unix-nanosecond decimal strings, in milliseconds (exact before the division). */
export function nanoDiffMs(laterUnixNano: string, earlierUnixNano: string): number {
  return Number(BigInt(laterUnixNano) - BigInt(earlierUnixNano)) / 1e6;
}
