/** The audit log in the healer's database (migrations/001_init.sql): one row per remediation step. */
import { randomUUID } from 'node:crypto';
import { type Db, isUniqueViolation } from '@glassbox/kit';
import type { RecentActions } from '../domain/safeguards.js';

export type StepDecision =
  | 'execute'
  | 'approved'
  | 'dry-run'
  | 'cooldown'
  | 'cap-reached'
  | 'awaiting-approval'
  | 'rejected'
  | 'escalate'
  /** The action had nothing to act on (rollback-release on a service that runs no bad release). */
  | 'not-applicable';
export type StepStatus =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'awaiting-approval'
  | 'rejected'
  | 'paged';

export interface NewStep {
  incident: string;
  alertname: string;
  alertLabels: Record<string, string>;
  alertStartsAt: Date;
  runbook: string;
  step: number;
  action: string;
  target: string;
  decision: StepDecision;
  status: StepStatus;
  detail: string | null;
  started: boolean;
  traceId?: string;
}

export interface RemediationRow {
  id: string;
  incident: string;
  alertname: string;
  alertLabels: Record<string, string>;
  alertStartsAt: string;
  runbook: string;
  step: number;
  action: string;
  target: string;
  decision: StepDecision;
  status: StepStatus;
  detail: string | null;
  verification: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  traceId: string | null;
}

interface Row {
  id: string;
  incident: string;
  alertname: string;
  alert_labels: Record<string, string>;
  alert_starts_at: Date;
  runbook: string;
  step: number;
  action: string;
  target: string;
  decision: StepDecision;
  status: StepStatus;
  detail: string | null;
  verification: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  trace_id: string | null;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function toRemediation(r: Row): RemediationRow {
  return {
    id: r.id,
    incident: r.incident,
    alertname: r.alertname,
    alertLabels: r.alert_labels,
    alertStartsAt: r.alert_starts_at.toISOString(),
    runbook: r.runbook,
    step: r.step,
    action: r.action,
    target: r.target,
    decision: r.decision,
    status: r.status,
    detail: r.detail,
    verification: r.verification,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    durationMs: r.duration_ms,
    traceId: r.trace_id,
  };
}

/** Decisions under which an action really ran (what the cooldown and the cap count). */
const EXECUTED = `decision IN ('execute', 'approved') AND action <> 'page' AND started_at IS NOT NULL`;

export function createAuditRepository(db: Db) {
  return {
    /** Inserts a step; null when the incident already has it (a repeated notification). */
    async insert(step: NewStep): Promise<RemediationRow | null> {
      try {
        const rows = await db.query<Row>(
          `INSERT INTO remediations (id, incident, alertname, alert_labels, alert_starts_at, runbook, step, action,
             target, decision, status, detail, started_at, trace_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $13 THEN now() END, $14)
           RETURNING *`,
          [
            randomUUID(),
            step.incident,
            step.alertname,
            JSON.stringify(step.alertLabels),
            step.alertStartsAt,
            step.runbook,
            step.step,
            step.action,
            step.target,
            step.decision,
            step.status,
            step.detail,
            step.started,
            step.traceId ?? null,
          ],
        );
        return rows[0] ? toRemediation(rows[0]) : null;
      } catch (err) {
        if (isUniqueViolation(err)) return null;
        throw err;
      }
    },

    /** Whether any step of the incident is recorded. */
    async hasIncident(incident: string): Promise<boolean> {
      const rows = await db.query('SELECT 1 FROM remediations WHERE incident = $1 LIMIT 1', [incident]);
      return rows.length > 0;
    },

    /** Marks a step started under a new decision (an approved action). */
    async start(id: string, decision: StepDecision, traceId?: string): Promise<void> {
      await db.query(
        `UPDATE remediations SET decision = $2, status = 'running', started_at = now(),
           trace_id = coalesce($3, trace_id) WHERE id = $1`,
        [id, decision, traceId ?? null],
      );
    },

    /** Records a step's end: status, what happened, the verification and the duration since it started. */
    async finish(
      id: string,
      outcome: { status: StepStatus; detail: string; verification?: string | null; decision?: StepDecision },
    ): Promise<void> {
      await db.query(
        `UPDATE remediations SET status = $2, detail = $3, verification = $4, decision = coalesce($5, decision),
           finished_at = now(),
           duration_ms = CASE WHEN started_at IS NULL THEN 0
                              ELSE round(extract(epoch FROM now() - started_at) * 1000)::int END
         WHERE id = $1`,
        [id, outcome.status, outcome.detail, outcome.verification ?? null, outcome.decision ?? null],
      );
    },

    /** Takes an awaiting step for a person's answer; null when there is none in that state. */
    async claimAwaiting(id: string, to: 'approved' | 'rejected'): Promise<RemediationRow | null> {
      const rows = await db.query<Row>(
        `UPDATE remediations SET decision = $2,
           status = CASE WHEN $2 = 'approved' THEN 'running' ELSE 'rejected' END,
           started_at = CASE WHEN $2 = 'approved' THEN now() END,
           finished_at = CASE WHEN $2 = 'rejected' THEN now() END,
           duration_ms = CASE WHEN $2 = 'rejected' THEN 0 END
         WHERE id = $1 AND status = 'awaiting-approval' RETURNING *`,
        [id, to],
      );
      return rows[0] ? toRemediation(rows[0]) : null;
    },

    async get(id: string): Promise<RemediationRow | null> {
      const rows = await db.query<Row>('SELECT * FROM remediations WHERE id = $1', [id]);
      return rows[0] ? toRemediation(rows[0]) : null;
    },

    async list(limit: number): Promise<RemediationRow[]> {
      const rows = await db.query<Row>(
        'SELECT * FROM remediations ORDER BY created_at DESC, step DESC LIMIT $1',
        [limit],
      );
      return rows.map(toRemediation);
    },

    /** What the safeguards need to know, as of now. */
    async recent(target: string, incident: string): Promise<RecentActions> {
      const rows = await db.query<{ executed: string; last: Date | null }>(
        `SELECT (SELECT count(*) FROM remediations WHERE ${EXECUTED} AND started_at > now() - interval '1 hour')
                  AS executed,
                (SELECT max(started_at) FROM remediations WHERE ${EXECUTED} AND target = $1 AND incident <> $2)
                  AS last`,
        [target, incident],
      );
      const row = rows[0];
      return { executedLastHour: Number(row?.executed ?? 0), lastOnTargetByOtherIncident: row?.last ?? null };
    },
  };
}
export type AuditRepository = ReturnType<typeof createAuditRepository>;
