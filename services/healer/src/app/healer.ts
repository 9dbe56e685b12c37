/**
 * The auto-heal loop. A firing alert becomes an incident (its fingerprint and start: Alertmanager repeats a
 * notification, the incident stays one); the first runbook that matches its labels is run step by step. Each
 * step passes the safeguards, acts on the alert's target, and verifies that the alert resolved (or the SLI
 * recovered) within its time; when it did not, the next step runs, and after the last one a person is paged.
 * Every step is an audit row, a span and a log line. Work runs beside the webhook's answer, never inside it.
 */
import type { Logger } from '@glassbox/kit';
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { AlertSource } from '../adapters/alert-source.js';
import type { AuditRepository, RemediationRow, StepDecision } from '../adapters/audit-repository.js';
import type { GatewayLevers } from '../adapters/gateway-levers.js';
import { NotApplicableError, type Platform } from '../adapters/supervisor-platform.js';
import { scaledWithinMs } from '../domain/durations.js';
import { matchRunbook, type Runbook, type RunbookAction, type Verification } from '../domain/runbook.js';
import { decide, type SafeguardPolicy } from '../domain/safeguards.js';
import { healerMetrics } from '../metrics.js';

export interface NotifiedAlert {
  readonly status: 'firing' | 'resolved';
  readonly labels: Record<string, string>;
  readonly startsAt: string;
  readonly fingerprint: string;
}

export interface HealerDeps {
  readonly runbooks: readonly Runbook[];
  readonly audit: AuditRepository;
  readonly platform: Platform;
  readonly gateway: GatewayLevers;
  readonly alerts: AlertSource;
  readonly policy: SafeguardPolicy;
  readonly logger: Logger;
  readonly verifyPollMs: number;
  /** `GLASSBOX_SLO_TIME_SCALE`: verification times shrink with the alert windows (scaledWithinMs). */
  readonly timeScale?: number;
}

interface Incident {
  readonly id: string;
  readonly alert: NotifiedAlert;
  readonly runbook: Runbook;
  readonly target: string;
}

export interface Receipt {
  readonly fingerprint: string;
  readonly alertname: string;
  readonly outcome: 'started' | 'duplicate' | 'no-runbook' | 'resolved-notice';
  readonly runbook?: string;
}

const tracer = trace.getTracer('glassbox.healer');

export class ApprovalError extends Error {
  constructor(
    message: string,
    readonly notFound: boolean,
  ) {
    super(message);
    this.name = 'ApprovalError';
  }
}

