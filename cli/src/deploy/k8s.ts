/**
 * deploy/k8s/: a Kustomize base and the overlays dev, staging and prod, rendered from the service manifest.
 * The base holds, per service, a Deployment (startup, liveness and readiness probes; non-root, read-only root
 * filesystem, no capabilities), a Service, a PodDisruptionBudget, an HPA on CPU and on requests per second, a
 * NetworkPolicy admitting only the service's callers (and Prometheus), and a ServiceMonitor; plus the
 * observatory, the Collector, the Ingress, the generated rules as a PrometheusRule and a default-deny policy.
 * The overlays change replicas, resources, log level and trace sampling; prod spreads pods over zones and
 * turns the gateway and the order service into Argo Rollouts canaries gated on the SLO burn rate.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { faultFlagDocument } from '@glassbox/contracts';
import { parse, stringify } from 'yaml';
import type { GeneratedFile } from './compose.js';
import { otelCollectorConfig } from './observability.js';
import {
  type DeployedService,
  deployedServices,
  FLAGD,
  IMAGE_DEFAULT,
  serviceEnvironment,
} from './topology.js';

export const K8S_DIR = 'deploy/k8s';
export const OVERLAYS = ['dev', 'staging', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

const PART_OF = 'glassbox';
const IMAGE_NAME = 'glassbox';
const CONFIG = 'glassbox-config';
const SECRETS = 'glassbox-secrets';
const COLLECTOR = 'otel-collector';
const OBSERVATORY = 'observatory';
const HEALER = 'healer';
/** Where Prometheus (the operator's) runs; its pods may scrape every /metrics. */
const MONITORING_NAMESPACE = 'monitoring';
/** Where the ingress controller runs; its pods are the only outside traffic the gateway takes. */
const INGRESS_NAMESPACE = 'ingress-nginx';
const IMAGE_REF = {
  name: IMAGE_NAME,
  newName: IMAGE_DEFAULT.split(':')[0],
  newTag: IMAGE_DEFAULT.split(':')[1],
};
const PROMETHEUS_URL = `http://prometheus-operated.${MONITORING_NAMESPACE}.svc:9090`;

/**
 * Per-service memory, from the footprint bench (bench/results/footprint.json: every service 83–103 MB RSS
 * under 5 journeys/s; auth peaks higher on scrypt bursts). Requests cover the steady RSS, limits the bursts.
 */
const SIZING: Record<string, { memoryRequest: string; memoryLimit: string; cpuRequest: string }> = {
  default: { memoryRequest: '128Mi', memoryLimit: '256Mi', cpuRequest: '50m' },
  auth: { memoryRequest: '160Mi', memoryLimit: '384Mi', cpuRequest: '100m' },
  gateway: { memoryRequest: '128Mi', memoryLimit: '256Mi', cpuRequest: '100m' },
  order: { memoryRequest: '128Mi', memoryLimit: '256Mi', cpuRequest: '100m' },
};

interface OverlaySettings {
  readonly replicas: number;
  readonly logLevel: string;
  readonly samplingPercent: number;
  /** Multiplies the base requests and limits. */
  readonly resourceFactor: number;
  readonly environment: string;
  readonly hpaMin: number;
  readonly hpaMax: number;
}

export const OVERLAY_SETTINGS: Record<Overlay, OverlaySettings> = {
  dev: {
    replicas: 1,
    logLevel: 'debug',
    samplingPercent: 100,
    resourceFactor: 0.5,
    environment: 'development',
    hpaMin: 1,
    hpaMax: 2,
  },
  staging: {
    replicas: 2,
    logLevel: 'info',
    samplingPercent: 50,
    resourceFactor: 1,
    environment: 'staging',
    hpaMin: 2,
    hpaMax: 4,
  },
  prod: {
    replicas: 3,
    logLevel: 'warn',
    samplingPercent: 10,
    resourceFactor: 2,
    environment: 'production',
    hpaMin: 3,
    hpaMax: 10,
  },
};

