import { CONTROL_PORT, GATEWAY_OPS_PORT, OBSERVATORY_PORTS, SERVICE_PORTS } from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { type Static, Type } from 'typebox';

const HttpUrl = (fallback: string) => Type.String({ pattern: '^https?://', default: fallback });

export const HealerConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.healer }),
  DATABASE_URL: Type.String({ pattern: '^postgres(ql)?://' }),
  /** The supervisor's control API: how a service is restarted in embedded mode. */
  CONTROL_URL: HttpUrl(`http://127.0.0.1:${CONTROL_PORT}`),
  /** The observatory: its Prometheus-shaped alerts and its SLOs verify a remediation in embedded mode. */
  OBSERVATORY_URL: HttpUrl(`http://127.0.0.1:${OBSERVATORY_PORTS.console}`),
  /** The gateway's internal listener (circuit and load-shedding admin endpoints). */
  GATEWAY_OPS_URL: HttpUrl(`http://127.0.0.1:${GATEWAY_OPS_PORT}`),
  /** Connected mode: verify against this Prometheus's `/api/v1/alerts` instead of the observatory's. */
  PROMETHEUS_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Folder of the runbooks (`*.yaml`), relative to the working directory (the repository root). */
  HEALER_RUNBOOKS_DIR: Type.String({ minLength: 1, default: 'runbooks' }),
  /** Decide and record, never act. */
  HEALER_DRY_RUN: Type.Boolean({ default: false }),
  /** `disruptive`: a disruptive action (restart, circuit, shedding) waits for a person to approve it. */
  HEALER_APPROVAL: Type.Union([Type.Literal('none'), Type.Literal('disruptive')], { default: 'none' }),
  /** After an action on a target, another incident's action on the same target waits this long (it pages). */
  HEALER_COOLDOWN_S: Type.Integer({ minimum: 0, maximum: 86_400, default: 300 }),
  /** Actions executed in any hour, at most (paging is not counted). */
  HEALER_MAX_ACTIONS_PER_HOUR: Type.Integer({ minimum: 0, maximum: 10_000, default: 10 }),
  /** Where services run: under the supervisor (control API) or as Deployments in Kubernetes (cluster mode). */
  HEALER_PLATFORM: Type.Union([Type.Literal('supervisor'), Type.Literal('kubernetes')], {
    default: 'supervisor',
  }),
  /**
   * Cluster mode: the namespace of the Deployments. Default: the pod's own (its service account's namespace
   * file), else the kubeconfig context's, else `glassbox`.
   */
  HEALER_KUBERNETES_NAMESPACE: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' })),
  /** Cluster mode: a rollback undoes only a release (the Deployment's current revision) younger than this. */
  HEALER_RELEASE_WINDOW_S: Type.Integer({ minimum: 1, maximum: 30 * 86_400, default: 3600 }),
  /** How often a verification reads the alert or the SLI. */
  HEALER_VERIFY_POLL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 1000 }),
  /** The demo time scale of the alert windows: verification times shrink with them (at least 20 s). */
  GLASSBOX_SLO_TIME_SCALE: Type.Number({ minimum: 1, maximum: 3600, default: 1 }),
});
export type HealerConfig = Static<typeof HealerConfig>;
