import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExportRequest } from './ingest/proto.js';
import { type RunningObservatory, startTestObservatory } from './ingest/testing.js';

const dir = mkdtempSync(join(tmpdir(), 'obs-app-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function traces(service: string, spanIds: string[]) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return encodeExportRequest('traces', {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'app-test' },
            spans: spanIds.map((id, i) => ({
              traceId: Buffer.from(TRACE_ID, 'hex'),
              spanId: Buffer.from(id, 'hex'),
              parentSpanId: i === 0 ? Buffer.alloc(0) : Buffer.from(spanIds[0]!, 'hex'),
              name: i === 0 ? 'GET /api/orders' : 'SELECT orders',
              kind: i === 0 ? 2 : 3,
              startTimeUnixNano: (now - 5_000_000n).toString(),
              endTimeUnixNano: now.toString(),
            })),
          },
        ],
      },
    ],
  });
}

describe('observatory app (console, APIs and receivers wired together)', () => {
  let t: RunningObservatory;
  const web = join(dir, 'dist');

  beforeAll(async () => {
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(
      join(web, 'index.html'),
      '<!doctype html><title>Glassbox observatory</title><div id="root"></div>',
    );
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log("console")');
    t = await startTestObservatory({ webDist: web, dbPath: join(dir, 'db', 'telemetry.duckdb') });
  });
  afterAll(async () => {
    await t.close();
  });

  const consoleUrl = (path: string) => `http://127.0.0.1:${t.ports.port}${path}`;

  it('serves the built console with SPA fallback, but not for API paths', async () => {
    const index = await fetch(consoleUrl('/'));
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('Glassbox observatory');
    const asset = await fetch(consoleUrl('/assets/app.js'));
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const deep = await fetch(consoleUrl('/traces/4bf92f3577b34da6a3ce929d0e0e4736?x=1'));
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    const apiMiss = await fetch(consoleUrl('/api/does-not-exist'));
    expect(apiMiss.status).toBe(404);
    expect(apiMiss.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await fetch(consoleUrl('/jaeger/api/nope'))).status).toBe(404);
  });

  it('accepts OTLP on both HTTP ports and gRPC; the query API, Jaeger API and /api/self read it back', async () => {
    const headers = { 'content-type': 'application/x-protobuf' };
    const viaOtlpPort = await fetch(t.httpUrl('/v1/traces'), {
      method: 'POST',
      headers,
      body: traces('orders', ['00f067aa0ba902b7']),
    });
    expect(viaOtlpPort.status).toBe(200);
    const viaConsolePort = await fetch(consoleUrl('/v1/traces'), {
      method: 'POST',
      headers,
      body: traces('postgres-client', ['00f067aa0ba902b8']),
    });
    expect(viaConsolePort.status).toBe(200);
    await t.obs.flush();

    const trace = await fetch(consoleUrl(`/api/traces/${TRACE_ID}`));
    expect(trace.status).toBe(200);
    const body = (await trace.json()) as { spans: { spanId: string; service: string }[] };
    expect(body.spans.map((s) => `${s.service}:${s.spanId}`).sort()).toEqual([
      'orders:00f067aa0ba902b7',
      'postgres-client:00f067aa0ba902b8',
    ]);

    const jaeger = await fetch(consoleUrl('/jaeger/api/services'));
    expect(jaeger.status).toBe(200);
    expect(((await jaeger.json()) as { data: string[] }).data).toEqual(
      expect.arrayContaining(['orders', 'postgres-client']),
    );

    const self = await fetch(consoleUrl('/api/self'));
    expect(self.status).toBe(200);
    const s = (await self.json()) as Record<string, unknown> & {
      ingest: { accepted: Record<string, number>; spansPerSec: number };
      queueDepth: number;
      storeBytes: number;
      queryLatencyMs: { p50: number | null };
    };
    expect(s.ingest.accepted).toEqual({ spans: 2, logs: 0, metricPoints: 0 });
    expect(s.ingest.spansPerSec).toBeGreaterThan(0);
    expect(s.queueDepth).toBe(0);
    expect(typeof s.storeBytes).toBe('number');
    expect(s.queryLatencyMs.p50).not.toBeNull(); // the query handlers above were timed

    // The same counts as Prometheus text, for the ingest SLO and the observatory's alerts.
    const metrics = await fetch(consoleUrl('/metrics'));
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toContain('observatory_otlp_items_received_total{signal="spans"} 2');
    expect(text).toContain('observatory_otlp_items_accepted_total{signal="spans"} 2');
    expect(text).toContain('observatory_otlp_items_dropped_total{signal="spans"} 0');
    expect(text).toMatch(/^observatory_store_max_bytes \d+$/m);
    // A browser opening /metrics gets the console's metrics explorer instead.
    const page = await fetch(consoleUrl('/metrics'), {
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<div id="root">');
  });

  it('enforces retention on its timer and reports evictions in /api/self', async () => {
    const r = await startTestObservatory({ retentionHours: 0.5 / 3600, retentionIntervalMs: 100 });
    try {
      const res = await fetch(r.httpUrl('/v1/traces'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: traces('short-lived', ['00f067aa0ba902c1', '00f067aa0ba902c2']),
      });
      expect(res.status).toBe(200);
      await r.obs.flush();
      let evicted = 0;
      for (let i = 0; i < 50 && evicted < 2; i++) {
        await new Promise((done) => setTimeout(done, 100));
        evicted = r.obs.selfStats.snapshot().evicted.spans;
      }
      expect(evicted).toBe(2);
      const rows = await r.rows<{ n: bigint }>('SELECT count(*) AS n FROM spans');
      expect(rows[0]!.n).toBe(0n);
    } finally {
      await r.close();
    }
  });

  it('closes cleanly (idempotent) and keeps file-backed data across a restart', async () => {
    await t.close();
    await t.close();
    await expect(fetch(consoleUrl('/'))).rejects.toThrow();
    const again = await startTestObservatory({ dbPath: join(dir, 'db', 'telemetry.duckdb') });
    try {
      const rows = await again.rows<{ n: bigint }>('SELECT count(*) AS n FROM spans WHERE trace_id = ?', [
        TRACE_ID,
      ]);
      expect(rows[0]!.n).toBe(2n);
      // No console build configured: `/` is a plain 404.
      expect((await fetch(`http://127.0.0.1:${again.ports.port}/`)).status).toBe(404);
    } finally {
      await again.close();
    }
  });
});
