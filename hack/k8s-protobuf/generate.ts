/**
 * Generates src/devcluster/http/k8s-protobuf.json, the devcluster's protobuf descriptor for the built-in kinds it
 * serves, from the upstream go-to-protobuf output of k8s.io/api and k8s.io/apimachinery (their generated.proto
 * files) and the Go struct tags next to them (types.go: which fields are pointers or `omitempty`, which messages
 * are named Go slices).
 *
 *   node hack/k8s-protobuf/generate.ts --api DIR --apimachinery DIR [--out FILE]
 *
 * DIR is a checkout of kubernetes/api (resp. kubernetes/apimachinery) at the release the devcluster serves
 * (v0.32.x for Kubernetes 1.32); Debian's `kubernetes` source package carries the same trees under
 * staging/src/k8s.io/. Nothing but the derived descriptor is written.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import protobuf from 'protobufjs';

/** The API groups/versions whose kinds the devcluster serves (core is `api/core/v1`, the legacy group ""). */
const PACKAGES = [
  'core/v1',
  'apps/v1',
  'batch/v1',
  'coordination/v1',
  'rbac/v1',
  'events/v1',
  'authorization/v1',
  'autoscaling/v1',
  'networking/v1',
];
/** apimachinery packages the kinds refer to, plus meta/v1 for Status and friends. */
const MACHINERY = [
  'pkg/apis/meta/v1',
  'pkg/api/resource',
  'pkg/runtime',
  'pkg/runtime/schema',
  'pkg/util/intstr',
];

const { values } = parseArgs({
  options: {
    api: { type: 'string' },
    apimachinery: { type: 'string' },
    out: { type: 'string', default: 'src/devcluster/http/k8s-protobuf.json' },
  },
});
if (!values.api || !values.apimachinery) {
  console.error('usage: generate.ts --api DIR --apimachinery DIR [--out FILE]');
  process.exit(2);
}
const apiDir = values.api;
const machineryDir = values.apimachinery;

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => {
  if (target.startsWith('k8s.io/api/')) return join(apiDir, target.slice('k8s.io/api/'.length));
  if (target.startsWith('k8s.io/apimachinery/'))
    return join(machineryDir, target.slice('k8s.io/apimachinery/'.length));
  return target;
};
root.loadSync(
  [
    ...PACKAGES.map((p) => `k8s.io/api/${p}/generated.proto`),
    ...MACHINERY.map((p) => `k8s.io/apimachinery/${p}/generated.proto`),
  ],
  { keepCase: true },
);
root.resolveAll();

/** Per message: fields whose zero value is meaningful (Go pointer or no `omitempty`) and JSON names that differ. */
interface GoField {
  keepZero?: true;
  json?: string;
}
const fields: Record<string, Record<string, GoField>> = {};
const slices: string[] = [];
const groups: Record<string, string> = {};

function goSources(dir: string): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go') && !f.startsWith('zz_generated'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

function readGoTypes(protoPackage: string, source: string): void {
  for (const m of source.matchAll(/^type (\w+) \[\]\w+\s*$/gm)) slices.push(`${protoPackage}.${m[1]}`);
  for (const m of source.matchAll(/^type (\w+) struct \{\n([\s\S]*?)\n\}/gm)) {
    const message = `${protoPackage}.${m[1]}`;
    for (const line of m[2]!.split('\n')) {
      const f = /^\s+\w+\s+(\S+)\s+`(.*)`/.exec(line);
      if (!f) continue;
      const json = /json:"([^"]*)"/.exec(f[2]!)?.[1];
      const proto = /protobuf:"([^"]*)"/.exec(f[2]!)?.[1];
      if (json === undefined || proto === undefined) continue;
      const protoName = /(?:^|,)name=([^,]+)/.exec(proto)?.[1];
      if (!protoName) continue;
      const [jsonName, ...opts] = json.split(',');
      const entry: GoField = {};
      if (f[1]!.startsWith('*') || !opts.includes('omitempty')) entry.keepZero = true;
      if (jsonName && jsonName !== protoName) entry.json = jsonName;
      if (Object.keys(entry).length) (fields[message] ??= {})[protoName] = entry;
    }
  }
}

for (const p of PACKAGES) {
  const dir = join(apiDir, p);
  const pkg = `k8s.io.api.${p.replaceAll('/', '.')}`;
  const register = readFileSync(join(dir, 'register.go'), 'utf8');
  const group = /const GroupName = "([^"]*)"/.exec(register)?.[1];
  if (group === undefined) throw new Error(`${dir}/register.go declares no GroupName`);
  const version = p.split('/')[1]!;
  groups[group ? `${group}/${version}` : version] = pkg;
  readGoTypes(pkg, goSources(dir));
}
for (const p of MACHINERY)
  readGoTypes(`k8s.io.apimachinery.${p.replaceAll('/', '.')}`, goSources(join(machineryDir, p)));

const descriptor = root.toJSON({ keepComments: false });
// Drop options (go_package and the like): the codec needs types and field numbers only.
const strip = (node: Record<string, unknown>): void => {
  delete node.options;
  for (const child of Object.values((node.nested ?? {}) as Record<string, Record<string, unknown>>))
    strip(child);
};
strip(descriptor as Record<string, unknown>);

writeFileSync(
  values.out,
  `${JSON.stringify({ source: 'k8s.io/api and k8s.io/apimachinery generated.proto + types.go', groups, slices: slices.sort(), fields, descriptor })}\n`,
);
console.error(`wrote ${values.out}`);
