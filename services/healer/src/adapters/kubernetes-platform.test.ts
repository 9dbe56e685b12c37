import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesNamespace, kubernetesPlatform } from './kubernetes-platform.js';
import { NotApplicableError } from './supervisor-platform.js';

interface Seen {
  method: string;
  url: string;
  contentType: string;
  authorization: string;
  body: unknown;
}
const seen: Seen[] = [];
/** What the API server holds for a GET (by path); a PATCH is answered with a Deployment. */
const objects = new Map<string, unknown>();
let api: http.Server;
let server: string;

beforeAll(async () => {
  // An API server that records what reaches it and answers like Kubernetes does to a patch.
  api = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        authorization: req.headers.authorization ?? '',
        body: JSON.parse(text || 'null'),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      const held = req.method === 'GET' ? objects.get(req.url ?? '') : undefined;
      res.end(
        JSON.stringify(held ?? { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'catalog' } }),
      );
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  server = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => api.close(r));
});

/** A kubeconfig for the recording API server, with a service account's token. */
function recordingApiConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'test', server, skipTLSVerify: true }],
    users: [{ name: 'healer', token: 'sa-token' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'healer' }],
    currentContext: 'test',
  });
  return kubeConfig;
}

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
    // No rollback in cluster mode yet: it says so and sends nothing to the API server (the next step runs).
    await expect(platform.rollbackRelease('catalog')).rejects.toThrow('not available in cluster mode');
    expect(seen).toHaveLength(1);
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
