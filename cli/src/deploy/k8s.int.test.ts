/**
 * Every overlay renders with `kubectl kustomize` and every object it holds passes schema validation
 * (kubernetes-models, prometheus-operator, argo-rollouts); the overlays differ as documented; the rules in the
 * PrometheusRule pass `promtool check rules`. Each tool missing here skips its part with the reason.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { faultFlagDocument, SERVICE_MANIFEST } from '@glassbox/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { CANARIES, FAST_BURN_THRESHOLD, FLAGD, OVERLAY_SETTINGS, OVERLAYS, type Overlay } from './k8s.js';
import { type KubeObject, validateObjects } from './k8s-validate.js';
import { run, tool } from './tools.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const kubectl = tool('kubectl', 'kubernetes-client');
const promtool = tool('promtool', 'prometheus');

/** A copy of deploy/k8s with each overlay's secrets.env made from its example (never committed). */
function preparedCopy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gb-k8s-'));
  cpSync(path.join(ROOT, 'deploy', 'k8s'), dir, { recursive: true });
  for (const overlay of OVERLAYS) {
    cpSync(
      path.join(dir, 'overlays', overlay, 'secrets.env.example'),
      path.join(dir, 'overlays', overlay, 'secrets.env'),
    );
  }
  return dir;
}

// biome-ignore lint/suspicious/noExplicitAny: rendered objects of any kind; the expectations read them
type Any = any;