/** The services that are canaries in prod (Argo Rollouts), with the SLOs (sloth_service) that gate them. */
export const CANARIES: Record<string, readonly string[]> = {
  gateway: ['public-api'],
  order: ['order', 'checkout'],
};
/** The page alert's fast-burn factor (Sloth: 14.4× over 1h and 5m): above it the canary aborts. */
export const FAST_BURN_THRESHOLD = 14.4;

const labels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF });
const selector = (name: string) => ({ 'app.kubernetes.io/name': name });

function sizing(name: string) {
  return SIZING[name] ?? SIZING.default!;
}

function secretEnv(name: string, key: string) {
  return { name, valueFrom: { secretKeyRef: { name: SECRETS, key } } };
}

/** `<SERVICE>_DATABASE_URL`: the key of a service's database URL in the secret. */
export function databaseSecretKey(service: string): string {
  return `${service.toUpperCase().replaceAll('-', '_')}_DATABASE_URL`;
}

function podSecurity() {
  return {
    runAsNonRoot: true,
    runAsUser: 10001,
    runAsGroup: 10001,
    fsGroup: 10001,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function containerSecurity() {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
}

function podTemplate(service: DeployedService, all: readonly DeployedService[]) {
  const plain = serviceEnvironment(service, all, {
    service: (name) => name,
    postgresHost: 'postgres',
    busUrl: '(secret)',
    otlpHttp: `http://${COLLECTOR}:4318`,
  });
  delete plain.BUS_URL;
  const env: object[] = Object.entries(plain).map(([name, value]) => ({ name, value }));
  if (service.name === HEALER) {
    // It acts in its own namespace (read from its service account's files).
    env.push({ name: 'HEALER_PLATFORM', value: 'kubernetes' });
  }
  env.push(secretEnv('BUS_URL', 'BUS_URL'), secretEnv('INTERNAL_TOKEN', 'INTERNAL_TOKEN'));
  if (service.database) env.push(secretEnv('DATABASE_URL', databaseSecretKey(service.name)));
  if (service.name === 'payment') env.push(secretEnv('PAYMENT_WEBHOOK_SECRET', 'PAYMENT_WEBHOOK_SECRET'));
  const size = sizing(service.name);
  const ports = [{ name: 'http', containerPort: service.port, protocol: 'TCP' }];
  if (service.metricsPort !== service.port) {
    ports.push({ name: 'metrics', containerPort: service.metricsPort, protocol: 'TCP' });
  }
  return {
    metadata: { labels: labels(service.name) },
    spec: {
      ...(service.name === HEALER ? { serviceAccountName: HEALER } : { automountServiceAccountToken: false }),
      securityContext: podSecurity(),
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: service.name,
          image: IMAGE_NAME,
          imagePullPolicy: 'IfNotPresent',
          args: [service.name],
          ports,
          env,
          envFrom: [{ configMapRef: { name: CONFIG } }],
          startupProbe: {
            httpGet: { path: '/healthz', port: 'http' },
            periodSeconds: 2,
            failureThreshold: 60,
          },
          livenessProbe: {
            httpGet: { path: '/healthz', port: 'http' },
            periodSeconds: 10,
            timeoutSeconds: 3,
            failureThreshold: 3,
          },
          readinessProbe: {
            httpGet: { path: '/readyz', port: 'http' },
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 2,
          },
          resources: {
            requests: { cpu: size.cpuRequest, memory: size.memoryRequest },
            limits: { memory: size.memoryLimit },
          },
          securityContext: containerSecurity(),
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
        },
      ],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
    },
  };
}

