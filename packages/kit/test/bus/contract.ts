/**
 * The one contract every bus adapter passes: `busContract(name, harness)` registers the same tests for the
 * PostgreSQL and the RabbitMQ adapters, against the real servers. A harness makes buses (one per "process")
 * on an isolated broker namespace and can put a raw message on the wire, as a buggy producer would.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { CloudEvent } from '@glassbox/contracts';
import { SpanKind } from '@opentelemetry/api';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, createEventCatalog, type EventCatalog } from '../../src/bus/events.js';
import { type Bus, type DeliveryInfo, InvalidEvent, UnprocessableEvent } from '../../src/bus/types.js';
import { createLogger } from '../../src/logger.js';
import type { CapturedTelemetry } from '../../src/testing/telemetry.js';

export const TEST_TYPES = {
  'test.ping': Type.Object(
    { n: Type.Integer({ minimum: 0 }), note: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  'test.pong': Type.Object({ n: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
};

export const logger = createLogger('bus-test', process.env.TEST_LOG_LEVEL ?? 'silent');

export interface BusHarness {
  /** The namespace's address, for a bus in another process. */
  url: string;
  /** A bus as one process would have it, on this test file's isolated namespace. */
  connect(catalog: EventCatalog): Promise<Bus>;
  /** Puts `body` on the wire for `type` without any validation (a foreign, buggy producer). */
  injectRaw(type: string, body: object): Promise<void>;
  telemetry: CapturedTelemetry;
  close(): Promise<void>;
}

