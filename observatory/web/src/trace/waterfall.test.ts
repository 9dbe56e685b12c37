import { describe, expect, it } from 'vitest';
import {
  ancestorIds,
  barGeometry,
  buildSpanTree,
  criticalBarsBySpan,
  criticalPath,
  durationLabelPlacement,
  flattenTree,
  type SpanTiming,
  spanBar,
  timeTicks,
} from './waterfall.js';

const T0 = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z in unix nanoseconds
const ms = 1_000_000n;

interface TestSpan extends SpanTiming {
  name: string;
}

/** A span from `startMs` to `endMs` after T0. */
function span(id: string, parent: string, startMs: number, endMs: number): TestSpan {
  return {
    spanId: id,
    parentSpanId: parent,
    name: id,
    startTimeUnixNano: String(T0 + BigInt(Math.round(startMs * 1e6))),
    endTimeUnixNano: String(T0 + BigInt(Math.round(endMs * 1e6))),
  };
}

const names = (rows: { node: { span: TestSpan } }[]) => rows.map((r) => r.node.span.name);

describe('buildSpanTree', () => {
  it('links children to parents and orders siblings by start time', () => {
    const tree = buildSpanTree([
      span('c2', 'root', 50, 90),
      span('root', '', 0, 100),
      span('c1', 'root', 10, 40),
      span('g1', 'c1', 15, 30),
    ]);
    expect(tree.roots.map((r) => r.span.name)).toEqual(['root']);
    expect(tree.byId.get('root')!.children.map((c) => c.span.name)).toEqual(['c1', 'c2']);
    expect(tree.byId.get('c1')!.children.map((c) => c.span.name)).toEqual(['g1']);
    expect(tree.traceStartNs).toBe(T0);
    expect(tree.traceEndNs).toBe(T0 + 100n * ms);
  });

  it('puts the longer span first when siblings start together', () => {
    const tree = buildSpanTree([
      span('root', '', 0, 100),
      span('short', 'root', 10, 20),
      span('long', 'root', 10, 60),
    ]);
    expect(tree.byId.get('root')!.children.map((c) => c.span.name)).toEqual(['long', 'short']);
  });

  it('makes spans with a missing parent roots marked as orphans', () => {
    const tree = buildSpanTree([span('root', '', 0, 100), span('lost', 'not-here', 20, 30)]);
    expect(tree.roots.map((r) => [r.span.name, r.orphan])).toEqual([
      ['root', false],
      ['lost', true],
    ]);
  });

  it('keeps the first of duplicate span ids and survives self-parenting and cycles', () => {
    const tree = buildSpanTree([
      span('a', '', 0, 10),
      span('a', '', 5, 6),
      span('self', 'self', 1, 2),
      span('x', 'y', 3, 9),
      span('y', 'x', 4, 8),
    ]);
    expect(tree.byId.size).toBe(4);
    expect(tree.byId.get('a')!.endNs).toBe(T0 + 10n * ms);
    const rows = flattenTree(tree);
    expect(rows).toHaveLength(4); // every span shows exactly once
    expect(new Set(names(rows))).toEqual(new Set(['a', 'self', 'x', 'y']));
  });

  it('treats an end before the start as a zero-length span', () => {
    const tree = buildSpanTree([span('skewed', '', 10, 5)]);
    const node = tree.byId.get('skewed')!;
    expect(node.endNs).toBe(node.startNs);
  });

  it('handles an empty trace', () => {
    const tree = buildSpanTree([]);
    expect(tree.roots).toEqual([]);
    expect(flattenTree(tree)).toEqual([]);
    expect(criticalPath(tree)).toEqual([]);
  });
});

