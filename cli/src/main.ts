import { UsageError } from './args.js';
import { BUILD_USAGE, runBuild } from './commands/build.js';
import { CHAOS_USAGE, runChaos } from './commands/chaos.js';
import { DEPLOY_USAGE, runDeploy } from './commands/deploy.js';
import { DRILL_USAGE, runDrillCommand } from './commands/drill.js';
import { FAULTS_USAGE, runFaults } from './commands/faults.js';
import { LOAD_USAGE, runLoad } from './commands/load.js';
import { RUNBOOKS_USAGE, runRunbooks } from './commands/runbooks.js';
import { runServices, SERVICES_USAGE } from './commands/services.js';
import { runSlo, SLO_USAGE } from './commands/slo.js';
import { runStart, START_USAGE } from './commands/start.js';
import { runStatus, STATUS_USAGE } from './commands/status.js';

const USAGE = `Usage: glassbox <command> [options]

Commands:
  start     run the whole system locally (embedded PostgreSQL, observatory, services, control API)
  load      drive realistic shopping journeys through the gateway
  status    list the supervised processes (asks the control API of a running \`glassbox start\`)
  service   start | stop | restart one supervised process: glassbox service restart catalog
  services  the service manifest: ports, databases, public routes, dependencies (Markdown)
  slo       build | check: compile slo/*.yaml into Prometheus rules (deploy/prometheus/rules)
  deploy    build | check: render deploy/compose, deploy/k8s and the Grafana dashboards from the manifest
  chaos     list | inject KIND --service S … | clear: faults in a running stack (glassbox chaos --help)
  faults    export --from --to --out DIR: spans, logs, metrics and fault labels as Parquet
  runbooks  check the healer's runbooks (runbooks/*.yaml) and list what each matches and does
  drill     run SCENARIO | --all: fault drills measuring MTTD/MTTA/MTTR and lost orders (drills/*.yaml)
  build     bundle the processes into dist/ and build the console (every command does this when needed)

Run \`glassbox <command> --help\` for a command's options.
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
  start: { run: runStart, usage: START_USAGE },
  load: { run: runLoad, usage: LOAD_USAGE },
  status: { run: (argv) => runStatus(['list', ...argv]), usage: STATUS_USAGE },
  service: { run: runStatus, usage: STATUS_USAGE },
  slo: { run: runSlo, usage: SLO_USAGE },
  runbooks: { run: runRunbooks, usage: RUNBOOKS_USAGE },
  build: { run: runBuild, usage: BUILD_USAGE },
  deploy: { run: runDeploy, usage: DEPLOY_USAGE },
  chaos: { run: runChaos, usage: CHAOS_USAGE },
  faults: { run: runFaults, usage: FAULTS_USAGE },
  drill: { run: runDrillCommand, usage: DRILL_USAGE },
  services: { run: runServices, usage: SERVICES_USAGE },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`glassbox: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`glassbox ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    process.stderr.write(`glassbox ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Anything still holding the event loop (a pending socket) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`glassbox: ${String(err)}\n`);
    process.exit(1);
  },
);
