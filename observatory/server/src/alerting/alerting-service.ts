/**
 * Embedded-mode alerting: every interval (15 s by default, divided by the demo time scale), read the metric
 * points stored since the last evaluation, the supervisor's process states and the observatory's own metrics
 * into the series store, evaluate the rule files, track the SLOs, and hand what changed to the notifier.
 * One evaluation at a time; a slow one delays the next instead of overlapping it.
 */
import type { QueryStore } from '../query/types.js';
import type { SelfSnapshot } from '../self/self-stats.js';
import { MetricFeed } from './metric-feed.js';
import { Notifier } from './notifier.js';
import { retentionPolicy } from './retention.js';
import { type AlertTransition, RuleEngine, type RuleGroupSpec } from './rule-engine.js';
import { loadRuleDir } from './rule-files.js';
import { SeriesStore } from './series-store.js';
import { SloTracker, sloCatalog } from './slos.js';
import { observatorySamples, supervisorSamples, type TargetSample } from './target-series.js';

export interface AlertingConfig {
  /** Folder of Prometheus rule files. */
  readonly rulesDir: string;
  /** Evaluation interval (already divided by the time scale). */
  readonly intervalMs: number;
  readonly timeScale: number;
  readonly webhooks: readonly string[];
  readonly alertmanagerUrl?: string;
  /** Supervisor control API, for `up` and restarts. */
  readonly controlUrl?: string;
  /** Console URL for links in notifications. */
  readonly externalUrl: string;
  /** Alert transitions kept. */
  readonly historyLimit: number;
  /** Longest a raw series is kept (the store's retention). */
  readonly maxKeepMs: number;
}

export interface AlertingDeps {
  readonly store: QueryStore;
  readonly selfSnapshot: () => SelfSnapshot;
  readonly log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

export interface EvaluationStatus {
  evaluations: number;
  lastEvaluation: number | null;
  lastDurationMs: number;
  lastError: string | null;
}

/** Compaction of the series stores every this many evaluations. */
const COMPACT_EVERY = 10;

export class AlertingService {
  readonly engine: RuleEngine;
  readonly slos: SloTracker;
  readonly notifier: Notifier;
  readonly groups: readonly RuleGroupSpec[];
  private readonly series: SeriesStore;
  private readonly feed: MetricFeed;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | null = null;
  private stopped = false;
  readonly status: EvaluationStatus = {
    evaluations: 0,
    lastEvaluation: null,
    lastDurationMs: 0,
    lastError: null,
  };

  constructor(
    readonly config: AlertingConfig,
    private readonly deps: AlertingDeps,
    groups: readonly RuleGroupSpec[] = loadRuleDir(config.rulesDir),
  ) {
    this.groups = groups;
    const probe = new RuleEngine(groups, { select: () => [] }, { timeScale: config.timeScale });
    const selectors = probe.selectors();
    const recordedNames = probe.recordedNames();
    this.series = new SeriesStore(
      retentionPolicy(selectors, { timeScale: config.timeScale, maxKeepMs: config.maxKeepMs }),
    );
    const recorded = new SeriesStore(
      retentionPolicy(selectors, { timeScale: config.timeScale, recorded: recordedNames, keepUnread: true }),
    );
    this.engine = new RuleEngine(groups, this.series, {
      timeScale: config.timeScale,
      recorded,
      historyLimit: config.historyLimit,
    });
    const rawNames = new Set(
      selectors
        .flatMap((s) =>
          s.matchers.filter((m) => m.name === '__name__' && m.op === '=' && !recordedNames.has(m.value)),
        )
        .map((m) => m.value),
    );
    const longest = Math.max(0, ...selectors.map((s) => s.rangeMs));
    this.feed = new MetricFeed(deps.store, this.series, rawNames, Math.min(longest, config.maxKeepMs));
    this.slos = new SloTracker(
      sloCatalog(groups),
      Math.max(config.intervalMs, Math.round(120_000 / config.timeScale)),
    );
    this.notifier = new Notifier({
      webhooks: config.webhooks,
      alertmanagerUrl: config.alertmanagerUrl,
      externalUrl: config.externalUrl,
      onError: (target, err) => deps.log.warn({ target, err: err.message }, 'alert notification failed'),
    });
  }

  get rules(): number {
    return this.groups.reduce((n, g) => n + g.rules.length, 0);
  }

  get seriesStats(): { series: number; samples: number } {
    return this.series.stats;
  }

  /** Starts the evaluation loop (first evaluation at once). */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      const started = Date.now();
      this.running = this.evaluateNow(started).then(() => {
        this.running = null;
        if (this.stopped) return;
        this.timer = setTimeout(tick, Math.max(0, this.config.intervalMs - (Date.now() - started)));
        this.timer.unref();
      });
    };
    tick();
  }

  /** One evaluation at `now` (the loop's body; tests call it directly). */
  async evaluateNow(now = Date.now()): Promise<AlertTransition[]> {
    const started = performance.now();
    try {
      await this.feed.poll(now);
      const targets: TargetSample[] = [
        ...(this.config.controlUrl
          ? await supervisorSamples(this.config.controlUrl, Math.min(2000, this.config.intervalMs))
          : []),
        ...observatorySamples(this.deps.selfSnapshot()),
      ];
      for (const s of targets) this.series.append(s.labels, now, s.v);
      const transitions = this.engine.evaluate(now);
      this.slos.record(now, (ms) => this.engine.recordedSelect(ms, now - 300_000, now, true));
      this.notifier.notify(transitions, this.engine.activeAlerts(), now);
      for (const t of transitions) {
        this.deps.log.info(
          {
            alertname: t.labels.alertname,
            service: t.labels.service,
            severity: t.labels.severity,
            from: t.from,
            to: t.to,
          },
          `alert ${t.labels.alertname} ${t.to}`,
        );
      }
      this.status.evaluations++;
      if (this.status.evaluations % COMPACT_EVERY === 0) this.series.compact(now);
      this.status.lastError = null;
      return transitions;
    } catch (err) {
      this.status.lastError = (err as Error).message;
      this.deps.log.error({ err }, 'alert evaluation failed');
      return [];
    } finally {
      this.status.lastEvaluation = now;
      this.status.lastDurationMs = performance.now() - started;
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.notifier.close();
  }
}
