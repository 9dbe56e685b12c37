/**
 * Where a V8 CPU profile (`node --cpu-prof`, `bench/bus.ts --profile DIR`) spent its time: self time summed
 * by package (`node_modules/<name>`, the project's own files, Node's internals, idle, GC) and the top
 * functions by self time, as shares of the sampled time.
 *
 *   node bench/cpu-profile-top.ts FILE.cpuprofile [--top 25] [--within relayRound,add,tx]
 *
 * `--within` also prints the total (inclusive) time spent inside each named function, callees included.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, within: { type: 'string' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: node bench/cpu-profile-top.ts FILE.cpuprofile [--top 25] [--within f,g]');
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

function packageOf(url: string, name: string): string {
  if (name === '(idle)' || name === '(garbage collector)' || name === '(program)') return name;
  if (url === '') return '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node (internals)';
  const at = url.search(/\/(packages|services|bench|observatory|cli)\//);
  return at >= 0
    ? url
        .slice(at + 1)
        .split('/')
        .slice(0, 2)
        .join('/')
    : url;
}

const packages = new Map<string, number>();
const functions = new Map<string, number>();
let total = 0;
let busy = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const pkg = packageOf(url, functionName);
  total += us;
  if (pkg !== '(idle)') busy += us;
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  const short = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(packages|bench)\//, '$1/');
  const key = `${functionName || '(anonymous)'}  ${short}:${lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
}

const share = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle`);
console.log('\nself time by package (share of the non-idle time):');
for (const [pkg, us] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  if (pkg !== '(idle)') console.log(`  ${share(us)}  ${pkg}`);
}
console.log('\ntop functions by self time:');
const ranked = [...functions].filter(([key]) => !key.startsWith('(idle)')).sort((a, b) => b[1] - a[1]);
for (const [key, us] of ranked.slice(0, Number(values.top))) {
  console.log(`  ${share(us)}  ${key}`);
}

if (values.within) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  console.log('\ntotal time inside (callees included):');
  for (const name of values.within.split(',')) {
    let us = 0;
    for (const [id, self] of selfUs) {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        if (byId.get(at)?.callFrame.functionName === name) {
          us += self;
          break;
        }
      }
    }
    console.log(`  ${share(us)}  ${name}`);
  }
}