function serviceObjects(service: DeployedService, all: readonly DeployedService[]): object[] {
  const name = service.name;
  const metricsPortName = service.metricsPort !== service.port ? 'metrics' : 'http';
  const callers = service.callers.map((caller) => ({ podSelector: { matchLabels: selector(caller) } }));
  const fromPrometheus = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } },
  };
  const fromIngress = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': INGRESS_NAMESPACE } },
  };
  const servicePorts = [{ name: 'http', port: service.port, targetPort: 'http' }];
  if (metricsPortName === 'metrics')
    servicePorts.push({ name: 'metrics', port: service.metricsPort, targetPort: 'metrics' });
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        labels: labels(name),
        annotations: { 'glassbox.dev/description': service.description },
      },
      spec: {
        replicas: 1,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector(name) },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: podTemplate(service, all),
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels: labels(name) },
      spec: { type: 'ClusterIP', selector: selector(name), ports: servicePorts },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name, labels: labels(name) },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector(name) } },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, labels: labels(name) },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
          {
            // Served by prometheus-adapter from http_server_request_duration_count (docs/deploy.md).
            type: 'Pods',
            pods: {
              metric: { name: 'http_server_requests_per_second' },
              target: { type: 'AverageValue', averageValue: '50' },
            },
          },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, labels: labels(name) },
      spec: {
        podSelector: { matchLabels: selector(name) },
        policyTypes: ['Ingress'],
        ingress: [
          // The gateway takes the outside (through the ingress controller); every other service only its callers.
          {
            from: name === 'gateway' ? [fromIngress] : callers,
            ports: [{ protocol: 'TCP', port: service.port }],
          },
          { from: [fromPrometheus], ports: [{ protocol: 'TCP', port: service.metricsPort }] },
        ].filter((rule) => rule.from.length > 0),
      },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name, labels: labels(name) },
      spec: {
        selector: { matchLabels: selector(name) },
        endpoints: [{ port: metricsPortName, path: '/metrics', interval: '15s' }],
        // The rules read the service name as `job`.
        jobLabel: 'app.kubernetes.io/name',
      },
    },
    ...(name === HEALER ? healerAccess() : []),
  ];
}

/**
 * The healer in cluster mode acts through the API server (services/healer/src/adapters/kubernetes-platform.ts):
 * a rollout restart patches a Deployment, a scale-out reads and patches a HorizontalPodAutoscaler, a rollback
 * lists the Deployment's ReplicaSets and writes the previous template back — in its own namespace only, with
 * its own service account.
 */
function healerAccess(): object[] {
  const meta = { name: HEALER, labels: labels(HEALER) };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta,
      rules: [
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch'] },
        { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['list'] },
        { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['get', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: HEALER },
      subjects: [{ kind: 'ServiceAccount', name: HEALER }],
    },
  ];
}

function observatoryObjects(): object[] {
  const name = OBSERVATORY;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: labels(name) },
      spec: {
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector(name) },
        template: {
          metadata: { labels: labels(name) },
          spec: {
            securityContext: podSecurity(),
            containers: [
              {
                name,
                image: IMAGE_NAME,
                imagePullPolicy: 'IfNotPresent',
                args: [name],
                env: [
                  { name: 'HOST', value: '0.0.0.0' },
                  { name: 'OBSERVATORY_PORT', value: '3000' },
                  { name: 'OTLP_HTTP_PORT', value: '4318' },
                  { name: 'OTLP_GRPC_PORT', value: '4317' },
                  { name: 'OBSERVATORY_DATA_DIR', value: '/var/lib/glassbox' },
                ],
                envFrom: [{ configMapRef: { name: CONFIG } }],
                ports: [
                  { name: 'http', containerPort: 3000 },
                  { name: 'otlp-grpc', containerPort: 4317 },
                  { name: 'otlp-http', containerPort: 4318 },
                ],
                startupProbe: {
                  httpGet: { path: '/api/services', port: 'http' },
                  periodSeconds: 2,
                  failureThreshold: 60,
                },
                livenessProbe: {
                  httpGet: { path: '/api/services', port: 'http' },
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                },
                readinessProbe: {
                  httpGet: { path: '/api/services', port: 'http' },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                },
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '768Mi' } },
                securityContext: containerSecurity(),
                volumeMounts: [
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'data', mountPath: '/var/lib/glassbox' },
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
              { name: 'data', emptyDir: { sizeLimit: '2Gi' } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels: labels(name) },
      spec: {
        selector: selector(name),
        ports: [
          { name: 'http', port: 3000, targetPort: 'http' },
          { name: 'otlp-grpc', port: 4317, targetPort: 'otlp-grpc' },
          { name: 'otlp-http', port: 4318, targetPort: 'otlp-http' },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, labels: labels(name) },
      spec: {
        podSelector: { matchLabels: selector(name) },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': INGRESS_NAMESPACE } } },
            ],
            ports: [{ protocol: 'TCP', port: 3000 }],
          },
          {
            from: [{ podSelector: { matchLabels: selector(COLLECTOR) } }],
            ports: [{ protocol: 'TCP', port: 4317 }],
          },
          {
            from: [
              { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } } },
            ],
            ports: [{ protocol: 'TCP', port: 3000 }],
          },
        ],
      },
    },
  ];
}

