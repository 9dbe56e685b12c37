// Pure helpers of the SLO and alert views: where an alert's context is (traces and logs of its service
// around the moment it became active), its runbook link, how a budget or a burn rate reads. Tested in
// alerts.test.ts.

import { href } from './url.js';

/** How far before an alert became active its context starts, and how far after it ends. */
export const CONTEXT_BEFORE_MS = 5 * 60_000;
export const CONTEXT_AFTER_MS = 5 * 60_000;

/** The window of an alert's context: from a little before it became active to a little after (not past now). */
export function contextWindow(activeAtMs: number, nowMs: number): { startMs: number; endMs: number } {
  const startMs = activeAtMs - CONTEXT_BEFORE_MS;
  const endMs = Math.max(startMs + 60_000, Math.min(nowMs, activeAtMs + CONTEXT_AFTER_MS));
  return { startMs, endMs };
}

/** Links to the traces and logs of `service` around `activeAtMs`, as fixed windows. */
export function contextLinks(
  service: string,
  activeAtMs: number,
  nowMs: number,
): { traces: string; logs: string } {
  const w = contextWindow(activeAtMs, nowMs);
  const params = { service: service || undefined, from: Math.floor(w.startMs), to: Math.ceil(w.endMs) };
  return { traces: href('/traces', params), logs: href('/logs', params) };
}

/**
 * A runbook URL as a link: absolute http(s) URLs as they are; a repository path (`docs/runbooks/x.md`, as
 * the rules carry it) is served by the observatory under the same path. Anything else: no link.
 */
export function runbookHref(url: string): string | null {
  if (/^https?:\/\//.test(url)) return url;
  if (/^docs\/runbooks\/[a-z0-9-]+\.md$/.test(url)) return `/${url}`;
  return null;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'none';

/** Error budget left: below 25 % is a warning, none left is bad. */
export function budgetTone(remaining: number | null): Tone {
  if (remaining === null) return 'none';
  if (remaining <= 0) return 'bad';
  if (remaining < 0.25) return 'warn';
  return 'ok';
}

/** The burn rate chart's vertical axis: linear near 0, logarithmic above (burn rates span 0 to 1000). */
export function burnAxis(v: number): number {
  return Math.log10(1 + Math.max(0, v));
}

export type AlertLevel = 'firing' | 'pending' | 'inactive';

/** The worst state among alerts. */
export function worstState(states: readonly AlertLevel[]): AlertLevel {
  if (states.includes('firing')) return 'firing';
  if (states.includes('pending')) return 'pending';
  return 'inactive';
}

export function alertCounts(alerts: ReadonlyArray<{ state: 'pending' | 'firing' }>): {
  firing: number;
  pending: number;
} {
  return {
    firing: alerts.filter((a) => a.state === 'firing').length,
    pending: alerts.filter((a) => a.state === 'pending').length,
  };
}

/** Labels worth showing as chips: the alert's own name and its annotations are shown elsewhere. */
export function displayLabels(labels: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.entries(labels)
    .filter(([k]) => k !== 'alertname')
    .sort(([a], [b]) => a.localeCompare(b));
}
