// Chart maths: scales, ticks and SVG paths. Pure; the components only draw what these return.

export type Scale = (value: number) => number;

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** Round tick values covering [min, max] (about `count` of them). */
export function niceTicks(min: number, max: number, count = 4): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) return [min];
  const rough = (max - min) / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow;
  const first = Math.ceil(min / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** The y domain for values: from 0 (or the minimum when negative) to a round maximum. */
export function valueDomain(values: Iterable<number | null>): [number, number] {
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max === min) return [min, min + 1];
  const ticks = niceTicks(min, max, 4);
  const top = ticks[ticks.length - 1] ?? max;
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 0;
  return [min, top < max ? top + step : top];
}

export type Point = readonly [number, number | null];

/**
 * An SVG path through the points; a null value breaks the line (no data is not zero).
 * A lone point between gaps draws nothing here: see `isolatedPoints`.
 */
export function linePath(points: readonly Point[], x: Scale, y: Scale): string {
  let d = '';
  let open = false;
  for (let i = 0; i < points.length; i++) {
    const [t, v] = points[i]!;
    if (v === null || !Number.isFinite(v)) {
      open = false;
      continue;
    }
    const px = x(t).toFixed(1);
    const py = y(v).toFixed(1);
    if (!open) {
      d += `M${px},${py}`;
      open = true;
    } else {
      d += `L${px},${py}`;
    }
  }
  return d;
}

const hasValue = (p: Point | undefined): boolean => p !== undefined && p[1] !== null && Number.isFinite(p[1]);

/** Points with no neighbour on either side: a line cannot show them, so charts draw them as dots. */
export function isolatedPoints(points: readonly Point[]): Point[] {
  return points.filter((p, i) => hasValue(p) && !hasValue(points[i - 1]) && !hasValue(points[i + 1]));
}

/** The area under the line down to `baselinePx`, one closed shape per unbroken run. */
export function areaPath(points: readonly Point[], x: Scale, y: Scale, baselinePx: number): string {
  let d = '';
  let run: string[] = [];
  let firstX = '';
  let lastX = '';
  const close = () => {
    if (run.length > 1) d += `M${firstX},${baselinePx}L${run.join('L')}L${lastX},${baselinePx}Z`;
    run = [];
  };
  for (const [t, v] of points) {
    if (v === null || !Number.isFinite(v)) {
      close();
      continue;
    }
    const px = x(t).toFixed(1);
    if (run.length === 0) firstX = px;
    lastX = px;
    run.push(`${px},${y(v).toFixed(1)}`);
  }
  close();
  return d;
}

/** Index of the element of the ascending `xs` closest to `x` (for hover and click on a chart). */
export function nearestIndex(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1]! - x) <= Math.abs(xs[lo]! - x)) return lo - 1;
  return lo;
}

const timeSteps = [
  1_000, 5_000, 15_000, 30_000, 60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
  10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Round wall-clock instants (local time for steps under a day) across the domain. */
export function niceTimeTicks(domain: readonly [number, number], maxTicks: number): number[] {
  const span = domain[1] - domain[0];
  if (!(span > 0)) return [];
  const step = timeSteps.find((s) => span / s <= maxTicks) ?? timeSteps[timeSteps.length - 1]!;
  const offsetMs = new Date(domain[0]).getTimezoneOffset() * 60_000;
  const first = Math.ceil((domain[0] - offsetMs) / step) * step + offsetMs;
  const ticks: number[] = [];
  for (let t = first; t <= domain[1]; t += step) ticks.push(t);
  return ticks;
}
