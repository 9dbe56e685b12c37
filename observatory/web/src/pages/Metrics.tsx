import { useEffect, useMemo, useState } from 'react';
import { useMetricList, useMetricQuery, useServices } from '../api/hooks.js';
import { type MetricInfo, type MetricSeries, type MetricType, metricFunctions } from '../api/schemas.js';
import { type ChartSeries, LineChart } from '../charts/LineChart.js';
import { Empty, ErrorState, Loading, QueryView } from '../components/States.js';
import { chartPalette } from '../lib/colors.js';
import { useFaultMarkers } from '../lib/faultMarkers.js';
import { formatWithUnit } from '../lib/format.js';
import { useSearch } from '../lib/router.js';
import { useTime } from '../lib/timeContext.js';
import { useServiceColors } from '../lib/useServiceColors.js';
import { useTitle } from '../lib/useTitle.js';

/** The function that makes sense first for a kind of metric. */
export function defaultFunction(type: MetricType): string {
  switch (type) {
    case 'sum':
      return 'rate';
    case 'histogram':
    case 'exp_histogram':
      return 'p95';
    default:
      return 'avg';
  }
}

/** The service a series is about, when it is grouped by service only (to reuse the service's colour). */
function serviceOf(labels: Record<string, string>): string | undefined {
  const keys = Object.keys(labels);
  if (keys.length !== 1) return undefined;
  return keys[0] === 'service.name' || keys[0] === 'service' ? labels[keys[0]] : undefined;
}

function seriesLabel(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? 'all' : entries.map(([k, v]) => `${k}=${v}`).join(', ');
}