export { FLAGD };

function flagdObjects(): object[] {
  const { name } = FLAGD;
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: FLAGD.configMap, labels: labels(name) },
      // No fault active: one flag per kind whose only variant is `none`.
      data: { [FLAGD.file]: `${JSON.stringify(faultFlagDocument([]), null, 2)}\n` },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: labels(name) },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector(name) },
        template: {
          metadata: { labels: labels(name) },
          spec: {
            securityContext: podSecurity(),
            containers: [
              {
                name,
                image: FLAGD.image,
                imagePullPolicy: 'IfNotPresent',
                args: ['start', '--uri', `file:/etc/flagd/${FLAGD.file}`],
                ports: [
                  { name: 'evaluation', containerPort: FLAGD.evaluationPort },
                  { name: 'management', containerPort: FLAGD.managementPort },
                  { name: 'sync', containerPort: FLAGD.syncPort },
                ],
                livenessProbe: { httpGet: { path: '/healthz', port: 'management' }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: '/readyz', port: 'management' }, periodSeconds: 5 },
                resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
                securityContext: containerSecurity(),
                volumeMounts: [{ name: 'flags', mountPath: '/etc/flagd', readOnly: true }],
              },
            ],
            volumes: [{ name: 'flags', configMap: { name: FLAGD.configMap } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels: labels(name) },
      spec: {
        selector: selector(name),
        ports: [
          { name: 'sync', port: FLAGD.syncPort, targetPort: 'sync' },
          { name: 'evaluation', port: FLAGD.evaluationPort, targetPort: 'evaluation' },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, labels: labels(name) },
      spec: {
        podSelector: { matchLabels: selector(name) },
        policyTypes: ['Ingress'],
        // Every Glassbox pod streams its flags; nothing else reaches flagd.
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': PART_OF } } }],
            ports: [{ protocol: 'TCP', port: FLAGD.syncPort }],
          },
        ],
      },
    },
  ];
}

function collectorObjects(): object[] {
  const name = COLLECTOR;
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: labels(name) },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector(name) },
        template: {
          metadata: { labels: labels(name) },
          spec: {
            securityContext: podSecurity(),
            containers: [
              {
                name,
                image: 'otel/opentelemetry-collector-contrib:0.128.0',
                args: ['--config=/conf/config.yaml'],
                ports: [
                  { name: 'otlp-grpc', containerPort: 4317 },
                  { name: 'otlp-http', containerPort: 4318 },
                  { name: 'metrics', containerPort: 8889 },
                  { name: 'health', containerPort: 13133 },
                ],
                livenessProbe: { httpGet: { path: '/', port: 'health' }, periodSeconds: 10 },
                readinessProbe: { httpGet: { path: '/', port: 'health' }, periodSeconds: 5 },
                resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
                securityContext: containerSecurity(),
                volumeMounts: [{ name: 'config', mountPath: '/conf' }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'otel-collector-config' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels: labels(name) },
      spec: {
        selector: selector(name),
        ports: [
          { name: 'otlp-grpc', port: 4317, targetPort: 'otlp-grpc' },
          { name: 'otlp-http', port: 4318, targetPort: 'otlp-http' },
          { name: 'metrics', port: 8889, targetPort: 'metrics' },
        ],
      },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name, labels: labels(name) },
      spec: { selector: { matchLabels: selector(name) }, endpoints: [{ port: 'metrics', interval: '15s' }] },
    },
  ];
}

function ingress(gateway: DeployedService): object {
  const rule = (host: string, service: string, port: number) => ({
    host,
    http: {
      paths: [
        { path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } },
      ],
    },
  });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'glassbox', labels: labels('glassbox') },
    spec: {
      ingressClassName: 'nginx',
      rules: [
        rule('shop.glassbox.example', gateway.name, gateway.port),
        rule('console.glassbox.example', OBSERVATORY, 3000),
      ],
    },
  };
}

