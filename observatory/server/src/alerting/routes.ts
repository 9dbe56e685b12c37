/**
 * The alerting HTTP API (observatory/API.md): `GET /api/slos` and `GET /api/alerts` for the console, and the
 * Prometheus-shaped `GET /prometheus/api/v1/rules` and `/prometheus/api/v1/alerts`, so Grafana's alerting view
 * and other Prometheus clients can read the embedded evaluator as they read a Prometheus.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PAGE_POLICY, SLI_WINDOWS, TICKET_POLICY } from '@glassbox/contracts/slo-policy';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { problem, problemErrorHandler, sendProblem } from '../query/problem.js';
import type { AlertingService } from './alerting-service.js';
import type { ActiveAlert } from './rule-engine.js';
import type { Window } from './slos.js';

export interface AlertingRoutesOptions {
  /** Null when alerting is off: every route answers 404 with the reason. */
  readonly alerting: AlertingService | null;
  /** Folder of the runbook pages alerts link to (`docs/runbooks/<page>.md`), served as Markdown text. */
  readonly runbooksDir?: string;
  readonly now?: () => number;
}

const TimeMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000, description: 'unix milliseconds' });
const SlosQuery = Type.Object({
  window: Type.Optional(Type.Union(SLI_WINDOWS.map((w) => Type.Literal(w)))),
  start: Type.Optional(TimeMs),
  end: Type.Optional(TimeMs),
});
type SlosQuery = Static<typeof SlosQuery>;
const RulesQuery = Type.Object({
  type: Type.Optional(Type.Union([Type.Literal('alert'), Type.Literal('record')])),
});
type RulesQuery = Static<typeof RulesQuery>;

const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
const iso = (ms: number | null) => (ms === null ? GO_ZERO_TIME : new Date(ms).toISOString());

/** A float as Prometheus's API prints sample values (Go's `strconv.FormatFloat(v, 'e', -1, 64)`). */
export function promFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

function alertView(a: ActiveAlert) {
  return {
    name: a.labels.alertname ?? '',
    state: a.state,
    severity: a.labels.severity ?? '',
    service: a.labels.service ?? '',
    labels: a.labels,
    annotations: a.annotations,
    activeAtMs: a.activeAt,
    firedAtMs: a.firedAt,
    value: Number.isFinite(a.value) ? a.value : null,
  };
}

const finite = (v: number | null | undefined) =>
  v !== null && v !== undefined && Number.isFinite(v) ? v : null;

export const alertingRoutes: FastifyPluginAsync<AlertingRoutesOptions> = async (app, opts) => {
  const now = opts.now ?? Date.now;
  app.setErrorHandler(problemErrorHandler);
  const off = (url: string) =>
    problem('NOT_FOUND', 'alerting is off in this observatory (OBSERVATORY_ALERTING=false)', url);

  app.get('/api/alerts', async (request, reply) => {
    const a = opts.alerting;
    if (!a) return sendProblem(reply, off(request.url));
    const order = { firing: 0, pending: 1 } as const;
    const alerts = a.engine
      .activeAlerts()
      .map(alertView)
      .sort((x, y) => order[x.state] - order[y.state] || x.activeAtMs - y.activeAtMs);
    const history = [...a.engine.history].reverse().map((t) => ({
      atMs: t.at,
      name: t.labels.alertname ?? '',
      severity: t.labels.severity ?? '',
      service: t.labels.service ?? '',
      from: t.from,
      to: t.to,
      labels: t.labels,
      annotations: t.annotations,
      activeAtMs: t.activeAt,
      firedAtMs: t.firedAt,
    }));
    return {
      alerts,
      history,
      evaluation: {
        intervalMs: a.config.intervalMs,
        timeScale: a.config.timeScale,
        rules: a.rules,
        ...a.status,
        ...a.seriesStats,
      },
      notifications: a.notifier.stats(),
    };
  });

  app.get<{ Querystring: SlosQuery }>(
    '/api/slos',
    { schema: { querystring: SlosQuery } },
    async (request, reply) => {
      const a = opts.alerting;
      if (!a) return sendProblem(reply, off(request.url));
      const q = request.query;
      const window: Window = q.window ?? '1h';
      const end = q.end ?? now();
      const start = q.start ?? end - 3_600_000;
      if (start >= end) {
        return sendProblem(reply, {
          ...problem('BAD_PARAMETER', 'querystring.start: must be before end', request.url),
          errors: [{ path: 'querystring.start', message: 'must be before end' }],
        });
      }
      const active = a.engine.activeAlerts();
      const slos = a.slos.catalog.map((slo) => {
        const state = a.slos.state(slo.id);
        const budget = 1 - slo.objective;
        const perWindow = (f: (ratio: number) => number) =>
          Object.fromEntries(
            SLI_WINDOWS.map((w) => {
              const r = finite(state?.errorRatio[w]);
              return [w, r === null ? null : f(r)];
            }),
          );
        return {
          ...slo,
          errorRatio: perWindow((r) => r),
          sli: perWindow((r) => 1 - r),
          burnRate: perWindow((r) => r / budget),
          errorBudgetRemaining: finite(state?.budgetRemaining),
          alerts: slo.alerts.map((al) => {
            const mine = active.filter(
              (x) =>
                x.labels.alertname === al.name &&
                x.labels.severity === al.severity &&
                x.labels.sloth_id === slo.id,
            );
            const state = mine.some((x) => x.state === 'firing')
              ? 'firing'
              : mine.some((x) => x.state === 'pending')
                ? 'pending'
                : 'inactive';
            return { ...al, state };
          }),
          history: a.slos
            .points(slo.id, start, end)
            .map((p) => ({ tMs: p.t, burnRate: finite(p.burn[window]) })),
        };
      });
      const thresholds = [PAGE_POLICY, TICKET_POLICY].flatMap((p) =>
        p.conditions.map((c) => ({ severity: p.severity, factor: c.factor, long: c.long, short: c.short })),
      );
      return { window, startMs: start, endMs: end, timeScale: a.config.timeScale, thresholds, slos };
    },
  );

  const runbooksDir = opts.runbooksDir;
  app.get<{ Params: { page: string } }>('/docs/runbooks/:page', async (request, reply) => {
    const { page } = request.params;
    const notFound = () => sendProblem(reply, problem('NOT_FOUND', `no runbook ${page}`, request.url));
    if (!runbooksDir || !/^[a-z0-9-]+\.md$/.test(page)) return notFound();
    try {
      const text = await readFile(path.join(runbooksDir, page), 'utf8');
      return reply.type('text/markdown; charset=utf-8').send(text);
    } catch {
      return notFound();
    }
  });

  await app.register(prometheusRoutes, { ...opts, prefix: '/prometheus/api/v1' });
};

