/**
 * Reads what `restore-hooks status` reports on, with label and field selectors and in pages: never a list of every
 * pod. Requests: the Restore; per workload resource one list by `velero.io/restore-name`; pods and ReplicaSets by
 * `restore-hooks.dev/restore`; pods by `velero.io/restore-name` (those Velero restored itself); each restored
 * Deployment's ReplicaSets by its selector; the controller's Events (reportingComponent) in the namespaces involved.
 */
import PQueue from 'p-queue';
import { RestoredObjectsApi, WORKLOAD_RESOURCES } from '../../controller/restored-objects-api.ts';
import { cachedPod } from '../../controller/cache-transforms.ts';
import { CacheInterner } from '../../controller/cache-interner.ts';
import { REPORTING_CONTROLLER } from '../../controller/events.ts';
import type { KubeJsonClient } from '../../controller/kube-json-client.ts';
import { apiErrorCode, isNotFound } from '../../controller/machinery/api-errors.ts';
import { RESTORE_LABEL } from '../../controller/marks.ts';
import { labelSelectorString } from '../../kube/label-selector-string.ts';
import type { Pod, Workload } from '../../kube/types.ts';
import { RESTORE_NAME_LABEL, veleroLabelValue } from '../../kube/velero-labels.ts';
import type { StatusEvent, StatusInputs } from './report.ts';

export class RestoreNotFoundError extends Error {
  override name = 'RestoreNotFoundError';
}

export async function collectStatusInputs(
  client: KubeJsonClient,
  namespace: string,
  name: string,
): Promise<StatusInputs> {
  let restore: StatusInputs['restore'];
  try {
    restore = await client.request<StatusInputs['restore']>({
      method: 'GET',
      path: `/apis/velero.io/v1/namespaces/${namespace}/restores/${name}`,
    });
  } catch (error) {
    if (isNotFound(error)) throw new RestoreNotFoundError(`Restore ${namespace}/${name} not found`);
    throw error;
  }
  const api = new RestoredObjectsApi(client);
  const value = veleroLabelValue(name);
  const restored = `${RESTORE_NAME_LABEL}=${value}`;
  const hooked = `${RESTORE_LABEL}=${value}`;
  // A pod is held as the controller's caches hold it: every field the report (and the hook engine) reads, without
  // managedFields and the rest, which at 10,000 pods are most of the memory and of the garbage collector's work.
  const intern = new CacheInterner();
  const keep = (pod: Pod): Pod => cachedPod(pod, intern);
  const [workloadLists, hookedReplicaSets, hookedPods, restoredPods] = await Promise.all([
    Promise.all(
      Object.entries(WORKLOAD_RESOURCES).map(async ([kind, resource]) =>
        (await api.listAll<Workload>(`/apis/apps/v1/${resource}`, { labelSelector: restored })).map((w) => ({
          ...w,
          kind,
        })),
      ),
    ),
    api.listAll<Workload>('/apis/apps/v1/replicasets', { labelSelector: hooked }),
    api.listAll<Pod>('/api/v1/pods', { labelSelector: hooked }, keep),
    api.listAll<Pod>('/api/v1/pods', { labelSelector: restored }, keep),
  ]);
  const workloads = workloadLists.flat();
  const listed = new Set(hookedPods.map((p) => p.metadata.uid));
  const pods = [...hookedPods, ...restoredPods.filter((p) => !listed.has(p.metadata.uid))];
  // A Deployment's pods belong to ReplicaSets that carry neither label when its controller created them from a
  // template without hooks: read them by the Deployment's selector, one list per restored Deployment that may have
  // such ReplicaSets.
  const known = new Set(hookedReplicaSets.map((rs) => rs.metadata.uid));
  const lists = new PQueue({ concurrency: PARALLEL_LISTS });
  const deploymentReplicaSets = await Promise.all(
    workloads
      .filter((w) => w.kind === 'Deployment' && mayHaveUnmarkedReplicaSets(w, value))
      .map((d) =>
        lists.add(async () =>
          (
            await api.listAll<Workload>(`/apis/apps/v1/namespaces/${d.metadata.namespace}/replicasets`, {
              labelSelector: labelSelectorString(d.spec.selector),
            })
          ).filter(
            (rs) =>
              !known.has(rs.metadata.uid) &&
              rs.metadata.ownerReferences?.some((o) => o.controller && o.uid === d.metadata.uid),
          ),
        ),
      ),
  );
  const namespaces = new Set<string>([namespace]);
  for (const o of [...workloads, ...pods]) if (o.metadata.namespace) namespaces.add(o.metadata.namespace);
  const events = await controllerEvents(api, lists, namespaces);
  return {
    restore,
    workloads,
    hookedReplicaSets: [...hookedReplicaSets, ...deploymentReplicaSets.flat()],
    pods,
    events,
  };
}

/** Lists in flight at once when one is made per namespace or per Deployment (over one keep-alive connection pool). */
const PARALLEL_LISTS = 8;

/**
 * The controller's Events in `namespaces`, sorted by namespace: one cluster-wide list by reportingComponent when the
 * user may make it (as a cluster-wide `view` binding allows), else one list per namespace, as a user with
 * namespace-scoped Event rights may. Both read the same Events of those namespaces.
 */
async function controllerEvents(
  api: RestoredObjectsApi,
  lists: PQueue,
  namespaces: ReadonlySet<string>,
): Promise<StatusEvent[]> {
  const selectors = { fieldSelector: `reportingComponent=${REPORTING_CONTROLLER}` };
  const ordered = [...namespaces].sort();
  try {
    const all = await api.listAll<StatusEvent & { metadata?: { namespace?: string } }>(
      '/api/v1/events',
      selectors,
    );
    const byNamespace = new Map<string, StatusEvent[]>(ordered.map((ns) => [ns, []]));
    for (const e of all) byNamespace.get(e.metadata?.namespace ?? '')?.push(e);
    return [...byNamespace.values()].flat();
  } catch (error) {
    if (apiErrorCode(error) !== 403) throw error;
  }
  return (
    await Promise.all(
      ordered.map((ns) =>
        lists.add(() => api.listAll<StatusEvent>(`/api/v1/namespaces/${ns}/events`, selectors)),
      ),
    )
  ).flat();
}

/**
 * Whether a restored Deployment may own ReplicaSets that carry neither restore label, so that only a list by its
 * selector finds them. Not when admission marked its template at creation and its spec never changed since
 * (generation 1): its controller made every ReplicaSet from that template, and a ReplicaSet has its template's
 * labels, mark included. (A ReplicaSet Velero restored with it carries velero.io/restore-name and is read with the
 * workloads.) At 10,000 restored pods this saves one list per Deployment: 2,000 requests.
 */
export function mayHaveUnmarkedReplicaSets(deployment: Workload, restoreLabelValue: string): boolean {
  return !(
    deployment.metadata.generation === 1 &&
    deployment.spec.template.metadata?.labels?.[RESTORE_LABEL] === restoreLabelValue
  );
}
