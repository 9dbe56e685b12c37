import { useId } from 'react';
import { areaPath, isolatedPoints, linearScale, linePath, type Point, valueDomain } from './scale.js';

interface SparklineProps {
  points: readonly Point[];
  /** The time domain, so sparklines of different services line up. */
  domain: readonly [number, number];
  color?: string;
  width?: number;
  height?: number;
  label: string;
}

/** A small line with a soft fill; null values leave gaps. */
export function Sparkline({
  points,
  domain,
  color = '#3b6fd8',
  width = 120,
  height = 28,
  label,
}: SparklineProps) {
  const gradient = useId();
  const [lo, hi] = valueDomain(points.map((p) => p[1]));
  const x = linearScale(domain, [1, width - 1]);
  const y = linearScale([lo, hi], [height - 2, 2]);
  const hasData = points.some((p) => p[1] !== null);
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <defs>
        <linearGradient id={gradient} x1="0" y1="0" x2="0" y2="1">
          <stop offset="0%" stopColor={color} stopOpacity={0.28} />
          <stop offset="100%" stopColor={color} stopOpacity={0.02} />
        </linearGradient>
      </defs>
      {hasData ? (
        <>
          <path d={areaPath(points, x, y, height - 1)} fill={`url(#${gradient})`} />
          <path
            d={linePath(points, x, y)}
            fill="none"
            stroke={color}
            strokeWidth={1.4}
            strokeLinejoin="round"
          />
          {isolatedPoints(points).map(([t, v]) => (
            <circle key={t} cx={x(t)} cy={y(v!)} r={1.8} fill={color} />
          ))}
        </>
      ) : (
        <line x1={0} x2={width} y1={height - 2} y2={height - 2} stroke="#d5d9e0" strokeDasharray="2 3" />
      )}
    </svg>
  );
}
