/**
 * Done when (issue 7): a confirmed checkout's notification is visible at GET /api/v1/me/notifications within 5 s,
 * and its trace in the observatory joins the checkout's — with the bus on PostgreSQL (no BUS_URL: the default,
 * no broker) and on RabbitMQ (BUS_URL=amqp://…, a throw-away virtual host of the machine's broker). The whole
 * stack runs as `npm start` runs it (startStack: every service its own process, the observatory receiving their
 * telemetry), on the test PostgreSQL server.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, DEMO_PRODUCTS } from '@glassbox/contracts';
import { testServerUrl } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../../cli/src/stack.js';
import { createTestVhost, type TestVhost } from '../../packages/kit/test/bus/rabbitmq-harness.js';
import { dropDatabasesWithPrefix } from '../support/databases.js';
import { api, eventually } from '../support/http.js';

interface Notification {
  type: string;
  subjectId: string | null;
  subject: string;
  status: string;
}
interface Span {
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  kind: string;
}

function doneWhen(adapter: 'PostgreSQL' | 'RabbitMQ') {
  describe(`a confirmed checkout's notification, bus on ${adapter}`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    let stateDir: string;
    let vhost: TestVhost | undefined;
    const dbPrefix = `gbntf_${randomBytes(3).toString('hex')}_`;

    beforeAll(async () => {
      stateDir = await mkdtemp(join(tmpdir(), 'glassbox-notify-'));
      vhost = adapter === 'RabbitMQ' ? await createTestVhost('gbnotifye2e') : undefined;
      stack = await startStack({
        observatory: true,
        logs: process.env.E2E_LOGS ? 'inherit' : 'silent',
        ports: 'auto',
        databaseUrl: testServerUrl(),
        dbPrefix,
        stateDir,
        env: {
          ...(vhost ? { BUS_URL: vhost.url } : {}),
          OTEL_BSP_SCHEDULE_DELAY: '200',
          OTEL_BLRP_SCHEDULE_DELAY: '200',
          OTEL_METRIC_EXPORT_INTERVAL: '2000',
        },
      });
    });

    afterAll(async () => {
      await stack?.stop();
      if (stateDir) await rm(stateDir, { recursive: true, force: true });
      await dropDatabasesWithPrefix(testServerUrl(), dbPrefix);
      await vhost?.drop();
    });

    it('shows it within 5 s, in the checkout’s trace', async () => {
      if (vhost) expect(stack.busUrl).toBe(vhost.url);
      else expect(stack.busUrl).toMatch(/^postgres/);
      const gw = stack.urls.gateway;
      const login = await api<{ accessToken: string }>(gw, '/api/v1/auth/login', {
        method: 'POST',
        body: { tenant: 'demo', email: 'alice@demo.test', password: DEMO_PASSWORD },
      });
      const token = login.body.accessToken;
      const placed = await api<{ id: string; status: string }>(gw, '/api/v1/orders', {
        method: 'POST',
        token,
        headers: { 'idempotency-key': randomUUID() },
        body: {
          items: [{ productId: DEMO_PRODUCTS[3]?.id, quantity: 1 }],
          payment: { method: 'card', token: 'tok_ok' },
        },
      });
      expect([201, 202], JSON.stringify(placed.body)).toContain(placed.status);
      const traceId = (placed.headers.get('traceresponse') ?? '').split('-')[1] ?? '';
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      const final = await eventually(
        () => api<{ status: string }>(gw, `/api/v1/orders/${placed.body.id}`, { token }),
        (r) => r.body.status !== 'PENDING',
      );
      expect(final.body.status).toBe('CONFIRMED');
      const confirmedAt = Date.now();

      const listed = await eventually(
        () => api<{ items: Notification[] }>(gw, '/api/v1/me/notifications', { token }),
        (r) => r.status === 200 && r.body.items.some((n) => n.subjectId === placed.body.id),
        5_000,
      );
      const seconds = (Date.now() - confirmedAt) / 1000;
      const mine = listed.body.items.find((n) => n.subjectId === placed.body.id);
      expect(mine, JSON.stringify(listed.body)).toMatchObject({
        type: 'order.confirmed',
        subject: expect.stringMatching(/confirmed$/),
      });
      expect(seconds).toBeLessThan(5);
      console.info(
        `bus on ${adapter}: notification listed ${seconds.toFixed(2)} s after the order read CONFIRMED`,
      );

      // The observatory has the notification service's consumer span in the checkout's trace, child of the
      // order service's span that created the event. Each process exports on its own schedule, so wait until
      // both the consumer span and the span it names as its parent have arrived.
      const trace = await eventually(
        () => api<{ spans: Span[] }>(stack.urls.observatory, `/api/traces/${traceId}`),
        (r) => {
          if (r.status !== 200) return false;
          const found = r.body.spans.find(
            (s) => s.service === 'notification' && s.name === 'process order.confirmed',
          );
          return found !== undefined && r.body.spans.some((s) => s.spanId === found.parentSpanId);
        },
        20_000,
      );
      const spans = trace.body.spans ?? [];
      const consumer = spans.find(
        (s) => s.service === 'notification' && s.name === 'process order.confirmed',
      );
      expect(consumer, spans.map((s) => `${s.service} ${s.name}`).join('\n')).toBeDefined();
      expect(consumer?.kind).toBe('consumer');
      const parent = spans.find((s) => s.spanId === consumer?.parentSpanId);
      expect(parent?.service).toBe('order');
      // Its e-mail goes out through the simulated sender.
      const sent = await eventually(
        () => api<{ items: Notification[] }>(gw, '/api/v1/me/notifications', { token }),
        (r) => r.body.items.some((n) => n.subjectId === placed.body.id && n.status === 'SENT'),
        10_000,
      );
      expect(sent.body.items.find((n) => n.subjectId === placed.body.id)?.status).toBe('SENT');
    });
  });
}

doneWhen('PostgreSQL');
doneWhen('RabbitMQ');
