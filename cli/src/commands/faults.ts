import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { parseCommandLine, parseDuration, parsePort, UsageError } from '../args.js';
import { DEFAULT_PORTS } from '../services.js';

export const FAULTS_USAGE = `Usage: glassbox faults export --from TIME --to TIME --out DIR

Writes the spans, logs, metric points and fault labels (ground truth: id, kind, target, parameters, start,
end, by whom) of a time range as Parquet files (spans.parquet, logs.parquet, metrics.parquet,
faults.parquet) into DIR, from the observatory of a running \`glassbox start\` (DuckDB COPY … FORMAT parquet).
Spans affected by a fault carry its id in the attribute glassbox.fault.id.

TIME is an RFC 3339 time (2026-01-02T15:04:05Z), unix milliseconds, \`now\`, or a duration ago (30m, 2h).

Options:
  --from <time>          start of the range (required)
  --to <time>            end of the range (default now)
  --out <dir>            where to write the files (required; created if missing)
  --observatory <url>    the observatory (default: asked from the control API)
  --control <port>       control API port (default ${DEFAULT_PORTS.control}, or $GLASSBOX_CONTROL_PORT)
  -h, --help             show this help
`;

const TABLES = ['spans', 'logs', 'metrics', 'faults'] as const;

/** RFC 3339, unix ms, `now`, or a duration ago → unix ms. */
export function parseTime(text: string, flag: string, now = Date.now()): number {
  const t = text.trim();
  if (t === 'now') return now;
  if (/^\d{12,}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  } else if (/^[\d.]+(ms|s|m|h)/.test(t)) {
    return now - parseDuration(t, flag);
  }
  throw new UsageError(
    `--${flag}: cannot read ${JSON.stringify(text)} as a time (RFC 3339, unix ms, now, or a duration ago such as 30m)`,
  );
}

/** `glassbox faults export`. */
export async function runFaults(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
    observatory: { type: 'string' },
    control: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const);
  if (values.help) {
    process.stdout.write(FAULTS_USAGE);
    return 0;
  }
  if (positionals[0] !== 'export' || positionals.length !== 1)
    throw new UsageError('give the action: export');
  if (!values.from) throw new UsageError('--from is required');
  if (!values.out) throw new UsageError('--out is required');
  const now = Date.now();
  const from = parseTime(values.from, 'from', now);
  const to = values.to ? parseTime(values.to, 'to', now) : now;
  if (from >= to)
    throw new UsageError(
      `--from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()})`,
    );

  let observatory = values.observatory;
  if (!observatory) {
    const port = values.control
      ? parsePort(values.control, 'control')
      : process.env.GLASSBOX_CONTROL_PORT
        ? parsePort(process.env.GLASSBOX_CONTROL_PORT, 'GLASSBOX_CONTROL_PORT')
        : DEFAULT_PORTS.control;
    try {
      const res = await request(`http://127.0.0.1:${port}/`);
      const info = (await res.body.json()) as { urls?: { observatory?: string } };
      observatory = info.urls?.observatory;
    } catch (err) {
      process.stderr.write(
        `cannot reach the control API on port ${port}: ${(err as Error).message} (is glassbox start running?)\n`,
      );
      return 1;
    }
    if (!observatory) {
      process.stderr.write('the running stack has no observatory; give --observatory URL\n');
      return 1;
    }
  }
  const out = path.resolve(values.out);
  await fs.mkdir(out, { recursive: true });
  for (const table of TABLES) {
    const url = new URL(`/api/faults/export/${table}.parquet`, observatory);
    url.searchParams.set('start', String(from));
    url.searchParams.set('end', String(to));
    const res = await request(url, { headersTimeout: 120_000, bodyTimeout: 120_000 });
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      process.stderr.write(`the observatory answered ${res.statusCode} for ${table}: ${text}\n`);
      return 1;
    }
    const file = path.join(out, `${table}.parquet`);
    await pipeline(res.body, createWriteStream(file));
    const { size } = await fs.stat(file);
    process.stdout.write(`${file} (${size} bytes)\n`);
  }
  return 0;
}
