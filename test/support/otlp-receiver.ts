import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as the OTLP/JSON encoding carries it, with its resource's service.name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  statusCode: number;
}

export interface ReceivedLog {
  service: string;
  traceId: string;
  spanId: string;
  body: unknown;
  severityText: string;
  attributes: Record<string, unknown>;
}

interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

function anyValue(v: Record<string, unknown> | undefined): unknown {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v)
    return ((v.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(anyValue);
  if ('kvlistValue' in v) return attrs((v.kvlistValue as { values?: KeyValue[] }).values);
  return undefined;
}

function attrs(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, anyValue(kv.value)]));
}

/**
 * A minimal OTLP/HTTP receiver for tests: accepts the JSON encoding (what the SDK exporters send with
 * OTEL_EXPORTER_OTLP_PROTOCOL=http/json) on /v1/traces, /v1/logs and /v1/metrics and keeps what it got.
 */
export class OtlpJsonReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly logs: ReceivedLog[] = [];
  metricNames = new Set<string>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          let raw = Buffer.concat(chunks);
          if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
          if (!(req.headers['content-type'] ?? '').includes('json')) {
            res.writeHead(415).end();
            return;
          }
          this.ingest(req.url ?? '', JSON.parse(raw.toString('utf8')));
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private ingest(path: string, body: Record<string, unknown>): void {
    if (path.startsWith('/v1/traces')) {
      for (const rs of (body.resourceSpans as Record<string, unknown>[]) ?? []) {
        const service = String(
          attrs((rs.resource as { attributes?: KeyValue[] })?.attributes)['service.name'],
        );
        for (const ss of (rs.scopeSpans as Record<string, unknown>[]) ?? []) {
          for (const s of (ss.spans as Record<string, unknown>[]) ?? []) {
            this.spans.push({
              service,
              traceId: String(s.traceId).toLowerCase(),
              spanId: String(s.spanId).toLowerCase(),
              parentSpanId: String(s.parentSpanId ?? '').toLowerCase(),
              name: String(s.name),
              kind: Number(s.kind ?? 0),
              attributes: attrs(s.attributes as KeyValue[]),
              statusCode: Number((s.status as { code?: number } | undefined)?.code ?? 0),
            });
          }
        }
      }
    } else if (path.startsWith('/v1/logs')) {
      for (const rl of (body.resourceLogs as Record<string, unknown>[]) ?? []) {
        const service = String(
          attrs((rl.resource as { attributes?: KeyValue[] })?.attributes)['service.name'],
        );
        for (const sl of (rl.scopeLogs as Record<string, unknown>[]) ?? []) {
          for (const l of (sl.logRecords as Record<string, unknown>[]) ?? []) {
            this.logs.push({
              service,
              traceId: String(l.traceId ?? '').toLowerCase(),
              spanId: String(l.spanId ?? '').toLowerCase(),
              body: anyValue(l.body as Record<string, unknown>),
              severityText: String(l.severityText ?? ''),
              attributes: attrs(l.attributes as KeyValue[]),
            });
          }
        }
      }
    } else if (path.startsWith('/v1/metrics')) {
      for (const rm of (body.resourceMetrics as Record<string, unknown>[]) ?? []) {
        for (const sm of (rm.scopeMetrics as Record<string, unknown>[]) ?? []) {
          for (const m of (sm.metrics as { name: string }[]) ?? []) this.metricNames.add(m.name);
        }
      }
    }
  }

  spansOf(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  logsOf(traceId: string): ReceivedLog[] {
    return this.logs.filter((l) => l.traceId === traceId);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
