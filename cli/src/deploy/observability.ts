/**
 * The standard tools' configuration, shared by compose and Kubernetes: the OpenTelemetry Collector (tail
 * sampling, span metrics, out to Tempo, Loki and Prometheus), Loki, Tempo and Grafana's data sources linked
 * both ways (trace → logs and metrics, log line → trace, exemplar → trace).
 */

/** A Grafana variable inside provisioned YAML: `$$` keeps Grafana's environment expansion off it. */
const grafanaVar = (name: string) => `$$\{${name}}`;

/** UIDs the data sources link each other by. */
export const DATASOURCE_UIDS = {
  prometheus: 'glassbox-prometheus',
  loki: 'glassbox-loki',
  tempo: 'glassbox-tempo',
  alertmanager: 'glassbox-alertmanager',
} as const;

/**
 * Collector (contrib): OTLP in; traces through `tail_sampling` (every error, every trace slower than 500 ms,
 * 10 % of the rest) to Tempo; every span (before sampling) through the `spanmetrics` connector to a Prometheus
 * endpoint with exemplars; logs to Loki's OTLP endpoint; metrics sent by OTLP to the same Prometheus endpoint.
 */
export function otelCollectorConfig(tempoOtlpGrpc: string, lokiOtlpHttp: string, samplingPercent = 10) {
  return {
    extensions: { health_check: { endpoint: '0.0.0.0:13133' } },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } } },
    },
    processors: {
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
      batch: {},
      tail_sampling: {
        decision_wait: '10s',
        num_traces: 50000,
        policies: [
          { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
          { name: 'slow', type: 'latency', latency: { threshold_ms: 500 } },
          {
            name: 'baseline',
            type: 'probabilistic',
            probabilistic: { sampling_percentage: samplingPercent },
          },
        ],
      },
    },
    connectors: {
      spanmetrics: {
        histogram: {
          explicit: {
            buckets: ['5ms', '10ms', '25ms', '50ms', '100ms', '250ms', '500ms', '1s', '2.5s', '5s'],
          },
        },
        dimensions: [
          { name: 'http.request.method' },
          { name: 'http.route' },
          { name: 'http.response.status_code' },
        ],
        exemplars: { enabled: true },
        metrics_flush_interval: '15s',
      },
    },
    exporters: {
      'otlp/tempo': { endpoint: tempoOtlpGrpc, tls: { insecure: true } },
      'otlphttp/loki': { endpoint: lokiOtlpHttp },
      prometheus: {
        endpoint: '0.0.0.0:8889',
        enable_open_metrics: true,
        resource_to_telemetry_conversion: { enabled: true },
      },
    },
    service: {
      extensions: ['health_check'],
      pipelines: {
        'traces/sampled': {
          receivers: ['otlp'],
          processors: ['memory_limiter', 'tail_sampling', 'batch'],
          exporters: ['otlp/tempo'],
        },
        'traces/spanmetrics': {
          receivers: ['otlp'],
          processors: ['memory_limiter'],
          exporters: ['spanmetrics'],
        },
        metrics: {
          receivers: ['otlp', 'spanmetrics'],
          processors: ['memory_limiter', 'batch'],
          exporters: ['prometheus'],
        },
        logs: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlphttp/loki'] },
      },
    },
  };
}

/** Loki, single binary, local filesystem, OTLP ingestion with the service name as a label. */
export function lokiConfig() {
  return {
    auth_enabled: false,
    server: { http_listen_port: 3100 },
    common: {
      path_prefix: '/loki',
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' } },
      storage: { filesystem: { chunks_directory: '/loki/chunks', rules_directory: '/loki/rules' } },
    },
    schema_config: {
      configs: [
        {
          from: '2024-01-01',
          store: 'tsdb',
          object_store: 'filesystem',
          schema: 'v13',
          index: { prefix: 'index_', period: '24h' },
        },
      ],
    },
    limits_config: { allow_structured_metadata: true, retention_period: '168h' },
  };
}

