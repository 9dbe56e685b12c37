import { createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import { alertSource } from './adapters/alert-source.js';
import { createAuditRepository } from './adapters/audit-repository.js';
import { gatewayLevers } from './adapters/gateway-levers.js';
import type { Platform } from './adapters/supervisor-platform.js';
import { Healer } from './app/healer.js';
import type { HealerConfig } from './config.js';
import type { Runbook } from './domain/runbook.js';
import { remediationRoutes } from './http/remediation-routes.js';
import { webhookRoutes } from './http/webhook-routes.js';

export interface HealerAppDeps {
  db: Db;
  logger: Logger;
  config: Pick<
    HealerConfig,
    | 'INTERNAL_TOKEN'
    | 'OBSERVATORY_URL'
    | 'GATEWAY_OPS_URL'
    | 'PROMETHEUS_URL'
    | 'HEALER_DRY_RUN'
    | 'HEALER_APPROVAL'
    | 'HEALER_COOLDOWN_S'
    | 'HEALER_MAX_ACTIONS_PER_HOUR'
    | 'HEALER_VERIFY_POLL_MS'
  > &
    Partial<Pick<HealerConfig, 'GLASSBOX_SLO_TIME_SCALE'>>;
  runbooks: readonly Runbook[];
  /** How services are restarted: the supervisor's control API in embedded mode. */
  platform: Platform;
}

export interface HealerApp {
  app: ServiceApp;
  healer: Healer;
}

/** The healer's app, not listening: the webhook receiver, the audit log API and the remediation engine. */
export async function buildApp({
  db,
  logger,
  config,
  runbooks,
  platform,
}: HealerAppDeps): Promise<HealerApp> {
  const audit = createAuditRepository(db);
  const healer = new Healer({
    runbooks,
    audit,
    platform,
    gateway: gatewayLevers(config.GATEWAY_OPS_URL),
    alerts: alertSource({ observatoryUrl: config.OBSERVATORY_URL, prometheusUrl: config.PROMETHEUS_URL }),
    policy: {
      dryRun: config.HEALER_DRY_RUN,
      approval: config.HEALER_APPROVAL,
      cooldownMs: config.HEALER_COOLDOWN_S * 1000,
      maxActionsPerHour: config.HEALER_MAX_ACTIONS_PER_HOUR,
    },
    logger,
    verifyPollMs: config.HEALER_VERIFY_POLL_MS,
    timeScale: config.GLASSBOX_SLO_TIME_SCALE,
  });
  const app = await createServiceApp({
    name: 'healer',
    logger,
    description: 'Auto-heal: Alertmanager webhooks in, runbooks run with safeguards, every step audited',
    readiness: { db: () => db.ping() },
  });
  await app.register(webhookRoutes, { healer });
  await app.register(remediationRoutes, { healer, internalToken: config.INTERNAL_TOKEN });
  app.addHook('onClose', async () => healer.close());
  return { app, healer };
}
