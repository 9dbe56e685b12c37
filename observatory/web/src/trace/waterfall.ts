// Trace waterfall geometry: the span tree, the row order, bar positions as fractions of the trace,
// and the critical path. Pure functions, no DOM; times are unix nanoseconds as bigint internally
// (a double cannot hold a unix-nanosecond instant exactly), fractions and milliseconds outside.

export interface SpanTiming {
  spanId: string;
  parentSpanId: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
}

export interface SpanNode<T extends SpanTiming> {
  span: T;
  startNs: bigint;
  /** Never before `startNs` (a span with a clock-skewed end is treated as zero-length). */
  endNs: bigint;
  children: SpanNode<T>[];
  /** The span names a parent that is not in the trace (still arriving, or lost). */
  orphan: boolean;
  /** Start/end in ns after the trace's start as doubles (exact below 2^53 ns ≈ 104 days), for fast sorting. */
  startRel: number;
  endRel: number;
}

export interface SpanTree<T extends SpanTiming> {
  roots: SpanNode<T>[];
  byId: Map<string, SpanNode<T>>;
  traceStartNs: bigint;
  traceEndNs: bigint;
}

function byStart<T extends SpanTiming>(a: SpanNode<T>, b: SpanNode<T>): number {
  if (a.startRel !== b.startRel) return a.startRel - b.startRel;
  // Same start: the longer one first (usually the enclosing one), then by id for a stable order.
  if (a.endRel !== b.endRel) return b.endRel - a.endRel;
  return a.span.spanId < b.span.spanId ? -1 : a.span.spanId > b.span.spanId ? 1 : 0;
}

/**
 * Builds the span tree from `parentSpanId`. Spans whose parent is absent become roots (marked
 * orphan unless they are true roots); duplicate span ids keep the first; a parent cycle is broken
 * by making its earliest member a root. Children and roots are ordered by start time.
 */
export function buildSpanTree<T extends SpanTiming>(spans: readonly T[]): SpanTree<T> {
  const byId = new Map<string, SpanNode<T>>();
  for (const span of spans) {
    if (byId.has(span.spanId)) continue;
    const startNs = BigInt(span.startTimeUnixNano);
    const rawEnd = BigInt(span.endTimeUnixNano);
    byId.set(span.spanId, {
      span,
      startNs,
      endNs: rawEnd < startNs ? startNs : rawEnd,
      children: [],
      orphan: false,
      startRel: 0,
      endRel: 0,
    });
  }

  let traceStartNs: bigint | undefined;
  let traceEndNs: bigint | undefined;
  for (const node of byId.values()) {
    if (traceStartNs === undefined || node.startNs < traceStartNs) traceStartNs = node.startNs;
    if (traceEndNs === undefined || node.endNs > traceEndNs) traceEndNs = node.endNs;
  }
  for (const node of byId.values()) {
    node.startRel = Number(node.startNs - traceStartNs!);
    node.endRel = Number(node.endNs - traceStartNs!);
  }

  const roots: SpanNode<T>[] = [];
  for (const node of byId.values()) {
    const parentId = node.span.parentSpanId;
    const parent = parentId && parentId !== node.span.spanId ? byId.get(parentId) : undefined;
    if (parent) {
      parent.children.push(node);
    } else {
      node.orphan = parentId !== '' && parentId !== node.span.spanId;
      roots.push(node);
    }
  }

  // Nodes unreachable from a root sit on a parent cycle: cut each cycle at its earliest span.
  const reached = new Set<SpanNode<T>>();
  const mark = (from: SpanNode<T>) => {
    const stack = [from];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (reached.has(node)) continue;
      reached.add(node);
      for (const child of node.children) stack.push(child);
    }
  };
  for (const root of roots) mark(root);
  if (reached.size < byId.size) {
    const stranded = [...byId.values()].filter((n) => !reached.has(n)).sort(byStart);
    for (const node of stranded) {
      if (reached.has(node)) continue;
      const parent = byId.get(node.span.parentSpanId);
      if (parent) parent.children = parent.children.filter((c) => c !== node);
      node.orphan = true;
      roots.push(node);
      mark(node);
    }
  }

  for (const node of byId.values()) node.children.sort(byStart);
  roots.sort(byStart);
  return { roots, byId, traceStartNs: traceStartNs ?? 0n, traceEndNs: traceEndNs ?? 0n };
}

