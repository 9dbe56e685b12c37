/**
 * What the supervisor needs of the service manifest (packages/contracts/src/manifest.ts), plus the ports of
 * the processes that are not services. Nothing here lists services: they all come from the manifest.
 */
import {
  CONTROL_PORT,
  DEMO_PASSWORD,
  DEMO_TENANT,
  DEMO_USERS,
  GATEWAY_OPS_PORT,
  isServiceName,
  manifestEntry,
  OBSERVATORY_PORTS,
  SERVICE_MANIFEST,
  SERVICE_NAMES,
  type ServiceManifestEntry,
  type ServiceName,
  serviceUrlEnv,
} from '@glassbox/contracts';

export { isServiceName, SERVICE_NAMES, type ServiceName };

/** One row of the manifest as the supervisor uses it. */
export interface ServiceDef {
  readonly name: ServiceName;
  readonly port: number;
  /** Database name suffix (`<prefix><db>`), or null when the service owns no database. */
  readonly db: string | null;
  /** Environment variable through which the other services find this one. */
  readonly urlEnv: string;
  /** Shutdown stage: lower stops first (see ServiceManifestEntry.stopStage). */
  readonly stopStage: number;
}

function toDef(entry: ServiceManifestEntry): ServiceDef {
  return {
    name: entry.name as ServiceName,
    port: entry.port,
    db: entry.database,
    urlEnv: serviceUrlEnv(entry.name),
    stopStage: entry.stopStage,
  };
}

export const SERVICES: readonly ServiceDef[] = SERVICE_MANIFEST.map(toDef);

/** Ports of the observatory, the supervisor's control API and embedded PostgreSQL. */
export const DEFAULT_PORTS = {
  /** The gateway's /metrics and /openapi.json (its own port is public). */
  gatewayOps: GATEWAY_OPS_PORT,
  observatory: OBSERVATORY_PORTS.console,
  otlpHttp: OBSERVATORY_PORTS.otlpHttp,
  otlpGrpc: OBSERVATORY_PORTS.otlpGrpc,
  control: CONTROL_PORT,
  postgres: 5433,
} as const;

export const DEFAULT_DB_PREFIX = 'glassbox_';

/** The demo accounts the services seed (`SEED_DEMO=true`), as the banner and `glassbox load` name them. */
export const DEMO = {
  tenant: DEMO_TENANT.slug,
  customer: DEMO_USERS.find((u) => u.role === 'customer')?.email ?? 'alice@demo.test',
  admin: DEMO_USERS.find((u) => u.role === 'admin')?.email ?? 'admin@demo.test',
  password: DEMO_PASSWORD,
} as const;

export function serviceDef(name: ServiceName): ServiceDef {
  return toDef(manifestEntry(name));
}

/** `glassbox_auth` for prefix `glassbox_` and service `auth`; null for the gateway. */
export function databaseName(def: ServiceDef, prefix: string = DEFAULT_DB_PREFIX): string | null {
  return def.db === null ? null : `${prefix}${def.db}`;
}
