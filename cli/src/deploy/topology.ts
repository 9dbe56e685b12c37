/**
 * What every deployment target needs to know of the service manifest, in one place: each Glassbox process's
 * port, database, callers and environment. compose.ts and k8s.ts render this; neither lists services itself,
 * so adding a service to packages/contracts/src/manifest.ts is enough for `glassbox deploy build`.
 */
import {
  GATEWAY_OPS_PORT,
  SERVICE_MANIFEST,
  type ServiceManifestEntry,
  serviceUrlEnv,
} from '@glassbox/contracts';

/** Where the manifest's processes find the shared stack, by deployment target. */
export interface StackAddresses {
  /** Host name of another service: compose and Kubernetes both use the service name. */
  readonly service: (name: string) => string;
  readonly postgresHost: string;
  readonly busUrl: string;
  readonly otlpHttp: string;
}

export interface DeployedService {
  readonly name: string;
  readonly port: number;
  /** `glassbox_<database>`, or null. */
  readonly database: string | null;
  /** The services this one calls (from the manifest). */
  readonly dependsOn: readonly string[];
  /** The services that call this one (the inverse of dependsOn; the gateway's callers are the outside). */
  readonly callers: readonly string[];
  /** The gateway's operational listener (/metrics); the others serve /metrics on their own port. */
  readonly metricsPort: number;
  readonly stopStage: number;
  readonly description: string;
}

export const DATABASE_PREFIX = 'glassbox_';
export const IMAGE_DEFAULT = 'localhost/glassbox:dev';

/**
 * flagd, the fault flags' source outside embedded mode (as the OpenTelemetry Demo runs it): it serves one flag
 * file (Kubernetes: the `glassbox-faults` ConfigMap; compose: deploy/compose/faults.flagd.json), and every
 * service streams it through the flagd provider's in-process sync (FLAGD_HOST, FLAGD_SYNC_PORT). A fault is
 * injected by replacing that file (README: "Faults in cluster mode"); flagd follows the file as it changes.
 */
export const FLAGD = {
  name: 'flagd',
  image: 'ghcr.io/open-feature/flagd:v0.12.9',
  syncPort: 8015,
  evaluationPort: 8013,
  managementPort: 8014,
  configMap: 'glassbox-faults',
  file: 'faults.flagd.json',
} as const;

export function deployedServices(
  manifest: readonly ServiceManifestEntry[] = SERVICE_MANIFEST,
): DeployedService[] {
  return manifest.map((s) => ({
    name: s.name,
    port: s.port,
    database: s.database === null ? null : `${DATABASE_PREFIX}${s.database}`,
    dependsOn: [...s.dependsOn],
    callers: manifest.filter((o) => o.dependsOn.includes(s.name)).map((o) => o.name),
    metricsPort: s.name === 'gateway' ? GATEWAY_OPS_PORT : s.port,
    stopStage: s.stopStage,
    description: s.description,
  }));
}

/**
 * The plain (non-secret) environment of one service: its port, how it finds the others, the bus and the
 * telemetry endpoint. Secrets (INTERNAL_TOKEN, PAYMENT_WEBHOOK_SECRET, the database password) are added by
 * each target from its own secret store.
 */
export function serviceEnvironment(
  service: DeployedService,
  all: readonly DeployedService[],
  at: StackAddresses,
): Record<string, string> {
  const env: Record<string, string> = {
    PORT: String(service.port),
    HOST: '0.0.0.0',
    OTEL_SERVICE_NAME: service.name,
    OTEL_EXPORTER_OTLP_ENDPOINT: at.otlpHttp,
    BUS_URL: at.busUrl,
    SEED_DEMO: 'true',
  };
  // The gateway gets every upstream it routes to (its config reads them all); the others what they call.
  const urls = service.name === 'gateway' ? all.filter((s) => s.name !== 'gateway') : all;
  for (const other of urls) {
    if (service.name === 'gateway' || service.dependsOn.includes(other.name)) {
      env[serviceUrlEnv(other.name)] = `http://${at.service(other.name)}:${other.port}`;
    }
  }
  if (service.name === 'gateway') {
    env.OPS_PORT = String(service.metricsPort);
    env.OPS_HOST = '0.0.0.0';
  }
  return env;
}
