import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type Fault,
  type FaultProblem,
  faultFlagDocument,
  modelsBadRelease,
  type ValidatedFault,
  validateFaultRequest,
} from '@glassbox/contracts';

export interface FaultManagerOptions {
  /** The flagd flag file the services read (GLASSBOX_FAULTS_FILE). */
  readonly file: string;
  /** The services of this stack: the only valid targets. */
  readonly services: readonly string[];
  /** The outbound dependencies of a service (for dependency-error / dependency-latency). */
  readonly dependenciesOf: (service: string) => readonly string[];
  /** The observatory, where every injection is recorded (ground truth); none: recorded here only. */
  readonly observatoryUrl?: string;
  /** A line for the supervisor's log. */
  readonly log?: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

/** A validated request as the fault it starts at `now`: a new id, and its end `forMs` later. */
export function startFault(valid: ValidatedFault, now: number): Fault {
  const { forMs, ...rest } = valid;
  return {
    id: randomUUID(),
    ...rest,
    startedAt: new Date(now).toISOString(),
    endsAt: new Date(now + forMs).toISOString(),
    endedAt: null,
  };
}

/** Records a fault's start or end in the observatory (`POST /api/faults`, its ground truth); throws on failure. */
export async function recordInObservatory(observatoryUrl: string, fault: Fault): Promise<void> {
  const res = await fetch(new URL('/api/faults', observatoryUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
    signal: AbortSignal.timeout(3_000),
  });
  if (!res.ok) throw new Error(`the observatory answered ${res.status}`);
}

/** How many ended faults `list()` keeps showing. */
const HISTORY = 200;

/**
 * The supervisor's faults: validates injections against the catalogue, keeps the flagd flag file the services
 * read in step with what is active (written atomically: a temporary file renamed over it), ends each fault at
 * its time, and records every start and end in the observatory (`POST /api/faults`).
 */
export class FaultManager {
  private readonly faults = new Map<string, Fault>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly options: FaultManagerOptions) {}

  get file(): string {
    return this.options.file;
  }

  /** Writes an empty flag file (no fault survives a supervisor restart). */
  async init(): Promise<void> {
    await fs.mkdir(path.dirname(this.options.file), { recursive: true });
    await this.writeFile();
  }

  /** Active faults first, then the ended ones, newest first. */
  list(): Fault[] {
    return [...this.faults.values()].sort(
      (a, b) =>
        Number(a.endedAt !== null) - Number(b.endedAt !== null) ||
        Date.parse(b.startedAt) - Date.parse(a.startedAt),
    );
  }

  active(): Fault[] {
    return this.list().filter((f) => f.endedAt === null);
  }

  /** Validates and injects; on any problem nothing is injected. */
  async inject(input: unknown): Promise<{ fault?: Fault; problems: FaultProblem[] }> {
    const { fault: valid, problems } = validateFaultRequest(
      input,
      this.options.services,
      this.options.dependenciesOf,
    );
    if (!valid) return { problems };
    const fault = startFault(valid, Date.now());
    this.faults.set(fault.id, fault);
    const timer = setTimeout(() => void this.end(fault.id, 'expired'), valid.forMs);
    timer.unref();
    this.timers.set(fault.id, timer);
    this.trim();
    await this.writeFile();
    this.options.log?.('warn', `fault ${fault.kind} injected into ${fault.service} (${fault.id})`, {
      'glassbox.fault.id': fault.id,
      fault,
    });
    await this.record(fault);
    return { fault, problems: [] };
  }

  /** Ends one fault (by id) or every active one, on behalf of `by`; returns those it ended. */
  async clear(id?: string, by = 'unknown'): Promise<Fault[]> {
    const ids = id === undefined ? this.active().map((f) => f.id) : [id];
    return this.endAll(ids, by);
  }

  /**
   * Rolls back the release of `service`: ends the active faults on it that model a bad release (the fault
   * catalogue's `badRelease`, e.g. crash-loop), recorded as ended by `by`. Any other fault stays: a rollback
   * does not fix a leak, a hang or a failing dependency. Returns the faults it ended (none: nothing to roll back).
   */
  async rollback(service: string, by: string): Promise<Fault[]> {
    const ids = this.active()
      .filter((f) => f.service === service && modelsBadRelease(f.kind))
      .map((f) => f.id);
    return this.endAll(ids, by);
  }

  private async endAll(ids: readonly string[], by: string): Promise<Fault[]> {
    const ended: Fault[] = [];
    for (const one of ids) {
      const f = await this.end(one, by, false);
      if (f) ended.push(f);
    }
    if (ended.length > 0) await this.writeFile();
    return ended;
  }

  get(id: string): Fault | undefined {
    return this.faults.get(id);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async end(id: string, by: string, write = true): Promise<Fault | undefined> {
    const f = this.faults.get(id);
    if (!f || f.endedAt !== null) return undefined;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    const ended: Fault = { ...f, endedAt: new Date().toISOString(), endedBy: by };
    this.faults.set(id, ended);
    if (write) await this.writeFile();
    this.options.log?.('info', `fault ${f.kind} on ${f.service} ended by ${by} (${f.id})`, {
      'glassbox.fault.id': id,
      'glassbox.fault.ended_by': by,
    });
    await this.record(ended);
    return ended;
  }

  private trim(): void {
    const ended = this.list().filter((f) => f.endedAt !== null);
    for (const f of ended.slice(HISTORY)) this.faults.delete(f.id);
  }

  private writeFile(): Promise<void> {
    const text = `${JSON.stringify(faultFlagDocument(this.active()), null, 2)}\n`;
    const file = this.options.file;
    this.writing = this.writing.then(async () => {
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, text);
      await fs.rename(tmp, file);
    });
    return this.writing;
  }

  /** Ground truth in the observatory; a failure is logged, never fatal (the fault is in effect either way). */
  private async record(fault: Fault): Promise<void> {
    if (!this.options.observatoryUrl) return;
    try {
      await recordInObservatory(this.options.observatoryUrl, fault);
    } catch (err) {
      this.options.log?.(
        'warn',
        `could not record fault ${fault.id} in the observatory: ${(err as Error).message}`,
      );
    }
  }
}
