import type { AppendSession, TelemetryStore } from './telemetry-store.js';
import type { LogRow, MetricPointRow, RowCounts, SpanRow } from './types.js';

/** Rows decoded from one export request, all validated; enqueued all-or-nothing. */
export interface RowBatch {
  spans: SpanRow[];
  logs: LogRow[];
  metricPoints: MetricPointRow[];
  /** Approximate in-memory footprint of the rows (dominated by their strings). */
  approxBytes: number;
}

export interface WriteQueueOptions {
  /** Upper bound on rows held (pending + uncommitted + committing). Beyond it `tryEnqueue` refuses. */
  maxRows: number;
  /** Upper bound on approximate bytes held. */
  maxBytes: number;
  /** Commit as soon as this many rows are in the open transaction. */
  flushRows: number;
  /** Commit the open transaction at least this often. */
  flushIntervalMs: number;
}

export interface WriteQueueHooks {
  /** Rows that were committed. */
  onWritten?: (counts: RowCounts) => void;
  /** Rows lost because the store refused the write (already acknowledged to the client). */
  onWriteFailed?: (counts: RowCounts, error: unknown) => void;
}

export const DEFAULT_WRITE_QUEUE_OPTIONS: WriteQueueOptions = {
  maxRows: 200_000,
  maxBytes: 128 * 1024 * 1024,
  flushRows: 8192,
  flushIntervalMs: 250,
};

const rowCount = (b: { spans: unknown[]; logs: unknown[]; metricPoints: unknown[] }) =>
  b.spans.length + b.logs.length + b.metricPoints.length;

const zero = (): RowCounts => ({ spans: 0, logs: 0, metricPoints: 0 });

/**
 * The bounded write path between the receivers and DuckDB.
 *
 * Receivers call `tryEnqueue`; `false` means "full" and becomes 429 / RESOURCE_EXHAUSTED upstream,
 * so memory stays bounded by `maxRows`/`maxBytes` however fast clients send. Accepted rows go
 * straight into an open DuckDB transaction (an `AppendSession`) when there is one, so they leave
 * the JS heap at once (rows held in JS across garbage collections were measured to cost more than
 * decoding); the transaction is committed every `flushIntervalMs` or at `flushRows`, and commits
 * run one at a time, asynchronously. While a commit (or a retention pass, which shares the write
 * lock) runs, rows wait in a small pending list and are appended when the next transaction opens.
 */