function defaultDeny(): object {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'default-deny-ingress', labels: labels('glassbox') },
    spec: { podSelector: {}, policyTypes: ['Ingress'] },
  };
}

/** The committed rule files (deploy/prometheus/rules), carried by one PrometheusRule. */
function prometheusRule(root: string): object {
  const dir = path.join(root, 'deploy', 'prometheus', 'rules');
  const groups = ['slo.rules.yaml', 'glassbox.rules.yaml'].flatMap(
    (file) => (parse(readFileSync(path.join(dir, file), 'utf8')) as { groups: object[] }).groups,
  );
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'glassbox', labels: { ...labels('glassbox'), role: 'alert-rules' } },
    spec: { groups },
  };
}

const yamlDocs = (objects: readonly object[]) =>
  objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
const HEADER =
  '# GENERATED by `npm run glassbox -- deploy build` from packages/contracts/src/manifest.ts. Do not edit:\n' +
  '# change the manifest or cli/src/deploy/ and rebuild.\n';

function analysisTemplate(): object {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'slo-fast-burn', labels: labels('glassbox') },
    spec: {
      args: [{ name: 'sloth-services' }],
      metrics: [
        {
          name: 'fast-burn',
          interval: '1m',
          count: 10,
          failureLimit: 0,
          // No data (no traffic yet) reads as 0: an idle canary is not a failed one.
          successCondition: `result[0] < ${FAST_BURN_THRESHOLD}`,
          failureCondition: `result[0] >= ${FAST_BURN_THRESHOLD}`,
          provider: {
            prometheus: {
              address: PROMETHEUS_URL,
              query:
                'max(slo:current_burn_rate:ratio{sloth_service=~"{{args.sloth-services}}"}) or vector(0)',
            },
          },
        },
      ],
    },
  };
}

function rollout(
  service: DeployedService,
  all: readonly DeployedService[],
  replicas: number,
  changes: { resources: object; spread: object[] | undefined },
): object {
  const slos = CANARIES[service.name] ?? [];
  const template = podTemplate(service, all);
  const [container, ...others] = template.spec.containers;
  const spec = {
    ...template.spec,
    containers: [{ ...container!, resources: changes.resources }, ...others],
    ...(changes.spread ? { topologySpreadConstraints: changes.spread } : {}),
  };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: service.name, labels: labels(service.name) },
    spec: {
      replicas,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector(service.name) },
      template: { ...template, spec },
      strategy: {
        canary: {
          // Runs from the first step to the end; a failed measurement aborts the rollout (back to stable).
          analysis: {
            templates: [{ templateName: 'slo-fast-burn' }],
            startingStep: 1,
            args: [{ name: 'sloth-services', value: slos.join('|') }],
          },
          steps: [
            { setWeight: 10 },
            { pause: { duration: '5m' } },
            { setWeight: 50 },
            { pause: { duration: '5m' } },
            { setWeight: 100 },
          ],
        },
      },
    },
  };
}

