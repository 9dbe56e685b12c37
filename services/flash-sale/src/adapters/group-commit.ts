/**
 * Group commit: callers hand in items and wait; items arriving while a write is in flight are written together
 * by the next one (one statement, one fsync), so throughput grows with load instead of one round trip per item.
 * A failed write rejects every caller of its group; nothing of it is reported as written.
 */
export interface GroupCommit<T> {
  /** Resolves once `item` is written (in some group), rejects if its group's write failed. */
  write(item: T): Promise<void>;
  /** Items handed in and not yet written. */
  pending(): number;
  /** Waits for what is pending; later writes are refused. */
  close(): Promise<void>;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function createGroupCommit<T>(options: {
  /** Writes one group atomically (all or nothing). */
  flush: (items: T[]) => Promise<void>;
  /** Most items in one group. */
  maxBatch: number;
}): GroupCommit<T> {
  let queue: Waiting<T>[] = [];
  let inFlight = 0;
  let running: Promise<void> | undefined;
  let closed = false;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const group = queue.slice(0, options.maxBatch);
      queue = queue.slice(group.length);
      inFlight = group.length;
      try {
        await options.flush(group.map((w) => w.item));
        for (const w of group) w.resolve();
      } catch (error) {
        for (const w of group) w.reject(error);
      } finally {
        inFlight = 0;
      }
    }
  }

  function kick(): void {
    if (running) return;
    running = drain().finally(() => {
      running = undefined;
      if (queue.length > 0) kick();
    });
  }

  return {
    write(item) {
      if (closed) return Promise.reject(new Error('group commit closed'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        kick();
      });
    },
    pending: () => queue.length + inFlight,
    async close() {
      closed = true;
      while (running) await running;
    },
  };
}
