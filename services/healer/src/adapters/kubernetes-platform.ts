/**
 * Cluster mode: a service is a Deployment, and restarting it is what `kubectl rollout restart` does — a
 * strategic-merge patch that stamps the pod template with `kubectl.kubernetes.io/restartedAt`, so the
 * Deployment rolls its pods one by one under its own surge and availability rules. Sent through the official
 * client (`@kubernetes/client-node`), with the in-cluster service account or the local kubeconfig.
 */
import { AppsV1Api, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Platform } from './supervisor-platform.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** The body of a rollout restart. */
export function rolloutRestartPatch(now: Date) {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: now.toISOString() } } } } };
}

export function kubernetesPlatform(options: {
  kubeConfig: KubeConfig;
  namespace: string;
  now?: () => Date;
}): Platform {
  const api = options.kubeConfig.makeApiClient(AppsV1Api);
  const now = options.now ?? (() => new Date());
  return {
    async restartService(name) {
      const at = now();
      await api.patchNamespacedDeployment(
        {
          name,
          namespace: options.namespace,
          body: rolloutRestartPatch(at),
          fieldManager: 'glassbox-healer',
        },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      return `rollout restart of deployment ${options.namespace}/${name} (restartedAt ${at.toISOString()})`;
    },
    async rollbackRelease(name) {
      // `kubectl rollout undo` is client-side (it copies the previous ReplicaSet's template back), and which
      // revision is bad is not known here: not done in cluster mode yet; the step fails and the next one runs.
      throw new Error(
        `rollback-release is not available in cluster mode yet (deployment ${options.namespace}/${name}): roll it back with kubectl rollout undo`,
      );
    },
  };
}
