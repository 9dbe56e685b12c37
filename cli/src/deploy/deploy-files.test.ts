/**
 * The deployment files are what the manifest renders to (a stale committed file fails here), and what they
 * promise holds: every service in compose with its health check and start order, scraped by Prometheus; the
 * Collector's sampling; Grafana's data sources linked both ways; a new manifest entry appears everywhere
 * without a hand edit.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_MANIFEST, type ServiceManifestEntry } from '@glassbox/contracts';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { composeAlertmanager, composeFiles } from './compose.js';
import { deployFiles, staleFiles } from './files.js';
import { k8sFiles } from './k8s.js';
import { DATASOURCE_UIDS } from './observability.js';
import { deployedServices } from './topology.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Parsed YAML, read only by the assertions below (a wrong path fails them). */
// biome-ignore lint/suspicious/noExplicitAny: a parsed document of any shape; the expectations type-check it
type Doc = any;
const fileText = (files: { path: string; text: string }[], p: string) => {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`no generated ${p}`);
  return f.text;
};

describe('glassbox deploy build', () => {
  it('committed deploy/compose, deploy/k8s and the dashboards are up to date with the manifest', () => {
    expect(staleFiles(ROOT), 'stale: run `npm run glassbox -- deploy build`').toEqual([]);
  });

  it("copies every workspace's package.json into the image's install layer (npm ci there needs them all)", () => {
    const containerfile = readFileSync(path.join(ROOT, 'deploy/images/Containerfile'), 'utf8');
    const copied = [...containerfile.matchAll(/^COPY (\S+)\/package\.json /gm)].map((m) => m[1]);
    const workspaces = ['packages', 'services']
      .flatMap((dir) => readdirSync(path.join(ROOT, dir)).map((name) => `${dir}/${name}`))
      .concat(['observatory', 'cli'])
      .filter((dir) => existsSync(path.join(ROOT, dir, 'package.json')));
    expect(copied.sort()).toEqual(workspaces.sort());
  });

  it('writes no secret value: every secret in compose is required from the environment', () => {
    const compose = fileText(composeFiles(), 'deploy/compose/compose.yaml');
    for (const key of [
      'INTERNAL_TOKEN',
      'PAYMENT_WEBHOOK_SECRET',
      'POSTGRES_PASSWORD',
      'RABBITMQ_PASSWORD',
    ]) {
      expect(compose).toMatch(new RegExp(`\\$\\{${key}:\\?`));
    }
    expect(deployFiles(ROOT).map((f) => f.path)).not.toContain('deploy/k8s/overlays/dev/secrets.env');
  });
});

