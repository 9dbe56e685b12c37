import type { FastifyReply, FastifyRequest } from 'fastify';
import { LOG_COLUMNS, type LogFilter, type LogRow, logConditions, toLogRecord } from './logs.js';
import { Params } from './sql.js';
import type { LogRecord, QueryStore } from './types.js';

/**
 * A cursor over the logs table by `ingested_ns`: each `poll()` returns the matching records stored since the
 * previous one, oldest first. Rows sharing the cursor's `ingested_ns` are remembered so a later insert
 * with the same stamp is delivered once, and nothing that existed before `start()` is delivered at all.
 */
export class LogTailCursor {
  private cursor = 0n;
  private seenAtCursor = new Set<string>();

  constructor(
    private readonly store: QueryStore,
    private readonly filter: LogFilter,
    private readonly batch = 500,
  ) {}

  async start(): Promise<void> {
    const [row] = await this.store.query<{ c: string }>(
      'SELECT CAST(coalesce(max(ingested_ns), 0) AS VARCHAR) AS c FROM logs',
    );
    this.cursor = BigInt(row?.c ?? '0');
    const p = new Params();
    const where = [`ingested_ns = ${p.ns(this.cursor)}`, ...logConditions(p, this.filter)];
    const existing = await this.store.query<LogRow>(
      `SELECT ${LOG_COLUMNS} FROM logs WHERE ${where.join(' AND ')}`,
      p.values,
    );
    this.seenAtCursor = new Set(existing.map(rowKey));
  }

  async poll(): Promise<LogRecord[]> {
    const p = new Params();
    const where = [`ingested_ns >= ${p.ns(this.cursor)}`, ...logConditions(p, this.filter)];
    const rows = await this.store.query<LogRow>(
      `SELECT ${LOG_COLUMNS} FROM logs WHERE ${where.join(' AND ')}
       ORDER BY ingested_ns, time_ns LIMIT ${p.add(this.batch + this.seenAtCursor.size)}`,
      p.values,
    );
    const fresh = rows.filter((r) => !this.seenAtCursor.has(rowKey(r)));
    const last = rows.at(-1);
    if (last) {
      const lastNs = BigInt(last.ingested_ns);
      if (lastNs !== this.cursor) {
        this.cursor = lastNs;
        this.seenAtCursor = new Set();
      }
      for (const r of rows) if (r.ingested_ns === last.ingested_ns) this.seenAtCursor.add(rowKey(r));
    }
    return fresh.map(toLogRecord);
  }
}

function rowKey(r: LogRow): string {
  return [
    r.ingested_ns,
    r.time_ns,
    r.observed_ns,
    r.service,
    r.trace_id,
    r.span_id,
    r.severity_number,
    r.body,
    r.attributes,
  ].join('\u0000');
}

export interface TailOptions {
  pollMs: number;
  heartbeatMs: number;
  /** Stop reading the store while the client has this many bytes unread. */
  maxBufferedBytes: number;
}

/**
 * Streams a tail as Server-Sent Events on a hijacked reply until the client goes away or `stop()` is called
 * (the plugin calls it when the server closes). One `data:` line of JSON per log record.
 */
export class SseTail {
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly done: Promise<void>;
  private resolveDone: () => void = () => {};

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly cursor: LogTailCursor,
    private readonly options: TailOptions,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** Sends the headers and starts polling; resolves when the stream has ended. */
  run(): Promise<void> {
    const res = this.reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n: tail started\n\n`);
    this.request.raw.on('close', () => this.stop());
    res.on('close', () => this.stop());
    res.on('error', () => this.stop());
    this.heartbeat = setInterval(() => {
      if (!this.stopped) res.write(': ping\n\n');
    }, this.options.heartbeatMs);
    this.schedule();
    return this.done;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
    this.resolveDone();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.options.pollMs);
  }

  private async tick(): Promise<void> {
    const res = this.reply.raw;
    if (this.stopped || res.writableLength > this.options.maxBufferedBytes) return;
    try {
      const records = await this.cursor.poll();
      if (this.stopped || records.length === 0) return;
      res.write(records.map((r) => `data: ${JSON.stringify(r)}\n\n`).join(''));
    } catch (err) {
      this.request.log.warn({ err }, 'live tail poll failed');
    }
  }
}
