/**
 * Tells others about alerts, the way the standard tools expect it:
 * - webhook receivers (`OBSERVATORY_ALERT_WEBHOOKS`) get Alertmanager's webhook payload, version 4, one per
 *   group (alertname + service, as deploy/alertmanager/alertmanager.yml groups) when an alert of the group
 *   starts firing or resolves;
 * - a real Alertmanager (`ALERTMANAGER_URL`) gets what Prometheus sends it: `POST /api/v2/alerts` with every
 *   firing alert (again at most every minute, `endsAt` four minutes ahead) and resolved ones with their end.
 * Deliveries run beside the evaluation, never inside it: each target has a bounded queue, a timeout per
 * attempt and retries with backoff; what cannot be delivered is counted and logged, not waited for.
 */
import type { Labels } from './promql/evaluate.js';
import type { ActiveAlert, AlertTransition } from './rule-engine.js';

export interface NotifierOptions {
  readonly webhooks: readonly string[];
  readonly alertmanagerUrl?: string;
  /** Base URL of the console, for `generatorURL` and `externalURL`. */
  readonly externalUrl: string;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt. */
  readonly retryDelayMs?: number;
  /** Payloads waiting per target before the oldest is dropped. */
  readonly maxQueue?: number;
  /** How often a still-firing alert is sent to Alertmanager again (Prometheus's `--rules.alert.resend-delay`). */
  readonly resendDelayMs?: number;
  readonly onError?: (target: string, err: Error) => void;
}

export interface DeliveryStats {
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  lastError: string | null;
}

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Labels;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** Go's zero time, which Alertmanager uses for "no end". */
const ZERO_TIME = '0001-01-01T00:00:00Z';
const GROUP_BY = ['alertname', 'service'] as const;

/** Alertmanager's label-set fingerprint: FNV-1a 64 over sorted name/value pairs, 0xff-separated. */
export function fingerprint(labels: Labels): string {
  const prime = 0x100000001b3n;
  let h = 0xcbf29ce484222325n;
  const feed = (bytes: Uint8Array) => {
    for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * prime);
  };
  const enc = new TextEncoder();
  for (const name of Object.keys(labels).sort()) {
    feed(enc.encode(name));
    feed(Uint8Array.of(0xff));
    feed(enc.encode(labels[name] ?? ''));
    feed(Uint8Array.of(0xff));
  }
  return h.toString(16).padStart(16, '0');
}

