/**
 * The error answer of every public route: an RFC 9457 problem document (`application/problem+json`) with the
 * service's `code` and the request's `traceId`. Extension members (`errors`, `orderId`, …) pass.
 */
import { type Static, Type } from 'typebox';

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    code: Type.String(),
    traceId: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type Problem = Static<typeof Problem>;

/** `response` entries for the given error statuses, e.g. `{ ...problemResponses(400, 404) }`. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, Problem])) as Record<number, typeof Problem>;
