import { Type } from '@fastify/type-provider-typebox';

/** The internal route's schemas; the public ones (and ProfileInput) are the contract's (@glassbox/contracts). */
export const Profile = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
});

export const TenantHeader = Type.Object({ 'x-tenant-id': Type.String({ format: 'uuid' }) });
