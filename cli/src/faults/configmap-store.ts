/**
 * The flag document of a Kubernetes deployment: the `glassbox-faults` ConfigMap that flagd mounts
 * (`deploy/k8s/base/flagd.yaml`; flagd follows the file as the kubelet updates it, within about a minute).
 * Read and replaced through the API server with `@kubernetes/client-node` (the local kubeconfig); the replace
 * carries the resourceVersion it read, so a change made in between answers 409 and is read again, never lost.
 */
import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import { FlagDocumentConflict, type FlagDocumentStore } from './flag-store.js';

export const FAULTS_CONFIGMAP = 'glassbox-faults';
export const FAULTS_CONFIGMAP_KEY = 'faults.flagd.json';

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export async function configMapStore(options: {
  kubeConfig: KubeConfig;
  namespace: string;
  name?: string;
}): Promise<FlagDocumentStore> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const api = options.kubeConfig.makeApiClient(CoreV1Api);
  const { namespace } = options;
  const name = options.name ?? FAULTS_CONFIGMAP;
  const where = `configmap ${namespace}/${name}`;
  let held: V1ConfigMap | undefined;
  return {
    where,
    async read() {
      try {
        held = await api.readNamespacedConfigMap({ name, namespace });
      } catch (err) {
        if (statusOf(err) === 404) {
          throw new Error(`${where} not found: is Glassbox deployed in namespace ${namespace} (deploy/k8s)?`);
        }
        throw err;
      }
      return { text: held.data?.[FAULTS_CONFIGMAP_KEY], version: held.metadata?.resourceVersion };
    },
    async write(text, version) {
      const body: V1ConfigMap = {
        ...held,
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { ...held?.metadata, name, namespace, resourceVersion: version },
        data: { ...held?.data, [FAULTS_CONFIGMAP_KEY]: text },
      };
      try {
        await api.replaceNamespacedConfigMap({ name, namespace, body, fieldManager: 'glassbox-chaos' });
      } catch (err) {
        if (statusOf(err) === 409) throw new FlagDocumentConflict(where);
        throw err;
      }
    },
  };
}