function common(maps: readonly Labels[]): Labels {
  const [first, ...rest] = maps;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

const iso = (ms: number) => new Date(ms).toISOString();

class DeliveryQueue {
  private readonly queue: unknown[] = [];
  private running: Promise<void> | null = null;
  private closed = false;
  readonly stats: DeliveryStats = { sent: 0, failed: 0, retried: 0, dropped: 0, lastError: null };

  constructor(
    readonly url: string,
    private readonly options: Required<Omit<NotifierOptions, 'alertmanagerUrl' | 'onError'>> &
      Pick<NotifierOptions, 'onError'>,
  ) {}

  push(body: unknown): void {
    if (this.closed) return;
    this.queue.push(body);
    while (this.queue.length > this.options.maxQueue) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  private async drain(): Promise<void> {
    for (let body = this.queue.shift(); body !== undefined; body = this.queue.shift()) {
      await this.deliver(body);
    }
  }

  private async deliver(body: unknown): Promise<void> {
    const text = JSON.stringify(body);
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
          signal: AbortSignal.timeout(this.options.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.sent++;
          return;
        }
        throw new Error(`${res.status} ${res.statusText}`);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        this.stats.lastError = e.message;
        if (attempt === this.options.maxAttempts || this.closed) {
          this.stats.failed++;
          this.options.onError?.(this.url, e);
          return;
        }
        this.stats.retried++;
        await new Promise((r) => setTimeout(r, this.options.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** Stops taking work; waits (bounded) for the delivery in flight. */
  async close(waitMs: number): Promise<void> {
    this.closed = true;
    if (this.running) await Promise.race([this.running, new Promise((r) => setTimeout(r, waitMs))]);
  }
}

export class Notifier {
  private readonly webhooks: DeliveryQueue[];
  private readonly alertmanager: DeliveryQueue | null;
  private readonly lastSent = new Map<string, number>();
  private readonly options: Required<Omit<NotifierOptions, 'alertmanagerUrl' | 'onError'>> &
    Pick<NotifierOptions, 'onError'>;

  constructor(options: NotifierOptions) {
    this.options = {
      webhooks: options.webhooks,
      externalUrl: options.externalUrl,
      timeoutMs: options.timeoutMs ?? 5000,
      maxAttempts: options.maxAttempts ?? 5,
      retryDelayMs: options.retryDelayMs ?? 500,
      maxQueue: options.maxQueue ?? 100,
      resendDelayMs: options.resendDelayMs ?? 60_000,
      onError: options.onError,
    };
    this.webhooks = options.webhooks.map((url) => new DeliveryQueue(url, this.options));
    this.alertmanager = options.alertmanagerUrl
      ? new DeliveryQueue(new URL('/api/v2/alerts', options.alertmanagerUrl).href, this.options)
      : null;
  }

  private generatorUrl(labels: Labels): string {
    return `${this.options.externalUrl}/alerts?alert=${encodeURIComponent(labels.alertname ?? '')}`;
  }

  private webhookAlert(
    status: 'firing' | 'resolved',
    a: { labels: Labels; annotations: Labels; firedAt: number | null; activeAt: number },
    endsAt: number | null,
  ): WebhookAlert {
    return {
      status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: iso(a.firedAt ?? a.activeAt),
      endsAt: endsAt === null ? ZERO_TIME : iso(endsAt),
      generatorURL: this.generatorUrl(a.labels),
      fingerprint: fingerprint(a.labels),
    };
  }

  /** After an evaluation at `now`: what changed (`transitions`) and what fires (`active`). Never blocks. */
  notify(transitions: readonly AlertTransition[], active: readonly ActiveAlert[], now: number): void {
    const firing = active.filter((a) => a.state === 'firing');
    const resolved = transitions.filter((t) => t.to === 'resolved');
    if (this.webhooks.length > 0) {
      for (const payload of this.webhookPayloads(transitions, firing)) {
        for (const q of this.webhooks) q.push(payload);
      }
    }
    if (this.alertmanager) {
      const validUntil = now + 4 * this.options.resendDelayMs;
      const due = firing.filter((a) => {
        const key = fingerprint(a.labels);
        const last = this.lastSent.get(key);
        return last === undefined || now - last >= this.options.resendDelayMs;
      });
      for (const a of due) this.lastSent.set(fingerprint(a.labels), now);
      for (const r of resolved) this.lastSent.delete(fingerprint(r.labels));
      const body = [
        ...due.map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          startsAt: iso(a.firedAt ?? a.activeAt),
          endsAt: iso(validUntil),
          generatorURL: this.generatorUrl(a.labels),
        })),
        ...resolved.map((r) => ({
          labels: r.labels,
          annotations: r.annotations,
          startsAt: iso(r.firedAt ?? r.activeAt),
          endsAt: iso(r.at),
          generatorURL: this.generatorUrl(r.labels),
        })),
      ];
      if (body.length > 0) this.alertmanager.push(body);
    }
  }

  /** One payload per group where an alert started firing or resolved. */
  webhookPayloads(transitions: readonly AlertTransition[], firing: readonly ActiveAlert[]): WebhookPayload[] {
    const groupKey = (labels: Labels) =>
      GROUP_BY.map((k) => `${k}=${JSON.stringify(labels[k] ?? '')}`).join(', ');
    const changed = new Map<string, AlertTransition[]>();
    for (const t of transitions) {
      if (t.to !== 'firing' && t.to !== 'resolved') continue;
      const key = groupKey(t.labels);
      changed.set(key, [...(changed.get(key) ?? []), t]);
    }
    const payloads: WebhookPayload[] = [];
    for (const [key, ts] of changed) {
      const first = ts[0] as AlertTransition;
      const alerts = [
        ...firing.filter((a) => groupKey(a.labels) === key).map((a) => this.webhookAlert('firing', a, null)),
        ...ts.filter((t) => t.to === 'resolved').map((t) => this.webhookAlert('resolved', t, t.at)),
      ];
      const groupLabels = Object.fromEntries(
        GROUP_BY.flatMap((k) => (first.labels[k] === undefined ? [] : [[k, first.labels[k]]])),
      );
      payloads.push({
        version: '4',
        groupKey: `{}:{${key}}`,
        truncatedAlerts: 0,
        status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
        receiver: 'observatory',
        groupLabels,
        commonLabels: common(alerts.map((a) => a.labels)),
        commonAnnotations: common(alerts.map((a) => a.annotations)),
        externalURL: this.options.externalUrl,
        alerts,
      });
    }
    return payloads;
  }

  stats(): {
    webhooks: Array<{ url: string } & DeliveryStats>;
    alertmanager: ({ url: string } & DeliveryStats) | null;
  } {
    return {
      webhooks: this.webhooks.map((q) => ({ url: q.url, ...q.stats })),
      alertmanager: this.alertmanager ? { url: this.alertmanager.url, ...this.alertmanager.stats } : null,
    };
  }

  async close(waitMs = 2000): Promise<void> {
    await Promise.all(
      [...this.webhooks, ...(this.alertmanager ? [this.alertmanager] : [])].map((q) => q.close(waitMs)),
    );
  }
}
