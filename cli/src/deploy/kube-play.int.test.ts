/**
 * The dev overlay's Deployments run under `podman kube play --network host` on the locally built image and
 * reach ready (issue 11 §4). The rendered manifests are taken as `kubectl kustomize` prints them; what only a
 * cluster provides is put in by hand, and only that: there is no cluster DNS or Service IPs on a host network,
 * so each service gets a free port (probes by number, no port mappings) and the others' `<NAME>_URL` point at
 * 127.0.0.1; the Secret's and the
 * ConfigMap's values (secretGenerator, configMapGenerator) are set inline, as kube play here reads no
 * Secret objects. Skipped with the reason where podman or kubectl is missing.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_MANIFEST, serviceUrlEnv } from '@glassbox/contracts';
import { testServerUrl, withDatabase } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { createTestVhost, type TestVhost } from '../../../packages/kit/test/bus/rabbitmq-harness.js';
import { dropDatabasesWithPrefix } from '../../../test/support/databases.js';
import { freePorts } from '../ports.js';
import { ensureDatabases } from '../postgres.js';
import { findExecutable } from '../prometheus.js';
import { REPO_ROOT } from '../stack.js';
import { databaseSecretKey } from './k8s.js';
import { run } from './tools.js';

const podman = findExecutable(['podman']);
const kubectl = findExecutable(['kubectl']);
const skip = !podman || !kubectl || process.getuid?.() !== 0;
const reason = !podman
  ? 'podman is not installed (apt-get install podman runc)'
  : !kubectl
    ? 'kubectl is not installed'
    : 'podman here runs as root only (rootful, runc)';
const IMAGE = 'localhost/glassbox:dev';
const tag = randomBytes(3).toString('hex');
const dbPrefix = `gbkp_${tag}_`;

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects, edited in place below
type Obj = any;

let dir: string;
let manifest: string;
let vhost: TestVhost;
let ports: Record<string, number> = {};

describe.skipIf(skip)(`the dev overlay under podman kube play${skip ? ` (${reason}; skipped)` : ''}`, () => {
  beforeAll(async () => {
    // Always (re)build: an image left by an earlier tree would run yesterday's services. Unchanged layers come
    // from podman's cache, so after the container test's build this takes seconds.
    const build = run(join(REPO_ROOT, 'deploy', 'images', 'build-local.sh'), [IMAGE], {
      cwd: REPO_ROOT,
      timeoutMs: 900_000,
    });
    if (build.status !== 0) throw new Error(`image build failed:\n${build.stderr.slice(-3000)}`);
    dir = mkdtempSync(join(tmpdir(), 'glassbox-kube-play-'));
    cpSync(join(REPO_ROOT, 'deploy', 'k8s'), join(dir, 'k8s'), { recursive: true });
    await ensureDatabases(
      testServerUrl(),
      SERVICE_MANIFEST.flatMap((s) => (s.database ? [`${dbPrefix}${s.database}`] : [])),
    );
    vhost = await createTestVhost('gbkp');
    const secrets = [
      `INTERNAL_TOKEN=${randomBytes(24).toString('hex')}`,
      `PAYMENT_WEBHOOK_SECRET=${randomBytes(24).toString('hex')}`,
      `BUS_URL=${vhost.url}`,
      ...SERVICE_MANIFEST.flatMap((s) =>
        s.database
          ? [`${databaseSecretKey(s.name)}=${withDatabase(testServerUrl(), `${dbPrefix}${s.database}`)}`]
          : [],
      ),
    ];
    writeFileSync(join(dir, 'k8s', 'overlays', 'dev', 'secrets.env'), `${secrets.join('\n')}\n`);
    const rendered = run(kubectl!, ['kustomize', join(dir, 'k8s', 'overlays', 'dev')]);
    if (rendered.status !== 0) throw new Error(rendered.stderr);
    const objects = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Obj);

    const free = await freePorts(SERVICE_MANIFEST.length + 1);
    ports = Object.fromEntries(SERVICE_MANIFEST.map((s, i) => [s.name, free[i]!]));
    const opsPort = free[SERVICE_MANIFEST.length]!;
    const secret = objects.find((o) => o.kind === 'Secret');
    const config = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('glassbox-config'),
    );
    const secretValue = (key: string) =>
      Buffer.from(String(secret.data[key]).replace(/\s+/g, ''), 'base64').toString();
    const names = new Set<string>(SERVICE_MANIFEST.map((s) => s.name));
    const deployments = objects.filter((o) => o.kind === 'Deployment' && names.has(o.metadata.name));
    expect(deployments).toHaveLength(SERVICE_MANIFEST.length);
    for (const d of deployments) {
      const name: string = d.metadata.name;
      d.metadata.name = `gbkp-${tag}-${name}`;
      const c = d.spec.template.spec.containers[0];
      const port = ports[name]!;
      const env: Array<{ name: string; value?: string; valueFrom?: Obj }> = c.env;
      const inline = [
        ...Object.entries(config.data as Record<string, string>).map(([k, v]) => ({ name: k, value: v })),
        ...env.map((e) =>
          e.valueFrom?.secretKeyRef ? { name: e.name, value: secretValue(e.valueFrom.secretKeyRef.key) } : e,
        ),
      ];
      const local: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1' };
      for (const s of SERVICE_MANIFEST) local[serviceUrlEnv(s.name)] = `http://127.0.0.1:${ports[s.name]}`;
      if (name === 'gateway') Object.assign(local, { OPS_PORT: String(opsPort), OPS_HOST: '127.0.0.1' });
      c.env = [
        ...inline.filter((e) => !(e.name in local) && e.name !== 'OTEL_EXPORTER_OTLP_ENDPOINT'),
        ...Object.entries(local)
          .filter(
            ([k]) => k === 'PORT' || k === 'HOST' || k.startsWith('OPS_') || inline.some((e) => e.name === k),
          )
          .map(([k, v]) => ({ name: k, value: v })),
      ];
      delete c.envFrom;
      // Host network: no port mappings (kube play refuses them there); the probes name the port by number.
      delete c.ports;
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) c[probe].httpGet.port = port;
    }
    manifest = join(dir, 'dev-host-network.yaml');
    writeFileSync(manifest, deployments.map((d) => stringify(d)).join('---\n'));
    const play = run(podman!, ['kube', 'play', '--network', 'host', manifest], { timeoutMs: 300_000 });
    if (play.status !== 0) throw new Error(`podman kube play: ${play.stderr}`);
  }, 1_200_000);

  afterAll(async () => {
    if (manifest) run(podman!, ['kube', 'play', '--down', manifest], { timeoutMs: 120_000 });
    // A play that failed half-way leaves the pods it made, which `--down` may not take: remove them by name.
    if (podman) {
      const left = run(podman, ['pod', 'ls', '-q', '--filter', `name=^gbkp-${tag}-`]).stdout.trim();
      if (left) run(podman, ['pod', 'rm', '-f', ...left.split(/\s+/)], { timeoutMs: 120_000 });
    }
    await vhost?.drop();
    await dropDatabasesWithPrefix(testServerUrl(), dbPrefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('runs one pod per Deployment, read-only and non-root as the manifests say, and each reaches ready', async () => {
    const deadline = Date.now() + 180_000;
    const notReady = new Set<string>(SERVICE_MANIFEST.map((s) => s.name));
    while (notReady.size > 0 && Date.now() < deadline) {
      for (const name of [...notReady]) {
        const ok = await fetch(`http://127.0.0.1:${ports[name]}/readyz`, {
          signal: AbortSignal.timeout(2000),
        }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) notReady.delete(name);
      }
      if (notReady.size > 0) await new Promise((r) => setTimeout(r, 1000));
    }
    expect([...notReady]).toEqual([]);
    for (const s of SERVICE_MANIFEST) {
      // kube play names the pod `<deployment>-pod-<n>` and its container `<pod>-<container>`.
      const container = run(podman!, [
        'ps',
        '--format',
        '{{.Names}}',
        '--filter',
        `name=^gbkp-${tag}-${s.name}-pod-\\d+-${s.name}$`,
      ])
        .stdout.trim()
        .split('\n')[0];
      expect(container, `no container for ${s.name}`).toBeTruthy();
      const inspect = run(podman!, [
        'inspect',
        container,
        '--format',
        '{{.Config.User}} {{.HostConfig.ReadonlyRootfs}} {{.State.Running}}',
      ]);
      expect(inspect.stdout.trim(), `${container}: ${inspect.stderr}`).toMatch(/^10001(:10001)? true true$/);
    }
  }, 240_000);
});
