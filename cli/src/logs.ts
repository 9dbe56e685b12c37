import type { Readable } from 'node:stream';
import { escapeControlChars } from '@glassbox/kit/untrusted-text';

/** One line written by a supervised process (or by the supervisor itself, source `glassbox`). */
export interface LogLine {
  readonly source: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  /** The parsed record when the line is a JSON object (pino writes one per line). */
  readonly json: Record<string, unknown> | undefined;
  /** When the supervisor received the line (ms since epoch). */
  readonly receivedAt: number;
}

export type LogSink = (line: LogLine) => void;

/** Longest line kept; anything beyond is cut (a runaway process must not exhaust the supervisor). */
export const MAX_LINE = 64 * 1024;

export function parseJsonLine(line: string): Record<string, unknown> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function makeLine(source: string, stream: 'stdout' | 'stderr', line: string): LogLine {
  return { source, stream, line, json: parseJsonLine(line), receivedAt: Date.now() };
}

/** Calls `onLine` for every complete line of `stream`; a final unterminated line is flushed at the end. */
export function forEachLine(stream: Readable, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let nl = pending.indexOf('\n');
    while (nl !== -1) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      onLine(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line);
      nl = pending.indexOf('\n');
    }
    if (pending.length > MAX_LINE) {
      onLine(`${pending.slice(0, MAX_LINE)}…`);
      pending = '';
    }
  });
  stream.on('end', () => {
    if (pending.length > 0) onLine(pending);
    pending = '';
  });
}

const PINO_LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

export function levelName(level: unknown): string | undefined {
  if (typeof level === 'number') return PINO_LEVELS[level] ?? String(level);
  if (typeof level === 'string') return level.toLowerCase();
  return undefined;
}

const ANSI = {
  reset: '\x1b[0m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
  white: '\x1b[37m',
  brightRed: '\x1b[91m',
  brightGreen: '\x1b[92m',
  brightYellow: '\x1b[93m',
  brightBlue: '\x1b[94m',
  brightMagenta: '\x1b[95m',
  brightCyan: '\x1b[96m',
} as const;

const SOURCE_COLOURS = [
  ANSI.cyan,
  ANSI.green,
  ANSI.magenta,
  ANSI.blue,
  ANSI.yellow,
  ANSI.brightCyan,
  ANSI.brightGreen,
  ANSI.brightMagenta,
  ANSI.brightBlue,
];

const FIXED_COLOURS: Record<string, string> = { glassbox: ANSI.bold + ANSI.white, postgres: ANSI.brightBlue };

function sourceColour(source: string): string {
  const fixed = FIXED_COLOURS[source];
  if (fixed) return fixed;
  let hash = 0;
  for (const ch of source) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return SOURCE_COLOURS[hash % SOURCE_COLOURS.length] ?? ANSI.cyan;
}

function levelColour(level: string): string {
  switch (level) {
    case 'fatal':
    case 'error':
      return ANSI.red;
    case 'warn':
      return ANSI.yellow;
    case 'info':
      return ANSI.green;
    default:
      return ANSI.dim;
  }
}

