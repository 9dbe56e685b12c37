import type { TelemetryStore } from './telemetry-store.js';
import type { RowCounts } from './types.js';

export interface RetentionOptions {
  /** Rows ingested longer ago than this are deleted. */
  retentionHours: number;
  /** When the store is larger than this, the oldest rows are deleted until it is under ~90% of it. */
  maxBytes: number;
  /** How often the rules are enforced. */
  intervalMs: number;
  /** Fraction of `maxBytes` the byte rule shrinks to (hysteresis). Default 0.9. */
  lowWatermark?: number;
  /** Wall clock in unix nanoseconds (tests inject one). */
  nowNs?: () => bigint;
}

export interface RetentionHooks {
  onEvicted?: (counts: RowCounts) => void;
  onSize?: (bytes: number) => void;
  onError?: (err: unknown) => void;
}

export interface RetentionResult {
  byAge: RowCounts;
  byBytes: RowCounts;
  sizeBefore: number;
  sizeAfter: number;
}

const MAX_BYTE_PASSES = 4;

const none = (): RowCounts => ({ spans: 0, logs: 0, metricPoints: 0 });
const total = (c: RowCounts) => c.spans + c.logs + c.metricPoints;
const add = (a: RowCounts, b: RowCounts): RowCounts => ({
  spans: a.spans + b.spans,
  logs: a.logs + b.logs,
  metricPoints: a.metricPoints + b.metricPoints,
});

/**
 * Continuous retention: on a timer, (1) delete rows whose `ingested_ns` is older than the age
 * limit, then (2) while the store is over its byte budget, delete the oldest-ingested rows of all
 * three tables together (a cutoff at the matching quantile of `ingested_ns`), checkpointing after
 * each pass so DuckDB releases the blocks — and rewriting the tables when the deleted rows only
 * covered part of a row group, whose space DuckDB would otherwise keep. Age is ingestion time, not event time: data replayed
 * with old timestamps, or from a host with a skewed clock, still gets its full retention window,
 * and "oldest first" is the order data arrived in.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionResult> | undefined;
  private readonly lowWatermark: number;
  private readonly nowNs: () => bigint;
  /** Table rewrites done by the byte rule so far. */
  compactions = 0;

  constructor(
    private readonly store: TelemetryStore,
    private readonly opts: RetentionOptions,
    private readonly hooks: RetentionHooks = {},
  ) {
    this.lowWatermark = opts.lowWatermark ?? 0.9;
    this.nowNs = opts.nowNs ?? (() => BigInt(Date.now()) * 1_000_000n);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.enforce().catch((err: unknown) => this.hooks.onError?.(err));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.running) await this.running.catch(() => undefined);
  }

  /** Applies both rules once (concurrent calls share one run). */
  enforce(): Promise<RetentionResult> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async run(): Promise<RetentionResult> {
    const ageNs = BigInt(Math.round(this.opts.retentionHours * 3_600_000)) * 1_000_000n;
    const byAge = await this.store.deleteIngestedUpTo(this.nowNs() - ageNs);
    if (total(byAge) > 0) {
      this.hooks.onEvicted?.(byAge);
      await this.store.checkpoint();
    }

    let size = await this.store.sizeBytes();
    const sizeBefore = size;
    let byBytes = none();
    if (size > this.opts.maxBytes) {
      // Appended data may be held uncompressed until a checkpoint; compress before judging.
      await this.store.checkpoint();
      size = await this.store.sizeBytes();
    }
    const target = this.opts.maxBytes * this.lowWatermark;
    for (let pass = 0; pass < MAX_BYTE_PASSES && size > this.opts.maxBytes; pass++) {
      // Delete the share of rows that the excess is of the size (rows assumed of similar size).
      const cutoff = await this.oldestCutoff(Math.min(1, (size - target) / size));
      if (cutoff === null) break;
      const deleted = await this.store.deleteIngestedUpTo(cutoff);
      byBytes = add(byBytes, deleted);
      this.hooks.onEvicted?.(deleted);
      await this.store.checkpoint();
      size = await this.store.sizeBytes();
      if (size > this.opts.maxBytes && !this.store.inMemory) {
        // DuckDB frees only whole row groups; a partly deleted one keeps its space until the
        // table is rewritten. Rewrite rather than delete more than the rule asks for. Not for a
        // `:memory:` store: there the rewritten tables stay uncompressed (measured 5× the size
        // after a checkpoint), so the next pass deletes a little more instead.
        this.compactions++;
        await this.store.compact();
        size = await this.store.sizeBytes();
      }
    }
    this.hooks.onSize?.(size);
    return { byAge, byBytes, sizeBefore, sizeAfter: size };
  }

  /** The `ingested_ns` at or below which `fraction` of all rows (across tables) lie. */
  private async oldestCutoff(fraction: number): Promise<bigint | null> {
    const [r] = await this.store.query<{ cutoff: bigint | null }>(
      `SELECT quantile_disc(ingested_ns, $1::DOUBLE) AS cutoff FROM (
         SELECT ingested_ns FROM spans
         UNION ALL SELECT ingested_ns FROM logs
         UNION ALL SELECT ingested_ns FROM metric_points)`,
      [fraction],
    );
    return r?.cutoff ?? null;
  }
}
