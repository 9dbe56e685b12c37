import path from 'node:path';
import { createLogger, loadConfig, runService } from '@glassbox/kit';
import { loadRunbooks, runbookSummary } from './adapters/runbook-files.js';
import { type Platform, supervisorPlatform } from './adapters/supervisor-platform.js';
import { buildApp } from './app.js';
import { HealerConfig } from './config.js';
import { RunbookError } from './domain/runbook.js';

const config = loadConfig(HealerConfig);
// A bad runbook stops the start with its file, field and reason: a healer must not run half its runbooks.
const runbooks = await loadRunbooks(path.resolve(config.HEALER_RUNBOOKS_DIR)).catch((err: unknown) => {
  if (!(err instanceof RunbookError)) throw err;
  createLogger('healer', 'fatal').fatal({ file: err.file, field: err.field }, `bad runbook: ${err.message}`);
  process.exit(2);
});

/** The supervisor's control API, or in cluster mode the Kubernetes API (in-cluster account or kubeconfig). */
async function platformFor(c: HealerConfig): Promise<Platform> {
  if (c.HEALER_PLATFORM === 'supervisor') return supervisorPlatform(c.CONTROL_URL);
  const { KubeConfig } = await import('@kubernetes/client-node');
  const { kubernetesNamespace, kubernetesPlatform } = await import('./adapters/kubernetes-platform.js');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  const namespace = await kubernetesNamespace(c.HEALER_KUBERNETES_NAMESPACE, kubeConfig);
  return kubernetesPlatform({ kubeConfig, namespace, releaseWindowMs: c.HEALER_RELEASE_WINDOW_S * 1000 });
}

await runService({
  name: 'healer',
  config,
  database: { url: config.DATABASE_URL, migrations: new URL('../migrations/', import.meta.url) },
  build: async ({ db, logger }) => {
    if (!db) throw new Error('the healer needs its database');
    logger.info(
      { runbooks: runbookSummary(runbooks), dryRun: config.HEALER_DRY_RUN, approval: config.HEALER_APPROVAL },
      'runbooks loaded',
    );
    const { app } = await buildApp({
      db,
      logger,
      config,
      runbooks,
      platform: await platformFor(config),
    });
    return app;
  },
});
