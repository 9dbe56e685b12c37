import { appError, principalOf, TENANT_HEADER } from '@glassbox/kit';
import type { FastifyRequest } from 'fastify';

/** Route response schemas for problem documents (the contract's, through the kit). */
export { problemResponses as problems } from '@glassbox/kit';

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