describe.skipIf(!kubectl.path)(`Kubernetes overlays${kubectl.path ? '' : ` (${kubectl.missing})`}`, () => {
  const copy = preparedCopy();
  afterAll(() => rmSync(copy, { recursive: true, force: true }));
  const rendered = new Map<Overlay, KubeObject[]>();
  const render = (overlay: Overlay): KubeObject[] => {
    const cached = rendered.get(overlay);
    if (cached) return cached;
    const result = run(kubectl.path!, ['kustomize', path.join(copy, 'overlays', overlay)]);
    expect(result.status, result.stderr).toBe(0);
    const objects = parseAllDocuments(result.stdout).map((d) => d.toJS() as KubeObject);
    rendered.set(overlay, objects);
    return objects;
  };
  const named = (objects: KubeObject[], kind: string, name: string): Any =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);

  it.each(OVERLAYS)('%s renders and every object passes its schema', async (overlay) => {
    const objects = render(overlay);
    expect(objects.length).toBeGreaterThan(40);
    expect(await validateObjects(objects)).toEqual([]);
    for (const o of objects)
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(`glassbox-${overlay}`);
  });

  it('the validation rejects a broken object (it is not a pass-through)', async () => {
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { replicas: 'three' },
    };
    const failures = await validateObjects([broken as unknown as KubeObject]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^Deployment\/x: /);
    const unknown = await validateObjects([
      { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' } },
    ]);
    expect(unknown[0]).toContain('no schema');
  });

  it.each(OVERLAYS)('%s: replicas, log level, sampling and resources as the overlay says', (overlay) => {
    const objects = render(overlay);
    const settings = OVERLAY_SETTINGS[overlay];
    const config: Any = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('glassbox-config'),
    );
    expect(config.data.LOG_LEVEL).toBe(settings.logLevel);
    const collector: Any = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('otel-collector-config'),
    );
    expect(collector.data['config.yaml']).toContain(`sampling_percentage: ${settings.samplingPercent}`);
    for (const s of SERVICE_MANIFEST) {
      const canary = overlay === 'prod' && CANARIES[s.name] !== undefined;
      const workload: Any = named(objects, canary ? 'Rollout' : 'Deployment', s.name);
      expect(workload, `${overlay} ${s.name}`).toBeDefined();
      expect(workload.spec.replicas).toBe(settings.replicas);
      const pod = workload.spec.template.spec;
      const c = pod.containers[0];
      expect(c.image).toBe('localhost/glassbox:dev');
      expect(c.args).toEqual([s.name]);
      expect(c.startupProbe.httpGet.path).toBe('/healthz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(c.resources.requests.memory).toMatch(/Mi$/);
      expect(Boolean(pod.topologySpreadConstraints), `${overlay} ${s.name} topology spread`).toBe(
        overlay === 'prod',
      );
      const hpa: Any = named(objects, 'HorizontalPodAutoscaler', s.name);
      expect(hpa.spec.minReplicas).toBe(settings.hpaMin);
      expect(hpa.spec.scaleTargetRef.kind).toBe(canary ? 'Rollout' : 'Deployment');
      expect(hpa.spec.metrics.map((m: Any) => m.type).sort()).toEqual(['Pods', 'Resource']);
      expect(named(objects, 'PodDisruptionBudget', s.name)).toBeDefined();
      expect(named(objects, 'ServiceMonitor', s.name)).toBeDefined();
    }
  });

  it('only the gateway (and the console) take traffic from the ingress controller; the others only from their callers', () => {
    const objects = render('dev');
    const ingressFrom = (policy: Any) =>
      policy.spec.ingress.some((r: Any) =>
        r.from.some(
          (f: Any) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'ingress-nginx',
        ),
      );
    for (const s of SERVICE_MANIFEST) {
      const policy: Any = named(objects, 'NetworkPolicy', s.name);
      expect(ingressFrom(policy), s.name).toBe(s.name === 'gateway');
      if (s.name === 'gateway') continue;
      // Pods that may call it (a service no one calls, like the healer, admits only the monitoring namespace).
      const callers = policy.spec.ingress
        .flatMap((r: Any) => r.from)
        .filter((f: Any) => f.podSelector)
        .map((f: Any) => f.podSelector.matchLabels['app.kubernetes.io/name'])
        .sort();
      const expected = SERVICE_MANIFEST.filter((o) => (o.dependsOn as readonly string[]).includes(s.name))
        .map((o) => o.name)
        .sort();
      expect(callers, s.name).toEqual(expected);
    }
    expect(named(objects, 'NetworkPolicy', 'default-deny-ingress').spec.podSelector).toEqual({});
    const ingress: Any = named(objects, 'Ingress', 'glassbox');
    expect(ingress.spec.rules.map((r: Any) => r.http.paths[0].backend.service.name).sort()).toEqual([
      'gateway',
      'observatory',
    ]);
  });

  it.each(OVERLAYS)(
    '%s: every ConfigMap and Secret a pod names is in the render (generated names included)',
    (overlay) => {
      const objects = render(overlay);
      const exists = (kind: string, name: string) =>
        objects.some((o) => o.kind === kind && o.metadata.name === name);
      const workloads = objects.filter((o) => ['Deployment', 'Rollout', 'StatefulSet'].includes(o.kind));
      expect(workloads.length).toBeGreaterThan(10);
      for (const w of workloads as Any[]) {
        const pod = w.spec.template?.spec;
        if (!pod) continue; // a Rollout that refers to its Deployment's template
        const at = `${w.kind}/${w.metadata.name}`;
        for (const c of pod.containers) {
          for (const from of c.envFrom ?? []) {
            if (from.configMapRef)
              expect(exists('ConfigMap', from.configMapRef.name), `${at} ${from.configMapRef.name}`).toBe(
                true,
              );
            if (from.secretRef)
              expect(exists('Secret', from.secretRef.name), `${at} ${from.secretRef.name}`).toBe(true);
          }
          for (const e of c.env ?? []) {
            const cm = e.valueFrom?.configMapKeyRef?.name;
            const secret = e.valueFrom?.secretKeyRef?.name;
            if (cm) expect(exists('ConfigMap', cm), `${at} ${e.name}: ${cm}`).toBe(true);
            if (secret) expect(exists('Secret', secret), `${at} ${e.name}: ${secret}`).toBe(true);
          }
        }
        for (const v of pod.volumes ?? []) {
          if (v.configMap)
            expect(exists('ConfigMap', v.configMap.name), `${at} ${v.configMap.name}`).toBe(true);
          if (v.secret)
            expect(exists('Secret', v.secret.secretName), `${at} ${v.secret.secretName}`).toBe(true);
        }
      }
    },
  );

  it('the healer acts through the API server with its own service account: rollout restarts, rollbacks and scale-outs only', () => {
    for (const overlay of OVERLAYS) {
      const objects = render(overlay);
      const pod = (named(objects, 'Deployment', 'healer') as Any).spec.template.spec;
      expect(pod.serviceAccountName).toBe('healer');
      const env = pod.containers[0].env;
      expect(env.find((e: Any) => e.name === 'HEALER_PLATFORM')?.value).toBe('kubernetes');
      expect((named(objects, 'Role', 'healer') as Any).rules).toEqual([
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
        { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
        { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'patch'] },
      ]);
      const binding: Any = named(objects, 'RoleBinding', 'healer');
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'healer', namespace: `glassbox-${overlay}` },
      ]);
      expect(named(objects, 'ServiceAccount', 'healer')).toBeDefined();
      // No other service gets an API token.
      for (const s of SERVICE_MANIFEST.filter((x) => x.name !== 'healer')) {
        const w: Any = named(objects, 'Deployment', s.name) ?? named(objects, 'Rollout', s.name);
        expect(w.spec.template.spec.automountServiceAccountToken, s.name).toBe(false);
      }
    }
  });

  it('runs flagd as the fault flags’ source: every service streams them from its sync port, no fault active', () => {
    for (const overlay of OVERLAYS) {
      const objects = render(overlay);
      const deployment: Any = named(objects, 'Deployment', FLAGD.name);
      const container = deployment.spec.template.spec.containers[0];
      expect(container.image).toBe(FLAGD.image);
      expect(container.args).toEqual(['start', '--uri', `file:/etc/flagd/${FLAGD.file}`]);
      const mounted = deployment.spec.template.spec.volumes[0].configMap.name;
      const flags: Any = named(objects, 'ConfigMap', mounted);
      expect(JSON.parse(flags.data[FLAGD.file])).toEqual(faultFlagDocument([]));
      const config: Any = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('glassbox-config'),
      );
      expect(config.data).toMatchObject({ FLAGD_HOST: FLAGD.name, FLAGD_SYNC_PORT: String(FLAGD.syncPort) });
      const service: Any = named(objects, 'Service', FLAGD.name);
      expect(service.spec.ports.find((p: Any) => p.name === 'sync').port).toBe(FLAGD.syncPort);
      for (const s of SERVICE_MANIFEST) {
        const pod = (named(objects, 'Deployment', s.name) ?? named(objects, 'Rollout', s.name)).spec.template;
        expect(pod.spec.containers[0].envFrom[0].configMapRef.name, s.name).toBe(config.metadata.name);
        expect(pod.metadata.labels['app.kubernetes.io/part-of'], s.name).toBe('glassbox');
      }
      const policy: Any = named(objects, 'NetworkPolicy', FLAGD.name);
      expect(policy.spec.ingress).toEqual([
        {
          from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'glassbox' } } }],
          ports: [{ protocol: 'TCP', port: FLAGD.syncPort }],
        },
      ]);
    }
  });

  it('keeps secret values out of the repository: the Secret comes from secrets.env via secretGenerator', () => {
    const tracked = run('git', ['ls-files', 'deploy/k8s'], { cwd: ROOT }).stdout.split('\n');
    expect(tracked.filter((f) => f.endsWith('/secrets.env'))).toEqual([]);
    const secret: Any = render('dev').find((o) => o.kind === 'Secret');
    expect(secret.metadata.name).toMatch(/^glassbox-secrets-/);
    expect(Object.keys(secret.data)).toContain('INTERNAL_TOKEN');
  });

  it('prod: gateway and order are canaries (10 % → 50 % → 100 %) gated by the SLO fast burn', () => {
    const objects = render('prod');
    for (const name of Object.keys(CANARIES)) {
      expect(named(objects, 'Deployment', name), `no Deployment ${name} in prod`).toBeUndefined();
      const rollout: Any = named(objects, 'Rollout', name);
      const weights = rollout.spec.strategy.canary.steps
        .filter((s: Any) => s.setWeight)
        .map((s: Any) => s.setWeight);
      expect(weights).toEqual([10, 50, 100]);
      const analysis = rollout.spec.strategy.canary.analysis;
      expect(analysis.templates[0].templateName).toBe('slo-fast-burn');
      expect(analysis.args[0].value).toBe(CANARIES[name]!.join('|'));
    }
    const template: Any = named(objects, 'AnalysisTemplate', 'slo-fast-burn');
    const metric = template.spec.metrics[0];
    expect(metric.provider.prometheus.query).toContain('slo:current_burn_rate:ratio');
    expect(metric.failureCondition).toBe(`result[0] >= ${FAST_BURN_THRESHOLD}`);
    expect(metric.failureLimit).toBe(0);
  });

  it.skipIf(!promtool.path)(
    `the PrometheusRule carries every generated rule and promtool accepts them${promtool.path ? '' : ` (${promtool.missing})`}`,
    () => {
      const rule: Any = named(render('prod'), 'PrometheusRule', 'glassbox');
      const file = path.join(copy, 'rules-from-prometheusrule.yaml');
      writeFileSync(file, stringify({ groups: rule.spec.groups }));
      const result = run(promtool.path!, ['check', 'rules', file]);
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const found = /SUCCESS: (\d+) rules found/.exec(result.stdout);
      expect(Number(found?.[1])).toBeGreaterThanOrEqual(40);
    },
  );
});
