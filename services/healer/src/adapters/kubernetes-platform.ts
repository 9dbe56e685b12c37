/**
 * Cluster mode: a service is a Deployment, and restarting it is what `kubectl rollout restart` does — a
 * strategic-merge patch that stamps the pod template with `kubectl.kubernetes.io/restartedAt`, so the
 * Deployment rolls its pods one by one under its own surge and availability rules. Scaling out raises the
 * service's HorizontalPodAutoscaler's floor (a replica count patched on the Deployment would be undone by the
 * autoscaler at its next sync): minReplicas becomes one more than it runs now, within maxReplicas; a person
 * lowers it again after the incident. Rolling back a release is what `kubectl rollout undo` does — the pod
 * template of the Deployment's previous revision (its ReplicaSet's, without `pod-template-hash`) written back —
 * and only for a fresh release: a current revision older than the release window is not what broke now, so
 * there is nothing to roll back and the runbook's next step runs. The patch is a JSON patch that first tests the
 * revision it read, so a rollout that lands in between is not overwritten. Sent through the official client
 * (`@kubernetes/client-node`), with the in-cluster service account or the local kubeconfig.
 */
import { readFile } from 'node:fs/promises';
import {
  AppsV1Api,
  AutoscalingV2Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ObjectMeta,
  type V1PodTemplateSpec,
  type V1ReplicaSet,
} from '@kubernetes/client-node';
import { NotApplicableError, NothingToRollBackError, type Platform } from './supervisor-platform.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
export const REVISION = 'deployment.kubernetes.io/revision';
/** A current revision older than this is not a fresh release: a rollback has nothing to undo. */
export const DEFAULT_RELEASE_WINDOW_MS = 60 * 60_000;

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

function revisionOf(meta: V1ObjectMeta | undefined): number {
  const value = Number(meta?.annotations?.[REVISION]);
  return Number.isInteger(value) ? value : 0;
}

/** The previous revision's pod template as `kubectl rollout undo` writes it back: without its ReplicaSet's hash. */
export function templateToRestore(set: V1ReplicaSet): V1PodTemplateSpec {
  const template = structuredClone(set.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  return template;
}

export function kubernetesPlatform(options: {
  kubeConfig: KubeConfig;
  namespace: string;
  now?: () => Date;
  /** How recent the current revision must be for a rollback to undo it. Default one hour. */
  releaseWindowMs?: number;
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
      const { namespace } = options;
      const where = `deployment ${namespace}/${name}`;
      const deployment = await api.readNamespacedDeployment({ name, namespace });
      if (deployment.spec?.paused) throw new Error(`${where} is paused: a rollback would not roll out`);
      const current = revisionOf(deployment.metadata);
      const matchLabels = deployment.spec?.selector.matchLabels ?? {};
      const labelSelector = Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const { items } = await api.listNamespacedReplicaSet({ namespace, labelSelector });
      const owned = items.filter((rs) =>
        rs.metadata?.ownerReferences?.some((o) => o.uid === deployment.metadata?.uid),
      );
      const running = owned.find((rs) => revisionOf(rs.metadata) === current);
      const releasedAt = running?.metadata?.creationTimestamp;
      const windowMs = options.releaseWindowMs ?? DEFAULT_RELEASE_WINDOW_MS;
      if (releasedAt && now().getTime() - new Date(releasedAt).getTime() > windowMs) {
        throw new NothingToRollBackError(
          `${where} runs revision ${current}, released ${new Date(releasedAt).toISOString()}, more than ${Math.round(windowMs / 60_000)} min ago: not a fresh release`,
        );
      }
      const previous = owned
        .filter((rs) => revisionOf(rs.metadata) < current && revisionOf(rs.metadata) > 0)
        .sort((a, b) => revisionOf(b.metadata) - revisionOf(a.metadata))[0];
      if (!previous) throw new NothingToRollBackError(`${where} has no revision before ${current}`);
      const back = revisionOf(previous.metadata);
      await api.patchNamespacedDeployment(
        {
          name,
          namespace,
          body: [
            // Only if no other rollout landed since it was read.
            {
              op: 'test',
              path: `/metadata/annotations/${REVISION.replace('/', '~1')}`,
              value: String(current),
            },
            { op: 'replace', path: '/spec/template', value: templateToRestore(previous) },
          ],
          fieldManager: 'glassbox-healer',
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      return `rolled back ${where} from revision ${current} to revision ${back}'s pod template (replicaset ${previous.metadata?.name})`;
    },
  };
}
