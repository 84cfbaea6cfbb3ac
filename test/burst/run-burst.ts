/**
 * `npm run burst`: issue 15's burst measurement (test/helpers/burst.ts) at any size, on either bed, at several
 * kubelet start delays, on the reconcilers-only path and on the admission path; prints one table row per run, as
 * docs/performance.md shows them. Each bed × path gets a fresh bed and controller (manifest RBAC); the delays run one
 * after the other on it. Exits 1 when a run on the admission path shows a pod started without its hook, a template
 * write, a pod deletion or more than one ReplicaSet per Deployment (issue 16's promise); 2 on a bad flag.
 *
 *   npm run burst -- --bed real,devcluster --deployments 200 --replicas 3 --delays 1000,200 --paths reconcilers,admission
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { BED_KINDS } from '../helpers/bed.ts';
import type { BedKind } from '../helpers/bed.ts';
import { BURST_PATHS, burstSummary, runBurst, startBurstController } from '../helpers/burst.ts';
import type { BurstPath, BurstResult } from '../helpers/burst.ts';
import { startControllerEnv } from '../helpers/controller-env.ts';

const USAGE = `usage: npm run burst -- [--bed real,devcluster] [--deployments 20] [--replicas 3] [--delays 1000,200]
       [--paths reconcilers,admission] [--nodes 2] [--max-pods-per-node N] [--settle-seconds 900]`;

function fail(message: string): never {
  process.stderr.write(`burst: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function positive(flag: string, text: string, min = 1): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) fail(`--${flag}: expected an integer >= ${min}, got "${text}"`);
  return n;
}

function listOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').filter((s) => s !== '');
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (items.length === 0 || bad.length > 0)
    fail(`--${flag}: expected a comma-separated list of ${allowed.join(', ')}, got "${text}"`);
  return items as T[];
}

interface BurstPlan {
  readonly beds: readonly BedKind[];
  readonly deployments: number;
  readonly replicas: number;
  readonly delays: readonly number[];
  readonly paths: readonly BurstPath[];
  readonly nodes: number;
  readonly maxPodsPerNode: number;
  readonly settleMs: number;
}

function plan(argv: string[]): BurstPlan {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        bed: { type: 'string', default: 'real,devcluster' },
        deployments: { type: 'string', default: '20' },
        replicas: { type: 'string', default: '3' },
        delays: { type: 'string', default: '1000,200' },
        paths: { type: 'string', default: 'reconcilers,admission' },
        nodes: { type: 'string', default: '2' },
        'max-pods-per-node': { type: 'string' },
        'settle-seconds': { type: 'string', default: '900' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const deployments = positive('deployments', values.deployments);
  const replicas = positive('replicas', values.replicas);
  const delays = values.delays.split(',').map((d) => positive('delays', d, 0));
  const nodes = positive('nodes', values.nodes);
  // Every run of one bed × path shares its nodes: all the delays' pods must fit, as on a kubelet with --max-pods.
  const needed = Math.ceil((deployments * replicas * delays.length) / nodes) + 10;
  const maxPodsPerNode =
    values['max-pods-per-node'] === undefined
      ? Math.max(110, needed)
      : positive('max-pods-per-node', values['max-pods-per-node']);
  if (maxPodsPerNode * nodes < deployments * replicas * delays.length)
    fail(
      `--max-pods-per-node: ${nodes} nodes × ${maxPodsPerNode} pods cannot hold ${deployments * replicas * delays.length} pods`,
    );
  return {
    beds: listOf('bed', values.bed, BED_KINDS),
    deployments,
    replicas,
    delays,
    paths: listOf('paths', values.paths, BURST_PATHS),
    nodes,
    maxPodsPerNode,
    settleMs: positive('settle-seconds', values['settle-seconds']) * 1000,
  };
}

const say = (line: string) => process.stderr.write(`[burst ${new Date().toISOString()}] ${line}\n`);
const load = () =>
  `load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} CPUs`;

/** A row of docs/performance.md's table. */
function row(path: BurstPath, r: BurstResult): string {
  return `| ${path} | ${r.bed} | ${r.deployments} × ${r.replicas} | ${r.startDelayMs / 1000} s | ${r.started} | ${r.unhooked.length} | ${r.templateWrites.length} | ${r.podDeletions.length} | ${r.replicaSets} | ${(r.settledAfterMs / 1000).toFixed(0)} s |`;
}

async function main(): Promise<number> {
  const p = plan(process.argv.slice(2));
  say(`${load()}; ${p.nodes} nodes × ${p.maxPodsPerNode} pods on each bed`);
  const rows: string[] = [];
  let broken = 0;
  for (const bed of p.beds)
    for (const path of p.paths) {
      say(`${bed}, ${path}: starting the bed and the controller`);
      const env = await startControllerEnv({
        bed,
        rbac: true,
        conditionsCrd: true,
        simulation: { nodes: p.nodes },
        nodes: p.nodes,
        maxPodsPerNode: p.maxPodsPerNode,
      });
      try {
        await startBurstController(env, path, p.settleMs);
        for (const startDelayMs of p.delays) {
          say(
            `${bed}, ${path}, start delay ${startDelayMs} ms: ${p.deployments} × ${p.replicas} (${load()})`,
          );
          const r = await runBurst(env, {
            deployments: p.deployments,
            replicas: p.replicas,
            startDelayMs,
            prefix: `b${startDelayMs}`,
            settleTimeoutMs: p.settleMs,
          });
          say(`${path}: ${burstSummary(r)} (${load()})`);
          rows.push(row(path, r));
          if (
            path === 'admission' &&
            (r.unhooked.length > 0 ||
              r.templateWrites.length > 0 ||
              r.podDeletions.length > 0 ||
              r.replicaSets !== r.deployments)
          ) {
            broken++;
            say(
              `admission path broke its promise: unhooked ${r.unhooked.slice(0, 10).join(', ')}; writes ${[...r.templateWrites, ...r.podDeletions].map((w) => `${w.verb} ${w.resource} ${w.name}`).join(', ')}`,
            );
          }
        }
      } finally {
        await env.stop();
      }
    }
  process.stdout.write(
    [
      '| path | bed | size | kubelet start delay | pods started | started an app container without the hook | template writes | pod deletions | ReplicaSets | settled after |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  return broken > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    process.stderr.write(`burst: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
