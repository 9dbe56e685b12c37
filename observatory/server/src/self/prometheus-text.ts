/**
 * The observatory's own metrics as Prometheus text (`GET /metrics`): what Prometheus scrapes in connected mode
 * and what the observatory's own evaluator reads in embedded mode, for the ingest SLO (items accepted over
 * received) and the classic alerts (items dropped or rejected, store near its byte limit, write queue full).
 */
import { type SelfSnapshot, SIGNALS, type Signal } from './self-stats.js';

const LABEL: Record<Signal, string> = { spans: 'spans', logs: 'logs', metricPoints: 'metric_points' };

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: readonly Sample[];
}

function families(s: SelfSnapshot): Family[] {
  const perSignal = (name: string, help: string, value: (signal: Signal) => number): Family => ({
    name,
    type: 'counter',
    help,
    samples: SIGNALS.map((signal) => ({ name, labels: { signal: LABEL[signal] }, value: value(signal) })),
  });
  const gauge = (name: string, help: string, value: number): Family => ({
    name,
    type: 'gauge',
    help,
    samples: [{ name, labels: {}, value }],
  });
  const i = s.ingest;
  return [
    perSignal(
      'observatory_otlp_items_received_total',
      'OTLP items received: accepted, rejected or dropped.',
      (k) => i.accepted[k] + i.rejected[k] + i.dropped[k],
    ),
    perSignal(
      'observatory_otlp_items_accepted_total',
      'OTLP items accepted and queued for the store.',
      (k) => i.accepted[k],
    ),
    perSignal(
      'observatory_otlp_items_rejected_total',
      'OTLP items refused as invalid.',
      (k) => i.rejected[k],
    ),
    perSignal(
      'observatory_otlp_items_dropped_total',
      'Well-formed OTLP items not stored: refused by back-pressure or lost in a failed write.',
      (k) => i.dropped[k],
    ),
    gauge('observatory_store_bytes', 'Bytes the telemetry store holds.', s.storeBytes),
    gauge(
      'observatory_store_max_bytes',
      'Byte limit of the store (retention evicts above it).',
      s.storeMaxBytes,
    ),
    gauge('observatory_write_queue_rows', 'Rows accepted but not yet written.', s.queueDepth),
    gauge(
      'observatory_write_queue_max_rows',
      'Rows the write queue holds before back-pressure.',
      s.queueLimit.rows,
    ),
  ];
}

/** Every sample of the snapshot (the embedded evaluator records them as series of job "observatory"). */
export function selfSamples(s: SelfSnapshot): Sample[] {
  return families(s).flatMap((f) => f.samples);
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function selfMetricsText(s: SelfSnapshot): string {
  const lines: string[] = [];
  for (const f of families(s)) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const sample of f.samples) {
      const labels = Object.entries(sample.labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      lines.push(`${sample.name}${labels ? `{${labels}}` : ''} ${sample.value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
