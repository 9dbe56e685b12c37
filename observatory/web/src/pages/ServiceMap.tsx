import { useMemo, useState } from 'react';
import { useDependencies, useRed } from '../api/hooks.js';
import type { DependencyEdge } from '../api/schemas.js';
import { Link } from '../components/Link.js';
import { QueryView } from '../components/States.js';
import { formatDurationMs, formatNumber, formatPercent, formatRatePerSec } from '../lib/format.js';
import { edgePath, layoutGraph } from '../lib/graph.js';
import { navigate } from '../lib/router.js';
import { useServiceColors } from '../lib/useServiceColors.js';
import { useTitle } from '../lib/useTitle.js';

const nodeW = 150;
const nodeH = 46;

export function ServiceMapPage() {
  useTitle('Service map');
  const deps = useDependencies();
  return (
    <div className="page">
      <div className="page-head">
        <h1>Service map</h1>
        <p className="muted">
          Who calls whom, from parent/child spans that cross services. Click a service to open it.
        </p>
      </div>
      <QueryView
        query={deps}
        isEmpty={(d) => d.nodes.length === 0 && d.edges.length === 0}
        empty="No cross-service calls in this window."
      >
        {(d) => (
          <>
            <section className="card map-card">
              <ServiceGraph nodes={d.nodes.map((n) => n.service)} edges={d.edges} />
            </section>
            <section className="card">
              <h2>Calls</h2>
              <EdgeTable edges={d.edges} />
            </section>
          </>
        )}
      </QueryView>
    </div>
  );
}

function ServiceGraph({ nodes, edges }: { nodes: string[]; edges: DependencyEdge[] }) {
  const layout = useMemo(
    () => layoutGraph(nodes, edges, { columnWidth: 300, rowHeight: 96 }),
    [nodes, edges],
  );
  const red = useRed();
  const colorOf = useServiceColors();
  const [hover, setHover] = useState<string | null>(null);
  const redOf = new Map((red.data?.services ?? []).map((s) => [s.service, s]));
  const width = Math.max(layout.width, 600);
  const height = layout.height + 40;

  return (
    <div className="map-scroll">
      <svg width={width} height={height} className="service-map" role="img" aria-label="Service map">
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerUnits="userSpaceOnUse"
            markerWidth="9"
            markerHeight="9"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#8a94a6" />
          </marker>
          <marker
            id="arrow-bad"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerUnits="userSpaceOnUse"
            markerWidth="9"
            markerHeight="9"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" fill="#d64545" />
          </marker>
        </defs>
        {edges.map((e) => {
          const from = layout.nodes.get(e.parent);
          const to = layout.nodes.get(e.child);
          if (!from || !to || e.parent === e.child) return null;
          const bad = e.errorCount > 0;
          const active = hover === null || hover === e.parent || hover === e.child;
          const d = edgePath(from, to, nodeW / 2);
          const mx = (from.x + to.x) / 2;
          const my = to.x > from.x ? (from.y + to.y) / 2 : Math.max(from.y, to.y) + 50;
          return (
            <g key={`${e.parent}->${e.child}`} className="edge" opacity={active ? 1 : 0.2}>
              <path
                d={d}
                fill="none"
                stroke={bad ? '#d64545' : '#9aa3b2'}
                strokeWidth={Math.min(5, 1.2 + Math.log10(1 + e.callCount))}
                markerEnd={bad ? 'url(#arrow-bad)' : 'url(#arrow)'}
              />
              <text x={mx} y={my - 4} textAnchor="middle" className="edge-label">
                {formatNumber(e.callCount)} call{e.callCount === 1 ? '' : 's'}
                {bad ? <tspan className="bad"> · {formatNumber(e.errorCount)} err</tspan> : null}
              </text>
              <text x={mx} y={my + 9} textAnchor="middle" className="edge-label">
                p95 {formatDurationMs(e.p95Ms)}
              </text>
            </g>
          );
        })}
        {[...layout.nodes.values()].map((n) => {
          const r = redOf.get(n.id);
          const color = colorOf(n.id);
          const errorish = (r?.errorRatio ?? 0) > 0.01;
          return (
            // biome-ignore lint/a11y/useSemanticElements: an SVG node cannot be a <button>
            <g
              key={n.id}
              transform={`translate(${n.x - nodeW / 2},${n.y - nodeH / 2})`}
              className="node"
              role="button"
              tabIndex={0}
              data-service={n.id}
              onMouseEnter={() => setHover(n.id)}
              onMouseLeave={() => setHover(null)}
              onClick={() => navigate(`/services/${encodeURIComponent(n.id)}`)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') navigate(`/services/${encodeURIComponent(n.id)}`);
              }}
            >
              <rect
                width={nodeW}
                height={nodeH}
                rx={8}
                fill="#fff"
                stroke={errorish ? '#d64545' : '#c9d0db'}
                strokeWidth={errorish ? 2 : 1}
              />
              <rect x={1} y={1} width={5} height={nodeH - 2} rx={2} fill={color} />
              <text x={14} y={19} className="node-title">
                {n.id.length > 18 ? `${n.id.slice(0, 17)}…` : n.id}
              </text>
              <text x={14} y={35} className="node-sub">
                {r
                  ? `${formatRatePerSec(r.requestRate)} · ${formatPercent(r.errorRatio)} err`
                  : 'no server spans'}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function EdgeTable({ edges }: { edges: DependencyEdge[] }) {
  const sorted = [...edges].sort((a, b) => b.callCount - a.callCount);
  return (
    <table className="table" data-testid="edges-table">
      <thead>
        <tr>
          <th>Caller</th>
          <th>Callee</th>
          <th className="num">Calls</th>
          <th className="num">Errors</th>
          <th className="num">p50</th>
          <th className="num">p95</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((e) => (
          <tr key={`${e.parent}->${e.child}`}>
            <td>
              <Link to={`/services/${encodeURIComponent(e.parent)}`}>{e.parent}</Link>
            </td>
            <td>
              <Link to={`/services/${encodeURIComponent(e.child)}`}>{e.child}</Link>
            </td>
            <td className="num">{formatNumber(e.callCount)}</td>
            <td className={`num ${e.errorCount > 0 ? 'bad' : ''}`}>{formatNumber(e.errorCount)}</td>
            <td className="num">{formatDurationMs(e.p50Ms)}</td>
            <td className="num">{formatDurationMs(e.p95Ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