describe('flattenTree', () => {
  const spans = [
    span('root', '', 0, 100),
    span('a', 'root', 5, 60),
    span('a1', 'a', 6, 20),
    span('a2', 'a', 25, 55),
    span('b', 'root', 62, 95),
  ];

  it('lists spans depth-first with their depth', () => {
    const rows = flattenTree(buildSpanTree(spans));
    expect(rows.map((r) => `${'  '.repeat(r.depth)}${r.node.span.name}`)).toEqual([
      'root',
      '  a',
      '    a1',
      '    a2',
      '  b',
    ]);
    expect(rows.map((r) => r.hasChildren)).toEqual([true, true, false, false, false]);
  });

  it('hides the descendants of collapsed spans and counts them', () => {
    const rows = flattenTree(buildSpanTree(spans), new Set(['a']));
    expect(names(rows)).toEqual(['root', 'a', 'b']);
    const a = rows[1]!;
    expect(a.collapsed).toBe(true);
    expect(a.descendantCount).toBe(2);
    const all = flattenTree(buildSpanTree(spans), new Set(['root']));
    expect(names(all)).toEqual(['root']);
    expect(all[0]!.descendantCount).toBe(4);
  });

  it('ignores collapsing a leaf', () => {
    const rows = flattenTree(buildSpanTree(spans), new Set(['a1']));
    expect(rows.find((r) => r.node.span.name === 'a1')!.collapsed).toBe(false);
  });

  it('flattens a very deep chain without recursion', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) =>
      span(`s${i}`, i === 0 ? '' : `s${i - 1}`, i, 20_000),
    );
    const rows = flattenTree(buildSpanTree(chain));
    expect(rows).toHaveLength(20_000);
    expect(rows[19_999]!.depth).toBe(19_999);
    expect(flattenTree(buildSpanTree(chain), new Set(['s0']))[0]!.descendantCount).toBe(19_999);
  });

  it('gives the ancestors of a span, nearest first', () => {
    expect(ancestorIds(buildSpanTree(spans), 'a2')).toEqual(['a', 'root']);
    expect(ancestorIds(buildSpanTree(spans), 'root')).toEqual([]);
  });
});

describe('bar geometry', () => {
  it('positions bars as fractions of the trace', () => {
    const tree = buildSpanTree([span('root', '', 0, 200), span('c', 'root', 50, 100)]);
    expect(spanBar(tree.byId.get('root')!, tree)).toEqual({ offset: 0, width: 1 });
    expect(spanBar(tree.byId.get('c')!, tree)).toEqual({ offset: 0.25, width: 0.25 });
  });

  it('is exact for long traces with nanosecond detail', () => {
    // A 1 h trace, a 1 µs span right in the middle.
    const start = T0 + 1_800_000_000_000n;
    const bar = barGeometry(start, start + 1000n, T0, T0 + 3_600_000_000_000n);
    expect(bar.offset).toBeCloseTo(0.5, 9);
    expect(bar.width).toBeGreaterThan(0);
    expect(bar.width).toBeLessThan(1e-6);
  });

  it('places the duration label where there is room', () => {
    expect(durationLabelPlacement({ offset: 0.1, width: 0.3 })).toBe('right');
    expect(durationLabelPlacement({ offset: 0.5, width: 0.45 })).toBe('left');
    expect(durationLabelPlacement({ offset: 0, width: 1 })).toBe('inside');
  });

  it('clamps intervals outside the trace and survives a zero-length trace', () => {
    expect(barGeometry(T0 - 10n, T0 + 5n, T0, T0 + 10n)).toEqual({ offset: 0, width: 0.5 });
    expect(barGeometry(T0, T0 + 50n, T0, T0 + 10n)).toEqual({ offset: 0, width: 1 });
    expect(barGeometry(T0, T0, T0, T0)).toEqual({ offset: 0, width: 1 });
  });
});

