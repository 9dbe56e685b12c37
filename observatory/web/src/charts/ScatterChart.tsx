import { useState } from 'react';
import { formatAxisTime } from '../lib/format.js';
import { linearScale, niceTicks, niceTimeTicks, valueDomain } from './scale.js';
import { useWidth } from './useWidth.js';

export interface ScatterPoint {
  id: string;
  tMs: number;
  value: number;
  color: string;
  label: string;
}

const margin = { top: 10, right: 16, bottom: 24, left: 58 };

/** Dots over time (e.g. trace durations), each one clickable. Fixed height, fluid width. */
export function ScatterChart({
  points,
  domain,
  formatValue,
  onPointClick,
  title,
  height = 150,
}: {
  points: ScatterPoint[];
  domain: readonly [number, number];
  formatValue: (v: number) => string;
  onPointClick: (id: string) => void;
  title: string;
  height?: number;
}) {
  const [hover, setHover] = useState<ScatterPoint | null>(null);
  const [ref, width] = useWidth<HTMLDivElement>();
  const innerW = width - margin.left - margin.right;
  const innerH = height - margin.top - margin.bottom;
  const [lo, hi] = valueDomain(points.map((p) => p.value));
  const x = linearScale(domain, [0, innerW]);
  const y = linearScale([lo, hi], [innerH, 0]);
  return (
    <div className="chart" ref={ref}>
      <div className="chart-title">
        {title}
        {hover ? <span className="muted"> — {hover.label}</span> : null}
      </div>
      <svg width={width} height={height} role="img" aria-label={title}>
        <g transform={`translate(${margin.left},${margin.top})`}>
          {niceTicks(lo, hi, 3).map((v) => (
            <g key={v} transform={`translate(0,${y(v).toFixed(1)})`}>
              <line x1={0} x2={innerW} className="grid" />
              <text x={-8} dy="0.32em" textAnchor="end" className="axis-label">
                {formatValue(v)}
              </text>
            </g>
          ))}
          {niceTimeTicks(domain, Math.max(2, Math.floor(innerW / 110))).map((t) => (
            <text key={t} x={x(t)} y={innerH + 16} textAnchor="middle" className="axis-label">
              {formatAxisTime(t, domain[1] - domain[0])}
            </text>
          ))}
          {points.map((p) => (
            // biome-ignore lint/a11y/useSemanticElements: an SVG dot cannot be a <button>
            <circle
              key={p.id}
              cx={x(p.tMs)}
              cy={y(p.value)}
              r={hover?.id === p.id ? 6 : 4.5}
              fill={p.color}
              fillOpacity={0.75}
              stroke="#fff"
              strokeWidth={1}
              className="scatter-dot"
              role="button"
              tabIndex={-1}
              onMouseEnter={() => setHover(p)}
              onMouseLeave={() => setHover(null)}
              onClick={() => onPointClick(p.id)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') onPointClick(p.id);
              }}
            >
              <title>{p.label}</title>
            </circle>
          ))}
        </g>
      </svg>
    </div>
  );
}
