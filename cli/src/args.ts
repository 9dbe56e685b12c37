import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { isServiceName, type ServiceName } from './services.js';

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `2m`, `1h`, `1m30s`, or a plain number of seconds → milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(re)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (DURATION_UNITS[match[2] ?? 's'] ?? 1000);
    consumed += match[0].length;
  }
  if (trimmed === '' || consumed !== trimmed.length) {
    throw new UsageError(
      `--${flag}: cannot read ${JSON.stringify(text)} as a duration (e.g. 30s, 2m, 1m30s, 500ms)`,
    );
  }
  return Math.round(total);
}

/** `5`, `5/s`, `300/m`, `0.5` → journeys per second. */
export function parseRate(text: string, flag = 'rate'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|m|min|h))?\s*$/i.exec(text);
  if (!match)
    throw new UsageError(`--${flag}: cannot read ${JSON.stringify(text)} as a rate (e.g. 5, 5/s, 300/m)`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  const perSecond = unit.startsWith('m') ? value / 60 : unit === 'h' ? value / 3600 : value;
  if (!(perSecond > 0)) throw new UsageError(`--${flag}: must be greater than zero`);
  return perSecond;
}

export function parseInteger(text: string, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\s*-?\d+\s*$/.test(text))
    throw new UsageError(`--${flag}: ${JSON.stringify(text)} is not a whole number`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`--${flag}: must be between ${min} and ${max}`);
  return value;
}

export function parsePort(text: string, flag: string): number {
  return parseInteger(text, flag, 1, 65535);
}

/** `gateway,auth` → validated service names. */
export function parseServiceList(text: string, flag = 'services'): ServiceName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError(`--${flag}: list at least one service`);
  const unknown = names.filter((n) => !isServiceName(n));
  if (unknown.length > 0) throw new UsageError(`--${flag}: unknown service ${unknown.join(', ')}`);
  return [...new Set(names)] as ServiceName[];
}

export interface WeightedChoice {
  readonly value: string;
  readonly weight: number;
}

/**
 * The card-token mix: `ok=80,declined=10,slow=10` (weights, any scale; `tok_` prefix optional) →
 * normalised weights summing to 1.
 */
export function parseTokenMix(text: string, flag = 'tokens'): WeightedChoice[] {
  const parts = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (parts.length === 0)
    throw new UsageError(`--${flag}: give at least one token, e.g. ok=80,declined=10,slow=10`);
  const raw: WeightedChoice[] = parts.map((part) => {
    const match = /^([A-Za-z0-9_]+)\s*[=:]\s*(\d+(?:\.\d+)?)%?$/.exec(part);
    if (!match) throw new UsageError(`--${flag}: cannot read ${JSON.stringify(part)} (expected name=weight)`);
    const name = match[1] ?? '';
    return { value: name.startsWith('tok_') ? name : `tok_${name}`, weight: Number(match[2]) };
  });
  const total = raw.reduce((sum, c) => sum + c.weight, 0);
  if (!(total > 0)) throw new UsageError(`--${flag}: the weights must not all be zero`);
  const seen = new Set<string>();
  for (const c of raw) {
    if (seen.has(c.value)) throw new UsageError(`--${flag}: ${c.value} given twice`);
    seen.add(c.value);
  }
  return raw.filter((c) => c.weight > 0).map((c) => ({ value: c.value, weight: c.weight / total }));
}

/** Picks from normalised weights with `u` uniform in [0, 1). */
export function pickWeighted(choices: readonly WeightedChoice[], u: number): string {
  let acc = 0;
  for (const c of choices) {
    acc += c.weight;
    if (u < acc) return c.value;
  }
  return choices[choices.length - 1]?.value ?? '';
}

export function parseUrl(text: string, flag: string): string {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return url.toString().replace(/\/$/, '');
  } catch {
    throw new UsageError(`--${flag}: ${JSON.stringify(text)} is not an http(s) URL`);
  }
}

type CommandLineConfig<O extends ParseArgsOptionsConfig> = {
  args: string[];
  options: O;
  allowPositionals: true;
  strict: true;
};

/** A command's flags and positionals, parsed strictly: an unknown or malformed flag is a UsageError (exit 2). */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  options: O,
) {
  try {
    return parseArgs<CommandLineConfig<O>>({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
