import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import { useLogs, useTrace } from '../api/hooks.js';
import type { LogRecord, Span } from '../api/schemas.js';
import { Link } from '../components/Link.js';
import { Empty, ErrorState, Loading } from '../components/States.js';
import { formatClock, formatDurationMs, plural } from '../lib/format.js';
import { useSearch } from '../lib/router.js';
import { nanoDiffMs } from '../lib/time.js';
import { href, traceHintWindow } from '../lib/url.js';
import { useServiceColors } from '../lib/useServiceColors.js';
import { useTitle } from '../lib/useTitle.js';
import { scrollToReveal, visibleRange } from '../lib/virtual.js';
import { SpanDetails } from '../trace/SpanDetails.js';
import {
  ancestorIds,
  buildSpanTree,
  criticalBarsBySpan,
  criticalPath,
  durationLabelPlacement,
  flattenTree,
  nsToMs,
  type SpanTree,
  spanBar,
  timeTicks,
  type WaterfallRow,
} from '../trace/waterfall.js';

const ROW_HEIGHT = 28;

export function TracePage({ traceId }: { traceId: string }) {
  useTitle(`Trace ${traceId.slice(0, 8)}`);
  const [search] = useSearch();
  const at = search.get('at');
  const trace = useTrace(traceId, traceHintWindow(at === null ? undefined : Number(at)));
  if (trace.isPending) return <Loading label="Loading trace…" />;
  if (trace.error) {
    if (trace.error instanceof ApiError && trace.error.status === 404) {
      return (
        <div className="page">
          <Empty>
            Trace <span className="mono">{traceId}</span> is not in the store (yet). Spans can take a few
            seconds to arrive; it may also have aged out. <Link to="/traces">Search traces</Link>
          </Empty>
        </div>
      );
    }
    return <ErrorState error={trace.error} onRetry={() => void trace.refetch()} />;
  }
  if (trace.data.spans.length === 0) return <Empty>This trace has no spans.</Empty>;
  return <TraceView traceId={traceId} spans={trace.data.spans} />;
}

function TraceView({ traceId, spans }: { traceId: string; spans: Span[] }) {
  const tree = useMemo(() => buildSpanTree(spans), [spans]);
  const critical = useMemo(() => criticalPath(tree), [tree]);
  const criticalBars = useMemo(() => criticalBarsBySpan(tree, critical), [tree, critical]);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [showCritical, setShowCritical] = useState(true);
  const [search, setSearch] = useSearch();
  const selectedId = search.get('span') ?? undefined;
  const colorOf = useServiceColors();

  const rows = useMemo(() => flattenTree(tree, collapsed), [tree, collapsed]);
  const root = tree.roots[0]!;
  const durationMs = nsToMs(tree.traceEndNs - tree.traceStartNs);
  const startMs = Number(tree.traceStartNs / 1_000_000n);
  const services = useMemo(() => {
    const counts = new Map<string, number>();
    for (const s of spans) counts.set(s.service, (counts.get(s.service) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1]);
  }, [spans]);
  const errorCount = spans.filter((s) => s.statusCode === 'error').length;
  const criticalSpanCount = useMemo(() => new Set(critical.map((s) => s.spanId)).size, [critical]);
  const criticalMs = critical.reduce((sum, s) => sum + nsToMs(s.endNs - s.startNs), 0);

  // Logs of this trace: search by trace id around the trace's own time.
  const logWindow = useMemo(
    () => ({ startMs: startMs - 60_000, endMs: startMs + durationMs + 5 * 60_000 }),
    [startMs, durationMs],
  );
  const logs = useLogs({ traceId, limit: 500 }, { window: logWindow });
  const logsBySpan = useMemo(() => {
    const map = new Map<string, LogRecord[]>();
    for (const l of logs.data?.logs ?? []) {
      const list = map.get(l.spanId) ?? [];
      list.push(l);
      map.set(l.spanId, list);
    }
    return map;
  }, [logs.data]);

  // Selecting a span inside a collapsed subtree opens its ancestors.
  useEffect(() => {
    if (!selectedId) return;
    const ancestors = ancestorIds(tree, selectedId);
    if (ancestors.some((id) => collapsed.has(id))) {
      setCollapsed((prev) => {
        const next = new Set(prev);
        for (const id of ancestors) next.delete(id);
        return next;
      });
    }
  }, [selectedId, tree, collapsed]);

  const select = (spanId: string | undefined) => setSearch({ span: spanId }, { replace: true });
  const toggle = (spanId: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(spanId)) next.delete(spanId);
      else next.add(spanId);
      return next;
    });
  const selected = selectedId ? tree.byId.get(selectedId) : undefined;

  return (
    <div className="page trace-page">
      <div className="page-head row">
        <div>
          <h1 className="trace-title">
            <span className="dot dot-lg" style={{ background: colorOf(root.span.service) }} />
            <span className="muted">{root.span.service}</span> {root.span.name}
          </h1>
          <div className="trace-meta">
            <span className="mono" title="trace id">
              {traceId}
            </span>
            <span>{formatClock(startMs, true)}</span>
            <span>
              <strong>{formatDurationMs(durationMs)}</strong>
            </span>
            <span>{plural(spans.length, 'span')}</span>
            <span>{plural(services.length, 'service')}</span>
            {errorCount > 0 ? <span className="badge badge-error">{errorCount} errors</span> : null}
          </div>
        </div>
        <div className="actions">
          <Link
            className="btn"
            to={href('/logs', {
              traceId,
              from: Math.floor(logWindow.startMs),
              to: Math.ceil(logWindow.endMs),
            })}
            data-testid="trace-logs-link"
          >
            Logs for this trace{logs.data ? ` (${logs.data.logs.length})` : ''}
          </Link>
          <a className="btn" href={`/jaeger/api/traces/${traceId}`} target="_blank" rel="noreferrer">
            JSON
          </a>
        </div>
      </div>

      <div className="trace-toolbar">
        <div className="chips">
          {services.map(([name, count]) => (
            <Link key={name} to={`/services/${encodeURIComponent(name)}`} className="chip">
              <span className="dot" style={{ background: colorOf(name) }} />
              {name} <span className="muted">{count}</span>
            </Link>
          ))}
        </div>
        <div className="toolbar-right">
          <label className="check">
            <input
              type="checkbox"
              checked={showCritical}
              onChange={(e) => setShowCritical(e.target.checked)}
            />
            critical path{' '}
            <span className="muted">
              ({formatDurationMs(criticalMs)} through {plural(criticalSpanCount, 'span')})
            </span>
          </label>
          <button type="button" className="btn btn-small" onClick={() => setCollapsed(new Set())}>
            Expand all
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() =>
              setCollapsed(
                new Set(
                  tree.roots.flatMap((r) =>
                    r.children.filter((c) => c.children.length).map((c) => c.span.spanId),
                  ),
                ),
              )
            }
          >
            Collapse
          </button>
        </div>
      </div>

      <div className={`trace-body ${selected ? 'with-details' : ''}`}>
        <Waterfall
          tree={tree}
          rows={rows}
          durationMs={durationMs}
          selectedId={selectedId}
          onSelect={select}
          onToggle={toggle}
          criticalBars={showCritical ? criticalBars : undefined}
          colorOf={colorOf}
          logsBySpan={logsBySpan}
        />
        {selected ? (
          <SpanDetails
            span={selected.span}
            traceStartUnixNano={String(tree.traceStartNs)}
            logs={logsBySpan.get(selected.span.spanId) ?? []}
            onClose={() => select(undefined)}
            color={colorOf(selected.span.service)}
            parentName={tree.byId.get(selected.span.parentSpanId)?.span.name}
            onSelectSpan={select}
          />
        ) : null}
      </div>
    </div>
  );
}