export interface WaterfallRow<T extends SpanTiming> {
  node: SpanNode<T>;
  depth: number;
  hasChildren: boolean;
  collapsed: boolean;
  /** Number of spans hidden under this row when it is collapsed. */
  descendantCount: number;
}

function countDescendants<T extends SpanTiming>(node: SpanNode<T>, memo: Map<SpanNode<T>, number>): number {
  // Iterative post-order so that very deep traces cannot overflow the stack.
  const order: SpanNode<T>[] = [];
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (memo.has(n)) continue;
    order.push(n);
    stack.push(...n.children);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    let total = 0;
    for (const c of n.children) total += 1 + (memo.get(c) ?? 0);
    memo.set(n, total);
  }
  return memo.get(node) ?? 0;
}

/** The visible rows in display order (depth-first, children by start), skipping collapsed subtrees. */
export function flattenTree<T extends SpanTiming>(
  tree: SpanTree<T>,
  collapsed: ReadonlySet<string> = new Set(),
): WaterfallRow<T>[] {
  const rows: WaterfallRow<T>[] = [];
  const memo = new Map<SpanNode<T>, number>();
  const stack: { node: SpanNode<T>; depth: number }[] = [];
  for (let i = tree.roots.length - 1; i >= 0; i--) stack.push({ node: tree.roots[i]!, depth: 0 });
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    const isCollapsed = collapsed.has(node.span.spanId) && node.children.length > 0;
    rows.push({
      node,
      depth,
      hasChildren: node.children.length > 0,
      collapsed: isCollapsed,
      descendantCount: isCollapsed ? countDescendants(node, memo) : 0,
    });
    if (isCollapsed) continue;
    for (let i = node.children.length - 1; i >= 0; i--)
      stack.push({ node: node.children[i]!, depth: depth + 1 });
  }
  return rows;
}

/** The ids of a span's ancestors, nearest first (to expand them when the span is selected). */
export function ancestorIds<T extends SpanTiming>(tree: SpanTree<T>, spanId: string): string[] {
  const ids: string[] = [];
  const seen = new Set<string>([spanId]);
  let parentId = tree.byId.get(spanId)?.span.parentSpanId;
  while (parentId && !seen.has(parentId)) {
    const parent = tree.byId.get(parentId);
    if (!parent) break;
    ids.push(parentId);
    seen.add(parentId);
    parentId = parent.span.parentSpanId;
  }
  return ids;
}

export interface Bar {
  /** Start of the bar as a fraction of the trace (0..1). */
  offset: number;
  /** Width of the bar as a fraction of the trace (0..1, offset + width <= 1). */
  width: number;
}

function fraction(valueNs: bigint, totalNs: bigint): number {
  if (totalNs <= 0n) return 0;
  // Scale in bigint first so the division keeps precision for long traces.
  return Number((valueNs * 1_000_000_000_000n) / totalNs) / 1e12;
}

const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

/** Where an interval sits within the trace, as fractions of the trace's duration. */
export function barGeometry(startNs: bigint, endNs: bigint, traceStartNs: bigint, traceEndNs: bigint): Bar {
  const total = traceEndNs - traceStartNs;
  if (total <= 0n) return { offset: 0, width: 1 };
  const offset = clamp01(fraction(startNs - traceStartNs, total));
  const end = clamp01(fraction(endNs - traceStartNs, total));
  return { offset, width: Math.max(0, end - offset) };
}

export function spanBar<T extends SpanTiming>(node: SpanNode<T>, tree: SpanTree<T>): Bar {
  return barGeometry(node.startNs, node.endNs, tree.traceStartNs, tree.traceEndNs);
}

/** Where a bar's duration label fits: after the bar, before it, or inside it (a bar filling the row). */
export function durationLabelPlacement(bar: Bar, room = 0.12): 'right' | 'left' | 'inside' {
  if (1 - (bar.offset + bar.width) >= room) return 'right';
  if (bar.offset >= room) return 'left';
  return 'inside';
}

