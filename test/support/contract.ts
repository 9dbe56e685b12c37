/**
 * Checks real answers against the public API's contract (the TypeBox schemas in @glassbox/contracts). A response
 * object is checked closed: a member the contract does not name is drift too (the services' serializers drop
 * unknown members, so one can only appear when a route answers with a schema other than the contract's).
 */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { ApiResponse } from './http.js';

type Json = Record<string, unknown>;

/** A plain copy of `schema` in which every object that does not say otherwise allows no other members. */
export function closed(schema: TSchema): TSchema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== 'object' || node === null) return node;
    const copy: Json = {};
    for (const [key, value] of Object.entries(node)) copy[key] = walk(value);
    if (copy.type === 'object' && typeof copy.properties === 'object' && !('additionalProperties' in copy)) {
      copy.additionalProperties = false;
    }
    return copy;
  };
  return walk(schema) as TSchema;
}

/** Where and how `value` breaks the (closed) contract `schema`; empty when it keeps it. */
export function contractErrors(schema: TSchema, value: unknown): string[] {
  return [...Value.Errors(closed(schema), value)].map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/**
 * The body of `res`, typed by its contract, after checking the status and the body against the schema; throws
 * naming every member that breaks it.
 */
export function expectContract<S extends TSchema>(
  name: string,
  schema: S,
  res: ApiResponse<unknown>,
  statuses: number | readonly number[] = 200,
): Static<S> {
  const expected = typeof statuses === 'number' ? [statuses] : statuses;
  if (!expected.includes(res.status)) {
    throw new Error(
      `${name}: status ${res.status}, expected ${expected.join(' or ')}: ${JSON.stringify(res.body)}`,
    );
  }
  const errors = contractErrors(schema, res.body);
  if (errors.length > 0) {
    throw new Error(`${name} breaks its contract:\n  ${errors.join('\n  ')}\n${JSON.stringify(res.body)}`);
  }
  return res.body as Static<S>;
}