/** Waits until `condition` holds, polling; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function ping(n: number, note?: string): CloudEvent {
  return createEvent('test.ping', note === undefined ? { n } : { n, note }, {
    source: 'bus-test',
    subject: `n-${n}`,
  });
}

interface Received {
  event: CloudEvent;
  delivery: DeliveryInfo;
}

export function busContract(name: string, makeHarness: () => Promise<BusHarness>) {
  describe(`bus contract: ${name}`, () => {
    let harness: BusHarness;
    const catalog = createEventCatalog(TEST_TYPES);
    const buses: Bus[] = [];
    const group = (what: string) => `t-${what}-${randomUUID().slice(0, 8)}`;
    async function bus(): Promise<Bus> {
      const b = await harness.connect(catalog);
      buses.push(b);
      return b;
    }

    beforeAll(async () => {
      harness = await makeHarness();
    });
    afterAll(async () => {
      for (const b of buses) await b.close();
      await harness?.close();
    });

    it('delivers a published event, envelope and data intact, to every group subscribed to its type', async () => {
      const b = await bus();
      const seen: Record<string, Received[]> = { a: [], b: [] };
      const [ga, gb] = [group('fan-a'), group('fan-b')];
      await b.subscribe({
        group: ga,
        types: ['test.ping'],
        handle: async (event, delivery) => void seen.a?.push({ event, delivery }),
      });
      await b.subscribe({
        group: gb,
        types: ['test.ping', 'test.pong'],
        handle: async (event, delivery) => void seen.b?.push({ event, delivery }),
      });
      const event = ping(1, 'hello');
      const pong = createEvent('test.pong', { n: 2 }, { source: 'bus-test' });
      await b.publish([event, pong]);
      await waitFor(() => seen.a?.length === 1 && seen.b?.length === 2, 'both groups to receive');
      expect(seen.a?.[0]?.event).toEqual(event);
      expect(seen.a?.[0]?.delivery).toEqual({ group: ga, attempt: 1, redelivered: false });
      expect(seen.b?.map((r) => r.event.type).sort()).toEqual(['test.ping', 'test.pong']);
      // Nothing more arrives: each group got each event once.
      await b.publish([ping(3)]);
      await waitFor(() => seen.a?.length === 2 && seen.b?.length === 3, 'the next event');
      expect(seen.a?.map((r) => r.event.id)).toEqual([event.id, expect.any(String)]);
    });

    it('shares a group’s events between its consumers, each event to one of them', async () => {
      const [one, two] = [await bus(), await bus()];
      const g = group('shared');
      const byOne: string[] = [];
      const byTwo: string[] = [];
      const slowly = (into: string[]) => async (e: CloudEvent) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        into.push(e.id);
      };
      await one.subscribe({
        group: g,
        types: ['test.ping'],
        prefetch: 4,
        handle: slowly(byOne),
      });
      await two.subscribe({
        group: g,
        types: ['test.ping'],
        prefetch: 4,
        handle: slowly(byTwo),
      });
      const events = Array.from({ length: 60 }, (_, i) => ping(i));
      await one.publish(events);
      await waitFor(() => byOne.length + byTwo.length >= 60, 'all 60 events');
      const all = [...byOne, ...byTwo];
      expect(new Set(all).size).toBe(60);
      expect(all).toHaveLength(60);
      expect(byOne.length).toBeGreaterThan(0);
      expect(byTwo.length).toBeGreaterThan(0);
    });

    it('hands the events a consumer process held when it was killed -9 to the group’s next consumer, within 30 s', async () => {
      const g = group('crash');
      const script = fileURLToPath(new URL('./stuck-consumer.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', script, harness.url, g], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        await waitFor(() => out.includes('ready\n'), 'the stuck consumer to subscribe', 30_000);
        const b = await bus();
        const events = [ping(1), ping(2), ping(3)];
        await b.publish(events);
        await waitFor(
          () => (out.match(/^holding \d+$/gm) ?? []).length === 3,
          'the stuck consumer to hold 3',
        );
        child.kill('SIGKILL');
        await exited;
        const killedAt = Date.now();
        const seen: Received[] = [];
        await b.subscribe({
          group: g,
          types: ['test.ping'],
          handle: async (event, delivery) => void seen.push({ event, delivery }),
        });
        await waitFor(() => seen.length >= 3, 'the held events to be handed out again', 30_000);
        console.info(`[bus ${name}] held events handed out again ${Date.now() - killedAt} ms after kill -9`);
        expect(seen.map((r) => r.event.id).sort()).toEqual(events.map((e) => e.id).sort());
        expect(seen.every((r) => r.delivery.redelivered)).toBe(true);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }, 60_000);

    it('handles as many of a group’s events at once as its prefetch, never more', async () => {
      const b = await bus();
      let running = 0;
      let most = 0;
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const done = new Set<string>();
      await b.subscribe({
        group: group('prefetch'),
        types: ['test.ping'],
        prefetch: 32,
        handle: async (e) => {
          running++;
          most = Math.max(most, running);
          await gate;
          running--;
          done.add(e.id);
        },
      });
      await b.publish(Array.from({ length: 100 }, (_, i) => ping(i)));
      await waitFor(() => running === 32, '32 handlers running at once');
      // Time for anything beyond the prefetch to arrive, if the adapter let it.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(most).toBe(32);
      release();
      await waitFor(() => done.size === 100, 'the other events');
      expect(most).toBe(32);
    });

    it('refuses to publish an event that does not match its schema, and publishes none of the batch', async () => {
      const b = await bus();
      const g = group('refuse');
      const seen: CloudEvent[] = [];
      await b.subscribe({ group: g, types: ['test.ping'], handle: async (e) => void seen.push(e) });
      const bad = { ...ping(1), data: { n: -1 } };
      await expect(b.publish([ping(0), bad])).rejects.toThrow(InvalidEvent);
      await expect(b.publish([ping(0), bad])).rejects.toThrow(/\/data\/n/);
      const marker = ping(99);
      await b.publish([marker]);
      await waitFor(() => seen.length >= 1, 'the marker');
      expect(seen.map((e) => e.id)).toEqual([marker.id]);
    });

    it('retries a failing handler with growing delays, counting attempts, until it succeeds', async () => {
      const b = await bus();
      const g = group('retry');
      const attempts: { at: number; delivery: DeliveryInfo }[] = [];
      await b.subscribe({
        group: g,
        types: ['test.ping'],
        maxAttempts: 5,
        retryDelayMs: 200,
        handle: async (_e, delivery) => {
          attempts.push({ at: Date.now(), delivery });
          if (attempts.length < 3) throw new Error(`transient failure ${attempts.length}`);
        },
      });
      await b.publish([ping(7)]);
      await waitFor(() => attempts.length === 3, 'the third attempt', 30_000);
      expect(attempts.map((a) => a.delivery.attempt)).toEqual([1, 2, 3]);
      expect(attempts.map((a) => a.delivery.redelivered)).toEqual([false, true, true]);
      const [first, second, third] = attempts.map((a) => a.at) as [number, number, number];
      expect(second - first).toBeGreaterThanOrEqual(150);
      expect(third - second).toBeGreaterThan(second - first - 100);
      expect(await b.deadLetters(g)).toEqual([]);
    });

    it('dead-letters an event that fails every attempt, with the reason, and keeps consuming', async () => {
      const b = await bus();
      const g = group('exhaust');
      const ok: number[] = [];
      await b.subscribe({
        group: g,
        types: ['test.ping'],
        maxAttempts: 2,
        retryDelayMs: 100,
        handle: async (e) => {
          const n = (e.data as { n: number }).n;
          if (n === 13) throw new Error('unlucky number');
          ok.push(n);
        },
      });
      const doomed = ping(13);
      await b.publish([doomed, ping(1)]);
      await waitFor(async () => (await b.deadLetters(g)).length === 1, 'the dead letter', 30_000);
      const [dead] = await b.deadLetters(g);
      expect(dead?.event).toMatchObject({ id: doomed.id, type: 'test.ping' });
      expect(dead?.reason).toMatch(/failed 2 attempts; last error: unlucky number/);
      await b.publish([ping(2)]);
      await waitFor(() => ok.includes(1) && ok.includes(2), 'later events');
    });

    it('dead-letters a schema-invalid event with the reason, never calls the handler with it, keeps consuming', async () => {
      const b = await bus();
      const g = group('poison');
      const handled: CloudEvent[] = [];
      await b.subscribe({ group: g, types: ['test.ping'], handle: async (e) => void handled.push(e) });
      const poison = { ...ping(5), data: { n: 'five' } };
      await harness.injectRaw('test.ping', poison);
      const good = ping(6);
      await b.publish([good]);
      await waitFor(
        async () => (await b.deadLetters(g)).length === 1 && handled.length === 1,
        'poison dead-lettered',
      );
      const [dead] = await b.deadLetters(g);
      expect(dead?.event).toMatchObject({ id: poison.id });
      expect(dead?.reason).toMatch(/invalid test\.ping data: \/data\/n/);
      expect(handled.map((e) => e.id)).toEqual([good.id]);
      expect(
        await harness.telemetry.sum('glassbox.bus.dead_lettered', {
          'messaging.consumer.group.name': g,
          'glassbox.bus.reason': 'invalid',
        }),
      ).toBe(1);
    });

    it('dead-letters at once an event its handler calls unprocessable', async () => {
      const b = await bus();
      const g = group('unproc');
      let calls = 0;
      await b.subscribe({
        group: g,
        types: ['test.ping'],
        maxAttempts: 5,
        handle: async () => {
          calls++;
          throw new UnprocessableEvent('no such customer');
        },
      });
      await b.publish([ping(1)]);
      await waitFor(async () => (await b.deadLetters(g)).length === 1, 'the dead letter');
      expect(calls).toBe(1);
      expect((await b.deadLetters(g))[0]?.reason).toBe('unprocessable: no such customer');
    });

    it('continues the producer’s trace in the consumer and counts published and delivered events', async () => {
      const b = await bus();
      const g = group('trace');
      const seen: CloudEvent[] = [];
      await b.subscribe({ group: g, types: ['test.pong'], handle: async (e) => void seen.push(e) });
      const event = createEvent('test.pong', { n: 1 }, { source: 'bus-test' });
      await b.publish([event]);
      await waitFor(() => seen.length === 1, 'delivery');
      const spans = harness.telemetry.spans();
      const create = spans.find(
        (s) => s.name === 'create test.pong' && s.attributes['messaging.message.id'] === event.id,
      );
      const isOurs = (s: (typeof spans)[number]) =>
        s.name === 'process test.pong' &&
        s.attributes['messaging.message.id'] === event.id &&
        s.attributes['messaging.consumer.group.name'] === g;
      await waitFor(() => harness.telemetry.spans().some(isOurs), 'the process span');
      const process = harness.telemetry.spans().find(isOurs);
      expect(create?.kind).toBe(SpanKind.PRODUCER);
      expect(event.traceparent).toBe(
        `00-${create?.spanContext().traceId}-${create?.spanContext().spanId}-01`,
      );
      expect(process?.kind).toBe(SpanKind.CONSUMER);
      expect(process?.spanContext().traceId).toBe(create?.spanContext().traceId);
      expect(process?.parentSpanContext?.spanId).toBe(create?.spanContext().spanId);
      expect(process?.attributes).toMatchObject({
        'messaging.system': b.system,
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'test.pong',
        'messaging.consumer.group.name': g,
        'cloudevents.event_id': event.id,
      });
      const send = spans.find(
        (s) =>
          s.name === 'send test.pong' &&
          s.links.some((l) => l.context.spanId === create?.spanContext().spanId),
      );
      expect(send?.attributes).toMatchObject({
        'messaging.system': b.system,
        'messaging.operation.type': 'send',
      });
      expect(
        await harness.telemetry.sum('messaging.client.consumed.messages', {
          'messaging.consumer.group.name': g,
        }),
      ).toBe(1);
      expect(
        await harness.telemetry.sum('messaging.client.sent.messages', {
          'messaging.system': b.system,
          'messaging.destination.name': 'test.pong',
        }),
      ).toBeGreaterThanOrEqual(1);
    });

    it('answers check() while connected and refuses work once closed', async () => {
      const b = await harness.connect(catalog);
      await expect(b.check()).resolves.toBeUndefined();
      await b.close();
      await expect(b.check()).rejects.toThrow(/closed/);
      await expect(b.publish([ping(1)])).rejects.toThrow(/closed/);
    });
  });
}
