import type { ReactNode } from 'react';
import { ApiError } from '../api/client.js';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const hint =
    error instanceof ApiError && (error.kind === 'network' || [502, 503, 504].includes(error.status))
      ? 'Is the observatory server running?'
      : error instanceof ApiError && error.kind === 'schema'
        ? 'The server answered in a shape this console does not understand.'
        : undefined;
  return (
    <div className="state state-error" role="alert">
      <strong>Could not load this.</strong> {message}
      {hint ? <div className="muted">{hint}</div> : null}
      {onRetry ? (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

interface QueryLike<T> {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
  refetch: () => unknown;
}

/** Loading / error / data for one query; `isEmpty` decides when to show `empty` instead. */
export function QueryView<T>({
  query,
  isEmpty,
  empty,
  loadingLabel,
  children,
}: {
  query: QueryLike<T>;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}) {
  if (query.data === undefined) {
    if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
    return <Loading label={loadingLabel} />;
  }
  return (
    <>
      {query.error ? <ErrorState error={query.error} onRetry={() => void query.refetch()} /> : null}
      {isEmpty?.(query.data) ? <Empty>{empty ?? 'Nothing here yet.'}</Empty> : children(query.data)}
    </>
  );
}