describe('compose', () => {
  const files = composeFiles();
  const compose = parse(fileText(files, 'deploy/compose/compose.yaml')) as Doc;

  it('runs every manifest service from the one image, read-only, health-checked, after what it calls', () => {
    for (const s of SERVICE_MANIFEST) {
      const svc = compose.services[s.name];
      expect(svc, s.name).toBeDefined();
      expect(svc.command).toEqual([s.name]);
      expect(svc.read_only).toBe(true);
      expect(svc.healthcheck.test.join(' ')).toContain(`:${s.port}/readyz`);
      for (const dep of s.dependsOn)
        expect(svc.depends_on[dep], `${s.name} → ${dep}`).toEqual({ condition: 'service_healthy' });
      if (s.database) {
        expect(svc.depends_on.postgres).toEqual({ condition: 'service_healthy' });
        expect(svc.environment.DATABASE_URL).toContain(`/glassbox_${s.database}`);
      }
      expect(svc.environment.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector:4318');
    }
    for (const tool of [
      'postgres',
      'redis',
      'rabbitmq',
      'otel-collector',
      'prometheus',
      'alertmanager',
      'loki',
      'tempo',
      'grafana',
    ]) {
      expect(compose.services[tool], tool).toBeDefined();
    }
  });

  it('creates one database per service that owns one', () => {
    const sql = fileText(files, 'deploy/compose/postgres-init.sql');
    for (const s of SERVICE_MANIFEST) {
      if (s.database) expect(sql).toContain(`CREATE DATABASE glassbox_${s.database} OWNER glassbox;`);
    }
  });

  it('has Prometheus scrape every service (the gateway on its operational port), load the rules, keep exemplars', () => {
    const prom = parse(fileText(files, 'deploy/compose/prometheus.yml')) as Doc;
    const jobs = Object.fromEntries(
      prom.scrape_configs.map((c: Doc) => [c.job_name, c.static_configs[0].targets[0]]),
    );
    for (const s of deployedServices()) expect(jobs[s.name]).toBe(`${s.name}:${s.metricsPort}`);
    expect(jobs.gateway).toBe('gateway:9464');
    expect(prom.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
    expect(compose.services.prometheus.command).toContain('--enable-feature=exemplar-storage');
    expect(compose.services.prometheus.volumes).toContain('../prometheus/rules:/etc/prometheus/rules:ro');
    expect(compose.services.alertmanager.volumes[0]).toMatch(/^\.\/alertmanager\.yml:/);
  });

  it('has Alertmanager call the healer by its container name, with the routes of deploy/alertmanager/alertmanager.yml', () => {
    const am = parse(fileText(files, 'deploy/compose/alertmanager.yml')) as Doc;
    const base = parse(readFileSync(path.join(ROOT, 'deploy/alertmanager/alertmanager.yml'), 'utf8')) as Doc;
    const urls = am.receivers.flatMap((r: Doc) => (r.webhook_configs ?? []).map((w: Doc) => w.url));
    expect(urls).toEqual([
      'http://healer:8089/webhooks/alertmanager/page',
      'http://healer:8089/webhooks/alertmanager/ticket',
    ]);
    expect(am.route).toEqual(base.route);
    expect(am.inhibit_rules).toEqual(base.inhibit_rules);
    expect(compose.services.healer).toBeDefined();
    // A base that no longer calls the healer where the renderer expects it stops the build.
    expect(() => composeAlertmanager(deployedServices(), 'receivers: []\n')).toThrow(
      /no longer calls the healer/,
    );
  });

  it('samples in the Collector: every error, every slow trace, 10 % of the rest; span metrics before sampling', () => {
    const col = parse(fileText(files, 'deploy/compose/otel-collector.yaml')) as Doc;
    const policies = col.processors.tail_sampling.policies;
    expect(policies.map((p: Doc) => p.type)).toEqual(['status_code', 'latency', 'probabilistic']);
    expect(policies[0].status_code.status_codes).toEqual(['ERROR']);
    expect(policies[2].probabilistic.sampling_percentage).toBe(10);
    expect(col.service.pipelines['traces/spanmetrics'].processors).not.toContain('tail_sampling');
    expect(col.service.pipelines.metrics.receivers).toContain('spanmetrics');
    expect(Object.keys(col.exporters).sort()).toEqual(['otlp/tempo', 'otlphttp/loki', 'prometheus']);
  });

  it('links Grafana data sources both ways: exemplar → trace, log → trace, trace → logs and metrics', () => {
    const ds = parse(fileText(files, 'deploy/compose/grafana/provisioning/datasources/glassbox.yaml')) as Doc;
    const by = Object.fromEntries(ds.datasources.map((d: Doc) => [d.type, d]));
    expect(by.prometheus.jsonData.exemplarTraceIdDestinations[0].datasourceUid).toBe(DATASOURCE_UIDS.tempo);
    expect(by.loki.jsonData.derivedFields.every((f: Doc) => f.datasourceUid === DATASOURCE_UIDS.tempo)).toBe(
      true,
    );
    expect(by.tempo.jsonData.tracesToLogsV2.datasourceUid).toBe(DATASOURCE_UIDS.loki);
    expect(by.tempo.jsonData.tracesToMetrics.datasourceUid).toBe(DATASOURCE_UIDS.prometheus);
  });
});

describe('a new service in the manifest', () => {
  const extra: ServiceManifestEntry = {
    name: 'gift-card',
    port: 8090,
    database: 'gift_card',
    routes: [],
    dependsOn: ['auth', 'inventory'],
    stopStage: 2,
    description: 'gift cards',
  };
  const services = deployedServices([...SERVICE_MANIFEST, extra]);

  it('appears in compose, in Prometheus and in the Kubernetes base with no hand edit', () => {
    const files = composeFiles(services);
    const compose = parse(fileText(files, 'deploy/compose/compose.yaml')) as Doc;
    expect(compose.services['gift-card'].depends_on.inventory).toEqual({ condition: 'service_healthy' });
    expect(compose.services.gateway.environment.GIFT_CARD_URL).toBe('http://gift-card:8090');
    expect(fileText(files, 'deploy/compose/prometheus.yml')).toContain('gift-card:8090');
    const k8s = k8sFiles(ROOT, services);
    const base = parse(fileText(k8s, 'deploy/k8s/base/kustomization.yaml')) as Doc;
    expect(base.resources).toContain('gift-card.yaml');
    const kinds = parseAllDocuments(fileText(k8s, 'deploy/k8s/base/gift-card.yaml')).map(
      (d) => (d.toJS() as Doc).kind,
    );
    expect(kinds).toEqual([
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'ServiceMonitor',
    ]);
    // inventory gains a caller: its network policy admits gift-card's pods beside those of the services already calling it.
    const inventoryPolicy = parseAllDocuments(fileText(k8s, 'deploy/k8s/base/inventory.yaml'))
      .map((d) => d.toJS() as Doc)
      .find((o) => o.kind === 'NetworkPolicy');
    const callers = inventoryPolicy?.spec.ingress[0].from.map(
      (f: Doc) => f.podSelector.matchLabels['app.kubernetes.io/name'],
    );
    expect(callers.sort()).toEqual(['flash-sale', 'gateway', 'gift-card', 'order']);
  });
});
