import type { LoadReport, Progress } from './generator.js';

function ms(value: number | null): string {
  if (value === null) return '-';
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
}

function errorsText(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? '-' : entries.map(([k, n]) => `${k}×${n}`).join(' ');
}

function table(header: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The human summary printed at the end of `glassbox load`. */
export function formatReport(report: LoadReport): string {
  const j = report.journeys;
  const out: string[] = [];
  out.push(
    `glassbox load: ${report.gateway} tenant ${report.tenant}, ${(report.elapsedMs / 1000).toFixed(1)} s, ` +
      `target ${report.config.rate}/s (${report.config.arrivals}), seed ${report.config.seed}`,
  );
  out.push(
    `users: ${report.users.registered} registered, ${report.users.loggedIn} logged in` +
      (report.users.demoFallback ? ' (registration failed: using the demo customer)' : ''),
  );
  out.push(
    `journeys: ${j.started} started (${j.achievedRate}/s), ${j.ok} ok, ${j.failed} failed` +
      (j.aborted ? `, ${j.aborted} aborted` : '') +
      (j.dropped ? `, ${j.dropped} dropped at the concurrency cap (${report.config.concurrency})` : ''),
  );
  out.push('');
  out.push(
    table(
      ['step', 'count', 'ok', 'errors', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      report.steps.map((s) => [
        s.step,
        String(s.count),
        String(s.ok),
        errorsText(s.errors),
        ms(s.p50Ms),
        ms(s.p95Ms),
        ms(s.p99Ms),
        ms(s.maxMs),
      ]),
      new Set([1, 2, 4, 5, 6, 7]),
    ),
  );
  out.push('');
  const statuses = Object.entries(report.orders.byStatus).sort(([a], [b]) => a.localeCompare(b));
  out.push(
    `orders: ${report.orders.placed} placed` +
      (statuses.length ? ` → ${statuses.map(([s, n]) => `${s} ${n}`).join(', ')}` : ''),
  );
  const retries = report.checkoutRetries;
  if (retries.retried > 0) {
    out.push(
      `checkout retries: ${retries.retried} checkouts sent again with their Idempotency-Key ` +
        `(${retries.attempts} requests: ${errorsText(retries.byReason)}), ${retries.recovered} got their order`,
    );
  }
  for (const [token, row] of Object.entries(report.orders.byToken).sort(([a], [b]) => a.localeCompare(b))) {
    const cells = Object.entries(row)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s} ${n}`)
      .join(', ');
    out.push(`  ${token.padEnd(14)} ${cells}`);
  }
  if (report.failures.length > 0) {
    out.push('');
    out.push('first failures (trace ids were sent as traceparent):');
    for (const f of report.failures.slice(0, 8)) {
      out.push(
        `  ${f.step.padEnd(11)} ${f.outcome.padEnd(8)} trace ${f.traceId}${f.detail ? `  ${f.detail}` : ''}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

/** The live one-line status on a terminal. */
export function formatProgress(p: Progress): string {
  return (
    `${(p.elapsedMs / 1000).toFixed(0).padStart(4)}s  ${p.rate.toFixed(1).padStart(5)} journeys/s  ` +
    `in-flight ${String(p.inFlight).padStart(3)}  ok ${p.ok}  err ${p.failed}` +
    (p.dropped ? `  dropped ${p.dropped}` : '') +
    `  req p50 ${ms(p.p50Ms)} ms  p99 ${ms(p.p99Ms)} ms`
  );
}
