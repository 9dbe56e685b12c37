/**
 * Faults where no supervisor keeps them (docker compose, Kubernetes): the flagd flag document a real flagd
 * serves — a file (compose: `deploy/compose/faults.flagd.json`, bind-mounted into flagd) or the
 * `glassbox-faults` ConfigMap (Kubernetes: `deploy/k8s/base/flagd.yaml`). `glassbox chaos --flags-file F` and
 * `--kubernetes` read the document, change its active faults and write it back; every service follows it
 * through flagd. Each fault carries its end (`endsAt`) and the kit's seams stop applying it then, so no process
 * has to stay up to end it; the next write drops it from the document.
 */
import fs from 'node:fs/promises';
import {
  type Fault,
  type FaultFlagValue,
  type FaultProblem,
  faultFlagDocument,
  isServiceName,
  manifestEntry,
  SERVICE_NAMES,
  validateFaultRequest,
} from '@glassbox/contracts';
import { startFault } from './manager.js';

/** Where a flag document lives. `version` guards a write against a change made since the read. */
export interface FlagDocumentStore {
  /** For messages: the file's path, or `configmap NS/NAME`. */
  readonly where: string;
  read(): Promise<{ text: string | undefined; version?: string }>;
  /** Throws FlagDocumentConflict when the document changed since `version` was read. */
  write(text: string, version?: string): Promise<void>;
}

export class FlagDocumentConflict extends Error {
  constructor(where: string) {
    super(`${where} changed while it was being written`);
    this.name = 'FlagDocumentConflict';
  }
}

/**
 * A flag file. Written in place, not renamed over: compose mounts the single file into flagd's container, and
 * a bind mount of a file keeps the inode it was given (a renamed-over file would never reach flagd).
 */
export function fileStore(file: string): FlagDocumentStore {
  return {
    where: file,
    async read() {
      try {
        return { text: await fs.readFile(file, 'utf8') };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { text: undefined };
        throw err;
      }
    },
    async write(text) {
      await fs.writeFile(file, text);
    },
  };
}

/** Every fault the document holds (each fault is in its kind's variant for its service), once each. */
export function faultsInDocument(text: string | undefined, where: string): Fault[] {
  if (text === undefined || text.trim() === '') return [];
  let doc: { flags?: Record<string, { variants?: Record<string, Partial<FaultFlagValue>> }> };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (err) {
    throw new Error(`${where} is not a flagd flag document: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || typeof doc.flags !== 'object' || doc.flags === null) {
    throw new Error(`${where} is not a flagd flag document: no "flags" object`);
  }
  const found = new Map<string, Fault>();
  for (const flag of Object.values(doc.flags)) {
    for (const variant of Object.values(flag?.variants ?? {})) {
      for (const f of Array.isArray(variant?.faults) ? variant.faults : []) {
        if (f && typeof f.id === 'string') found.set(f.id, f);
      }
    }
  }
  return [...found.values()];
}

function render(active: readonly Fault[]): string {
  return `${JSON.stringify(faultFlagDocument(active), null, 2)}\n`;
}

/** Reads, lets `change` compute the faults to keep, and writes them back; again if another writer came first. */
async function update<T>(
  store: FlagDocumentStore,
  now: number,
  change: (live: Fault[]) => { keep: Fault[]; result: T },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const { text, version } = await store.read();
    const live = faultsInDocument(text, store.where).filter((f) => Date.parse(f.endsAt) > now);
    const { keep, result } = change(live);
    const next = render(keep);
    // Nothing changed (a clear that found nothing): no write, so flagd and its watchers see no change.
    if (next === text) return result;
    try {
      await store.write(next, version);
      return result;
    } catch (err) {
      if (!(err instanceof FlagDocumentConflict) || attempt >= 5) throw err;
    }
  }
}

/** The outbound dependencies a fault may target: the manifest's, as in a stack that runs every service. */
function dependenciesOf(service: string): readonly string[] {
  return isServiceName(service) ? manifestEntry(service).dependsOn : [];
}

/** Validates against the catalogue and every service; on a problem nothing is written. */
export async function injectIntoStore(
  store: FlagDocumentStore,
  request: unknown,
  now = Date.now(),
): Promise<{ fault?: Fault; problems: FaultProblem[] }> {
  const { fault: valid, problems } = validateFaultRequest(request, SERVICE_NAMES, dependenciesOf);
  if (!valid) return { problems };
  const fault = startFault(valid, now);
  await update(store, now, (live) => ({ keep: [...live, fault], result: undefined }));
  return { fault, problems: [] };
}

/** Ends one fault (by id) or every active one; returns those it ended. */
export function clearInStore(
  store: FlagDocumentStore,
  id: string | undefined,
  by: string,
  now = Date.now(),
): Promise<Fault[]> {
  return update(store, now, (live) => {
    const ended = live.filter((f) => id === undefined || f.id === id);
    const endedAt = new Date(now).toISOString();
    return {
      keep: live.filter((f) => !ended.includes(f)),
      result: ended.map((f) => ({ ...f, endedAt, endedBy: by })),
    };
  });
}

/** The faults in the document, those past their end marked as ended (`expired`). */
export async function listInStore(store: FlagDocumentStore, now = Date.now()): Promise<Fault[]> {
  const { text } = await store.read();
  return faultsInDocument(text, store.where)
    .map((f) => (Date.parse(f.endsAt) > now ? f : { ...f, endedAt: f.endsAt, endedBy: 'expired' }))
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
}
