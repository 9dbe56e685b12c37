import { type MouseEvent, useMemo, useState } from 'react';
import { formatAxisTime, formatClock } from '../lib/format.js';
import {
  isolatedPoints,
  linearScale,
  linePath,
  nearestIndex,
  niceTicks,
  niceTimeTicks,
  type Point,
  valueDomain,
} from './scale.js';
import { useWidth } from './useWidth.js';

export interface ChartSeries {
  id: string;
  label: string;
  color: string;
  points: readonly Point[];
}

/** A time span drawn behind the lines (an injected fault, from its start to its end). */
export interface ChartMarker {
  id: string;
  startMs: number;
  endMs: number;
  label: string;
}

interface LineChartProps {
  series: readonly ChartSeries[];
  /** Time domain in unix ms. */
  domain: readonly [number, number];
  height?: number;
  formatValue: (v: number) => string;
  /** Called with the time of the nearest sample when the chart is clicked. */
  onPointClick?: (tMs: number) => void;
  clickHint?: string;
  title?: string;
  markers?: readonly ChartMarker[];
}

const margin = { top: 10, right: 14, bottom: 24, left: 58 };

/** A time-series line chart with axes, a hover read-out and optional click-through. */
export function LineChart({
  series,
  domain,
  height = 180,
  formatValue,
  onPointClick,
  clickHint,
  title,
  markers = [],
}: LineChartProps) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [hoverT, setHoverT] = useState<number | null>(null);
  const innerW = Math.max(50, width - margin.left - margin.right);
  const innerH = height - margin.top - margin.bottom;

  const times = useMemo(() => {
    const all = new Set<number>();
    for (const s of series) for (const [t] of s.points) all.add(t);
    return [...all].sort((a, b) => a - b);
  }, [series]);
  const [lo, hi] = valueDomain(series.flatMap((s) => s.points.map((p) => p[1])));
  const x = linearScale(domain, [0, innerW]);
  const y = linearScale([lo, hi], [innerH, 0]);
  const yTicks = niceTicks(lo, hi, 4);
  const spanMs = domain[1] - domain[0];
  const xTicks = niceTimeTicks(domain, Math.max(2, Math.floor(innerW / 70)));

  const toTime = (event: MouseEvent<SVGRectElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const t = domain[0] + (px / rect.width) * spanMs;
    const i = nearestIndex(times, t);
    return i >= 0 ? times[i]! : null;
  };

  const hoverValues =
    hoverT === null
      ? []
      : series
          .map((s) => ({ s, v: s.points.find((p) => p[0] === hoverT)?.[1] ?? null }))
          .filter((e) => e.v !== null);

  return (
    <div className="chart" ref={ref}>
      {title ? <div className="chart-title">{title}</div> : null}
      <svg width={width} height={height} role="img" aria-label={title ?? 'chart'}>
        <g transform={`translate(${margin.left},${margin.top})`}>
          {yTicks.map((v) => (
            <g key={v} transform={`translate(0,${y(v).toFixed(1)})`}>
              <line x1={0} x2={innerW} className="grid" />
              <text x={-8} dy="0.32em" textAnchor="end" className="axis-label">
                {formatValue(v)}
              </text>
            </g>
          ))}
          {xTicks.map((t) => (
            <text key={t} x={x(t)} y={innerH + 16} textAnchor="middle" className="axis-label">
              {formatAxisTime(t, spanMs)}
            </text>
          ))}
          {markers
            .filter((m) => m.endMs >= domain[0] && m.startMs <= domain[1])
            .map((m) => {
              const x0 = x(Math.max(domain[0], m.startMs));
              const x1 = x(Math.min(domain[1], m.endMs));
              return (
                <g key={m.id} data-testid="chart-fault-marker" data-fault-id={m.id}>
                  <rect x={x0} width={Math.max(1, x1 - x0)} y={0} height={innerH} className="chart-marker" />
                  <line x1={x0} x2={x0} y1={0} y2={innerH} className="chart-marker-start" />
                  <title>{m.label}</title>
                </g>
              );
            })}
          <line x1={0} x2={innerW} y1={innerH} y2={innerH} className="axis" />
          {series.map((s) => (
            <g key={s.id}>
              <path
                d={linePath(s.points, x, y)}
                fill="none"
                stroke={s.color}
                strokeWidth={1.6}
                strokeLinejoin="round"
              />
              {isolatedPoints(s.points).map(([t, v]) => (
                <circle key={t} cx={x(t)} cy={y(v!)} r={2.5} fill={s.color} />
              ))}
            </g>
          ))}
          {hoverT !== null ? (
            <g>
              <line x1={x(hoverT)} x2={x(hoverT)} y1={0} y2={innerH} className="crosshair" />
              {hoverValues.map(({ s, v }) => (
                <circle
                  key={s.id}
                  cx={x(hoverT)}
                  cy={y(v!)}
                  r={3.2}
                  fill={s.color}
                  stroke="#fff"
                  strokeWidth={1}
                />
              ))}
            </g>
          ) : null}
          {/* biome-ignore lint/a11y/noStaticElementInteractions: pointer read-out; the same data is in the tables */}
          <rect
            width={innerW}
            height={innerH}
            fill="transparent"
            style={{ cursor: onPointClick ? 'pointer' : 'crosshair' }}
            onMouseMove={(e) => setHoverT(toTime(e))}
            onMouseLeave={() => setHoverT(null)}
            onClick={(e) => {
              const t = toTime(e);
              if (t !== null && onPointClick) onPointClick(t);
            }}
          />
        </g>
      </svg>
      {hoverT !== null && hoverValues.length > 0 ? (
        <div
          className="chart-tooltip"
          style={{
            left: Math.min(width - 190, Math.max(0, margin.left + x(hoverT) + 12)),
            top: margin.top + 4 + (title ? 22 : 0),
          }}
        >
          <div className="muted">{formatClock(hoverT)}</div>
          {hoverValues.slice(0, 8).map(({ s, v }) => (
            <div key={s.id} className="chart-tooltip-row">
              <span className="swatch" style={{ background: s.color }} />
              <span className="chart-tooltip-label">{s.label}</span>
              <strong>{formatValue(v!)}</strong>
            </div>
          ))}
          {onPointClick && clickHint ? <div className="muted small">{clickHint}</div> : null}
        </div>
      ) : null}
    </div>
  );
}
