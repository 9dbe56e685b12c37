// Service map layout: a layered (left-to-right) drawing of the call graph. Callers sit left of
// the services they call; cycles are broken so every node gets a layer. Pure.

export interface GraphEdge {
  parent: string;
  child: string;
}

export interface LaidOutNode {
  id: string;
  layer: number;
  /** Position within its layer, 0 at the top. */
  index: number;
  x: number;
  y: number;
}

export interface Layout {
  nodes: Map<string, LaidOutNode>;
  layers: string[][];
  width: number;
  height: number;
}

export interface LayoutOptions {
  columnWidth: number;
  rowHeight: number;
  paddingX: number;
  paddingY: number;
}

const defaults: LayoutOptions = { columnWidth: 220, rowHeight: 90, paddingX: 90, paddingY: 50 };

/**
 * Layer = length of the longest call chain reaching the node from a caller-less node, computed
 * on the graph with back edges (found by DFS) removed. Within a layer nodes are ordered by the
 * mean position of their callers (barycentre), which keeps edges from crossing needlessly.
 */
export function layoutGraph(
  nodeIds: readonly string[],
  edges: readonly GraphEdge[],
  options: Partial<LayoutOptions> = {},
): Layout {
  const opts = { ...defaults, ...options };
  const ids = [...new Set([...nodeIds, ...edges.flatMap((e) => [e.parent, e.child])])].sort();
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) if (e.parent !== e.child) out.get(e.parent)!.push(e.child);
  for (const list of out.values()) list.sort();

  // Depth-first search from caller-less nodes first (then any unvisited) to find back edges.
  const incoming = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const [, children] of out) for (const c of children) incoming.set(c, (incoming.get(c) ?? 0) + 1);
  const state = new Map<string, 'open' | 'done'>();
  const back = new Set<string>();
  const visit = (start: string) => {
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const children = out.get(top.id)!;
      if (top.next >= children.length) {
        state.set(top.id, 'done');
        stack.pop();
        continue;
      }
      const child = children[top.next++]!;
      const s = state.get(child);
      if (s === 'open') back.add(`${top.id}\u0000${child}`);
      else if (s === undefined) {
        state.set(child, 'open');
        stack.push({ id: child, next: 0 });
      }
    }
  };
  for (const id of ids) if (incoming.get(id) === 0 && !state.has(id)) visit(id);
  for (const id of ids) if (!state.has(id)) visit(id);

  // Longest-path layering on the acyclic remainder (Kahn's order).
  const forward = new Map<string, string[]>(
    ids.map((id) => [id, out.get(id)!.filter((c) => !back.has(`${id}\u0000${c}`))]),
  );
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const children of forward.values()) for (const c of children) indegree.set(c, indegree.get(c)! + 1);
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const queue = ids.filter((id) => indegree.get(id) === 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const c of forward.get(id)!) {
      layer.set(c, Math.max(layer.get(c)!, layer.get(id)! + 1));
      indegree.set(c, indegree.get(c)! - 1);
      if (indegree.get(c) === 0) queue.push(c);
    }
  }

  const layerCount = ids.length === 0 ? 0 : Math.max(...layer.values()) + 1;
  const layers: string[][] = Array.from({ length: layerCount }, () => []);
  for (const id of ids) layers[layer.get(id)!]!.push(id);

  // Order each layer by the barycentre of its callers in the previous layers.
  const parents = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [p, children] of forward) for (const c of children) parents.get(c)!.push(p);
  const position = new Map<string, number>();
  for (const nodes of layers) {
    const keyed = nodes.map((id) => {
      const ps = parents.get(id)!.filter((p) => position.has(p));
      const bary = ps.length
        ? ps.reduce((s, p) => s + position.get(p)!, 0) / ps.length
        : Number.POSITIVE_INFINITY;
      return { id, bary };
    });
    keyed.sort((a, b) => a.bary - b.bary || a.id.localeCompare(b.id));
    nodes.splice(0, nodes.length, ...keyed.map((k) => k.id));
    nodes.forEach((id, i) => {
      position.set(id, i);
    });
  }

  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const height = opts.paddingY * 2 + (tallest - 1) * opts.rowHeight;
  const width = opts.paddingX * 2 + Math.max(0, layerCount - 1) * opts.columnWidth;
  const nodes = new Map<string, LaidOutNode>();
  layers.forEach((ids, l) => {
    const offset = ((tallest - ids.length) * opts.rowHeight) / 2;
    ids.forEach((id, i) => {
      nodes.set(id, {
        id,
        layer: l,
        index: i,
        x: opts.paddingX + l * opts.columnWidth,
        y: opts.paddingY + offset + i * opts.rowHeight,
      });
    });
  });
  return { nodes, layers, width, height };
}

/** A cubic curve from one node to another (leaving right, entering left; back edges loop below). */
export function edgePath(
  from: { x: number; y: number },
  to: { x: number; y: number },
  nodeHalfWidth: number,
): string {
  if (to.x > from.x) {
    const x1 = from.x + nodeHalfWidth;
    const x2 = to.x - nodeHalfWidth;
    const mid = (x1 + x2) / 2;
    return `M${x1},${from.y} C${mid},${from.y} ${mid},${to.y} ${x2},${to.y}`;
  }
  // Same layer or backwards: arc beneath.
  const drop = 60 + Math.abs(from.x - to.x) * 0.15;
  const y = Math.max(from.y, to.y) + drop;
  return `M${from.x},${from.y + 16} C${from.x},${y} ${to.x},${y} ${to.x},${to.y + 16}`;
}