/** Tempo, single binary, local storage; its metrics generator writes service graphs to Prometheus. */
export function tempoConfig(prometheusRemoteWrite: string) {
  return {
    server: { http_listen_port: 3200 },
    distributor: { receivers: { otlp: { protocols: { grpc: { endpoint: '0.0.0.0:4317' } } } } },
    storage: {
      trace: { backend: 'local', local: { path: '/var/tempo/traces' }, wal: { path: '/var/tempo/wal' } },
    },
    metrics_generator: {
      registry: { external_labels: { source: 'tempo' } },
      storage: {
        path: '/var/tempo/generator/wal',
        remote_write: [{ url: prometheusRemoteWrite, send_exemplars: true }],
      },
    },
    overrides: { defaults: { metrics_generator: { processors: ['service-graphs'] } } },
  };
}

/**
 * Grafana data sources linked both ways: Prometheus exemplars open the trace in Tempo; a Loki log line's
 * trace id (derived field) opens the trace; a Tempo span opens its logs in Loki and its service's metrics in
 * Prometheus; Tempo's service map reads Prometheus.
 */
export function grafanaDatasources(urls: {
  prometheus: string;
  loki: string;
  tempo: string;
  alertmanager: string;
}) {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: DATASOURCE_UIDS.prometheus,
        type: 'prometheus',
        access: 'proxy',
        url: urls.prometheus,
        isDefault: true,
        jsonData: {
          httpMethod: 'POST',
          exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: DATASOURCE_UIDS.tempo }],
        },
      },
      {
        name: 'Loki',
        uid: DATASOURCE_UIDS.loki,
        type: 'loki',
        access: 'proxy',
        url: urls.loki,
        jsonData: {
          derivedFields: [
            {
              name: 'TraceID',
              datasourceUid: DATASOURCE_UIDS.tempo,
              matcherType: 'label',
              matcherRegex: 'trace_id',
              url: grafanaVar('__value.raw'),
              urlDisplayLabel: 'Open trace',
            },
            {
              name: 'traceId',
              datasourceUid: DATASOURCE_UIDS.tempo,
              matcherRegex: '"trace_?[iI]d":"(\\w+)"',
              url: grafanaVar('__value.raw'),
              urlDisplayLabel: 'Open trace',
            },
          ],
        },
      },
      {
        name: 'Tempo',
        uid: DATASOURCE_UIDS.tempo,
        type: 'tempo',
        access: 'proxy',
        url: urls.tempo,
        jsonData: {
          tracesToLogsV2: {
            datasourceUid: DATASOURCE_UIDS.loki,
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
            filterByTraceID: true,
            customQuery: true,
            query: `{service_name="${grafanaVar('__span.tags["service.name"]')}"} | trace_id="${grafanaVar('__trace.traceId')}"`,
          },
          tracesToMetrics: {
            datasourceUid: DATASOURCE_UIDS.prometheus,
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
            tags: [{ key: 'service.name', value: 'job' }],
            queries: [
              {
                name: 'Request rate',
                query: 'sum(rate(http_server_request_duration_count{$$__tags}[5m]))',
              },
              {
                name: 'Error ratio',
                query:
                  'sum(rate(http_server_request_duration_count{$$__tags,http_response_status_code=~"5.."}[5m])) / sum(rate(http_server_request_duration_count{$$__tags}[5m]))',
              },
            ],
          },
          serviceMap: { datasourceUid: DATASOURCE_UIDS.prometheus },
          nodeGraph: { enabled: true },
          lokiSearch: { datasourceUid: DATASOURCE_UIDS.loki },
        },
      },
      {
        name: 'Alertmanager',
        uid: DATASOURCE_UIDS.alertmanager,
        type: 'alertmanager',
        access: 'proxy',
        url: urls.alertmanager,
        jsonData: { implementation: 'prometheus' },
      },
    ],
  };
}
