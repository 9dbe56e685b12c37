import { describe, expect, it } from 'vitest';
import { baseNamesFor, type MetricPointInput, OtlpSeriesConverter, promName } from './otlp-series.js';

const point = (p: Partial<MetricPointInput>): MetricPointInput => ({
  name: 'x',
  type: 'gauge',
  service: 'order',
  scopeName: 'glassbox.order',
  attributes: '{}',
  resource: '{"service.name":"order","service.instance.id":"i-1"}',
  timeMs: 1000,
  temporality: 2,
  isMonotonic: null,
  value: null,
  count: null,
  sum: null,
  bounds: null,
  bucketCounts: null,
  ...p,
});

describe('OTLP points as the series Prometheus holds', () => {
  it('names and labels as a scrape of the service gives them', () => {
    const [s] = new OtlpSeriesConverter().convert(
      point({
        name: 'glassbox.checkouts',
        type: 'sum',
        isMonotonic: true,
        value: 7,
        attributes: '{"glassbox.checkout.outcome":"confirmed","http.response.status_code":201}',
      }),
    );
    expect(s).toEqual({
      labels: {
        __name__: 'glassbox_checkouts_total',
        glassbox_checkout_outcome: 'confirmed',
        http_response_status_code: '201',
        otel_scope_name: 'glassbox.order',
        job: 'order',
        instance: 'i-1',
      },
      t: 1000,
      v: 7,
    });
    const [gauge] = new OtlpSeriesConverter().convert(
      point({ name: 'db.client.connection.max', type: 'sum', isMonotonic: false, value: 5 }),
    );
    expect(gauge?.labels.__name__).toBe('db_client_connection_max');
  });

  it('histograms: _count, _sum and cumulative _bucket with le', () => {
    const out = new OtlpSeriesConverter().convert(
      point({
        name: 'http.server.request.duration',
        type: 'histogram',
        count: 10,
        sum: 2.5,
        bounds: [0.1, 0.5],
        bucketCounts: [4, 5, 1],
      }),
    );
    expect(out.map((s) => [s.labels.__name__, s.labels.le, s.v])).toEqual([
      ['http_server_request_duration_count', undefined, 10],
      ['http_server_request_duration_sum', undefined, 2.5],
      ['http_server_request_duration_bucket', '0.1', 4],
      ['http_server_request_duration_bucket', '0.5', 9],
      ['http_server_request_duration_bucket', '+Inf', 10],
    ]);
  });

  it('delta points accumulate into a cumulative series', () => {
    const c = new OtlpSeriesConverter();
    const delta = (value: number, timeMs: number) =>
      c.convert(point({ name: 'jobs', type: 'sum', isMonotonic: true, temporality: 1, value, timeMs }))[0]?.v;
    expect([delta(3, 1000), delta(2, 2000), delta(0, 3000), delta(5, 4000)]).toEqual([3, 5, 5, 10]);
  });

  it('selector names map back to the stored base name', () => {
    expect(baseNamesFor('http_server_request_duration_bucket')).toContain('http_server_request_duration');
    expect(baseNamesFor('glassbox_checkouts_total')).toContain('glassbox_checkouts');
    expect(promName('nodejs.eventloop.delay.p99')).toBe('nodejs_eventloop_delay_p99');
  });
});
