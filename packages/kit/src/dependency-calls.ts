/**
 * One measure of every call a service makes to another: `glassbox.dependency.duration` (seconds, one record per
 * attempt), taken where the call is made — the kit's HTTP client and the gateway's upstreams — around all that
 * makes a call slow or failed as the caller lives through it: the network, the callee, and an injected
 * `dependency-latency` / `dependency-error` fault (the seam sits in the caller, before the wire). The
 * UpstreamCallsFailing and UpstreamCallsSlow alerts read it. undici's `http.client.request.duration` stays: it
 * measures the requests that reach the wire and names the peer only by address.
 *
 * Attributes: `glassbox.dependency` (the callee's service name), `http.request.method`,
 * `http.response.status_code` when an answer came, and `error.type` for a failed call — the status of a 5xx
 * answer, else the error's code (`ECONNREFUSED`, `TimeoutError` …). A 4xx is an answer (not found, a
 * conflict): the callee did its job.
 */
import { metrics } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions';
import { errorTypeOf } from './error-type.js';

export const METRIC_DEPENDENCY_DURATION = 'glassbox.dependency.duration';
export const ATTR_DEPENDENCY = 'glassbox.dependency';

/** Bucket bounds (s): fine below a second, where calls between services live, and up to the timeouts. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const duration = metrics.getMeter('glassbox.dependency').createHistogram(METRIC_DEPENDENCY_DURATION, {
  description:
    'Calls to another service, per attempt, as the caller lived through them (injected faults included)',
  unit: 's',
  advice: { explicitBucketBoundaries: BUCKETS },
});

export interface DependencyCall {
  /** The dependency answered with `status` (a 5xx counts as failed). */
  answered(status: number): void;
  /** No answer came (refused, reset, timed out). */
  failed(error: unknown): void;
  /** The caller gave up on the call itself (its own client went away): not recorded. */
  cancelled(): void;
}

/** Starts timing one attempt of a call to `dependency`; the first outcome reported is recorded, once. */
export function startDependencyCall(dependency: string, method: string): DependencyCall {
  const started = performance.now();
  let done = false;
  const record = (extra: Record<string, string | number>) => {
    if (done) return;
    done = true;
    duration.record((performance.now() - started) / 1000, {
      [ATTR_DEPENDENCY]: dependency,
      [ATTR_HTTP_REQUEST_METHOD]: method,
      ...extra,
    });
  };
  return {
    answered(status) {
      record({
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
        ...(status >= 500 ? { [ATTR_ERROR_TYPE]: String(status) } : {}),
      });
    },
    failed(error) {
      record({ [ATTR_ERROR_TYPE]: errorTypeOf(error) });
    },
    cancelled() {
      done = true;
    },
  };
}
