import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesPlatform } from './kubernetes-platform.js';

interface Seen {
  method: string;
  url: string;
  contentType: string;
  authorization: string;
  body: unknown;
}
const seen: Seen[] = [];
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
      res.end(JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'catalog' } }));
    });
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  server = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => api.close(r));
});

describe('the Kubernetes platform (cluster mode)', () => {
  it('restarts a service as `kubectl rollout restart` does: a strategic-merge patch of the pod template', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'test', server, skipTLSVerify: true }],
      users: [{ name: 'healer', token: 'sa-token' }],
      contexts: [{ name: 'test', cluster: 'test', user: 'healer' }],
      currentContext: 'test',
    });
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
});
