import { Type } from 'typebox';

/** An RFC 9457 problem document as the kit sends it, for route response schemas (extension members pass). */
export const ProblemSchema = Type.Object(
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

/** `response` entries for the given error statuses, e.g. `{ ...problemResponses(400, 404) }`. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, ProblemSchema])) as Record<
    number,
    typeof ProblemSchema
  >;