export function MetricsPage() {
  useTitle('Metrics');
  const [search, setSearch] = useSearch();
  const list = useMetricList();
  const [filter, setFilter] = useState('');
  const name = search.get('name') ?? '';
  const metric = list.data?.metrics.find((m) => m.name === name);

  const filtered = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const all = list.data?.metrics ?? [];
    return needle ? all.filter((m) => m.name.toLowerCase().includes(needle)) : all;
  }, [list.data, filter]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Metrics</h1>
      </div>
      <div className="metrics-layout">
        <aside className="card metric-list">
          <input
            placeholder="filter metrics"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            aria-label="Filter metrics"
          />
          {list.isPending ? (
            <Loading />
          ) : list.error ? (
            <ErrorState error={list.error} onRetry={() => void list.refetch()} />
          ) : filtered.length === 0 ? (
            <Empty>No metrics{filter ? ' match' : ' received yet'}.</Empty>
          ) : (
            <ul>
              {filtered.map((m) => (
                <li key={m.name}>
                  <button
                    type="button"
                    className={m.name === name ? 'active' : ''}
                    onClick={() =>
                      setSearch({
                        name: m.name,
                        fn: defaultFunction(m.type),
                        groupBy: undefined,
                        service: undefined,
                      })
                    }
                    title={m.description}
                  >
                    <span className="metric-name">{m.name}</span>
                    <span className="muted small">
                      {m.type}
                      {m.unit ? ` · ${m.unit}` : ''}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </aside>
        <section className="metric-main">
          {metric ? (
            <MetricPanel key={metric.name} metric={metric} search={search} setSearch={setSearch} />
          ) : name && list.data ? (
            <Empty>Metric {name} is not known to the observatory.</Empty>
          ) : (
            <Empty>Pick a metric on the left to chart it.</Empty>
          )}
        </section>
      </div>
    </div>
  );
}

function MetricPanel({
  metric,
  search,
  setSearch,
}: {
  metric: MetricInfo;
  search: URLSearchParams;
  setSearch: (u: Record<string, string | undefined>) => void;
}) {
  const fn = search.get('fn') ?? defaultFunction(metric.type);
  const groupBy = (search.get('groupBy') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const service = search.get('service') ?? undefined;
  const groupParam = search.get('groupBy') ?? '';
  const [groupText, setGroupText] = useState(groupBy.join(', '));
  // Follow the URL (back/forward) into the text box.
  useEffect(() => {
    setGroupText(
      groupParam
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .join(', '),
    );
  }, [groupParam]);
  const { window, stepMs } = useTime();
  const markers = useFaultMarkers([window.startMs, window.endMs]);
  const services = useServices();
  const result = useMetricQuery({ name: metric.name, fn, groupBy, service, stepMs });
  const perSecond = fn === 'rate';
  const format = (v: number) => `${formatWithUnit(v, metric.unit)}${perSecond ? '/s' : ''}`;

  const colorOf = useServiceColors();
  const chartSeries = useMemo<ChartSeries[]>(
    () =>
      (result.data?.series ?? []).map((s: MetricSeries, i) => ({
        id: JSON.stringify(s.labels),
        label: seriesLabel(s.labels),
        color: serviceOf(s.labels) ? colorOf(serviceOf(s.labels)!) : chartPalette[i % chartPalette.length]!,
        points: s.points,
      })),
    [result.data, colorOf],
  );

  return (
    <>
      <div className="card">
        <div className="metric-head">
          <div>
            <h2 className="mono">{metric.name}</h2>
            <div className="muted small">
              {metric.type}
              {metric.unit ? ` · unit ${metric.unit}` : ''}
              {metric.description ? ` · ${metric.description}` : ''}
            </div>
          </div>
        </div>
        <form
          className="search-form inline"
          onSubmit={(e) => {
            e.preventDefault();
            setSearch({
              groupBy:
                groupText
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean)
                  .join(',') || undefined,
            });
          }}
        >
          <label>
            <span>Function</span>
            <select name="fn" value={fn} onChange={(e) => setSearch({ fn: e.target.value })}>
              {metricFunctions.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Service</span>
            <select
              name="service"
              value={service ?? ''}
              onChange={(e) => setSearch({ service: e.target.value || undefined })}
            >
              <option value="">all</option>
              {(metric.services.length
                ? metric.services
                : (services.data?.services ?? []).map((s) => s.name)
              ).map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="grow">
            <span>Group by (attribute keys, comma-separated)</span>
            <input
              name="groupBy"
              placeholder="service.name, http.route"
              value={groupText}
              onChange={(e) => setGroupText(e.target.value)}
            />
          </label>
          <button type="submit" className="btn btn-primary">
            Apply
          </button>
        </form>
      </div>
      <section className="card">
        <QueryView
          query={result}
          isEmpty={(d) => d.series.every((s) => s.points.every((p) => p[1] === null))}
          empty="No data points for this metric in the window."
        >
          {(d) => (
            <>
              <LineChart
                title={`${fn}(${metric.name})${groupBy.length ? ` by ${groupBy.join(', ')}` : ''} · step ${d.stepMs / 1000}s`}
                domain={[window.startMs, window.endMs]}
                markers={markers}
                series={chartSeries}
                formatValue={format}
                height={280}
              />
              <SeriesLegend series={chartSeries} format={format} />
            </>
          )}
        </QueryView>
      </section>
    </>
  );
}

function SeriesLegend({ series, format }: { series: ChartSeries[]; format: (v: number) => string }) {
  const rows = series.map((s) => {
    const values = s.points.map((p) => p[1]).filter((v): v is number => v !== null);
    const last = values[values.length - 1];
    const max = values.length ? Math.max(...values) : undefined;
    const avg = values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
    return { s, last, max, avg };
  });
  return (
    <table className="table legend-table">
      <thead>
        <tr>
          <th>Series</th>
          <th className="num">last</th>
          <th className="num">avg</th>
          <th className="num">max</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ s, last, max, avg }) => (
          <tr key={s.id}>
            <td>
              <span className="swatch" style={{ background: s.color }} />{' '}
              <span className="mono small">{s.label}</span>
            </td>
            <td className="num">{last === undefined ? '—' : format(last)}</td>
            <td className="num">{avg === undefined ? '—' : format(avg)}</td>
            <td className="num">{max === undefined ? '—' : format(max)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