/** Keys already shown in the fixed columns of a pretty line, or noise. */
const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'message', 'pid', 'hostname', 'service', 'v', 'name']);

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function clockTime(ms: number): string {
  const d = new Date(ms);
  const millis = String(d.getMilliseconds()).padStart(3, '0');
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${millis}`;
}

function recordTime(json: Record<string, unknown>, fallback: number): number {
  const t = json.time;
  if (typeof t === 'number' && Number.isFinite(t)) return t;
  if (typeof t === 'string') {
    const parsed = Date.parse(t);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return fallback;
}

/**
 * A field's value as shown: quoted when it has spaces, quotes or `=`. Control characters are always escaped
 * (JSON.stringify leaves DEL, C1 and the bidi overrides alone), since values carry what clients sent.
 */
function formatValue(value: unknown): string {
  if (typeof value === 'string') {
    return escapeControlChars(/[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    return escapeControlChars(JSON.stringify(value) ?? String(value));
  } catch {
    return escapeControlChars(String(value));
  }
}

export interface PrettyOptions {
  readonly colour: boolean;
  /** Width of the source column (the longest source name). */
  readonly sourceWidth: number;
}

/**
 * A human-readable rendering: `time source LEVEL message key=value …`, plus an error stack if any. Everything a
 * process printed has its control characters escaped (messages and keys can hold what a client sent: a newline
 * or an ANSI escape there would print a forged line); the only escapes written are the printer's own colours.
 */
export function formatPretty(entry: LogLine, options: PrettyOptions): string {
  const c = (code: string, text: string): string => (options.colour ? `${code}${text}${ANSI.reset}` : text);
  const source = c(sourceColour(entry.source), entry.source.padEnd(options.sourceWidth));
  const json = entry.json;
  if (!json) {
    const line = escapeControlChars(entry.line);
    const text = entry.stream === 'stderr' ? c(ANSI.yellow, line) : line;
    return `${c(ANSI.dim, clockTime(entry.receivedAt))} ${source} ${text}`;
  }
  const level = levelName(json.level) ?? 'info';
  const msg = escapeControlChars(
    typeof json.msg === 'string' ? json.msg : typeof json.message === 'string' ? json.message : '',
  );
  const fields: string[] = [];
  let stack: string | undefined;
  for (const [key, value] of Object.entries(json)) {
    if (HIDDEN_KEYS.has(key) || value === undefined) continue;
    if (key === 'err' && value !== null && typeof value === 'object') {
      const err = value as Record<string, unknown>;
      if (typeof err.stack === 'string') {
        // The stack repeats the message, whose newlines are not line breaks of the stack.
        stack =
          typeof err.message === 'string' && err.message !== ''
            ? err.stack.replace(err.message, escapeControlChars(err.message))
            : err.stack;
      }
      fields.push(`err=${formatValue(err.message ?? err.type ?? 'error')}`);
      continue;
    }
    fields.push(`${escapeControlChars(key)}=${formatValue(value)}`);
  }
  const head = `${c(ANSI.dim, clockTime(recordTime(json, entry.receivedAt)))} ${source} ${c(levelColour(level), level.toUpperCase().padEnd(5))} ${msg}`;
  const tail = fields.length > 0 ? ` ${c(ANSI.dim, fields.join(' '))}` : '';
  const stackLines = stack?.split('\n').map((l) => `    ${escapeControlChars(l)}`);
  const stackText = stackLines ? `\n${c(ANSI.dim, stackLines.join('\n'))}` : '';
  return `${head}${tail}${stackText}`;
}

/** One JSON object per line for machines (`--json-logs`): pino records as they came, others wrapped. */
export function formatJson(entry: LogLine): string {
  if (entry.json) {
    if (typeof entry.json.service === 'string') return entry.line.trim();
    return JSON.stringify({ service: entry.source, ...entry.json });
  }
  return JSON.stringify({
    time: new Date(entry.receivedAt).toISOString(),
    service: entry.source,
    stream: entry.stream,
    msg: entry.line,
  });
}

/** Whether to colour output written to `stream`, honouring NO_COLOR and FORCE_COLOR. */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export interface ConsoleSinkOptions {
  readonly json: boolean;
  readonly colour: boolean;
  readonly sourceWidth: number;
  readonly out?: NodeJS.WritableStream;
}

/** A sink that writes every line to the terminal, pretty or as JSON. */
export function consoleSink(options: ConsoleSinkOptions): LogSink {
  const out = options.out ?? process.stdout;
  return (entry) => {
    const text = options.json
      ? formatJson(entry)
      : formatPretty(entry, { colour: options.colour, sourceWidth: options.sourceWidth });
    out.write(`${text}\n`);
  };
}
