/**
 * The series a Prometheus scrape would add that no OTLP point carries: `up` per target, the supervisor's
 * restarts and process states (read from its control API, `GET /services`, the same facts its `/metrics`
 * serves), and the observatory's own metrics (job `observatory`). In embedded mode nothing scrapes the
 * services, so a process the supervisor does not report ready is `up == 0` (once it has been started).
 */
import { z } from 'zod';
import { selfSamples } from '../self/prometheus-text.js';
import type { SelfSnapshot } from '../self/self-stats.js';
import type { Labels } from './promql/evaluate.js';

export interface TargetSample {
  readonly labels: Labels;
  readonly v: number;
}

const servicesSchema = z.object({
  services: z.array(
    z.object({
      name: z.string().min(1),
      state: z.string(),
      restarts: z.number().int().nonnegative(),
      lastExit: z.unknown().nullable(),
    }),
  ),
});

/** Reads the supervisor's processes; a failed read is `up{job="supervisor"} 0` and nothing else. */
export async function supervisorSamples(controlUrl: string, timeoutMs: number): Promise<TargetSample[]> {
  const instance = new URL(controlUrl).host;
  const down = [{ labels: { __name__: 'up', job: 'supervisor', instance }, v: 0 }];
  let body: unknown;
  try {
    const res = await fetch(new URL('/services', controlUrl), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return down;
    body = await res.json();
  } catch {
    return down;
  }
  const parsed = servicesSchema.safeParse(body);
  if (!parsed.success) return down;
  const out: TargetSample[] = [{ labels: { __name__: 'up', job: 'supervisor', instance }, v: 1 }];
  for (const p of parsed.data.services) {
    const sup = { job: 'supervisor', instance, process: p.name };
    const up = p.state === 'ready' ? 1 : 0;
    out.push(
      { labels: { ...sup, __name__: 'glassbox_supervisor_restarts_total' }, v: p.restarts },
      { labels: { ...sup, __name__: 'glassbox_supervisor_process_up' }, v: up },
    );
    // A process on its first start is not a target yet (Prometheus, started once the stack is ready, would not
    // scrape it either): no `up` until it is ready once, exits or is stopped.
    const firstStart = up === 0 && p.restarts === 0 && p.lastExit === null;
    if (!firstStart) out.push({ labels: { __name__: 'up', job: p.name, instance: p.name }, v: up });
  }
  return out;
}

/** The observatory's own metrics as series of job `observatory`. */
export function observatorySamples(snapshot: SelfSnapshot): TargetSample[] {
  return selfSamples(snapshot).map((s) => ({
    labels: { ...s.labels, __name__: s.name, job: 'observatory', instance: 'observatory' },
    v: s.value,
  }));
}
