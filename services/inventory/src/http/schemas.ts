import { appError, principalOf, TENANT_HEADER } from '@glassbox/kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';

/** Route response schemas for problem documents (the contract's, through the kit). */
export { problemResponses as problems } from '@glassbox/kit';

/** A catalog product id in the internal routes' bodies (the public routes' schemas are the contract's). */
export const ProductId = Type.String({ format: 'uuid', description: 'catalog product id' });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The tenant of the caller (verified token or the internal call's tenant header), checked to be a UUID so a bad
 * header is a 400 naming it rather than a database error.
 */
export function tenantOf(request: FastifyRequest): string {
  const { tenantId, internal } = principalOf(request);
  if (!UUID.test(tenantId)) {
    const path = internal ? `headers/${TENANT_HEADER}` : 'token/tid';
    throw appError('VALIDATION_FAILED', `${path} must be a UUID`, {
      errors: [{ path, message: 'must be a UUID' }],
    });
  }
  return tenantId.toLowerCase();
}
