/**
 * SQL of reconciliation: the mismatches between payments and the order outcomes heard on the bus (all tenants,
 * one statement), and the reports each run leaves.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '@glassbox/kit';
import type { Mismatch, MismatchCounts, MismatchKind } from '../domain/reconciliation.js';

export interface ReconciliationReport {
  id: string;
  ranAt: Date;
  counts: MismatchCounts;
  mismatches: Omit<Mismatch, 'tenantId'>[];
}

interface MismatchRow {
  kind: MismatchKind;
  tenant_id: string;
  order_id: string;
  payment_id: string | null;
  order_status: string | null;
  expected_cents: string | null;
  captured_cents: string;
}

export function createReconciliationRepo(db: Db) {
  return {
    /**
     * Every current mismatch; captured payments younger than `graceMs` wait for their order's outcome, and those
     * made before outcomes were first recorded (migration 003) are not compared.
     */
    async mismatches(graceMs: number): Promise<Mismatch[]> {
      const rows = await db.query<MismatchRow>(
        `SELECT 'CAPTURED_WITHOUT_CONFIRMED_ORDER' AS kind, p.tenant_id, p.order_id, p.id AS payment_id,
                o.status AS order_status, NULL::bigint AS expected_cents, p.captured_cents
           FROM payments p
           LEFT JOIN order_outcomes o ON o.tenant_id = p.tenant_id AND o.order_id = p.order_id
          WHERE p.captured_cents > p.refunded_cents
            AND p.created_at >= (SELECT since FROM reconciliation_since)
            AND (o.status IS DISTINCT FROM 'CONFIRMED')
            AND (o.status IS NOT NULL OR p.updated_at < now() - make_interval(secs => $1))
         UNION ALL
         SELECT 'CONFIRMED_WITHOUT_CAPTURE', o.tenant_id, o.order_id, p.id, o.status, o.total_cents,
                coalesce(p.captured_cents, 0)
           FROM order_outcomes o
           LEFT JOIN payments p ON p.tenant_id = o.tenant_id AND p.order_id = o.order_id
          WHERE o.status = 'CONFIRMED' AND coalesce(p.captured_cents, 0) = 0
         UNION ALL
         SELECT 'AMOUNT_MISMATCH', o.tenant_id, o.order_id, p.id, o.status, o.total_cents, p.captured_cents
           FROM order_outcomes o
           JOIN payments p ON p.tenant_id = o.tenant_id AND p.order_id = o.order_id
          WHERE o.status = 'CONFIRMED' AND p.captured_cents > 0 AND p.captured_cents <> o.total_cents
         ORDER BY 2, 1, 3`,
        [graceMs / 1000],
      );
      return rows.map((r) => ({
        kind: r.kind,
        tenantId: r.tenant_id,
        orderId: r.order_id,
        paymentId: r.payment_id,
        orderStatus: r.order_status,
        expectedCents: r.expected_cents === null ? null : Number(r.expected_cents),
        capturedCents: Number(r.captured_cents),
      }));
    },

    /** One report per tenant with mismatches, in one transaction; reports older than `retainMs` are dropped. */
    async record(
      ranAt: Date,
      byTenant: Map<string, { counts: MismatchCounts; mismatches: Mismatch[] }>,
      retainMs: number,
    ): Promise<void> {
      await db.tx(async (q) => {
        for (const [tenantId, report] of byTenant) {
          await q.query(
            `INSERT INTO reconciliation_reports (id, tenant_id, ran_at, counts, mismatches)
             VALUES ($1, $2, $3, $4::jsonb, $5::jsonb)`,
            [
              randomUUID(),
              tenantId,
              ranAt,
              JSON.stringify(report.counts),
              JSON.stringify(report.mismatches.map(({ tenantId: _t, ...m }) => m)),
            ],
          );
        }
        await q.query(
          'DELETE FROM reconciliation_reports WHERE ran_at < $1::timestamptz - make_interval(secs => $2)',
          [ranAt, retainMs / 1000],
        );
      });
    },

    /** The tenant's reports, newest first. */
    async reports(tenantId: string, limit: number): Promise<ReconciliationReport[]> {
      const rows = await db.query<{
        id: string;
        ran_at: Date;
        counts: MismatchCounts;
        mismatches: Omit<Mismatch, 'tenantId'>[];
      }>(
        `SELECT id, ran_at, counts, mismatches FROM reconciliation_reports
          WHERE tenant_id = $1 ORDER BY ran_at DESC, id DESC LIMIT $2`,
        [tenantId, limit],
      );
      return rows.map((r) => ({ id: r.id, ranAt: r.ran_at, counts: r.counts, mismatches: r.mismatches }));
    },
  };
}

export type ReconciliationRepo = ReturnType<typeof createReconciliationRepo>;
