/**
 * `restore-hooks plan`: what a Restore's hooks would do to the given pods and workloads, offline. Init containers
 * are shown as the API server would store them (its defaulting applied), exec hooks per container, and problems.
 */
import { stringify } from 'yaml';
import type { CommandIO } from '../command.ts';
import type { ParsedArgs } from '../flags.ts';
import type { HookPlan, ObjectTarget, Problem, RestoreHooks } from '../../hooks/index.ts';
import {
  DEFAULT_HOOK_POLICY,
  formatGoDuration,
  mapNamespace,
  objectTarget,
  parseRestoreHooks,
  planHooks,
  unknownRestoreFields,
  HOOK_TARGET_KINDS,
  hasErrors,
} from '../../hooks/index.ts';
import { defaultContainer } from '../../kube/container-defaults.ts';
import { restoreKey } from '../../controller/restore-key.ts';
import type { LoadedDocument } from './manifests.ts';
import { InputError, readDocuments, readManifests } from './manifests.ts';
import { isRecord } from '../../kube/json.ts';

const where = (d: LoadedDocument): string => `${d.file} (document ${d.index})`;

async function loadRestore(file: string): Promise<{ restore: Record<string, unknown>; hooks: RestoreHooks }> {
  const docs = await readDocuments(file);
  if (docs.length !== 1)
    throw new InputError(`${file}: expected exactly one Restore document, found ${docs.length}`);
  const doc = docs[0]!;
  const r = doc.value;
  if (!isRecord(r)) throw new InputError(`${where(doc)}: a Restore must be a YAML mapping`);
  if (r.apiVersion !== 'velero.io/v1' || r.kind !== 'Restore')
    throw new InputError(
      `${where(doc)}: apiVersion/kind: expected velero.io/v1 Restore, got ${String(r.apiVersion)} ${String(r.kind)}`,
    );
  return { restore: r, hooks: parseRestoreHooks(r, DEFAULT_HOOK_POLICY) };
}

const ns = (ms: number): string => formatGoDuration(BigInt(ms) * 1_000_000n);

function problemView(p: Problem): Record<string, unknown> {
  return {
    severity: p.severity,
    field: p.field,
    message: p.message,
    ...(p.hookId ? { hook: p.hookId } : {}),
  };
}

function objectView(doc: LoadedDocument, obj: ObjectTarget, plan: HookPlan): Record<string, unknown> {
  const problems = [...plan.problems];
  const wouldInsert = plan.initHooks.filter((h) => h.state === 'insert');
  if (obj.templateImmutable && wouldInsert.length > 0)
    problems.push({
      severity: 'warning',
      object: 'target',
      field: obj.kind === 'CronJob' ? 'spec.jobTemplate.spec.template' : 'spec.template',
      message: `${obj.kind} pod templates are immutable: the controller cannot add init hooks to its pods (declare the init containers in the ${obj.kind} itself)`,
    });
  return {
    kind: obj.kind,
    namespace: obj.namespace,
    name: obj.name,
    file: where(doc),
    ...(obj.target.namespace !== obj.namespace ? { restoredNamespace: obj.target.namespace } : {}),
    initHooks: plan.initHooks.map((h) => ({
      name: h.container.name,
      source: h.origin.source,
      ...(h.origin.source === 'spec' ? { resource: h.origin.resourceName } : {}),
      state: h.state,
      ...(h.existingName && h.existingName !== h.container.name ? { existingName: h.existingName } : {}),
      id: h.id,
    })),
    injectInitContainers: obj.templateImmutable ? [] : wouldInsert.map((h) => defaultContainer(h.container)),
    initContainerOrder: obj.templateImmutable
      ? (obj.target.podSpec.initContainers ?? []).map((c) => c.name)
      : plan.initContainers.map((c) => c.name),
    execHooks: plan.execHooksByContainer.map((g) => ({
      container: g.container,
      hooks: g.hooks.map((h) => ({
        command: h.command,
        onError: h.onError,
        execTimeout: ns(h.execTimeoutMs),
        waitTimeout: h.waitTimeoutMs === undefined ? 'unset' : ns(h.waitTimeoutMs),
        waitForReady: h.waitForReady,
        source: h.origin.source,
        ...(h.origin.source === 'spec' ? { resource: h.origin.resourceName } : {}),
        ...(h.valid ? {} : { valid: false }),
        id: h.id,
      })),
    })),
    problems: problems.map(problemView),
  };
}

export async function runPlan(args: ParsedArgs, io: CommandIO): Promise<number> {
  const format = (args.values.output as string | undefined) ?? 'yaml';
  if (args.positionals.length === 0) {
    io.stderr.write('restore-hooks plan: at least one MANIFEST (file or directory) is required\n');
    return 2;
  }
  let loaded: { restore: Record<string, unknown>; hooks: RestoreHooks };
  let docs: LoadedDocument[];
  try {
    loaded = await loadRestore(args.values.restore as string);
    docs = await readManifests(args.positionals);
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr.write(`restore-hooks plan: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { restore, hooks } = loaded;
  const unknownFields = unknownRestoreFields(restore);
  for (const warning of unknownFields) io.stderr.write(`restore-hooks plan: warning: ${warning.message}\n`);
  const objects: Record<string, unknown>[] = [];
  const skipped: string[] = [];
  let errors = hasErrors(hooks.problems);
  for (const doc of docs) {
    const v = doc.value;
    if (!isRecord(v)) {
      io.stderr.write(`restore-hooks plan: ${where(doc)}: not a Kubernetes object\n`);
      return 2;
    }
    if (!(HOOK_TARGET_KINDS as readonly unknown[]).includes(v.kind)) {
      skipped.push(
        `${String(v.kind)} ${isRecord(v.metadata) ? String(v.metadata.name) : ''} (${where(doc)})`,
      );
      continue;
    }
    const meta = isRecord(v.metadata) ? v.metadata : {};
    const namespace =
      typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default';
    const t = objectTarget(v, mapNamespace(hooks, namespace));
    if (!t.ok) {
      io.stderr.write(`restore-hooks plan: ${where(doc)}: ${t.field}: ${t.message}\n`);
      return 2;
    }
    const obj = { ...t.value, namespace };
    const plan = planHooks(hooks, obj.target, { policy: DEFAULT_HOOK_POLICY });
    if (hasErrors(plan.problems)) errors = true;
    objects.push(objectView(doc, obj, plan));
  }
  const meta = isRecord(restore.metadata) ? restore.metadata : {};
  const report = {
    restore: restoreKey({ metadata: meta }),
    restoreProblems: [...hooks.problems, ...unknownFields].map(problemView),
    objects,
    ...(skipped.length > 0 ? { skipped } : {}),
  };
  io.stdout.write(
    format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : stringify(report, { lineWidth: 0 }),
  );
  return errors || (args.values.strict === true && unknownFields.length > 0) ? 1 : 0;
}