describe('criticalPath', () => {
  const seg = (tree: ReturnType<typeof buildSpanTree<TestSpan>>) =>
    criticalPath(tree).map((s) => [s.spanId, Number((s.startNs - T0) / ms), Number((s.endNs - T0) / ms)]);

  it('is the root alone when it has no children', () => {
    expect(seg(buildSpanTree([span('root', '', 0, 100)]))).toEqual([['root', 0, 100]]);
  });

  it('walks sequential children and attributes the gaps to the parent', () => {
    const tree = buildSpanTree([
      span('root', '', 0, 100),
      span('a', 'root', 10, 40),
      span('b', 'root', 50, 90),
    ]);
    expect(seg(tree)).toEqual([
      ['root', 0, 10],
      ['a', 10, 40],
      ['root', 40, 50],
      ['b', 50, 90],
      ['root', 90, 100],
    ]);
  });

  it('follows the last-finishing of parallel children and skips the ones it overlaps', () => {
    // fast and slow run in parallel; slow finishes last so it is critical; fast is hidden by it.
    const tree = buildSpanTree([
      span('root', '', 0, 100),
      span('fast', 'root', 10, 30),
      span('slow', 'root', 10, 80),
      span('db', 'slow', 20, 70),
    ]);
    expect(seg(tree)).toEqual([
      ['root', 0, 10],
      ['slow', 10, 20],
      ['db', 20, 70],
      ['slow', 70, 80],
      ['root', 80, 100],
    ]);
  });

  it('picks up an earlier child that ended before the critical one started', () => {
    const tree = buildSpanTree([
      span('root', '', 0, 100),
      span('auth', 'root', 5, 25),
      span('cache', 'root', 8, 15),
      span('order', 'root', 30, 95),
    ]);
    expect(seg(tree)).toEqual([
      ['root', 0, 5],
      ['auth', 5, 25],
      ['root', 25, 30],
      ['order', 30, 95],
      ['root', 95, 100],
    ]);
  });

  it('clips a child that outlives its parent (async work) to the parent window', () => {
    const tree = buildSpanTree([
      span('root', '', 0, 100),
      span('publish', 'root', 60, 70),
      span('consume', 'publish', 65, 300),
    ]);
    const segments = seg(tree);
    expect(segments).toEqual([
      ['root', 0, 60],
      ['publish', 60, 65],
      ['consume', 65, 70],
      ['root', 70, 100],
    ]);
  });

  it('tiles the root span exactly, whatever the shape', () => {
    const spans: TestSpan[] = [span('root', '', 0, 1000)];
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 1; i < 300; i++) {
      const parent = spans[Math.floor(rand() * spans.length)]!;
      const pStart = Number((BigInt(parent.startTimeUnixNano) - T0) / ms);
      const pEnd = Number((BigInt(parent.endTimeUnixNano) - T0) / ms);
      const start = pStart + rand() * (pEnd - pStart);
      const end = start + rand() * (pEnd - start) * 1.3; // sometimes past the parent's end
      spans.push(span(`s${i}`, parent.spanId, Math.round(start), Math.round(end)));
    }
    const tree = buildSpanTree(spans);
    const path = criticalPath(tree);
    expect(path[0]!.startNs).toBe(T0);
    expect(path[path.length - 1]!.endNs).toBe(T0 + 1000n * ms);
    for (let i = 1; i < path.length; i++) expect(path[i]!.startNs).toBe(path[i - 1]!.endNs);
    // Every segment lies within its own span.
    for (const s of path) {
      const node = tree.byId.get(s.spanId)!;
      expect(s.startNs >= node.startNs && s.endNs <= node.endNs).toBe(true);
    }
  });

  it('turns segments into bars per span', () => {
    const tree = buildSpanTree([span('root', '', 0, 100), span('a', 'root', 25, 75)]);
    const bars = criticalBarsBySpan(tree, criticalPath(tree));
    expect(bars.get('a')).toEqual([{ offset: 0.25, width: 0.5 }]);
    expect(bars.get('root')).toEqual([
      { offset: 0, width: 0.25 },
      { offset: 0.75, width: 0.25 },
    ]);
  });
});

describe('timeTicks', () => {
  it('gives round tick values across the trace', () => {
    expect(timeTicks(100, 6).map((t) => t.ms)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(timeTicks(1234, 6).map((t) => t.ms)).toEqual([0, 250, 500, 750, 1000]);
    const ticks = timeTicks(0.3, 4);
    expect(ticks[0]).toEqual({ fraction: 0, ms: 0 });
    expect(ticks.every((t) => t.fraction >= 0 && t.fraction <= 1)).toBe(true);
  });

  it('copes with a zero duration', () => {
    expect(timeTicks(0)).toEqual([{ fraction: 0, ms: 0 }]);
  });
});
