import type { TimeRange } from './params.js';
import { num, numOrNull, Params, spanErrorExpr } from './sql.js';
import type { DependencyEdge, DependencyGraph, QueryStore } from './types.js';

/** A parent may start this long before its child's range and still be joined (slow clients, queues). */
const PARENT_SLACK_NS = 15n * 60n * 1_000_000_000n;

/**
 * Service dependencies from parent/child span pairs: a child span (starting in the range) whose parent
 * span belongs to another service is one call on the edge parent.service → child.service. Errors and
 * latency are the child's (the callee's own span): error = status ERROR or HTTP ≥ 500.
 */
export async function dependencyEdges(store: QueryStore, range: TimeRange): Promise<DependencyEdge[]> {
  const p = new Params();
  const rows = await store.query<{
    parent: string;
    child: string;
    calls: unknown;
    errors: unknown;
    p50: unknown;
    p95: unknown;
  }>(
    `SELECT par.service AS parent, c.service AS child, count(*) AS calls,
       count(*) FILTER (WHERE ${spanErrorExpr('c.')}) AS errors,
       quantile_cont(c.duration_ns, 0.5) / 1e6 AS p50, quantile_cont(c.duration_ns, 0.95) / 1e6 AS p95
     FROM spans c JOIN spans par ON par.trace_id = c.trace_id AND par.span_id = c.parent_span_id
     WHERE c.start_ns >= ${p.ns(range.startNs)} AND c.start_ns < ${p.ns(range.endNs)}
       AND par.start_ns >= ${p.ns(range.startNs - PARENT_SLACK_NS)} AND par.start_ns < ${p.ns(range.endNs)}
       AND c.parent_span_id <> '' AND c.service <> par.service
     GROUP BY par.service, c.service ORDER BY par.service, c.service`,
    p.values,
  );
  return rows.map((r) => ({
    parent: r.parent,
    child: r.child,
    callCount: num(r.calls),
    errorCount: num(r.errors),
    p50Ms: numOrNull(r.p50),
    p95Ms: numOrNull(r.p95),
  }));
}

/** The graph: every service with spans in the range is a node, edges as above. */
export async function dependencyGraph(store: QueryStore, range: TimeRange): Promise<DependencyGraph> {
  const p = new Params();
  const nodes = await store.query<{ service: string }>(
    `SELECT DISTINCT service FROM spans WHERE start_ns >= ${p.ns(range.startNs)} AND start_ns < ${p.ns(range.endNs)} ORDER BY service`,
    p.values,
  );
  const edges = await dependencyEdges(store, range);
  return { nodes: nodes.map((n) => ({ service: n.service })), edges };
}
