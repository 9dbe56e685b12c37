import { FAULT_CATALOGUE, type Fault, type FaultKind } from '@glassbox/contracts';
import { context, trace } from '@opentelemetry/api';
import type { Logger } from '../logger.js';

/** When this process started (wall clock): process-scoped faults injected before it do not apply to it. */
export const PROCESS_STARTED_MS = Date.now() - process.uptime() * 1000;

let snapshot: readonly Fault[] = [];
let logger: Logger | undefined;
const listeners = new Set<() => void>();
let seen = new Set<string>();
let expiryTimer: NodeJS.Timeout | undefined;

/** Where the fault state logs its transitions (the kit's fault flags set it when they start). */
export function setFaultLogger(log: Logger | undefined): void {
  logger = log;
}

/**
 * Replaces the faults this process knows about (what the flags say for its service). Each fault that becomes
 * active here, and each that ends, is logged with its `glassbox.fault.id`; seams that act on changes (process
 * faults, held pool connections, stalled publishes) are told.
 */
export function setActiveFaults(faults: readonly Fault[]): void {
  snapshot = faults;
  changed();
}

function changed(): void {
  const now = Date.now();
  const live = snapshot.filter((f) => applies(f, now));
  const ids = new Set(live.map((f) => f.id));
  for (const f of live) {
    if (!seen.has(f.id)) {
      logger?.warn(
        { 'glassbox.fault.id': f.id, 'glassbox.fault.kind': f.kind, fault: f },
        `fault ${f.kind} active (${f.id})`,
      );
    }
  }
  for (const id of seen) {
    if (!ids.has(id)) logger?.info({ 'glassbox.fault.id': id }, `fault ${id} ended here`);
  }
  seen = ids;
  // Re-evaluate when the next fault ends on its own.
  clearTimeout(expiryTimer);
  const next = Math.min(...live.map((f) => Date.parse(f.endsAt)));
  if (Number.isFinite(next)) {
    expiryTimer = setTimeout(changed, Math.max(0, next - now) + 5);
    expiryTimer.unref();
  }
  for (const fn of listeners) fn();
}

function applies(f: Fault, now: number): boolean {
  if (f.endedAt !== null || !(Date.parse(f.endsAt) > now)) return false;
  if (FAULT_CATALOGUE[f.kind]?.scope === 'process' && Date.parse(f.startedAt) < PROCESS_STARTED_MS) {
    return false;
  }
  return true;
}

/** The active faults of `kind` that apply to this process now. */
export function activeFaults(kind: FaultKind): Fault[] {
  if (snapshot.length === 0) return [];
  const now = Date.now();
  return snapshot.filter((f) => f.kind === kind && applies(f, now));
}

/** Calls `fn` whenever the set of active faults changes; returns the unsubscribe. */
export function onFaultsChanged(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Resolves once no fault of `kind` applies any more (cleared or ended). */
export function whenNoFault(kind: FaultKind): Promise<void> {
  if (activeFaults(kind).length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const off = onFaultsChanged(() => {
      if (activeFaults(kind).length === 0) {
        off();
        resolve();
      }
    });
  });
}

/** Marks the active span as affected by `fault` (ground truth for RCA datasets). */
export function markSpan(fault: Fault): void {
  const span = trace.getSpan(context.active());
  span?.setAttribute('glassbox.fault.id', fault.id);
  span?.setAttribute('glassbox.fault.kind', fault.kind);
}

/** True with probability `rate` (1 when absent). */
export function hit(fault: Fault): boolean {
  const rate = fault.params.rate ?? 1;
  return rate >= 1 || Math.random() < rate;
}

/** `ms ± jitterMs`, never negative. */
export function delayOf(fault: Fault): number {
  const base = fault.params.ms ?? 0;
  const jitter = fault.params.jitterMs ?? 0;
  return Math.max(0, Math.round(base + (Math.random() * 2 - 1) * jitter));
}
