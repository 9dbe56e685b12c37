/**
 * Cluster mode: a service is a Deployment, and restarting it is what `kubectl rollout restart` does — a
 * strategic-merge patch that stamps the pod template with `kubectl.kubernetes.io/restartedAt`, so the
 * Deployment rolls its pods one by one under its own surge and availability rules. Scaling out raises the
 * service's HorizontalPodAutoscaler's floor (a replica count patched on the Deployment would be undone by the
 * autoscaler at its next sync): minReplicas becomes one more than it runs now, within maxReplicas; a person
 * lowers it again after the incident. Sent through the official client (`@kubernetes/client-node`), with the
 * in-cluster service account or the local kubeconfig.
 */
import { readFile } from 'node:fs/promises';
import {
  AppsV1Api,
  AutoscalingV2Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { NotApplicableError, type Platform } from './supervisor-platform.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** Where a pod's service account token says which namespace the pod runs in. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace to act in: the one configured, else the pod's own, else the kubeconfig context's, else `glassbox`. */
export async function kubernetesNamespace(
  configured: string | undefined,
  kubeConfig: KubeConfig,
  file = SERVICE_ACCOUNT_NAMESPACE_FILE,
): Promise<string> {
  if (configured) return configured;
  const own = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (own) return own;
  return kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'glassbox';
}

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
  const autoscaling = options.kubeConfig.makeApiClient(AutoscalingV2Api);
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
    async scaleOut(name) {
      const { namespace } = options;
      const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace });
      const max = hpa.spec?.maxReplicas ?? 1;
      const min = hpa.spec?.minReplicas ?? 1;
      const running = Math.max(min, hpa.status?.currentReplicas ?? min);
      const floor = Math.min(max, running + 1);
      if (floor <= min || running >= max) {
        throw new NotApplicableError(
          `horizontalpodautoscaler ${namespace}/${name} already runs ${running} of at most ${max} replicas`,
        );
      }
      await autoscaling.patchNamespacedHorizontalPodAutoscaler(
        { name, namespace, body: { spec: { minReplicas: floor } }, fieldManager: 'glassbox-healer' },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return `scaled out ${namespace}/${name}: horizontalpodautoscaler minReplicas ${min} → ${floor} (it ran ${running}, at most ${max})`;
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