function kustomization(content: object): string {
  return (
    HEADER +
    stringify(
      { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', ...content },
      { lineWidth: 0 },
    )
  );
}

function secretsExample(services: readonly DeployedService[]): string {
  const lines = [
    '# Copy to secrets.env beside this file and fill in (secrets.env is never committed: .gitignore).',
    '# openssl rand -hex 32 makes a good token.',
    'INTERNAL_TOKEN=',
    'PAYMENT_WEBHOOK_SECRET=',
    'BUS_URL=amqp://glassbox:CHANGE-ME@rabbitmq:5672',
  ];
  for (const s of services) {
    if (s.database)
      lines.push(`${databaseSecretKey(s.name)}=postgres://glassbox:CHANGE-ME@postgres:5432/${s.database}`);
  }
  return `${lines.join('\n')}\n`;
}

function overlayFiles(overlay: Overlay, services: readonly DeployedService[]): GeneratedFile[] {
  const s = OVERLAY_SETTINGS[overlay];
  const dir = `${K8S_DIR}/overlays/${overlay}`;
  const canaries = overlay === 'prod' ? services.filter((x) => CANARIES[x.name]) : [];
  const scale = (quantity: string) => {
    const [, n, unit] = /^(\d+)(m|Mi)$/.exec(quantity) ?? [];
    return `${Math.max(1, Math.round(Number(n) * s.resourceFactor))}${unit}`;
  };
  /** What the overlay changes in a service's pod: its resources, and in prod the spread over zones and nodes. */
  const podChanges = (svc: DeployedService) => {
    const size = sizing(svc.name);
    const resources = {
      requests: { cpu: scale(size.cpuRequest), memory: scale(size.memoryRequest) },
      limits: { memory: scale(size.memoryLimit) },
    };
    const spread =
      overlay === 'prod'
        ? ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
            maxSkew: 1,
            topologyKey,
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: selector(svc.name) },
          }))
        : undefined;
    return { resources, spread };
  };
  const patches: object[] = services.map((svc) => {
    const { resources, spread } = podChanges(svc);
    const spec: Record<string, unknown> = { containers: [{ name: svc.name, resources }] };
    if (spread) spec.topologySpreadConstraints = spread;
    return {
      patch: stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: svc.name },
        spec: { template: { spec } },
      }),
      target: { kind: 'Deployment', name: svc.name },
    };
  });
  for (const svc of services) {
    patches.push({
      patch: stringify([
        { op: 'replace', path: '/spec/minReplicas', value: s.hpaMin },
        { op: 'replace', path: '/spec/maxReplicas', value: s.hpaMax },
        ...(canaries.some((c) => c.name === svc.name)
          ? [
              {
                op: 'replace',
                path: '/spec/scaleTargetRef',
                value: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', name: svc.name },
              },
            ]
          : []),
      ]),
      target: { kind: 'HorizontalPodAutoscaler', name: svc.name },
    });
  }
  for (const c of canaries) {
    patches.push({
      patch: stringify({
        $patch: 'delete',
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: c.name },
      }),
      target: { kind: 'Deployment', name: c.name },
    });
  }
  const collectorConfig = otelCollectorConfig(
    'tempo.monitoring.svc:4317',
    'http://loki.monitoring.svc:3100/otlp',
    s.samplingPercent,
  );
  // Traces also reach the observatory (its console is the Ingress's second host).
  const exporters = collectorConfig.exporters as Record<string, unknown>;
  exporters['otlp/observatory'] = { endpoint: `${OBSERVATORY}:4317`, tls: { insecure: true } };
  collectorConfig.service.pipelines['traces/sampled'].exporters.push('otlp/observatory');
  const files: GeneratedFile[] = [
    {
      path: `${dir}/kustomization.yaml`,
      text: kustomization({
        namespace: `glassbox-${overlay}`,
        labels: [{ pairs: { 'glassbox.dev/overlay': overlay }, includeSelectors: false }],
        resources: ['../../base', ...(canaries.length > 0 ? ['rollouts.yaml'] : [])],
        // The image each overlay runs (pin a tag or digest here); kustomizeconfig.yaml teaches the transformer
        // where a Rollout keeps its image.
        images: [IMAGE_REF],
        ...(canaries.length > 0 ? { configurations: ['kustomizeconfig.yaml'] } : {}),
        replicas: services
          .filter((x) => !canaries.includes(x))
          .map((x) => ({ name: x.name, count: s.replicas })),
        configMapGenerator: [
          {
            name: CONFIG,
            behavior: 'merge',
            literals: [`LOG_LEVEL=${s.logLevel}`, `DEPLOYMENT_ENVIRONMENT=${s.environment}`],
          },
          { name: 'otel-collector-config', behavior: 'replace', files: ['config.yaml=otel-collector.yaml'] },
        ],
        // The secret values live in secrets.env (not committed; secrets.env.example lists the keys).
        secretGenerator: [{ name: SECRETS, envs: ['secrets.env'] }],
        patches,
      }),
    },
    { path: `${dir}/otel-collector.yaml`, text: HEADER + stringify(collectorConfig, { lineWidth: 0 }) },
    { path: `${dir}/secrets.env.example`, text: secretsExample(services) },
  ];
  if (canaries.length > 0) {
    files.push({
      path: `${dir}/kustomizeconfig.yaml`,
      text:
        HEADER +
        stringify({
          images: [
            { path: 'spec/template/spec/containers/image', kind: 'Rollout' },
            { path: 'spec/template/spec/initContainers/image', kind: 'Rollout' },
          ],
          // …and where it names ConfigMaps and Secrets, so that it gets their generated (hashed) names too.
          nameReference: [
            {
              kind: 'ConfigMap',
              version: 'v1',
              fieldSpecs: [
                'spec/template/spec/volumes/configMap/name',
                'spec/template/spec/containers/env/valueFrom/configMapKeyRef/name',
                'spec/template/spec/containers/envFrom/configMapRef/name',
              ].map((path) => ({ path, kind: 'Rollout' })),
            },
            {
              kind: 'Secret',
              version: 'v1',
              fieldSpecs: [
                'spec/template/spec/volumes/secret/secretName',
                'spec/template/spec/containers/env/valueFrom/secretKeyRef/name',
                'spec/template/spec/containers/envFrom/secretRef/name',
              ].map((path) => ({ path, kind: 'Rollout' })),
            },
          ],
        }),
    });
    files.push({
      path: `${dir}/rollouts.yaml`,
      text:
        HEADER +
        yamlDocs([
          analysisTemplate(),
          ...canaries.map((c) => rollout(c, services, s.replicas, podChanges(c))),
        ]),
    });
  }
  return files;
}