/** Prometheus's HTTP API, the part that reads rules and alerts; anything else under it is a 404 problem. */
const prometheusRoutes: FastifyPluginAsync<AlertingRoutesOptions> = async (app, opts) => {
  app.setErrorHandler(problemErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problem(
        'NOT_FOUND',
        `no route ${request.method} ${request.url.split('?')[0]}: only rules and alerts are served`,
        request.url,
      ),
    ),
  );
  const off = (url: string) =>
    problem('NOT_FOUND', 'alerting is off in this observatory (OBSERVATORY_ALERTING=false)', url);

  app.get<{ Querystring: RulesQuery }>(
    '/rules',
    { schema: { querystring: RulesQuery } },
    async (request, reply) => {
      const a = opts.alerting;
      if (!a) return sendProblem(reply, off(request.url));
      const type = request.query.type;
      const intervalS = a.config.intervalMs / 1000;
      const groups = a.engine.status().map((g) => ({
        name: g.name,
        file: g.file,
        interval: intervalS,
        limit: 0,
        evaluationTime: g.evaluationMs / 1000,
        lastEvaluation: iso(g.lastEvaluation),
        rules: g.rules
          .filter((r) => type === undefined || (type === 'alert') === (r.kind === 'alerting'))
          .map((r) => {
            const common = {
              name: r.name,
              query: r.spec.expr,
              labels: r.spec.labels ?? {},
              health: r.health,
              ...(r.lastError ? { lastError: r.lastError } : {}),
              evaluationTime: r.evaluationMs / 1000,
              lastEvaluation: iso(r.lastEvaluation),
            };
            if (r.kind === 'recording') return { ...common, type: 'recording' };
            const alerts = [...r.active.values()];
            return {
              state: alerts.some((x) => x.state === 'firing')
                ? 'firing'
                : alerts.length > 0
                  ? 'pending'
                  : 'inactive',
              ...common,
              duration: r.forMs / 1000,
              keepFiringFor: 0,
              annotations: r.spec.annotations ?? {},
              alerts: alerts.map((x) => ({
                labels: x.labels,
                annotations: x.annotations,
                state: x.state,
                activeAt: iso(x.activeAt),
                value: promFloat(x.value),
              })),
              type: 'alerting',
            };
          }),
      }));
      return {
        status: 'success',
        data: { groups: groups.filter((g) => type === undefined || g.rules.length > 0) },
      };
    },
  );

  app.get('/alerts', async (request, reply) => {
    const a = opts.alerting;
    if (!a) return sendProblem(reply, off(request.url));
    return {
      status: 'success',
      data: {
        alerts: a.engine.activeAlerts().map((x) => ({
          labels: x.labels,
          annotations: x.annotations,
          state: x.state,
          activeAt: iso(x.activeAt),
          value: promFloat(x.value),
        })),
      },
    };
  });
};
