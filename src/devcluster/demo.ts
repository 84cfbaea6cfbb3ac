/**
 * The demo scenario (`restore-hooks devcluster --demo`): a simulated cluster with the Velero server reading the
 * backup fixtures of config/samples/backups, and the objects of config/samples/demo/restore-r2.yaml applied, so
 * Restore r2 brings back namespace `app` (workloads on PVCs pvc1-vm and pvc2-vm) and the annotated pods.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterAPI, KubeObject } from './api/types.ts';
import { parseManifests } from './velero/fixtures.ts';
import { resourceTypeOf } from './velero/resources.ts';
import type { VeleroServerOptions } from './velero/server.ts';

/** config/samples of this package. */
export function samplesDirectory(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'samples');
}

export const DEMO_MANIFESTS = ['demo/restore-r2.yaml'];

/**
 * The demo's Velero reads the backup fixtures and, as the real Velero does, injects the Restore's init hooks into the
 * pods it restores itself; restore-hooks then covers the pods the restored workloads create.
 */
export function demoVeleroOptions(samples = samplesDirectory()): VeleroServerOptions {
  return { fixturesDir: join(samples, 'backups'), emulateInitHooks: true };
}

/** Creates the demo objects; throws an Error naming the object the cluster refuses (e.g. the Restore CRD is missing). */
export function loadDemo(api: ClusterAPI, samples = samplesDirectory()): KubeObject[] {
  const created: KubeObject[] = [];
  for (const file of DEMO_MANIFESTS) {
    for (const object of parseManifests(readFileSync(join(samples, file), 'utf8'), file)) {
      const type = resourceTypeOf(object.apiVersion, object.kind);
      const namespace = type.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
      try {
        created.push(
          api.create(
            { group: type.group, version: type.version, resource: type.resource },
            namespace,
            object,
          ),
        );
      } catch (e) {
        const hint =
          type.qualified === 'restores.velero.io' ? ' (is the Restore CRD from config/crd installed?)' : '';
        throw new Error(
          `${file}: cannot create ${object.kind} ${object.metadata.name}: ${(e as Error).message}${hint}`,
          { cause: e },
        );
      }
    }
  }
  return created;
}
