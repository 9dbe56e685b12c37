import { burnAxis } from '../lib/alerts.js';
import { formatAxisTime } from '../lib/format.js';
import { linearScale, linePath, niceTimeTicks, type Point } from './scale.js';
import { useWidth } from './useWidth.js';

export interface BurnSeries {
  id: string;
  label: string;
  color: string;
  points: readonly Point[];
  /** Drawn thicker: an SLO whose alert fires or is pending. */
  emphasis?: boolean;
}

export interface Threshold {
  factor: number;
  severity: string;
  label: string;
}

interface BurnRateChartProps {
  series: readonly BurnSeries[];
  thresholds: readonly Threshold[];
  domain: readonly [number, number];
  height?: number;
}

const margin = { top: 10, right: 64, bottom: 24, left: 44 };
/** Burn rates the axis labels (log-like axis). */
const AXIS_VALUES = [0, 1, 10, 100, 1000];

/**
 * Burn rate over time, one line per SLO, on a log-like axis (0 to 1000×), with the alerting thresholds drawn
 * across: 14.4× and 6× (page), 3× and 1× (ticket).
 */
export function BurnRateChart({ series, thresholds, domain, height = 240 }: BurnRateChartProps) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const innerW = Math.max(50, width - margin.left - margin.right);
  const innerH = height - margin.top - margin.bottom;
  const top = Math.max(
    burnAxis(100),
    ...series.flatMap((s) => s.points.map((p) => (p[1] === null ? 0 : burnAxis(p[1])))),
  );
  const x = linearScale(domain, [0, innerW]);
  const y = linearScale([0, top * 1.05], [innerH, 0]);
  const yOf = (v: number) => y(burnAxis(v));
  const xTicks = niceTimeTicks(domain, Math.max(2, Math.floor(innerW / 80)));
  return (
    <div className="chart" ref={ref}>
      <svg width={width} height={height} role="img" aria-label="burn rate per SLO" data-testid="burn-chart">
        <g transform={`translate(${margin.left},${margin.top})`}>
          {AXIS_VALUES.filter((v) => burnAxis(v) <= top * 1.05).map((v) => (
            <g key={v} transform={`translate(0,${yOf(v).toFixed(1)})`}>
              <line x1={0} x2={innerW} className="grid" />
              <text x={-8} dy="0.32em" textAnchor="end" className="axis-label">
                {v}×
              </text>
            </g>
          ))}
          {thresholds.map((t) => (
            <g key={`${t.severity}-${t.factor}`} transform={`translate(0,${yOf(t.factor).toFixed(1)})`}>
              <line
                x1={0}
                x2={innerW}
                className={`threshold threshold-${t.severity}`}
                data-testid="burn-threshold"
              />
              <text x={innerW + 6} dy="0.32em" className={`axis-label threshold-label-${t.severity}`}>
                {t.label}
              </text>
            </g>
          ))}
          {xTicks.map((t) => (
            <text key={t} x={x(t)} y={innerH + 16} textAnchor="middle" className="axis-label">
              {formatAxisTime(t, domain[1] - domain[0])}
            </text>
          ))}
          <line x1={0} x2={innerW} y1={innerH} y2={innerH} className="axis" />
          {series.map((s) => (
            <path
              key={s.id}
              d={linePath(s.points, x, (v) => yOf(v))}
              fill="none"
              stroke={s.color}
              strokeWidth={s.emphasis ? 2.6 : 1.4}
              strokeLinejoin="round"
            >
              <title>{s.label}</title>
            </path>
          ))}
        </g>
      </svg>
      <div className="legend">
        {series.map((s) => (
          <span key={s.id} className="legend-item">
            <span className="swatch" style={{ background: s.color }} />
            {s.label}
          </span>
        ))}
      </div>
    </div>
  );
}
