// Display formatting. Inputs carry their unit in the parameter name; outputs are short strings.

const dash = '—';

function trim(n: number, digits: number): string {
  const text = n.toFixed(digits);
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** 0.42 → "420 µs", 12.3 → "12.3 ms", 1530 → "1.53 s", 95_000 → "1m 35s". */
export function formatDurationMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return dash;
  const abs = Math.abs(ms);
  if (abs === 0) return '0 ms';
  if (abs < 1) return `${trim(ms * 1000, abs < 0.01 ? 2 : abs < 0.1 ? 1 : 0)} µs`;
  if (abs < 10) return `${trim(ms, 2)} ms`;
  if (abs < 1000) return `${trim(ms, abs < 100 ? 1 : 0)} ms`;
  if (abs < 60_000) return `${trim(ms / 1000, abs < 10_000 ? 2 : 1)} s`;
  if (abs < 3_600_000) {
    const m = Math.floor(abs / 60_000);
    const s = Math.round((abs % 60_000) / 1000);
    return `${ms < 0 ? '-' : ''}${m}m ${s}s`;
  }
  const h = Math.floor(abs / 3_600_000);
  const m = Math.round((abs % 3_600_000) / 60_000);
  return `${ms < 0 ? '-' : ''}${h}h ${m}m`;
}

/** Requests (or items) per second: "0/s", "3.2/s", "1.2k/s"; slow rates per minute: "0.6/min". */
export function formatRatePerSec(perSec: number | null | undefined): string {
  if (perSec === null || perSec === undefined || !Number.isFinite(perSec)) return dash;
  if (perSec === 0) return '0/s';
  if (Math.abs(perSec) < 0.1) return `${formatNumber(perSec * 60)}/min`;
  return `${formatNumber(perSec)}/s`;
}

/** 0.0123 → "1.23%", 0 → "0%", 1 → "100%". */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return dash;
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (Math.abs(pct) < 0.01) return '<0.01%';
  return `${trim(pct, Math.abs(pct) < 10 ? 2 : 1)}%`;
}

/** Compact numbers: 0.0042, 3.14, 12.5, 1.2k, 3.4M. */
export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return dash;
  const abs = Math.abs(n);
  if (abs === 0) return '0';
  if (abs >= 1e9) return `${trim(n / 1e9, 1)}G`;
  if (abs >= 1e6) return `${trim(n / 1e6, 1)}M`;
  if (abs >= 1e4) return `${trim(n / 1e3, 1)}k`;
  if (abs >= 100) return trim(n, 0);
  if (abs >= 1) return trim(n, abs >= 10 ? 1 : 2);
  return trim(n, Math.min(6, 1 - Math.floor(Math.log10(abs))));
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return dash;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${trim(value, unit === 0 ? 0 : value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** A value with its metric unit (UCUM-ish, as OpenTelemetry uses). */
export function formatWithUnit(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash;
  switch (unit) {
    case 's':
      return formatDurationMs(value * 1000);
    case 'ms':
      return formatDurationMs(value);
    case 'us':
      return formatDurationMs(value / 1000);
    case 'ns':
      return formatDurationMs(value / 1e6);
    case 'By':
      return formatBytes(value);
    case '1':
    case '':
      return formatNumber(value);
    case '%':
      return `${formatNumber(value)}%`;
    default:
      return `${formatNumber(value)} ${unit.replace(/^\{(.*)\}$/, '$1')}`;
  }
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const pad3 = (n: number) => String(n).padStart(3, '0');

/** Local wall-clock time "14:03:27.123" (or with the date when `withDate`). */
export function formatClock(ms: number, withDate = false): string {
  const d = new Date(ms);
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${pad3(d.getMilliseconds())}`;
  if (!withDate) return time;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time}`;
}

/** "14:03" for chart axes, "Mar 3 14:03" when the window spans days. */
export function formatAxisTime(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (spanMs < 5 * 60_000) return `${hm}:${pad2(d.getSeconds())}`;
  if (spanMs <= 24 * 3_600_000) return hm;
  return `${d.toLocaleString('en', { month: 'short' })} ${d.getDate()} ${hm}`;
}

/** "12s ago", "5m ago", "3h ago", "2d ago". */
export function formatAgo(ms: number, nowMs: number): string {
  const diff = Math.max(0, nowMs - ms);
  if (diff < 60_000) return `${Math.round(diff / 1000)}s ago`;
  if (diff < 3_600_000) return `${Math.round(diff / 60_000)}m ago`;
  if (diff < 86_400_000) return `${Math.round(diff / 3_600_000)}h ago`;
  return `${Math.round(diff / 86_400_000)}d ago`;
}

/** An attribute value for display: strings as-is, everything else as compact JSON. */
export function formatAttributeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** OpenTelemetry severity number → the short level name (1–4 TRACE … 21–24 FATAL). */
export function severityLevel(severityNumber: number, severityText = ''): string {
  if (severityNumber >= 21) return 'FATAL';
  if (severityNumber >= 17) return 'ERROR';
  if (severityNumber >= 13) return 'WARN';
  if (severityNumber >= 9) return 'INFO';
  if (severityNumber >= 5) return 'DEBUG';
  if (severityNumber >= 1) return 'TRACE';
  return severityText ? severityText.toUpperCase() : 'UNSET';
}

/** "1 span", "3 spans". */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${formatNumber(n)} ${n === 1 ? noun : nouns}`;
}

/** What an SDK dropped over its limits, e.g. "3 attributes, 1 event" ('' when nothing). */
export function formatDropped(counts: { attributes: number; events?: number; links?: number }): string {
  const parts: string[] = [];
  if (counts.attributes > 0) parts.push(plural(counts.attributes, 'attribute'));
  if ((counts.events ?? 0) > 0) parts.push(plural(counts.events ?? 0, 'event'));
  if ((counts.links ?? 0) > 0) parts.push(plural(counts.links ?? 0, 'link'));
  return parts.join(', ');
}

export function shortId(id: string, length = 8): string {
  return id.length > length ? id.slice(0, length) : id;
}
