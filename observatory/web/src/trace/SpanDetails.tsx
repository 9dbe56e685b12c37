import type { ReactNode } from 'react';
import type { Attributes, LogRecord, Span } from '../api/schemas.js';
import { Link } from '../components/Link.js';
import {
  formatAttributeValue,
  formatClock,
  formatDropped,
  formatDurationMs,
  severityLevel,
} from '../lib/format.js';
import { nanoDiffMs } from '../lib/time.js';
import { href } from '../lib/url.js';

interface SpanDetailsProps {
  span: Span;
  traceStartUnixNano: string;
  logs: LogRecord[];
  color: string;
  parentName: string | undefined;
  onClose: () => void;
  onSelectSpan: (spanId: string) => void;
}

export function SpanDetails({
  span,
  traceStartUnixNano,
  logs,
  color,
  parentName,
  onClose,
  onSelectSpan,
}: SpanDetailsProps) {
  const offsetMs = nanoDiffMs(span.startTimeUnixNano, traceStartUnixNano);
  const isError = span.statusCode === 'error';
  const dropped = formatDropped({
    attributes: span.droppedAttributesCount,
    events: span.droppedEventsCount,
    links: span.droppedLinksCount,
  });
  return (
    <aside className="span-details" aria-label="Span details" data-testid="span-details">
      <div className="sd-head" style={{ borderTopColor: color }}>
        <div>
          <div className="muted small">{span.service}</div>
          <h2 className="sd-title">{span.name}</h2>
        </div>
        <button type="button" className="btn btn-icon" onClick={onClose} aria-label="Close span details">
          ×
        </button>
      </div>

      <dl className="kv-grid">
        <dt>Duration</dt>
        <dd>
          <strong>{formatDurationMs(span.durationMs)}</strong>
        </dd>
        <dt>Starts at</dt>
        <dd>
          +{formatDurationMs(offsetMs)} <span className="muted">({formatClock(span.startTimeMs)})</span>
        </dd>
        <dt>Kind</dt>
        <dd>{span.kind}</dd>
        <dt>Status</dt>
        <dd className={isError ? 'bad' : ''}>
          {span.statusCode}
          {span.statusMessage ? ` — ${span.statusMessage}` : ''}
        </dd>
        <dt>Span id</dt>
        <dd className="mono">{span.spanId}</dd>
        <dt>Parent</dt>
        <dd className="mono">
          {span.parentSpanId ? (
            <button type="button" className="linklike mono" onClick={() => onSelectSpan(span.parentSpanId)}>
              {parentName ?? span.parentSpanId}
            </button>
          ) : (
            <span className="muted">root</span>
          )}
        </dd>
        {span.scopeName ? (
          <>
            <dt>Scope</dt>
            <dd className="mono small">
              {span.scopeName}
              {span.scopeVersion ? <span className="muted"> {span.scopeVersion}</span> : null}
            </dd>
          </>
        ) : null}
        {dropped ? (
          <>
            <dt>Dropped</dt>
            <dd className="small" title="what the SDK dropped over its limits">
              {dropped}
            </dd>
          </>
        ) : null}
      </dl>

      <Section title="Attributes" count={Object.keys(span.attributes).length}>
        <AttributeTable attributes={span.attributes} />
      </Section>

      {span.events.length > 0 ? (
        <Section title="Events" count={span.events.length}>
          <ul className="event-list">
            {span.events.map((ev) => (
              <li key={`${ev.name}-${ev.timeUnixNano}`} className={ev.name === 'exception' ? 'bad' : ''}>
                <div>
                  <strong>{ev.name}</strong>{' '}
                  <span className="muted">
                    +{formatDurationMs(nanoDiffMs(ev.timeUnixNano, span.startTimeUnixNano))}
                  </span>
                </div>
                {Object.keys(ev.attributes).length > 0 ? <AttributeTable attributes={ev.attributes} /> : null}
              </li>
            ))}
          </ul>
        </Section>
      ) : null}

      <Section title="Logs" count={logs.length}>
        {logs.length === 0 ? (
          <div className="muted small">No log records carry this span id.</div>
        ) : (
          <ul className="log-mini">
            {[...logs]
              .sort((a, b) => a.timeMs - b.timeMs)
              .map((l) => (
                <li key={`${l.timeUnixNano}-${l.body.slice(0, 40)}`}>
                  <span
                    className={`sev sev-${severityLevel(l.severityNumber, l.severityText).toLowerCase()}`}
                  >
                    {severityLevel(l.severityNumber, l.severityText)}
                  </span>
                  <span className="mono small muted">{formatClock(l.timeMs)}</span> {l.body}
                </li>
              ))}
          </ul>
        )}
      </Section>

      {span.links.length > 0 ? (
        <Section title="Links" count={span.links.length}>
          <ul className="event-list">
            {span.links.map((link) => (
              <li key={`${link.traceId}-${link.spanId}`}>
                <Link to={href(`/traces/${link.traceId}`, { span: link.spanId })} className="mono">
                  {link.traceId.slice(0, 16)}… / {link.spanId}
                </Link>
                {Object.keys(link.attributes).length > 0 ? (
                  <AttributeTable attributes={link.attributes} />
                ) : null}
              </li>
            ))}
          </ul>
        </Section>
      ) : null}

      <Section title="Resource" count={Object.keys(span.resource).length} closed>
        <AttributeTable attributes={span.resource} />
      </Section>
    </aside>
  );
}

function Section({
  title,
  count,
  closed,
  children,
}: {
  title: string;
  count: number;
  closed?: boolean;
  children: ReactNode;
}) {
  return (
    <details className="sd-section" open={!closed}>
      <summary>
        {title} <span className="muted">{count}</span>
      </summary>
      {children}
    </details>
  );
}

export function AttributeTable({ attributes }: { attributes: Attributes }) {
  const entries = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <div className="muted small">none</div>;
  return (
    <table className="attr-table">
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th className="mono">{key}</th>
            <td className="mono">{formatAttributeValue(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
