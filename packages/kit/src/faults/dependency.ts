import { setTimeout as sleep } from 'node:timers/promises';
import { activeFaults, delayOf, hit, markSpan } from './state.js';

/**
 * The outbound seam, before each call to `dependency`: `dependency-latency` delays it, `dependency-error`
 * returns the status the dependency is made to answer (the caller treats it as that answer). Undefined: call
 * it for real.
 */
export async function beforeDependencyCall(
  dependency: string,
): Promise<{ status: number; faultId: string } | undefined> {
  for (const f of activeFaults('dependency-latency')) {
    if (f.dependency !== dependency || !hit(f)) continue;
    markSpan(f);
    await sleep(delayOf(f));
  }
  for (const f of activeFaults('dependency-error')) {
    if (f.dependency !== dependency || !hit(f)) continue;
    markSpan(f);
    return { status: f.params.status ?? 503, faultId: f.id };
  }
  return undefined;
}
