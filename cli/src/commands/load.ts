import { parseArgs } from 'node:util';
import {
  parseDuration,
  parseInteger,
  parseRate,
  parseTokenMix,
  parseUrl,
  UsageError,
  type WeightedChoice,
} from '../args.js';
import { GatewayUnreachableError, type LoadOptions, LoadSetupError, runLoadTest } from '../load/generator.js';
import { formatProgress, formatReport } from '../load/report.js';
import { DEMO } from '../services.js';

export const LOAD_USAGE = `Usage: glassbox load [options]

Drives realistic shopping journeys through the gateway: customers register (or the demo customer logs in),
browse products (search terms, cursor paging), view one, check out with a card token from the mix and poll
the order until it is CONFIRMED, FAILED or CANCELLED. Arrivals follow an open model: a journey starts on
schedule whether or not earlier ones have finished. Stops by itself after --duration (or --journeys).

Options:
  --gateway <url>        gateway base URL (default http://127.0.0.1:8080, or GATEWAY_URL)
  --rate <r>             journeys per second, e.g. 5, 0.5, 300/m (default 5)
  --duration <d>         how long to start journeys, e.g. 30s, 2m (default 30s)
  --journeys <n>         stop after n journeys even if the duration is not over
  --concurrency <n>      at most n journeys in flight; arrivals beyond are dropped and counted (default 50)
  --tenant <t>           tenant (default ${DEMO.tenant})
  --users <n>            customers to register first; 0 = log in as ${DEMO.customer} (default 5)
  --tokens <mix>         card token weights (default ok=80,declined=10,slow=10)
  --checkout-ratio <f>   fraction of journeys that check out, 0…1 (default 1)
  --arrivals <kind>      poisson (default) or uniform
  --seed <n>             make the run's random choices reproducible
  --timeout <d>          per-request timeout (default 10s)
  --poll-timeout <d>     give up waiting for an order's final status (default 30s)
  --drain <d>            after the last arrival, wait for in-flight journeys (default 30s)
  --json                 print the report as JSON on stdout (no live line)
  -h, --help             show this help

Exit status: 0 when the run completed, 1 when the gateway is unreachable or no one can log in, 2 on bad usage.
`;

export interface LoadArgs {
  readonly help: boolean;
  readonly json: boolean;
  readonly options: Omit<LoadOptions, 'onProgress' | 'signal'>;
}

export function parseLoadArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): LoadArgs {
  const config = {
    args: [...argv],
    options: {
      gateway: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      journeys: { type: 'string' },
      concurrency: { type: 'string' },
      tenant: { type: 'string' },
      users: { type: 'string' },
      tokens: { type: 'string' },
      'checkout-ratio': { type: 'string' },
      arrivals: { type: 'string' },
      seed: { type: 'string' },
      timeout: { type: 'string' },
      'poll-timeout': { type: 'string' },
      drain: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  } as const;
  let values: ReturnType<typeof parseArgs<typeof config>>['values'];
  try {
    ({ values } = parseArgs(config));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const arrivals = values.arrivals ?? 'poisson';
  if (arrivals !== 'poisson' && arrivals !== 'uniform') {
    throw new UsageError(`--arrivals: expected poisson or uniform, got ${JSON.stringify(arrivals)}`);
  }
  let checkoutRatio = 1;
  if (values['checkout-ratio'] !== undefined) {
    checkoutRatio = Number(values['checkout-ratio']);
    if (!(checkoutRatio >= 0 && checkoutRatio <= 1))
      throw new UsageError('--checkout-ratio: a number from 0 to 1');
  }
  const tokens: WeightedChoice[] = parseTokenMix(values.tokens ?? 'ok=80,declined=10,slow=10');
  const tenant = values.tenant ?? DEMO.tenant;
  if (tenant.trim() === '') throw new UsageError('--tenant: must not be empty');
  return {
    help: values.help === true,
    json: values.json === true,
    options: {
      gateway: parseUrl(values.gateway ?? env.GATEWAY_URL ?? 'http://127.0.0.1:8080', 'gateway'),
      rate: parseRate(values.rate ?? '5'),
      durationMs: parseDuration(values.duration ?? '30s', 'duration'),
      maxJourneys: values.journeys !== undefined ? parseInteger(values.journeys, 'journeys', 1) : undefined,
      concurrency: parseInteger(values.concurrency ?? '50', 'concurrency', 1, 10_000),
      tenant,
      users: parseInteger(values.users ?? '5', 'users', 0, 1000),
      tokens,
      checkoutRatio,
      arrivals,
      seed: values.seed !== undefined ? parseInteger(values.seed, 'seed', 0, 2 ** 32 - 1) : undefined,
      requestTimeoutMs: parseDuration(values.timeout ?? '10s', 'timeout'),
      pollTimeoutMs: parseDuration(values['poll-timeout'] ?? '30s', 'poll-timeout'),
      drainMs: parseDuration(values.drain ?? '30s', 'drain'),
    },
  };
}

/** `glassbox load`. Resolves to the exit code. */
export async function runLoad(argv: readonly string[]): Promise<number> {
  const args = parseLoadArgs(argv, process.env);
  if (args.help) {
    process.stdout.write(LOAD_USAGE);
    return 0;
  }
  const live = !args.json && process.stderr.isTTY === true;
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      if (live) process.stderr.write('\n');
      process.stderr.write('stopping: aborting in-flight journeys, then the report (again to quit now)\n');
      abort.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (!args.json) {
    const o = args.options;
    process.stderr.write(
      `glassbox load → ${o.gateway}: ${o.rate}/s for ${o.durationMs / 1000}s` +
        `${o.maxJourneys ? ` (at most ${o.maxJourneys} journeys)` : ''}, concurrency ${o.concurrency}, tenant ${o.tenant}\n`,
    );
  }
  try {
    const report = await runLoadTest({
      ...args.options,
      signal: abort.signal,
      onProgress: live ? (p) => process.stderr.write(`\r\x1b[2K${formatProgress(p)}`) : undefined,
    });
    if (live) process.stderr.write('\r\x1b[2K');
    if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(formatReport(report));
    return interrupts > 0 ? 130 : 0;
  } catch (err) {
    if (err instanceof GatewayUnreachableError || err instanceof LoadSetupError) {
      process.stderr.write(`glassbox load: ${err.message}\n`);
      if (args.json) process.stdout.write(`${JSON.stringify({ error: err.name, message: err.message })}\n`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
