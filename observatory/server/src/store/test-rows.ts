import { EMPTY_ENVELOPE, type LogRow, type SpanRow } from './types.js';

/** Small, valid rows for store-level tests (not used by production code). */
export function testSpan(i: number, service = 'svc'): SpanRow {
  const hex = i.toString(16).padStart(16, '0');
  return {
    traceId: hex.padStart(32, '0'),
    spanId: hex,
    parentSpanId: '',
    traceState: '',
    name: `op-${i}`,
    kind: 1,
    service,
    startNs: 1_700_000_000_000_000_000n + BigInt(i),
    endNs: 1_700_000_000_000_001_000n + BigInt(i),
    durationNs: 1000n,
    statusCode: 0,
    statusMessage: '',
    attributes: JSON.stringify({ i, pad: 'x'.repeat(64) }),
    resource: JSON.stringify({ 'service.name': service }),
    scopeName: 'test',
    events: '[]',
    links: '[]',
    ...EMPTY_ENVELOPE,
    flags: 0,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

export function testLog(i: number, service = 'svc'): LogRow {
  return {
    timeNs: 1_700_000_000_000_000_000n + BigInt(i),
    observedNs: 1_700_000_000_000_000_000n + BigInt(i),
    severityNumber: 9,
    severityText: 'INFO',
    body: `log line ${i} ${'y'.repeat(64)}`,
    service,
    traceId: '',
    spanId: '',
    attributes: JSON.stringify({ i }),
    resource: JSON.stringify({ 'service.name': service }),
    scopeName: 'test',
    eventName: '',
    ...EMPTY_ENVELOPE,
    flags: 0,
    droppedAttributesCount: 0,
  };
}
