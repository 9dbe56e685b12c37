/**
 * A database transaction as one span. A span for BEGIN, for every statement and for COMMIT (what the pg
 * instrumentation made) came to dozens per checkout; inside `Db.tx` the kit makes one `db.transaction` span,
 * with the database semantic-convention attributes, each statement as a span event (operation, query text,
 * duration) and a child span only for a statement slower than the threshold
 * (`GLASSBOX_DB_SLOW_STATEMENT_MS`, see telemetry/env.ts). Every statement, BEGIN and COMMIT included, is still
 * measured in `db.client.operation.duration` (db-telemetry.ts), which alerts and runbooks read. A statement
 * outside a transaction gets a span of its own (db-telemetry.ts).
 *
 * A transaction outside any trace (a relay's poll, pool housekeeping) makes no span at all.
 */
import {
  type Attributes,
  type Context,
  context,
  type HrTime,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { hrTime, hrTimeDuration, hrTimeToMilliseconds } from '@opentelemetry/core';
import { type DbTarget, operationName, targetAttributes } from './db-telemetry.js';

let slowStatementMs = 100;

/** Statements at least this slow get a child span of their own (set from the environment at startup). */
export function setSlowStatementThreshold(ms: number): void {
  slowStatementMs = ms;
}

export function slowStatementThreshold(): number {
  return slowStatementMs;
}

export interface TransactionTrace {
  /** Runs the transaction's body with its span active (spans it makes are the transaction's children). */
  within<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs one statement of the transaction: no span of its own unless slow; an event on the transaction span. */
  statement<T>(text: string, run: () => Promise<T>): Promise<T>;
  /** Ends the span: committed, or rolled back because of `error`. */
  end(outcome: 'commit' | 'rollback', error?: unknown): void;
}

const UNTRACED: TransactionTrace = {
  within: (fn) => fn(),
  statement: (_text, run) => run(),
  end: () => {},
};

/** SQLSTATE of a PostgreSQL error (a failed statement), if it is one. */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Starts the span of a transaction if a trace is active; otherwise a no-op. */
export function startTransactionTrace(target: DbTarget): TransactionTrace {
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return UNTRACED;
  const tracer = trace.getTracer('@glassbox/kit/db');
  const base = targetAttributes(target);
  const span: Span = tracer.startSpan(
    'db.transaction',
    { kind: SpanKind.CLIENT, attributes: { ...base, 'db.operation.name': 'TRANSACTION' } },
    parent,
  );
  const active: Context = trace.setSpan(parent, span);
  let statements = 0;
  let failedState: string | undefined;

  const record = (text: string, start: HrTime, error: unknown) => {
    const end = hrTime();
    const ms = hrTimeToMilliseconds(hrTimeDuration(start, end));
    const operation = operationName(text);
    const attributes: Attributes = {
      'db.operation.name': operation,
      'db.query.text': text,
      'glassbox.db.duration_ms': Math.round(ms * 1000) / 1000,
    };
    const state = error === undefined ? undefined : (sqlState(error) ?? 'error');
    if (state) attributes['error.type'] = state;
    span.addEvent('db.statement', attributes, start);
    if (ms >= slowStatementMs) {
      const child = tracer.startSpan(
        `${operation}${target.database ? ` ${target.database}` : ''}`,
        { kind: SpanKind.CLIENT, startTime: start, attributes: { ...base, ...attributes } },
        active,
      );
      if (state) child.setStatus({ code: SpanStatusCode.ERROR, message: state });
      child.end(end);
    }
    return state;
  };

  return {
    within: (fn) => context.with(active, fn),
    async statement(text, run) {
      statements++;
      const start = hrTime();
      try {
        const result = await run();
        record(text, start, undefined);
        return result;
      } catch (error) {
        failedState ??= record(text, start, error);
        throw error;
      }
    },
    end(outcome, error) {
      span.setAttribute('glassbox.db.statement_count', statements);
      span.setAttribute('glassbox.db.transaction.outcome', outcome);
      // A rollback because a statement failed is a database error; one the code chose (a business rule said
      // no) is not.
      const state = failedState ?? (error === undefined ? undefined : sqlState(error));
      if (outcome === 'rollback' && state) {
        span.setAttribute('error.type', state);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `rolled back: SQLSTATE ${state}` });
      }
      span.end();
    },
  };
}