export function k8sFiles(
  root: string,
  services: readonly DeployedService[] = deployedServices(),
): GeneratedFile[] {
  const base = `${K8S_DIR}/base`;
  const gateway = services.find((s) => s.name === 'gateway');
  const files: GeneratedFile[] = services.map((s) => ({
    path: `${base}/${s.name}.yaml`,
    text: HEADER + yamlDocs(serviceObjects(s, services)),
  }));
  files.push(
    { path: `${base}/observatory.yaml`, text: HEADER + yamlDocs(observatoryObjects()) },
    { path: `${base}/otel-collector.yaml`, text: HEADER + yamlDocs(collectorObjects()) },
    { path: `${base}/flagd.yaml`, text: HEADER + yamlDocs(flagdObjects()) },
    {
      path: `${base}/network.yaml`,
      text: HEADER + yamlDocs([defaultDeny(), ...(gateway ? [ingress(gateway)] : [])]),
    },
    { path: `${base}/prometheus-rule.yaml`, text: HEADER + yamlDocs([prometheusRule(root)]) },
    {
      path: `${base}/otel-collector-config.yaml`,
      text:
        HEADER +
        stringify(otelCollectorConfig('tempo.monitoring.svc:4317', 'http://loki.monitoring.svc:3100/otlp'), {
          lineWidth: 0,
        }),
    },
    {
      path: `${base}/kustomization.yaml`,
      text: kustomization({
        labels: [{ pairs: { 'app.kubernetes.io/part-of': PART_OF }, includeSelectors: false }],
        resources: [
          ...services.map((s) => `${s.name}.yaml`),
          'observatory.yaml',
          'otel-collector.yaml',
          'flagd.yaml',
          'network.yaml',
          'prometheus-rule.yaml',
        ],
        images: [
          { name: IMAGE_NAME, newName: IMAGE_DEFAULT.split(':')[0], newTag: IMAGE_DEFAULT.split(':')[1] },
        ],
        configMapGenerator: [
          {
            name: CONFIG,
            literals: [
              'LOG_LEVEL=info',
              'DEPLOYMENT_ENVIRONMENT=kubernetes',
              `FLAGD_HOST=${FLAGD.name}`,
              `FLAGD_SYNC_PORT=${FLAGD.syncPort}`,
            ],
          },
          { name: 'otel-collector-config', files: ['config.yaml=otel-collector-config.yaml'] },
        ],
      }),
    },
  );
  for (const overlay of OVERLAYS) files.push(...overlayFiles(overlay, services));
  return files;
}
