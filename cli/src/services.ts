/** One row of the service table: what the supervisor starts and how it wires the services together. */
export interface ServiceDef {
  /** Service name, also its OTEL_SERVICE_NAME and the `services/<name>` folder. */
  readonly name: ServiceName;
  /** Default listen port (overridden in tests by `portBase` or an explicit port map). */
  readonly port: number;
  /** Database name suffix (`<prefix><db>`), or null when the service owns no database. */
  readonly db: string | null;
  /** Environment variable through which the other services find this one. */
  readonly urlEnv: string;
  /**
   * Shutdown stage: lower stops first. The gateway goes first so no new work enters, then the order service
   * (the saga orchestrator) so in-flight sagas can still reach the services it calls, then the rest.
   */
  readonly stopStage: number;
}

export const SERVICE_NAMES = ['gateway', 'auth', 'user', 'catalog', 'inventory', 'order', 'payment'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const SERVICES: readonly ServiceDef[] = [
  { name: 'gateway', port: 8080, db: null, urlEnv: 'GATEWAY_URL', stopStage: 0 },
  { name: 'auth', port: 8081, db: 'auth', urlEnv: 'AUTH_URL', stopStage: 2 },
  { name: 'user', port: 8082, db: 'user', urlEnv: 'USER_URL', stopStage: 2 },
  { name: 'catalog', port: 8083, db: 'catalog', urlEnv: 'CATALOG_URL', stopStage: 2 },
  { name: 'inventory', port: 8084, db: 'inventory', urlEnv: 'INVENTORY_URL', stopStage: 2 },
  { name: 'order', port: 8085, db: 'order', urlEnv: 'ORDER_URL', stopStage: 1 },
  { name: 'payment', port: 8086, db: 'payment', urlEnv: 'PAYMENT_URL', stopStage: 2 },
];

/** Ports of the observatory and the supervisor itself. */
export const DEFAULT_PORTS = {
  /** The gateway's /metrics and /openapi.json (its own port is public). */
  gatewayOps: 9464,
  observatory: 3000,
  otlpHttp: 4318,
  otlpGrpc: 4317,
  control: 7070,
  postgres: 5433,
} as const;

export const DEFAULT_DB_PREFIX = 'glassbox_';

/** Demo accounts seeded by the services (`SEED_DEMO=true`). */
export const DEMO = {
  tenant: 'demo',
  customer: 'alice@demo.test',
  admin: 'admin@demo.test',
  password: 'glassbox-demo',
} as const;

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

export function serviceDef(name: ServiceName): ServiceDef {
  const def = SERVICES.find((s) => s.name === name);
  if (!def) throw new Error(`unknown service ${name}`);
  return def;
}

/** `glassbox_auth` for prefix `glassbox_` and service `auth`; null for the gateway. */
export function databaseName(def: ServiceDef, prefix: string = DEFAULT_DB_PREFIX): string | null {
  return def.db === null ? null : `${prefix}${def.db}`;
}
