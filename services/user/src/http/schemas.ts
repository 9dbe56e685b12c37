import { Type } from '@fastify/type-provider-typebox';

const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '\\S' });
const OptionalText = (maxLength: number) => Type.Optional(Type.String({ maxLength }));

export const AddressInput = Type.Object(
  {
    label: OptionalText(50),
    line1: Text(200),
    line2: OptionalText(200),
    city: Text(100),
    region: OptionalText(100),
    postalCode: Text(20),
    country: Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2 code' }),
    isDefault: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Address = Type.Object({
  id: Type.String({ format: 'uuid' }),
  label: Nullable(Type.String()),
  line1: Type.String(),
  line2: Nullable(Type.String()),
  city: Type.String(),
  region: Nullable(Type.String()),
  postalCode: Type.String(),
  country: Type.String(),
  isDefault: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const Me = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  addresses: Type.Array(Address),
});

export const MePatch = Type.Object({ name: Text(200) }, { additionalProperties: false });

export const ProfileInput = Type.Object(
  {
    userId: Type.String({ format: 'uuid' }),
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Text(200),
  },
  { additionalProperties: false },
);

export const Profile = Type.Object({
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
});

export const AddressId = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const TenantHeader = Type.Object({ 'x-tenant-id': Type.String({ format: 'uuid' }) });