interface WaterfallProps {
  tree: SpanTree<Span>;
  rows: WaterfallRow<Span>[];
  durationMs: number;
  selectedId: string | undefined;
  onSelect: (spanId: string) => void;
  onToggle: (spanId: string) => void;
  criticalBars: Map<string, { offset: number; width: number }[]> | undefined;
  colorOf: (service: string) => string;
  logsBySpan: Map<string, LogRecord[]>;
}

/** The span list, virtualized: only the rows in the viewport (plus a margin) are in the DOM. */
function Waterfall({
  tree,
  rows,
  durationMs,
  selectedId,
  onSelect,
  onToggle,
  criticalBars,
  colorOf,
  logsBySpan,
}: WaterfallProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    setViewport(el.clientHeight);
    const observer = new ResizeObserver(() => setViewport(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Bring a selected span into view (e.g. when arriving from a log line).
  const selectedIndex = selectedId ? rows.findIndex((r) => r.node.span.spanId === selectedId) : -1;
  useEffect(() => {
    const el = scroller.current;
    if (!el || selectedIndex < 0) return;
    const target = scrollToReveal(selectedIndex, el.scrollTop, el.clientHeight, ROW_HEIGHT);
    if (target !== el.scrollTop) el.scrollTop = target;
  }, [selectedIndex]);

  const range = visibleRange(scrollTop, viewport, ROW_HEIGHT, rows.length);
  const ticks = timeTicks(durationMs, 6);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const next = Math.min(rows.length - 1, Math.max(0, selectedIndex + (e.key === 'ArrowDown' ? 1 : -1)));
    const row = rows[next];
    if (row) onSelect(row.node.span.spanId);
  };

  return (
    <div className="waterfall" data-testid="waterfall">
      <div className="wf-header">
        <div className="wf-name-col">Service · operation</div>
        <div className="wf-time-col">
          {ticks.map((t) => (
            <span key={t.ms} className="wf-tick" style={{ left: `${t.fraction * 100}%` }}>
              {formatDurationMs(t.ms)}
            </span>
          ))}
        </div>
      </div>
      <div
        className="wf-scroll"
        ref={scroller}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        tabIndex={0}
        onKeyDown={onKeyDown}
        role="tree"
        aria-label="Spans"
      >
        <div style={{ height: range.totalHeightPx, position: 'relative' }}>
          <div style={{ transform: `translateY(${range.offsetTopPx}px)` }}>
            {rows.slice(range.start, range.end).map((row) => (
              <WaterfallRowView
                key={row.node.span.spanId}
                row={row}
                tree={tree}
                ticks={ticks}
                selected={row.node.span.spanId === selectedId}
                onSelect={onSelect}
                onToggle={onToggle}
                critical={criticalBars?.get(row.node.span.spanId)}
                color={colorOf(row.node.span.service)}
                logCount={logsBySpan.get(row.node.span.spanId)?.length ?? 0}
              />
            ))}
          </div>
        </div>
      </div>
    </div>
  );
}

function WaterfallRowView({
  row,
  tree,
  ticks,
  selected,
  onSelect,
  onToggle,
  critical,
  color,
  logCount,
}: {
  row: WaterfallRow<Span>;
  tree: SpanTree<Span>;
  ticks: { fraction: number }[];
  selected: boolean;
  onSelect: (spanId: string) => void;
  onToggle: (spanId: string) => void;
  critical: { offset: number; width: number }[] | undefined;
  color: string;
  logCount: number;
}) {
  const { span } = row.node;
  const bar = spanBar(row.node, tree);
  const isError = span.statusCode === 'error';
  const label = durationLabelPlacement(bar);
  const traceStart = String(tree.traceStartNs);
  const totalMs = nsToMs(tree.traceEndNs - tree.traceStartNs);
  return (
    <div
      className={`wf-row ${selected ? 'selected' : ''} ${isError ? 'error' : ''}`}
      style={{ height: ROW_HEIGHT }}
      onClick={() => onSelect(span.spanId)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onSelect(span.spanId);
      }}
      role="treeitem"
      aria-selected={selected}
      aria-level={row.depth + 1}
      aria-expanded={row.hasChildren ? !row.collapsed : undefined}
      data-span-id={span.spanId}
      data-service={span.service}
      tabIndex={-1}
    >
      <div className="wf-name-col" style={{ paddingLeft: 6 + row.depth * 14 }}>
        {row.hasChildren ? (
          <button
            type="button"
            className="wf-toggle"
            aria-label={row.collapsed ? 'Expand' : 'Collapse'}
            onClick={(e) => {
              e.stopPropagation();
              onToggle(span.spanId);
            }}
          >
            {row.collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span className="wf-toggle-spacer" />
        )}
        <span className="wf-service-mark" style={{ background: color }} />
        <span className="wf-service">{span.service}</span>
        <span className="wf-op" title={span.name}>
          {span.name}
        </span>
        {row.collapsed ? <span className="badge">+{row.descendantCount}</span> : null}
        {isError ? <span className="badge badge-error">error</span> : null}
        {typeof span.attributes['glassbox.fault.id'] === 'string' ? (
          <span
            className="badge badge-fault"
            data-testid="fault-marker"
            title={`injected fault ${String(span.attributes['glassbox.fault.kind'] ?? '')} ${span.attributes['glassbox.fault.id']}`}
          >
            fault {String(span.attributes['glassbox.fault.kind'] ?? '')}
          </span>
        ) : null}
        {logCount > 0 ? (
          <span className="badge badge-log" title={`${logCount} log records`}>
            {logCount} log{logCount > 1 ? 's' : ''}
          </span>
        ) : null}
        {row.node.orphan ? (
          <span className="badge" title="parent span not found in this trace">
            orphan
          </span>
        ) : null}
      </div>
      <div className="wf-time-col">
        {ticks.map((t) => (
          <span key={t.fraction} className="wf-gridline" style={{ left: `${t.fraction * 100}%` }} />
        ))}
        <div
          className="wf-bar"
          style={{
            left: `${bar.offset * 100}%`,
            width: `${bar.width * 100}%`,
            background: isError ? '#d64545' : color,
          }}
        />
        {critical?.map((c) => (
          <div
            key={c.offset}
            className="wf-critical"
            style={{ left: `${c.offset * 100}%`, width: `${c.width * 100}%` }}
            title="on the critical path"
          />
        ))}
        {span.events.map((ev) => {
          const at = totalMs > 0 ? nanoDiffMs(ev.timeUnixNano, traceStart) / totalMs : 0;
          return (
            <span
              key={`${ev.name}-${ev.timeUnixNano}`}
              className={`wf-event ${ev.name === 'exception' ? 'exception' : ''}`}
              style={{ left: `${Math.min(1, Math.max(0, at)) * 100}%` }}
              title={ev.name}
            />
          );
        })}
        <span
          className={`wf-duration ${label === 'inside' ? 'inside' : ''}`}
          style={
            label === 'right'
              ? { left: `${(bar.offset + bar.width) * 100}%`, paddingLeft: 6 }
              : label === 'left'
                ? { right: `${(1 - bar.offset) * 100}%`, paddingRight: 6 }
                : { right: `${(1 - bar.offset - bar.width) * 100}%`, paddingRight: 6 }
          }
        >
          {formatDurationMs(span.durationMs)}
        </span>
      </div>
    </div>
  );
}