export function nsToMs(ns: bigint): number {
  return Number(ns) / 1e6;
}

export interface CriticalSegment {
  spanId: string;
  startNs: bigint;
  endNs: bigint;
}

/**
 * The critical path: the chain of work that determined the trace's end-to-end duration.
 * Walking back from the end of the root, time is attributed to the last child to finish before
 * the current cursor (recursively), and to the span itself where no child was running. Children
 * are clipped to their parent's window (an async child that outlives its parent only counts up
 * to the parent's end); children that overlap the chosen one are concurrent, not critical.
 * Returns segments ordered by start time; together they tile the root span exactly.
 */
export function criticalPath<T extends SpanTiming>(tree: SpanTree<T>, root?: SpanNode<T>): CriticalSegment[] {
  const top = root ?? tree.roots.find((r) => !r.orphan) ?? tree.roots[0];
  if (!top) return [];

  interface Clipped {
    node: SpanNode<T>;
    startNs: bigint;
    endNs: bigint;
  }
  interface Frame {
    node: SpanNode<T>;
    windowStartNs: bigint;
    cursorNs: bigint;
    children: Clipped[];
    next: number;
  }
  const clipChildren = (node: SpanNode<T>, fromNs: bigint, toNs: bigint): Clipped[] => {
    const out: Clipped[] = [];
    for (const child of node.children) {
      const startNs = child.startNs > fromNs ? child.startNs : fromNs;
      const endNs = child.endNs < toNs ? child.endNs : toNs;
      if (endNs > startNs || (endNs === startNs && child.startNs >= fromNs && child.endNs <= toNs)) {
        out.push({ node: child, startNs, endNs });
      }
    }
    // Last to finish first; among equal ends, the one that started last (the shorter) first.
    out.sort((a, b) => (a.endNs !== b.endNs ? (a.endNs > b.endNs ? -1 : 1) : a.startNs > b.startNs ? -1 : 1));
    return out;
  };
  const frame = (node: SpanNode<T>, fromNs: bigint, toNs: bigint): Frame => ({
    node,
    windowStartNs: fromNs,
    cursorNs: toNs,
    children: clipChildren(node, fromNs, toNs),
    next: 0,
  });

  const segments: CriticalSegment[] = [];
  const push = (node: SpanNode<T>, startNs: bigint, endNs: bigint) => {
    if (endNs > startNs) segments.push({ spanId: node.span.spanId, startNs, endNs });
  };
  const stack: Frame[] = [frame(top, top.startNs, top.endNs)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    while (f.next < f.children.length && f.children[f.next]!.endNs > f.cursorNs) f.next++;
    const child = f.children[f.next];
    if (!child || f.cursorNs <= f.windowStartNs) {
      push(f.node, f.windowStartNs, f.cursorNs);
      stack.pop();
      continue;
    }
    f.next++;
    push(f.node, child.endNs, f.cursorNs);
    f.cursorNs = child.startNs;
    stack.push(frame(child.node, child.startNs, child.endNs));
  }
  segments.sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  return segments;
}

/** Critical segments grouped by span, as bars relative to the whole trace. */
export function criticalBarsBySpan<T extends SpanTiming>(
  tree: SpanTree<T>,
  segments: readonly CriticalSegment[],
): Map<string, Bar[]> {
  const out = new Map<string, Bar[]>();
  for (const s of segments) {
    const bars = out.get(s.spanId) ?? [];
    bars.push(barGeometry(s.startNs, s.endNs, tree.traceStartNs, tree.traceEndNs));
    out.set(s.spanId, bars);
  }
  return out;
}

/** Nice tick positions for the time axis of a trace lasting `durationMs`. */
export function timeTicks(durationMs: number, maxTicks = 6): { fraction: number; ms: number }[] {
  if (!(durationMs > 0)) return [{ fraction: 0, ms: 0 }];
  const rough = durationMs / Math.max(1, maxTicks - 1);
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow;
  const ticks: { fraction: number; ms: number }[] = [];
  for (let ms = 0; ms <= durationMs + step * 1e-9; ms += step) {
    ticks.push({ fraction: Math.min(1, ms / durationMs), ms: Number(ms.toPrecision(12)) });
  }
  return ticks;
}
