/**
 * SQL helpers for the read side. User input only ever reaches DuckDB as a bound parameter: `Params.add`
 * returns a numbered placeholder (`$1`, `$2`, …) and keeps the value; attribute keys become JSON-pointer
 * parameters, never SQL text.
 */
import type { EnvelopeFields } from './types.js';

export type SqlValue = string | number | boolean | bigint;

/** Collects positional parameters so user input never becomes SQL text. */
export class Params {
  readonly values: SqlValue[] = [];

  /** Binds a value and returns its placeholder. */
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }

  /** Binds a nanosecond timestamp/duration; the explicit cast keeps DuckDB comparing BIGINT with BIGINT. */
  ns(value: bigint): string {
    return `CAST(${this.add(value)} AS BIGINT)`;
  }

  /** `(…placeholders…)` for an IN list; `values` must not be empty. */
  list(values: readonly SqlValue[]): string {
    return `(${values.map((v) => this.add(v)).join(', ')})`;
  }
}

/** RFC 6901 JSON pointer to a top-level key: attribute keys contain dots, so `$.a.b` paths would misread them. */
export function jsonPointer(key: string): string {
  return `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

/** An attribute filter from `attr=key=value` (value undefined: the key must be present). */
export interface AttrFilter {
  key: string;
  value?: string;
}

/**
 * A condition matching an attribute filter against the row's `attributes`, falling back to `resource`
 * (so `attr=service.instance.id=…` works). Values compare as text: numbers and booleans as JSON prints them.
 */
export function attrCondition(p: Params, filter: AttrFilter, alias = ''): string {
  const path = p.add(jsonPointer(filter.key));
  const extracted = `coalesce(json_extract_string(${alias}attributes, ${path}), json_extract_string(${alias}resource, ${path}))`;
  return filter.value === undefined ? `${extracted} IS NOT NULL` : `${extracted} = ${p.add(filter.value)}`;
}

/** The error rule for RED and dependencies: status ERROR, or an HTTP server answer ≥ 500. */
export function spanErrorExpr(alias = ''): string {
  const status = (key: string) =>
    `TRY_CAST(json_extract_string(${alias}attributes, '${jsonPointer(key)}') AS INTEGER)`;
  return `(${alias}status_code = 2 OR coalesce(${status('http.response.status_code')}, ${status('http.status_code')}, 0) >= 500)`;
}

/** BIGINT/UBIGINT columns may arrive as bigint or number depending on the store; normalise to number. */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') return Number(value);
  return 0;
}

export function numOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = num(value);
  return Number.isFinite(n) ? n : null;
}

export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return String(value);
}

/** JSON columns arrive as text (we cast them to VARCHAR) — or already parsed, if a store decides to. */
export function jsonValue(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  if (value === '') return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export function jsonObject(value: unknown): Record<string, unknown> {
  const parsed = jsonValue(value);
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}

export function jsonArray(value: unknown): unknown[] {
  const parsed = jsonValue(value);
  return Array.isArray(parsed) ? parsed : [];
}

export const MS_NS = 1_000_000n;

export function msToNs(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * MS_NS;
}

/** Nanoseconds (decimal string or bigint) to milliseconds, keeping sub-millisecond precision. */
export function nsToMs(ns: string | bigint): number {
  const big = typeof ns === 'bigint' ? ns : BigInt(ns || '0');
  return Number(big / MS_NS) + Number(big % MS_NS) / 1e6;
}

/** The envelope columns every table has (store/schema.ts), as `toEnvelope` reads them. */
export const ENVELOPE_COLUMNS =
  'scope_version, CAST(scope_attributes AS VARCHAR) AS scope_attributes, scope_schema_url, resource_schema_url';

export interface EnvelopeRow {
  scope_version: string | null;
  scope_attributes: unknown;
  scope_schema_url: string | null;
  resource_schema_url: string | null;
}

export function toEnvelope(row: EnvelopeRow): EnvelopeFields {
  return {
    scopeVersion: str(row.scope_version),
    scopeAttributes: jsonObject(row.scope_attributes),
    scopeSchemaUrl: str(row.scope_schema_url),
    resourceSchemaUrl: str(row.resource_schema_url),
  };
}
