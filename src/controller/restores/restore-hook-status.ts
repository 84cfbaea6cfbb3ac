import { createHash } from 'node:crypto';
import type { Pod } from '../../kube/types.ts';
import type { KubeJsonClient } from '../kube-json-client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../machinery/api-errors.ts';
import { DEFAULT_RETRY, retryOnError } from '../machinery/retry.ts';
import type { RestoreObject } from '../restore-directory.ts';
import { isFinal, parseExecRecord } from '../exec-hooks/exec-record.ts';
import { EXEC_HOOKS_ANNOTATION } from '../marks.ts';
import type { DesiredCondition } from './conditions.ts';
import { execHooksCompletedCondition } from './conditions.ts';
import type { HookCounts, Ledger, RestoreStatusFields } from './hook-outcomes.ts';
import {
  LedgerFullError,
  baselineOf,
  formatLedger,
  isTerminalPhase,
  ledgerTotals,
  mergeLedger,
  parseLedger,
  podHookCounts,
  desiredStatusFields,
} from './hook-outcomes.ts';

const LEDGER_KEY = 'ledger.json';

/** `restore-hooks-outcomes-<10 hex of sha256(namespace/name)>` in the controller's namespace. */
export function ledgerName(restoreKey: string): string {
  return `restore-hooks-outcomes-${createHash('sha256').update(restoreKey).digest('hex').slice(0, 10)}`;
}

interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

/** The ledgers, one ConfigMap per Restore, read-modify-written with resourceVersion and retried on conflict. */
export class OutcomeLedgerStore {
  readonly #client: KubeJsonClient;
  readonly #namespace: string;

  constructor(client: KubeJsonClient, namespace: string) {
    this.#client = client;
    this.#namespace = namespace;
  }

  async read(restoreKey: string): Promise<Ledger | undefined> {
    return parseLedger((await this.#get(ledgerName(restoreKey)))?.data?.[LEDGER_KEY]);
  }

  /** Applies `change` to the stored ledger (a new one when absent, or of another Restore uid); writes if it differs. */
  update(restore: { key: string; uid: string }, change: (ledger: Ledger) => Ledger): Promise<Ledger> {
    const name = ledgerName(restore.key);
    const retriable = (error: unknown): boolean => isConflict(error) || isAlreadyExists(error);
    return retryOnError(DEFAULT_RETRY, retriable, async () => {
      const current = await this.#get(name);
      const stored = parseLedger(current?.data?.[LEDGER_KEY]);
      const base: Ledger =
        stored && stored.restoreUID === restore.uid
          ? stored
          : { restore: restore.key, restoreUID: restore.uid, pods: {} };
      const next = change(base);
      // A restore none of whose pods we hooked needs no ledger.
      if (!current && Object.keys(next.pods).length === 0) return next;
      const text = formatLedger(next);
      if (current && current.data?.[LEDGER_KEY] === text) return next;
      const metadata = {
        name,
        namespace: this.#namespace,
        labels: { 'app.kubernetes.io/managed-by': 'restore-hooks' },
      };
      if (!current)
        await this.#client.request({
          method: 'POST',
          path: `/api/v1/namespaces/${this.#namespace}/configmaps`,
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { [LEDGER_KEY]: text } },
        });
      else
        await this.#client.request({
          method: 'PUT',
          path: `/api/v1/namespaces/${this.#namespace}/configmaps/${name}`,
          body: { ...current, data: { [LEDGER_KEY]: text } },
        });
      return next;
    });
  }

  /** Deletes the ledger of a Restore that is gone. */
  async remove(restoreKey: string): Promise<void> {
    try {
      await this.#client.request({
        method: 'DELETE',
        path: `/api/v1/namespaces/${this.#namespace}/configmaps/${ledgerName(restoreKey)}`,
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async #get(name: string): Promise<ConfigMap | undefined> {
    try {
      return await this.#client.request<ConfigMap>({
        method: 'GET',
        path: `/api/v1/namespaces/${this.#namespace}/configmaps/${name}`,
      });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

export interface RestoreHookStatusDeps {
  /** The pods restore-hooks hooked or ran exec hooks in, for a restore label value. */
  readonly memberPods: (labelValue: string) => readonly Pod[];
  /** Ids of the exec hooks that apply to a pod of the restore. */
  readonly execHookIds: (restore: RestoreObject, pod: Pod) => readonly string[];
  readonly ledgers: OutcomeLedgerStore;
}

export interface RestoreHookStatus {
  readonly condition: DesiredCondition;
  /** Fields to merge into the Restore's status (terminal restores only); undefined when nothing changes. */
  readonly fields?: RestoreStatusFields;
  /** Why some counts could not be kept (the ledger is full). */
  readonly problem?: string;
}

/**
 * The exec-hook condition and the hook counts of one Restore. Each hooked pod's own counts go into the ledger
 * (overwriting its entry, so repeated passes never double count and deleted pods stay counted); once the restore is
 * terminal, Velero's final values are kept in the ledger as the baseline and the status becomes baseline + ours.
 */
export async function restoreHookStatus(
  deps: RestoreHookStatusDeps,
  restore: RestoreObject,
  labelValue: string,
): Promise<RestoreHookStatus> {
  const key = `${restore.metadata.namespace ?? ''}/${restore.metadata.name ?? ''}`;
  const pods: Record<string, HookCounts> = {};
  const tally = { pods: 0, open: 0, succeeded: 0, failed: 0 };
  for (const pod of deps.memberPods(labelValue)) {
    const parsed = parseExecRecord(pod.metadata.annotations?.[EXEC_HOOKS_ANNOTATION]);
    const entries = parsed.ok && parsed.record?.restore === key ? parsed.record.hooks : {};
    const counts = podHookCounts(pod, entries);
    if (pod.metadata.uid && counts.attempted > 0) pods[pod.metadata.uid] = counts;
    const ids = deps.execHookIds(restore, pod);
    if (ids.length === 0) continue;
    tally.pods++;
    for (const id of ids) {
      const entry = entries[id];
      if (!isFinal(entry)) tally.open++;
      else if (entry?.result === 'Succeeded') tally.succeeded++;
      else tally.failed++;
    }
  }
  const status = (restore.status ?? {}) as RestoreStatusFields;
  const terminal = isTerminalPhase(status.phase);
  let problem: string | undefined;
  const ledger = await deps.ledgers.update({ key, uid: restore.metadata.uid ?? '' }, (l) => {
    let merged = l;
    try {
      merged = mergeLedger(l, pods);
    } catch (error) {
      if (!(error instanceof LedgerFullError)) throw error;
      problem = error.message;
    }
    return terminal && !merged.baseline ? { ...merged, baseline: baselineOf(status) } : merged;
  });
  const fields = desiredStatusFields(status, ledger.baseline, ledgerTotals(ledger));
  return {
    condition: execHooksCompletedCondition(tally),
    ...(fields ? { fields } : {}),
    ...(problem ? { problem } : {}),
  };
}
