/**
 * The periodic reconciliation (issue 10 §5): every round compares the payments with the order outcomes heard on
 * the bus, counts the mismatches by kind (the `glassbox.reconciliation.mismatches` gauge, which the alert rule
 * `ReconciliationMismatches` watches) and leaves a report per tenant that has any
 * (`GET /api/v1/admin/reconciliation/reports`). Flash-sale purchases are covered through their orders (an order
 * made from a purchase has the purchase's id).
 */
import { createPeriodicWorker, type Logger, type PeriodicWorker } from '@glassbox/kit';
import type { ReconciliationRepo } from '../adapters/reconciliation-repo.js';
import { countByKind, type Mismatch, type MismatchCounts } from '../domain/reconciliation.js';

const RETAIN_MS = 7 * 86_400_000;

export interface Reconciliation {
  worker: PeriodicWorker<MismatchCounts>;
  /** The counts of the last round (all tenants), or undefined before the first. */
  lastCounts(): MismatchCounts | undefined;
}

export function createReconciliation(options: {
  repo: ReconciliationRepo;
  logger: Logger;
  intervalMs: number;
  graceMs: number;
}): Reconciliation {
  const { repo, logger } = options;
  let last: MismatchCounts | undefined;
  const worker = createPeriodicWorker({
    name: 'payment.reconciliation',
    intervalMs: options.intervalMs,
    logger,
    async run() {
      const ranAt = new Date();
      const mismatches = await repo.mismatches(options.graceMs);
      const byTenant = new Map<string, Mismatch[]>();
      for (const m of mismatches) byTenant.set(m.tenantId, [...(byTenant.get(m.tenantId) ?? []), m]);
      await repo.record(
        ranAt,
        new Map([...byTenant].map(([t, ms]) => [t, { counts: countByKind(ms), mismatches: ms }])),
        RETAIN_MS,
      );
      last = countByKind(mismatches);
      if (mismatches.length > 0) logger.warn({ counts: last }, 'reconciliation found mismatches');
      return last;
    },
    describe: (counts) =>
      Object.fromEntries(
        Object.entries(counts).map(([k, n]) => [`glassbox.reconciliation.${k.toLowerCase()}`, n]),
      ),
  });
  return { worker, lastCounts: () => last };
}

/** The reports a tenant's admin reads (`GET /api/v1/admin/reconciliation/reports`), newest first. */
export function createReconciliationReports(repo: ReconciliationRepo) {
  return {
    async list(tenantId: string, limit: number) {
      const reports = await repo.reports(tenantId, limit);
      return reports.map((r) => ({ ...r, ranAt: r.ranAt.toISOString() }));
    },
  };
}

export type ReconciliationReports = ReturnType<typeof createReconciliationReports>;
