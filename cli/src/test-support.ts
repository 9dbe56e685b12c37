/** Test helper: resolves once `predicate()` holds, polling every 25 ms; rejects after `timeoutMs`. */
export function until(predicate: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (predicate()) {
        resolve();
      } else if (Date.now() > deadline) {
        reject(new Error(`${what} not met within ${timeoutMs} ms`));
      } else {
        setTimeout(tick, 25);
      }
    };
    tick();
  });
}
