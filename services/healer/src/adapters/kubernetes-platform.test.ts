import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRequest, kubeConfigFor, standInApiServer } from '../../../../test/support/kubernetes.js';
import { kubernetesNamespace, kubernetesPlatform } from './kubernetes-platform.js';
import { NotApplicableError, NothingToRollBackError } from './supervisor-platform.js';

const seen: ApiRequest[] = [];
/** What the API server holds for a GET (by path); a PATCH is answered with a Deployment. */
const objects = new Map<string, unknown>();
let api: Awaited<ReturnType<typeof standInApiServer>>;
let server: string;

beforeAll(async () => {
  // An API server that records what reaches it and answers like Kubernetes does to a patch.
  api = await standInApiServer((req) => {
    seen.push(req);
    const held =
      req.method === 'GET' ? (objects.get(req.url) ?? objects.get(req.url.split('?')[0] ?? '')) : undefined;
    return {
      status: 200,
      body: held ?? { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'catalog' } },
    };
  });
  server = api.url;
});
afterAll(() => api.close());

/** A kubeconfig for the recording API server, with a service account's token. */
const recordingApiConfig = () => kubeConfigFor(server, 'sa-token');

describe('the Kubernetes platform (cluster mode)', () => {
  it('restarts a service as `kubectl rollout restart` does: a strategic-merge patch of the pod template', async () => {
    const kubeConfig = recordingApiConfig();
    const at = new Date('2026-12-05T22:30:00.000Z');
    const platform = kubernetesPlatform({ kubeConfig, namespace: 'glassbox', now: () => at });
    const done = await platform.restartService('catalog');
    expect(done).toBe(
      'rollout restart of deployment glassbox/catalog (restartedAt 2026-12-05T22:30:00.000Z)',
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      url: '/apis/apps/v1/namespaces/glassbox/deployments/catalog?fieldManager=glassbox-healer',
      contentType: 'application/strategic-merge-patch+json',
      authorization: 'Bearer sa-token',
      body: {
        spec: {
          template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at.toISOString() } } },
        },
      },
    });
  });

  describe('rolls back a fresh release as `kubectl rollout undo` does', () => {
    const at = new Date('2026-12-06T08:00:00.000Z');
    const deploymentPath = '/apis/apps/v1/namespaces/glassbox/deployments/catalog';
    const setsPath = '/apis/apps/v1/namespaces/glassbox/replicasets';
    const uid = 'd-uid-1';
    const deployment = (revision: number, paused = false) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'catalog',
        namespace: 'glassbox',
        uid,
        annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      },
      spec: {
        paused,
        selector: { matchLabels: { 'app.kubernetes.io/name': 'catalog' } },
        template: { metadata: { labels: { 'app.kubernetes.io/name': 'catalog' } }, spec: { containers: [] } },
      },
    });
    const replicaSet = (revision: number, createdMinutesAgo: number, owner = uid) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `catalog-${revision}abc`,
        namespace: 'glassbox',
        creationTimestamp: new Date(at.getTime() - createdMinutesAgo * 60_000).toISOString(),
        annotations: { 'deployment.kubernetes.io/revision': String(revision) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'catalog', uid: owner }],
      },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'catalog' } },
        template: {
          metadata: {
            labels: { 'app.kubernetes.io/name': 'catalog', 'pod-template-hash': `${revision}abc` },
          },
          spec: { containers: [{ name: 'catalog', image: `glassbox:v${revision}` }] },
        },
      },
    });
    const sets = (...items: unknown[]) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSetList', items });
    const platform = () =>
      kubernetesPlatform({ kubeConfig: recordingApiConfig(), namespace: 'glassbox', now: () => at });

    it('writes the previous revision’s pod template back, if the revision it read is still current', async () => {
      objects.set(deploymentPath, deployment(4));
      // Revision 3 belongs to another Deployment whose pods carry the same label: not a candidate.
      objects.set(
        setsPath,
        sets(replicaSet(1, 600), replicaSet(4, 5), replicaSet(2, 300), replicaSet(3, 30, 'other')),
      );
      seen.length = 0;
      expect(await platform().rollbackRelease('catalog')).toBe(
        "rolled back deployment glassbox/catalog from revision 4 to revision 2's pod template (replicaset catalog-2abc)",
      );
      expect(seen.map((r) => r.method)).toEqual(['GET', 'GET', 'PATCH']);
      expect(decodeURIComponent(seen[1]?.url ?? '')).toBe(
        `${setsPath}?labelSelector=app.kubernetes.io/name=catalog`,
      );
      expect(seen[2]).toMatchObject({
        url: `${deploymentPath}?fieldManager=glassbox-healer`,
        contentType: 'application/json-patch+json',
        authorization: 'Bearer sa-token',
        body: [
          { op: 'test', path: '/metadata/annotations/deployment.kubernetes.io~1revision', value: '4' },
          {
            op: 'replace',
            path: '/spec/template',
            value: {
              metadata: { labels: { 'app.kubernetes.io/name': 'catalog' } },
              spec: { containers: [{ name: 'catalog', image: 'glassbox:v2' }] },
            },
          },
        ],
      });
      // The ReplicaSet's own hash label is not written back (the Deployment makes a new one).
      const patch = seen[2]?.body as [unknown, { value: { metadata: { labels: object } } }] | undefined;
      expect(patch?.[1].value.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'catalog' });
    });

    it('has nothing to roll back for a release older than the window, or without an earlier revision', async () => {
      objects.set(deploymentPath, deployment(3));
      objects.set(setsPath, sets(replicaSet(2, 300), replicaSet(3, 61)));
      seen.length = 0;
      const old = platform().rollbackRelease('catalog');
      await expect(old).rejects.toThrow(NothingToRollBackError);
      await expect(old).rejects.toThrow(
        'deployment glassbox/catalog runs revision 3, released 2026-12-06T06:59:00.000Z, more than 60 min ago: not a fresh release',
      );
      objects.set(deploymentPath, deployment(1));
      objects.set(setsPath, sets(replicaSet(1, 5)));
      const first = platform().rollbackRelease('catalog');
      await expect(first).rejects.toThrow(NothingToRollBackError);
      await expect(first).rejects.toThrow('deployment glassbox/catalog has no revision before 1');
      // A paused Deployment would not roll out what is written: it says so (an error, the step fails).
      objects.set(deploymentPath, deployment(3, true));
      await expect(platform().rollbackRelease('catalog')).rejects.toThrow('is paused');
      expect(seen.map((r) => r.method)).not.toContain('PATCH');
    });
  });

  it('scales out by raising the HorizontalPodAutoscaler’s floor to one more than it runs, within its maximum', async () => {
    const kubeConfig = recordingApiConfig();
    const platform = kubernetesPlatform({ kubeConfig, namespace: 'glassbox' });
    const path = '/apis/autoscaling/v2/namespaces/glassbox/horizontalpodautoscalers/order';
    const hpa = (current: number) => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'order', namespace: 'glassbox' },
      spec: {
        minReplicas: 2,
        maxReplicas: 4,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'order' },
      },
      status: { currentReplicas: current, desiredReplicas: current },
    });
    objects.set(path, hpa(3));
    seen.length = 0;
    expect(await platform.scaleOut('order')).toBe(
      'scaled out glassbox/order: horizontalpodautoscaler minReplicas 2 → 4 (it ran 3, at most 4)',
    );
    expect(seen.map((r) => r.method)).toEqual(['GET', 'PATCH']);
    expect(seen[1]).toMatchObject({
      url: `${path}?fieldManager=glassbox-healer`,
      contentType: 'application/merge-patch+json',
      authorization: 'Bearer sa-token',
      body: { spec: { minReplicas: 4 } },
    });
    // At its maximum: not applicable, and nothing is patched.
    objects.set(path, hpa(4));
    seen.length = 0;
    const refused = platform.scaleOut('order');
    await expect(refused).rejects.toThrow(NotApplicableError);
    await expect(refused).rejects.toThrow('already runs 4 of at most 4 replicas');
    expect(seen.map((r) => r.method)).toEqual(['GET']);
  });

  it('acts in the configured namespace, else the pod’s own, else the kubeconfig context’s, else glassbox', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gb-sa-'));
    const file = path.join(dir, 'namespace');
    await writeFile(file, 'glassbox-prod\n');
    const withContext = new KubeConfig();
    withContext.loadFromOptions({
      clusters: [{ name: 'c', server }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u', namespace: 'from-context' }],
      currentContext: 'ctx',
    });
    const bare = new KubeConfig();
    bare.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: '' });
    try {
      expect(await kubernetesNamespace('set', withContext, file)).toBe('set');
      expect(await kubernetesNamespace(undefined, withContext, file)).toBe('glassbox-prod');
      expect(await kubernetesNamespace(undefined, withContext, path.join(dir, 'absent'))).toBe(
        'from-context',
      );
      expect(await kubernetesNamespace(undefined, bare, path.join(dir, 'absent'))).toBe('glassbox');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