export class Healer {
  private readonly running = new Set<Promise<void>>();
  private readonly active = new Set<string>();
  private readonly abort = new AbortController();
  /** Decisions are taken one at a time, so two incidents cannot both take the last action of the hour. */
  private decisionLock: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: HealerDeps) {}

  get runbooks(): readonly Runbook[] {
    return this.deps.runbooks;
  }

  get policy(): SafeguardPolicy {
    return this.deps.policy;
  }

  /** Takes the alerts of one notification; starts an incident for each new firing alert a runbook matches. */
  async receive(alerts: readonly NotifiedAlert[]): Promise<Receipt[]> {
    const receipts: Receipt[] = [];
    for (const alert of alerts) {
      const alertname = alert.labels.alertname ?? '';
      const base = { fingerprint: alert.fingerprint, alertname };
      if (alert.status === 'resolved') {
        receipts.push({ ...base, outcome: 'resolved-notice' });
        continue;
      }
      const runbook = matchRunbook(this.deps.runbooks, alert.labels);
      if (!runbook) {
        this.deps.logger.debug({ alertname, labels: alert.labels }, 'healer: no runbook matches the alert');
        receipts.push({ ...base, outcome: 'no-runbook' });
        continue;
      }
      const id = `${alert.fingerprint}@${alert.startsAt}`;
      if (this.active.has(id) || (await this.deps.audit.hasIncident(id))) {
        receipts.push({ ...base, outcome: 'duplicate', runbook: runbook.name });
        continue;
      }
      this.active.add(id);
      const target = alert.labels[runbook.targetLabel] ?? '';
      this.track({ id, alert, runbook, target }, 0);
      receipts.push({ ...base, outcome: 'started', runbook: runbook.name });
    }
    return receipts;
  }

  /** A person approves an action that waited for it: it runs now (safeguards permitting), then the runbook goes on. */
  /** The audit log, newest first: what was decided and done for each alert. */
  async remediations(limit: number): Promise<RemediationRow[]> {
    return this.deps.audit.list(limit);
  }

  async approve(id: string): Promise<RemediationRow> {
    return this.answer(id, 'approved');
  }

  /** A person rejects it: the healer pages instead. */
  async reject(id: string): Promise<RemediationRow> {
    return this.answer(id, 'rejected');
  }

  private async answer(id: string, to: 'approved' | 'rejected'): Promise<RemediationRow> {
    const row = await this.deps.audit.claimAwaiting(id, to);
    if (!row) {
      const existing = await this.deps.audit.get(id);
      if (!existing) throw new ApprovalError(`no remediation ${id}`, true);
      throw new ApprovalError(`remediation ${id} is ${existing.status}, not awaiting approval`, false);
    }
    const runbook = this.deps.runbooks.find((r) => r.name === row.runbook);
    const incident: Incident | null = runbook
      ? {
          id: row.incident,
          alert: {
            status: 'firing',
            labels: row.alertLabels,
            startsAt: row.alertStartsAt,
            fingerprint: row.incident.split('@')[0] ?? '',
          },
          runbook,
          target: row.target,
        }
      : null;
    if (!incident) {
      await this.deps.audit.finish(row.id, { status: 'failed', detail: `runbook ${row.runbook} is gone` });
    } else if (to === 'approved') {
      this.track(incident, row.step, row);
    } else {
      this.track(incident, -1, row);
    }
    return (await this.deps.audit.get(id)) ?? row;
  }

  /** Waits for the incidents in progress (tests), or until `timeoutMs`. */
  async idle(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, 100))]);
    }
  }

  /** Stops verifying and acting; waits for the steps in flight to record their end. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.running]);
  }

  private track(incident: Incident, fromStep: number, approvedRow?: RemediationRow): void {
    const work = (
      fromStep < 0 && approvedRow
        ? this.page(incident, `action ${approvedRow.action} on ${incident.target} was rejected`)
        : this.run(incident, fromStep, approvedRow)
    )
      .catch((err: unknown) => {
        this.deps.logger.error({ err, incident: incident.id }, 'healer: the remediation failed unexpectedly');
      })
      .finally(() => {
        this.running.delete(work);
        this.active.delete(incident.id);
      });
    this.running.add(work);
  }

  private async run(incident: Incident, fromStep: number, approvedRow?: RemediationRow): Promise<void> {
    const { runbook } = incident;
    for (let step = fromStep; step < runbook.actions.length; step++) {
      if (this.abort.signal.aborted) return;
      const action = runbook.actions[step] as RunbookAction;
      const outcome = await this.step(incident, step, action, step === fromStep ? approvedRow : undefined);
      if (outcome === 'healed' || outcome === 'stop') return;
      if (outcome === 'blocked') {
        await this.page(incident, `the safeguards held back ${action.action} on ${incident.target}`);
        return;
      }
    }
    await this.page(
      incident,
      `every action of runbook ${runbook.name} failed to heal ${incident.alert.labels.alertname ?? 'the alert'}`,
    );
  }

  /** One action: decide, act, verify. */
  private async step(
    incident: Incident,
    step: number,
    action: RunbookAction,
    approvedRow: RemediationRow | undefined,
  ): Promise<'healed' | 'next' | 'blocked' | 'stop'> {
    const { audit, logger } = this.deps;
    return tracer.startActiveSpan(`healer ${action.action}`, async (span) => {
      try {
        this.describe(span, incident, step, action.action);
        const { decision, row } = await this.locked(async () => {
          const recent = await audit.recent(this.targetOf(action, incident), incident.id);
          const decision = decide(
            { disruptive: action.disruptive, approved: approvedRow !== undefined },
            recent,
            this.deps.policy,
            new Date(),
          );
          const traceId = span.spanContext().traceId;
          if (approvedRow) {
            if (decision.kind === 'execute') await audit.start(approvedRow.id, 'approved', traceId);
            return { decision, row: approvedRow };
          }
          const executes = decision.kind === 'execute';
          const row = await audit.insert({
            incident: incident.id,
            alertname: incident.alert.labels.alertname ?? '',
            alertLabels: incident.alert.labels,
            alertStartsAt: new Date(incident.alert.startsAt),
            runbook: incident.runbook.name,
            step,
            action: action.action,
            target: this.targetOf(action, incident),
            decision: decision.kind as StepDecision,
            status: executes
              ? 'running'
              : decision.kind === 'awaiting-approval'
                ? 'awaiting-approval'
                : 'skipped',
            detail: decision.kind === 'execute' ? null : decision.reason,
            started: executes,
            traceId,
          });
          return { decision, row };
        });
        span.setAttribute('glassbox.healer.decision', decision.kind);
        healerMetrics.decisions.add(1, { action: action.action, decision: decision.kind });
        if (!row) return 'stop'; // another delivery of the same incident holds this step
        const fields = this.logFields(incident, step, action.action, decision.kind);
        if (decision.kind !== 'execute') {
          if (approvedRow) {
            await audit.finish(row.id, {
              status: 'skipped',
              detail: decision.reason,
              decision: decision.kind as StepDecision,
            });
          }
          logger.warn(
            { ...fields, reason: decision.reason },
            `healer: ${action.action} not executed (${decision.kind})`,
          );
          if (decision.kind === 'cooldown' || decision.kind === 'cap-reached') return 'blocked';
          return 'stop'; // dry-run records only; approval resumes through approve()
        }
        logger.info(fields, `healer: ${action.action} on ${this.targetOf(action, incident)}`);
        const started = Date.now();
        let done: string;
        try {
          done = await this.act(action, incident.target);
        } catch (err) {
          if (err instanceof NotApplicableError) {
            // Nothing was changed: not an execution (no cooldown, not in the cap), not a failure; next step.
            const detail = `${action.action} not applicable: ${err.message}`;
            await audit.finish(row.id, { status: 'skipped', detail, decision: 'not-applicable' });
            span.setAttribute('glassbox.healer.decision', 'not-applicable');
            healerMetrics.actions.add(1, { action: action.action, result: 'not-applicable' });
            logger.info({ ...fields, reason: err.message }, `healer: ${detail}`);
            return 'next';
          }
          const detail = `${action.action} failed: ${(err as Error).message}`;
          await audit.finish(row.id, { status: 'failed', detail });
          span.setStatus({ code: SpanStatusCode.ERROR, message: detail });
          healerMetrics.actions.add(1, { action: action.action, result: 'failed' });
          logger.error({ ...fields, err: (err as Error).message }, `healer: ${detail}`);
          return 'next';
        }
        const verified = await this.verify(action.verify, incident);
        const durationMs = Date.now() - started;
        span.setAttribute('glassbox.healer.verified', verified);
        const result = verified ? 'succeeded' : 'failed';
        const verification = verified
          ? action.verify.kind === 'alert-resolved'
            ? 'resolved'
            : 'recovered'
          : 'timeout';
        const detail = verified
          ? `${done}; ${verification === 'resolved' ? 'the alert resolved' : 'the SLI recovered'}`
          : `${done}; not healed within ${scaledWithinMs(action.verify.withinMs, this.deps.timeScale ?? 1) / 1000} s`;
        await audit.finish(row.id, { status: result, detail, verification });
        healerMetrics.actions.add(1, { action: action.action, result });
        if (!verified) span.setStatus({ code: SpanStatusCode.ERROR, message: detail });
        (verified ? logger.info.bind(logger) : logger.warn.bind(logger))(
          { ...fields, result, verification, durationMs },
          `healer: ${detail}`,
        );
        return verified ? 'healed' : 'next';
      } finally {
        span.end();
      }
    });
  }

  private async act(action: RunbookAction, target: string): Promise<string> {
    const signal = this.abort.signal;
    const forSeconds = action.forSeconds ?? 300;
    switch (action.action) {
      case 'restart-service':
        if (!target) throw new Error('the alert names no target service');
        return this.deps.platform.restartService(target, signal);
      case 'rollback-release':
        if (!target) throw new Error('the alert names no target service');
        return this.deps.platform.rollbackRelease(target, signal);
      case 'scale-out':
        if (!target) throw new Error('the alert names no target service');
        return this.deps.platform.scaleOut(target, signal);
      case 'open-circuit':
        if (!target) throw new Error('the alert names no target service');
        return this.deps.gateway.openCircuit(target, forSeconds, signal);
      case 'shed-load':
        return this.deps.gateway.shedLoad(action.fraction ?? 0.5, forSeconds, signal);
    }
  }

  /** What an action acts on (for the cooldown and the audit): shedding acts on the gateway. */
  private targetOf(action: RunbookAction, incident: Incident): string {
    return action.action === 'shed-load' ? 'gateway' : incident.target;
  }

  /** Polls the source until the alert is gone (or the SLI is within its objective), or the time is up. */
  private async verify(v: Verification, incident: Incident): Promise<boolean> {
    const deadline = Date.now() + scaledWithinMs(v.withinMs, this.deps.timeScale ?? 1);
    const signal = this.abort.signal;
    for (;;) {
      if (signal.aborted) return false;
      try {
        const ok =
          v.kind === 'alert-resolved'
            ? !(await this.deps.alerts.isActive(incident.alert.labels, signal))
            : (await this.deps.alerts.sliWithinObjective(v.slo, v.window, signal)) === true;
        if (ok) return true;
      } catch (err) {
        this.deps.logger.debug({ err: (err as Error).message }, 'healer: verification source unreadable');
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((r) => setTimeout(r, Math.min(this.deps.verifyPollMs, left)));
    }
  }

  private async page(incident: Incident, why: string): Promise<void> {
    const { audit, logger } = this.deps;
    await tracer.startActiveSpan('healer page', async (span) => {
      try {
        const step = incident.runbook.actions.length;
        this.describe(span, incident, step, 'page');
        const dry = this.deps.policy.dryRun;
        const row = await audit.insert({
          incident: incident.id,
          alertname: incident.alert.labels.alertname ?? '',
          alertLabels: incident.alert.labels,
          alertStartsAt: new Date(incident.alert.startsAt),
          runbook: incident.runbook.name,
          step,
          action: 'page',
          target: incident.target,
          decision: dry ? 'dry-run' : 'escalate',
          status: dry ? 'skipped' : 'paged',
          detail: why,
          started: true,
          traceId: span.spanContext().traceId,
        });
        if (row) await audit.finish(row.id, { status: row.status, detail: why });
        healerMetrics.pages.add(1, { runbook: incident.runbook.name });
        logger.error(
          { ...this.logFields(incident, step, 'page', 'escalate'), reason: why },
          `healer: paging a person: ${why}`,
        );
      } finally {
        span.end();
      }
    });
  }

  private describe(span: Span, incident: Incident, step: number, action: string): void {
    span.setAttributes({
      'glassbox.healer.incident': incident.id,
      'glassbox.healer.alertname': incident.alert.labels.alertname ?? '',
      'glassbox.healer.runbook': incident.runbook.name,
      'glassbox.healer.step': step,
      'glassbox.healer.action': action,
      'glassbox.healer.target': incident.target,
    });
  }

  private logFields(incident: Incident, step: number, action: string, decision: string) {
    return {
      incident: incident.id,
      alertname: incident.alert.labels.alertname,
      runbook: incident.runbook.name,
      step,
      action,
      target: incident.target,
      decision,
    };
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.decisionLock.then(fn, fn);
    this.decisionLock = next.catch(() => undefined);
    return next;
  }
}
