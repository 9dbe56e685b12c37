import { MAX_AMOUNT_CENTS } from '@glassbox/contracts';
import { appError, principalOf, TENANT_HEADER } from '@glassbox/kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** Route response schemas for problem documents: the kit's. */
export { ProblemSchema as Problem, problemResponses as problems } from '@glassbox/kit';

export const ProductId = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: ProductId });

const Sku = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'unique per tenant (case-insensitive): letters, digits, dot, dash, underscore',
});
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Description = Type.String({ maxLength: 5_000 });
const Category = Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' });
// Never more than one payment can take: a product's price must be payable.
const PriceCents = Type.Integer({ minimum: 0, maximum: MAX_AMOUNT_CENTS, description: 'minor units' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });

export const ProductSummary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sku: Type.String(),
  name: Type.String(),
  priceCents: Type.Integer(),
  currency: Type.String(),
});

export const Product = Type.Object({
  id: Type.String({ format: 'uuid' }),
  sku: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  category: Type.Union([Type.String(), Type.Null()]),
  priceCents: Type.Integer(),
  currency: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const NewProductBody = Type.Object(
  {
    sku: Sku,
    name: Name,
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    category: Type.Optional(Type.Union([Category, Type.Null()])),
    priceCents: PriceCents,
    currency: Currency,
  },
  { additionalProperties: false },
);

export const ProductChangesBody = Type.Object(
  {
    sku: Type.Optional(Sku),
    name: Type.Optional(Name),
    description: Type.Optional(Type.Union([Description, Type.Null()])),
    category: Type.Optional(Type.Union([Category, Type.Null()])),
    priceCents: Type.Optional(PriceCents),
    currency: Type.Optional(Currency),
  },
  { additionalProperties: false, minProperties: 1 },
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The caller's tenant (verified token or internal tenant header), checked to be a UUID (else 400 naming it). */
export function tenantOf(request: FastifyRequest): string {
  const { tenantId, internal } = principalOf(request);
  if (!isUuid(tenantId)) {
    const path = internal ? `headers/${TENANT_HEADER}` : 'token/tid';
    throw appError('VALIDATION_FAILED', `${path} must be a UUID`, {
      errors: [{ path, message: 'must be a UUID' }],
    });
  }
  return tenantId.toLowerCase();
}
