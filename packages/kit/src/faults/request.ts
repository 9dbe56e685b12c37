import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, FaultKind } from '@glassbox/contracts';
import type { FastifyRequest } from 'fastify';
import type { ServiceApp } from '../app.js';
import { appError, currentTraceId } from '../errors.js';
import { activeFaults, delayOf, hit, markSpan } from './state.js';

/** Memory the `memory-leak` fault retains: it lives as long as the process. */
const leaked: Buffer[] = [];

function matching(kind: FaultKind, request: FastifyRequest): Fault[] {
  const faults = activeFaults(kind);
  if (faults.length === 0) return faults;
  const path = (request.url ?? '').split('?')[0] ?? '';
  const template = request.routeOptions.url;
  return faults.filter(
    (f) =>
      f.route === undefined ||
      f.route === template ||
      path === f.route ||
      path.startsWith(f.route.endsWith('/') ? f.route : `${f.route}/`),
  );
}

/**
 * The incoming-request seam: `latency`, `error`, `hang`, `event-loop-block` and `memory-leak`, for every
 * request but the probes (/healthz, /readyz, /metrics, /openapi.json: a hung service still answers its
 * liveness probe, as a real one would). Each affected request's server span carries `glassbox.fault.id`.
 */
export function registerRequestFaults(app: ServiceApp, probes: ReadonlySet<string>): void {
  const hung = new Set<(error: Error) => void>();
  app.addHook('preClose', async () => {
    for (const release of hung) release(appError('NOT_READY', 'the service is shutting down'));
    hung.clear();
  });
  app.addHook('onRequest', async (request, reply) => {
    if (probes.has((request.url ?? '').split('?')[0] ?? '')) return;
    for (const f of matching('memory-leak', request)) {
      markSpan(f);
      leaked.push(Buffer.alloc((f.params.kb ?? 512) * 1024, 1));
    }
    for (const f of matching('event-loop-block', request)) {
      if (!hit(f)) continue;
      markSpan(f);
      const until = performance.now() + (f.params.ms ?? 200);
      while (performance.now() < until) {
        // the event loop is blocked: nothing else in this process runs
      }
    }
    for (const f of matching('latency', request)) {
      if (!hit(f)) continue;
      markSpan(f);
      await sleep(delayOf(f));
    }
    for (const f of matching('hang', request)) {
      if (!hit(f)) continue;
      markSpan(f);
      await new Promise<never>((_resolve, reject) => hung.add(reject));
    }
    for (const f of matching('error', request)) {
      if (!hit(f)) continue;
      markSpan(f);
      const status = f.params.status ?? 500;
      request.log.error({ 'glassbox.fault.id': f.id }, `fault error: answering ${status}`);
      return reply
        .code(status)
        .type('application/problem+json')
        .send({
          type: 'about:blank',
          title: 'Injected fault',
          status,
          detail: `fault ${f.id} (error) answered this request`,
          instance: (request.url ?? '').split('?')[0],
          code: 'FAULT_INJECTED',
          traceId: currentTraceId(),
        });
    }
  });
}

/** Bytes the memory-leak fault holds in this process (tests). */
export function leakedBytes(): number {
  return leaked.reduce((n, b) => n + b.length, 0);
}
