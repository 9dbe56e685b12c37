/**
 * A drill's report under `drills/results/`: `<scenario>.json` (every measurement and sample), `<scenario>.svg`
 * (the SLI over time with the fault, alert, action and recovery markers, drawn here: no chart library) and
 * `<scenario>.md` (the numbers and the chart), plus `summary.md` for a suite.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DrillResult } from './runner.js';
import { alertLabel } from './scenario.js';

const W = 640;
const H = 240;
const PAD = { left: 48, right: 16, top: 28, bottom: 36 };

const esc = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const secs = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(2)} %`);

interface Marker {
  readonly atMs: number;
  readonly label: string;
  readonly color: string;
}

/** The markers drawn on the chart: fault, alert firing, each healer action, manual step, recovery. */
export function markersOf(r: DrillResult): Marker[] {
  const m: Marker[] = [{ atMs: r.timeline.faultAtMs, label: `fault ${r.fault.kind}`, color: '#b42318' }];
  if (r.timeline.firingAtMs !== null)
    m.push({ atMs: r.timeline.firingAtMs, label: `${alertLabel(r.expect)} firing`, color: '#dc6803' });
  for (const a of r.actions) {
    if (a.startedAtMs !== null)
      m.push({ atMs: a.startedAtMs, label: `healer ${a.action}`, color: '#6941c6' });
  }
  if (r.timeline.manualAtMs !== null)
    m.push({ atMs: r.timeline.manualAtMs, label: 'manual remediation', color: '#475467' });
  if (r.timeline.recoveredAtMs !== null)
    m.push({ atMs: r.timeline.recoveredAtMs, label: 'recovered', color: '#079455' });
  return m;
}

