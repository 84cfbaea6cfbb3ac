/**
 * The devcluster's own benchmark figures: in-process and HTTP write throughput, watch fan-out latency to several
 * HTTP watchers, and RSS holding 50,000 pods. Run it with `node hack/bench-devcluster.ts` (Node 24 from npm ci);
 * `npm run bench` can import benchDevcluster() once it exists.
 */
import { Agent, request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { startDevCluster } from '../src/devcluster/index.ts';
import type { DevCluster } from '../src/devcluster/index.ts';

export interface DevclusterFigures {
  readonly inProcessWritesPerSecond: number;
  readonly httpWritesPerSecond: number;
  readonly watchFanOut: {
    readonly watchers: number;
    readonly events: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
  };
  readonly rssMiBWith50kPods: number;
}

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const PODS = { group: '', version: 'v1', resource: 'pods' };

function token(cluster: DevCluster): string {
  return /token: (\S+)/.exec(cluster.kubeconfig())![1]!;
}

function post(cluster: DevCluster, agent: Agent, auth: string, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, cluster.url),
      {
        method: 'POST',
        agent,
        ca: cluster.caCert,
        headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function watch(cluster: DevCluster, auth: string, onName: (name: string) => void): () => void {
  let buffer = '';
  const req = request(
    new URL(
      '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=' + cluster.api.store.resourceVersion,
      cluster.url,
    ),
    { ca: cluster.caCert, agent: false, headers: { Authorization: `Bearer ${auth}` } },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          onName(
            (JSON.parse(buffer.slice(0, nl)) as { object: { metadata: { name: string } } }).object.metadata
              .name,
          );
          buffer = buffer.slice(nl + 1);
        }
      });
      res.on('error', () => undefined);
    },
  );
  req.on('error', () => undefined);
  req.end();
  return () => req.destroy();
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function benchDevcluster(): Promise<DevclusterFigures> {
  const cluster = await startDevCluster({ crdDirectory: false });
  const auth = token(cluster);
  try {
    const n = 20_000;
    let t = performance.now();
    for (let i = 0; i < n; i++)
      cluster.api.create(CONFIGMAPS, 'kube-public', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `w-${i}` },
        data: { i: String(i) },
      });
    const inProcessWritesPerSecond = Math.round(n / ((performance.now() - t) / 1000));

    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const m = 2_000;
    t = performance.now();
    for (let batch = 0; batch < m; batch += 16)
      await Promise.all(
        Array.from({ length: 16 }, (_, j) =>
          post(cluster, agent, auth, '/api/v1/namespaces/kube-system/configmaps', {
            metadata: { name: `h-${batch + j}` },
          }),
        ),
      );
    const httpWritesPerSecond = Math.round(m / ((performance.now() - t) / 1000));
    agent.destroy();

    const watchers = 10;
    const events = 500;
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const stops = Array.from({ length: watchers }, () =>
      watch(cluster, auth, (name) => latencies.push(performance.now() - sentAt.get(name)!)),
    );
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < events; i++) {
      sentAt.set(`f-${i}`, performance.now());
      cluster.api.create(CONFIGMAPS, 'default', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `f-${i}` },
      });
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    while (latencies.length < watchers * events) await new Promise((r) => setTimeout(r, 10));
    stops.forEach((s) => s());
    latencies.sort((a, b) => a - b);

    for (let i = 0; i < 50_000; i++)
      cluster.api.create(PODS, 'default', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `pod-${i}` },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      });
    const rssMiBWith50kPods = Math.round(process.memoryUsage().rss / 1024 / 1024);
    return {
      inProcessWritesPerSecond,
      httpWritesPerSecond,
      watchFanOut: {
        watchers,
        events,
        p50Ms: Number(percentile(latencies, 50).toFixed(2)),
        p99Ms: Number(percentile(latencies, 99).toFixed(2)),
      },
      rssMiBWith50kPods,
    };
  } finally {
    await cluster.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  console.log(JSON.stringify(await benchDevcluster(), null, 2));