export class WriteQueue {
  private pending: RowBatch[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private session: AppendSession | undefined;
  private sessionBytes = 0;
  private opening: Promise<void> | undefined;
  private committing: Promise<void> | undefined;
  private committingRows = 0;
  private committingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly opts: WriteQueueOptions;

  constructor(
    private readonly store: TelemetryStore,
    options: Partial<WriteQueueOptions> = {},
    private readonly hooks: WriteQueueHooks = {},
  ) {
    this.opts = { ...DEFAULT_WRITE_QUEUE_OPTIONS, ...options };
  }

  /** Rows accepted but not yet committed. */
  get depth(): number {
    return this.pendingRows + (this.session?.rows ?? 0) + this.committingRows;
  }

  /** Approximate bytes accepted but not yet committed. */
  get bytes(): number {
    return this.pendingBytes + this.sessionBytes + this.committingBytes;
  }

  get limits(): Readonly<WriteQueueOptions> {
    return this.opts;
  }

  /** Would a batch of this size be accepted right now? */
  hasRoomFor(rows: number, bytes: number): boolean {
    if (this.closed) return false;
    if (rows === 0) return true;
    return this.depth + rows <= this.opts.maxRows && this.bytes + bytes <= this.opts.maxBytes;
  }

  /** Accepts every row of the batch, or none of them (returns false when full). */
  tryEnqueue(batch: RowBatch): boolean {
    const n = rowCount(batch);
    if (n === 0) return true;
    if (!this.hasRoomFor(n, batch.approxBytes)) return false;
    if (this.session) this.appendToSession(this.session, batch);
    else {
      this.pending.push(batch);
      this.pendingRows += n;
      this.pendingBytes += batch.approxBytes;
      this.ensureSession();
    }
    return true;
  }

  /** Commits everything accepted so far; resolves when it is visible to readers. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.opening) await this.opening;
      else if (this.session) await this.commit();
      else if (this.committing) await this.committing;
      else if (this.pendingRows > 0) this.ensureSession();
      else return;
    }
  }

  /** Stops accepting rows and commits what was accepted. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
  }

  private appendToSession(session: AppendSession, batch: RowBatch, commitWhenFull = true): void {
    try {
      if (batch.spans.length > 0) session.appendSpans(batch.spans);
      if (batch.logs.length > 0) session.appendLogs(batch.logs);
      if (batch.metricPoints.length > 0) session.appendMetricPoints(batch.metricPoints);
      this.sessionBytes += batch.approxBytes;
    } catch (err) {
      // Unexpected (rows are validated): the transaction is unusable; lose it, count the loss.
      const lost = { ...session.counts };
      lost.spans += batch.spans.length;
      lost.logs += batch.logs.length;
      lost.metricPoints += batch.metricPoints.length;
      this.abandon(session, lost, err);
      return;
    }
    if (commitWhenFull && session.rows >= this.opts.flushRows) void this.commit();
  }

  private abandon(session: AppendSession, lost: RowCounts, err: unknown): void {
    if (this.session === session) this.session = undefined;
    this.sessionBytes = 0;
    if (this.timer) clearTimeout(this.timer);
    this.hooks.onWriteFailed?.(lost, err);
    void session.rollback().catch(() => undefined);
  }

  private ensureSession(): void {
    if (this.session || this.opening) return;
    this.opening = this.store
      .beginAppend()
      .then(
        (session) => {
          this.session = session;
          this.sessionBytes = 0;
          this.timer = setTimeout(() => void this.commit(), this.opts.flushIntervalMs);
          this.timer.unref();
          const pending = this.pending;
          this.pending = [];
          this.pendingRows = 0;
          this.pendingBytes = 0;
          for (let i = 0; i < pending.length; i++) {
            if (this.session !== session) {
              // The transaction failed while draining: keep the rest for the next one.
              const rest = pending.slice(i);
              this.pending = [...rest, ...this.pending];
              for (const b of rest) {
                this.pendingRows += rowCount(b);
                this.pendingBytes += b.approxBytes;
              }
              break;
            }
            this.appendToSession(session, pending[i]!, false);
          }
          if (this.session === session && session.rows >= this.opts.flushRows) void this.commit();
        },
        (err: unknown) => {
          // Could not open a transaction (store closed or failing): the pending rows are lost.
          const lost = zero();
          for (const b of this.pending) {
            lost.spans += b.spans.length;
            lost.logs += b.logs.length;
            lost.metricPoints += b.metricPoints.length;
          }
          this.pending = [];
          this.pendingRows = 0;
          this.pendingBytes = 0;
          if (lost.spans + lost.logs + lost.metricPoints > 0) this.hooks.onWriteFailed?.(lost, err);
        },
      )
      .finally(() => {
        this.opening = undefined;
        if (!this.session && this.pendingRows > 0 && !this.closed) this.ensureSession();
      });
  }

  /** Commits the open transaction (one commit at a time); the next opens when rows arrive. */
  private commit(): Promise<void> {
    const session = this.session;
    if (!session) return this.committing ?? Promise.resolve();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.session = undefined;
    const counts = { ...session.counts };
    this.committingRows += session.rows;
    this.committingBytes += this.sessionBytes;
    const bytes = this.sessionBytes;
    this.sessionBytes = 0;
    const done = session.commit().then(
      () => this.hooks.onWritten?.(counts),
      (err: unknown) => this.hooks.onWriteFailed?.(counts, err),
    );
    const tracked = done.finally(() => {
      this.committingRows -= counts.spans + counts.logs + counts.metricPoints;
      this.committingBytes -= bytes;
      if (this.committing === tracked) this.committing = undefined;
      if (this.pendingRows > 0) this.ensureSession();
    });
    this.committing = tracked;
    // Rows arriving during the commit are kept pending; ask for the next transaction now (it
    // opens when the commit releases the store's write lock).
    if (this.pendingRows > 0) this.ensureSession();
    return tracked;
  }
}