/** The SLI (5 m window, scaled) from the fault to the end of the drill, with the objective and the markers. */
export function renderSvg(r: DrillResult): string {
  const t0 = r.timeline.faultAtMs;
  const points = r.samples.filter((s) => s.sli !== null) as Array<{ tMs: number; sli: number }>;
  const markers = markersOf(r);
  const tEnd = Math.max(t0 + 1000, ...r.samples.map((s) => s.tMs), ...markers.map((m) => m.atMs));
  const floor = Math.min(r.objective ?? 0.99, ...points.map((p) => p.sli));
  const yMin = Math.max(0, Math.floor((floor - 0.02) * 50) / 50);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - t0) / (tEnd - t0)) * plotW;
  const y = (v: number) => PAD.top + (1 - (v - yMin) / (1 - yMin)) * plotH;
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="11">`,
    `<title>${esc(`${r.scenario}: ${r.expect.slo} SLI during the drill`)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${PAD.left}" y="16" font-size="12" font-weight="600">${esc(`${r.scenario} — ${r.expect.slo} SLI (5m window)`)}</text>`,
  ];
  for (const v of [yMin, (1 + yMin) / 2, 1]) {
    out.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#eaecf0"/>`,
      `<text x="${PAD.left - 4}" y="${f(y(v) + 4)}" text-anchor="end" fill="#667085">${(v * 100).toFixed(0)}%</text>`,
    );
  }
  const step = Math.max(10_000, Math.ceil((tEnd - t0) / 6 / 10_000) * 10_000);
  for (let t = t0; t <= tEnd; t += step) {
    out.push(
      `<text x="${f(x(t))}" y="${H - PAD.bottom + 14}" text-anchor="middle" fill="#667085">${Math.round((t - t0) / 1000)} s</text>`,
    );
  }
  if (r.objective !== null) {
    out.push(
      `<line data-role="objective" x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(r.objective))}" y2="${f(y(r.objective))}" stroke="#079455" stroke-dasharray="4 3"/>`,
      `<text x="${W - PAD.right}" y="${f(y(r.objective) - 3)}" text-anchor="end" fill="#079455">objective ${(r.objective * 100).toFixed(2)}%</text>`,
    );
  }
  if (points.length > 0) {
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${f(x(p.tMs))},${f(y(p.sli))}`).join(' ');
    out.push(`<path data-role="sli" d="${d}" fill="none" stroke="#1570ef" stroke-width="1.5"/>`);
  }
  markers.forEach((m, i) => {
    const mx = f(x(m.atMs));
    out.push(
      `<line data-role="marker" x1="${mx}" x2="${mx}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="${m.color}" stroke-width="1"/>`,
      // A label near the right edge is drawn to the left of its line.
      x(m.atMs) > W - 140
        ? `<text x="${f(x(m.atMs) - 3)}" y="${PAD.top + 10 + (i % 4) * 12}" text-anchor="end" fill="${m.color}">${esc(m.label)}</text>`
        : `<text x="${f(x(m.atMs) + 3)}" y="${PAD.top + 10 + (i % 4) * 12}" fill="${m.color}">${esc(m.label)}</text>`,
    );
  });
  out.push(
    `<text x="${W - PAD.right}" y="${H - 6}" text-anchor="end" fill="#667085">time since the fault started</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}

/** One scenario's Markdown report (the chart is `<scenario>.svg` beside it). */
export function renderMarkdown(r: DrillResult): string {
  const lines = [
    `# Drill: ${r.scenario}`,
    '',
    r.description,
    '',
    `Fault: \`${r.fault.kind}\` on ${r.fault.service}${r.fault.dependency ? ` → ${r.fault.dependency}` : ''} (${r.fault.id || 'not injected'}), ` +
      `started ${new Date(r.timeline.faultAtMs).toISOString()}. Expected: ${alertLabel(r.expect)} (${r.expect.service}) ` +
      `within ${secs(r.expect.detectWithinMs)}, ${r.expect.healed ? 'healed by the healer' : 'not healable by the healer'}, ` +
      `recovered within ${secs(r.expect.recoverWithinMs)}.`,
    '',
    `**${r.passed ? 'PASSED' : 'FAILED'}**${r.failures.length ? `: ${r.failures.join('; ')}` : ''}`,
    '',
    '| MTTD | MTTA | MTTR | healed | error budget used | orders accepted | lost | duplicated |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${secs(r.mttdMs)} | ${secs(r.mttaMs)} | ${secs(r.mttrMs)} | ${r.healed ? 'yes' : r.manualRemediation ? 'no (manual)' : 'no'} | ${pct(r.errorBudget.consumed)} | ${r.orders.accepted} | ${r.orders.lost.length} | ${r.orders.duplicated.length} |`,
    '',
    measuredTo(r),
    '',
    `![SLI during the drill](${r.scenario}.svg)`,
    '',
    '## Healer actions',
    '',
  ];
  if (r.actions.length === 0) lines.push('None.');
  for (const a of r.actions) {
    lines.push(
      `- +${secs(a.startedAtMs === null ? null : a.startedAtMs - r.timeline.faultAtMs)} ${a.action} ${a.target} ` +
        `(${a.alertname}): ${a.status}${a.detail ? ` — ${a.detail}` : ''}`,
    );
  }
  lines.push(
    '',
    r.fault.endedAtMs === null
      ? 'Ground truth: the fault was still active when the drill ended (the drill clears it then).'
      : `Ground truth: the fault ended at +${secs(r.fault.endedAtMs - r.timeline.faultAtMs)}, ended by ${r.fault.endedBy ?? 'unknown'}${r.fault.endedBy === 'healer' ? ' (a rollback of the bad release it models)' : ''}.`,
  );
  if (r.manualRemediation) {
    lines.push('', '## Manual remediation', '', r.manualRemediation);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What each time is measured to, from the fault's start. The healer may act on another alert than the one the
 * drill expects (a TargetDown before the burn alert), so MTTA can come before MTTD: the sentence names it.
 */
function measuredTo(r: DrillResult): string {
  const first = r.actions[0];
  const action = first
    ? `the healer's first action (${first.action} ${first.target}, on ${first.alertname}${r.expect.alerts.includes(first.alertname) ? '' : `, not ${alertLabel(r.expect)}`})`
    : "the healer's first action (none)";
  return `Measured from the fault's start: MTTD to ${r.expect.alerts.length > 1 ? 'the first of ' : ''}${alertLabel(r.expect)} firing; MTTA to ${action}; MTTR to the SLI back within its objective with the alert resolved.`;
}

/** The MTTD/MTTA/MTTR table of a suite (the README quotes it). */
export function renderSummary(results: readonly DrillResult[], timeScale: number): string {
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.fault.kind} → ${r.fault.service}${r.fault.dependency ? `→${r.fault.dependency}` : ''} | ${alertLabel(r.expect)} | ${secs(r.mttdMs)} | ${secs(r.mttaMs)} | ${secs(r.mttrMs)} | ${r.healed ? 'yes' : r.manualRemediation ? 'no (manual)' : 'no'} | ${pct(r.errorBudget.consumed)} | ${r.orders.lost.length} / ${r.orders.duplicated.length} of ${r.orders.accepted} | ${r.passed ? 'pass' : 'FAIL'} |`,
  );
  return [
    `# Drill results (time scale ${timeScale})`,
    '',
    '| scenario | fault | alert | MTTD | MTTA | MTTR | healed | budget used | orders lost / dup | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** Writes `<scenario>.json`, `.svg`, `.md` per result and `summary.md` into `dir`; returns the paths. */
export async function writeReports(
  dir: string,
  results: readonly DrillResult[],
  timeScale: number,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const r of results) {
    const base = path.join(dir, r.scenario);
    await writeFile(`${base}.json`, `${JSON.stringify({ timeScale, ...r }, null, 2)}\n`);
    await writeFile(`${base}.svg`, renderSvg(r));
    await writeFile(`${base}.md`, renderMarkdown(r));
    written.push(`${base}.md`, `${base}.svg`, `${base}.json`);
  }
  const summary = path.join(dir, 'summary.md');
  await writeFile(summary, renderSummary(results, timeScale));
  written.push(summary);
  return written;
}
