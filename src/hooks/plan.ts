/**
 * The planner: which hooks a Restore gives one pod (or one workload's pod template), where the init containers
 * go, which exec hooks run in which container, what is already in place, and every problem. Pure and total:
 * invalid input yields problems, never an exception.
 */
import type { Problem } from './problems.ts';
import type { Container, HookErrorMode, PodSpec } from './restore-types.ts';
import type { HookPolicy } from './policy.ts';
import type { HookResource, RestoreHooks } from './validate.ts';
import type { AddedHookContainer, PlacedHook } from './init-containers.ts';
import { DEFAULT_HOOK_POLICY, imagePolicyError } from './policy.ts';
import { DEFAULT_EXEC_TIMEOUT_MS, durationField } from './validate.ts';
import { matchIncludesExcludes } from './glob.ts';
import { matchesLabelSelector } from './selector.ts';
import { dns1123LabelError } from './k8s-names.ts';
import { parseGoBool } from './boolean.ts';
import { placeHookContainers } from './init-containers.ts';
import {
  defaultInitHookName,
  hookContentHash,
  isVeleroGeneratedInitName,
  sameHookContent,
  shortHash,
} from './names.ts';
import {
  EXEC_COMMAND,
  EXEC_ON_ERROR,
  EXEC_TIMEOUT,
  EXEC_WAIT_FOR_READY,
  EXEC_WAIT_TIMEOUT,
  HOOK_ANNOTATIONS,
  INIT_COMMAND,
  INIT_CONTAINER_IMAGE,
  INIT_CONTAINER_NAME,
  EXEC_CONTAINER,
  readAnnotationExecHook,
  readAnnotationInitHook,
} from './annotations.ts';

/** A pod, or a workload's pod template, as the planner sees it. */
export interface HookTarget {
  /** The namespace the object lives in after `spec.namespaceMapping` (see mapNamespace). */
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly podSpec: PodSpec;
  /** Field path of the pod spec in the object, for problems: `spec` (pod) or `spec.template.spec` (workload). */
  readonly specPath?: string;
  /** Field path of the metadata holding labels and annotations: `metadata` or `spec.template.metadata`. */
  readonly metadataPath?: string;
}

export type HookSource = 'annotation' | 'spec';

/** Where a hook was declared. */
export type HookOrigin =
  | { readonly source: 'annotation' }
  | {
      readonly source: 'spec';
      /** spec.hooks.resources[resourceIndex].name */
      readonly resourceName: string;
      readonly resourceIndex: number;
      readonly postHookIndex: number;
    };

/**
 * - `insert`: not in the pod yet; it goes in.
 * - `present`: already there, same name and same content, or under a Velero-generated name with the same content.
 * - `conflict`: a different container already has its name; the hook is not applied.
 * - `duplicate`: an earlier hook in this plan is the same container; applied once.
 * - `invalid`: the hook has errors (see problems); not applied.
 */
export type InitHookState = 'insert' | 'present' | 'conflict' | 'duplicate' | 'invalid';

export interface InitHook {
  /** Stable identity: `init/<name>/<content hash>`. */
  readonly id: string;
  readonly origin: HookOrigin;
  /** Where it is declared: a Restore field path, or the annotation's field path. */
  readonly field: string;
  /** The container as the hook declares it (no API server defaults). */
  readonly container: Container;
  /** hookContentHash(container): ignores the name and API server defaults. */
  readonly contentHash: string;
  readonly state: InitHookState;
  /** For `present`: the name it has in the pod (differs from container.name for a Velero-generated name). */
  readonly existingName?: string;
}

export interface ExecHook {
  /** Stable identity: `exec/<container>/<position among that container's hooks>-<hash of the hook>`. */
  readonly id: string;
  readonly origin: HookOrigin;
  readonly field: string;
  /** The resolved target container (the pod's first container when the hook names none). */
  readonly container: string;
  readonly command: readonly string[];
  readonly onError: HookErrorMode;
  readonly execTimeoutMs: number;
  /** undefined: no limit declared (Velero waits forever); the runner applies its cap. */
  readonly waitTimeoutMs: number | undefined;
  readonly waitForReady: boolean;
  /** False when the hook has errors (e.g. its container does not exist): report it failed, never wait for it. */
  readonly valid: boolean;
}

export interface HookPlan {
  /** Which declaration the init hooks come from; annotations override the spec. */
  readonly initSource: HookSource | 'none';
  readonly execSource: HookSource | 'none';
  /** Every init hook that applies, in Velero's order (resources → postHooks → initContainers). */
  readonly initHooks: readonly InitHook[];
  /** The pod's init containers after applying the plan; equal to the current list when nothing is to insert. */
  readonly initContainers: readonly Container[];
  /** True when `initContainers` differs from the current list (some hook is `insert`). */
  readonly initContainersChanged: boolean;
  /** Every exec hook that applies, in declared order. */
  readonly execHooks: readonly ExecHook[];
  /** Exec hooks grouped by container, in the pod's container order; each group runs in order. */
  readonly execHooksByContainer: readonly {
    readonly container: string;
    readonly hooks: readonly ExecHook[];
  }[];
  /** Problems with this target and with the hooks that apply to it (Restore-wide problems: RestoreHooks.problems). */
  readonly problems: readonly Problem[];
}

export interface PlanOptions {
  readonly policy?: HookPolicy;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function containersOf(value: unknown): Container[] {
  return Array.isArray(value)
    ? value.filter((c): c is Container => isRecord(c) && typeof c.name === 'string')
    : [];
}

/** True when the hook resource selects a pod in `namespace` with `labels`. */
export function resourceApplies(
  resource: HookResource,
  namespace: string,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!resource.selectable || resource.selector === undefined) return false;
  if (!matchIncludesExcludes(namespace, resource.includedNamespaces, resource.excludedNamespaces).included)
    return false;
  return matchesLabelSelector(resource.selector, labels);
}

interface DeclaredInit {
  readonly origin: HookOrigin;
  readonly field: string;
  readonly container: Container;
  readonly valid: boolean;
}

interface DeclaredExec {
  readonly origin: HookOrigin;
  readonly field: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly onError: HookErrorMode;
  readonly execTimeoutMs: number;
  readonly waitTimeoutMs: number | undefined;
  readonly waitForReady: boolean;
  readonly valid: boolean;
}

/** Plans the hooks of one Restore for one target. `hooks` comes from parseRestoreHooks. */
export function planHooks(hooks: RestoreHooks, target: HookTarget, options: PlanOptions = {}): HookPlan {
  const policy = options.policy ?? DEFAULT_HOOK_POLICY;
  const specPath = target.specPath ?? 'spec';
  const metadataPath = target.metadataPath ?? 'metadata';
  const annotationField = (key: string): string => `${metadataPath}.annotations[${key}]`;
  const problems: Problem[] = [];
  const targetProblem = (
    severity: Problem['severity'],
    field: string,
    message: string,
    hookId?: string,
  ): void => {
    problems.push({ severity, object: 'target', field, message, ...(hookId ? { hookId } : {}) });
  };

  const podSpec: PodSpec = isRecord(target.podSpec) ? target.podSpec : {};
  if (!isRecord(target.podSpec)) targetProblem('error', specPath, 'must be a pod spec object');
  const appContainers = containersOf(podSpec.containers);
  const existingInit = containersOf(podSpec.initContainers);
  const volumes = new Set(
    (Array.isArray(podSpec.volumes) ? podSpec.volumes : [])
      .filter((v): v is { name: string } => isRecord(v) && typeof v.name === 'string')
      .map((v) => v.name),
  );

  const applicable = hooks.resources.filter((r) => resourceApplies(r, target.namespace, target.labels));
  const annotations = target.annotations;
  const hasHookAnnotation = HOOK_ANNOTATIONS.some((k) => typeof annotations?.[k] === 'string');
  if (!policy.annotationHooks && hasHookAnnotation)
    targetProblem(
      'warning',
      `${metadataPath}.annotations`,
      'hook annotations are ignored: annotation hooks are disabled by policy',
    );
  const useAnnotations = policy.annotationHooks;

  // ---- init hooks: declared ----
  const declaredInit: DeclaredInit[] = [];
  const annotationInit = useAnnotations ? readAnnotationInitHook(annotations) : undefined;
  let initSource: HookPlan['initSource'] = 'none';
  if (annotationInit) {
    initSource = 'annotation';
    const content: Omit<Container, 'name'> = {
      image: annotationInit.image,
      ...(annotationInit.command.length > 0 ? { command: annotationInit.command } : {}),
    };
    const name = annotationInit.name || defaultInitHookName(content);
    let valid = true;
    const nameError = dns1123LabelError(name);
    if (nameError) {
      targetProblem(
        'error',
        annotationField(INIT_CONTAINER_NAME),
        `Invalid value: ${JSON.stringify(name)}: ${nameError}`,
      );
      valid = false;
    }
    const imageError = imagePolicyError(policy, annotationInit.image);
    if (imageError) {
      targetProblem('error', annotationField(INIT_CONTAINER_IMAGE), imageError);
      valid = false;
    }
    const raw = annotationInit.rawCommand;
    if (
      raw !== undefined &&
      raw.startsWith('[') &&
      annotationInit.command.length === 1 &&
      annotationInit.command[0] === raw
    )
      targetProblem(
        'warning',
        annotationField(INIT_COMMAND),
        'not a JSON array of strings: the whole value is one argument, as Velero does',
      );
    declaredInit.push({
      origin: { source: 'annotation' },
      field: annotationField(INIT_CONTAINER_IMAGE),
      container: { name, ...content },
      valid,
    });
  } else {
    for (const r of applicable)
      for (const ph of r.postHooks) {
        if (ph.kind !== 'init') continue;
        for (const ic of ph.initContainers) {
          initSource = 'spec';
          declaredInit.push({
            origin: {
              source: 'spec',
              resourceName: r.name,
              resourceIndex: r.resourceIndex,
              postHookIndex: ph.postHookIndex,
            },
            field: ic.field,
            container: ic.container,
            valid: ic.valid,
          });
        }
      }
  }

  // ---- init hooks: against the pod ----
  const initHooks: InitHook[] = [];
  const planned = new Map<string, InitHook>();
  const claimed = new Set<string>();
  for (const d of declaredInit) {
    const contentHash = hookContentHash(d.container);
    const name = typeof d.container.name === 'string' ? d.container.name : '';
    const id = `init/${name}/${contentHash}`;
    let state: InitHookState = 'insert';
    let existingName: string | undefined;
    let valid = d.valid;
    // Restore-side errors of a spec hook are in hooks.problems; repeat them here with the hook's id.
    if (d.origin.source === 'spec')
      for (const p of hooks.problems)
        if (p.field === d.field || p.field.startsWith(`${d.field}.`)) problems.push({ ...p, hookId: id });
    const mounts = Array.isArray(d.container.volumeMounts) ? d.container.volumeMounts : [];
    mounts.forEach((m, i) => {
      if (isRecord(m) && typeof m.name === 'string' && m.name !== '' && !volumes.has(m.name)) {
        targetProblem(
          'error',
          `${d.field}.volumeMounts[${i}].name`,
          `Not found: ${JSON.stringify(m.name)}: the pod has no volume of that name (${specPath}.volumes)`,
          id,
        );
        valid = false;
      }
    });
    if (!valid) state = 'invalid';
    else {
      const earlier = planned.get(name);
      const existing = existingInit.find((c) => c.name === name);
      if (earlier) {
        if (sameHookContent(earlier.container, d.container)) {
          state = 'duplicate';
          targetProblem(
            'warning',
            d.field,
            `the same hook container ${JSON.stringify(name)} is declared twice; it is added once`,
            id,
          );
        } else {
          state = 'conflict';
          targetProblem(
            'error',
            d.field,
            `an earlier hook (${earlier.field}) already uses the container name ${JSON.stringify(name)} with different content; rename one of them`,
            id,
          );
        }
      } else if (appContainers.some((c) => c.name === name)) {
        state = 'conflict';
        targetProblem(
          'error',
          d.field,
          `the pod already has an application container named ${JSON.stringify(name)}; container names must be unique, rename the hook`,
          id,
        );
      } else if (existing) {
        if (sameHookContent(existing, d.container)) {
          state = 'present';
          existingName = name;
        } else {
          state = 'conflict';
          targetProblem(
            'error',
            d.field,
            `the pod already has an init container named ${JSON.stringify(name)} with different content; the hook is not added (rename the hook or the container)`,
            id,
          );
        }
      } else {
        const velero = existingInit.find(
          (c) => isVeleroGeneratedInitName(c.name) && !claimed.has(c.name) && sameHookContent(c, d.container),
        );
        if (velero) {
          state = 'present';
          existingName = velero.name;
        }
      }
      if (existingName) claimed.add(existingName);
      if (!planned.has(name))
        planned.set(name, {
          id,
          origin: d.origin,
          field: d.field,
          container: d.container,
          contentHash,
          state,
        });
    }
    initHooks.push({
      id,
      origin: d.origin,
      field: d.field,
      container: d.container,
      contentHash,
      state,
      ...(existingName !== undefined ? { existingName } : {}),
    });
  }
  const placed: PlacedHook[] = initHooks.flatMap((h): PlacedHook[] =>
    h.state === 'insert'
      ? [{ insert: h.container }]
      : h.state === 'present'
        ? [{ existingName: h.existingName! }]
        : [],
  );
  const initContainersChanged = initHooks.some((h) => h.state === 'insert');
  const initContainers = initContainersChanged ? placeHookContainers(existingInit, placed) : existingInit;

  // ---- exec hooks ----
  const declaredExec: DeclaredExec[] = [];
  const annotationExec = useAnnotations ? readAnnotationExecHook(annotations) : undefined;
  let execSource: HookPlan['execSource'] = 'none';
  if (annotationExec) {
    execSource = 'annotation';
    const warn = (key: string, message: string): void =>
      targetProblem('warning', annotationField(key), message);
    let onError: HookErrorMode = 'Continue';
    const rawOnError = annotationExec.onError;
    if (rawOnError === 'Continue' || rawOnError === 'Fail') onError = rawOnError;
    else if (rawOnError !== undefined && rawOnError !== '')
      warn(
        EXEC_ON_ERROR,
        `Unsupported value: ${JSON.stringify(rawOnError)}: treated as unset (Continue), as Velero does; use "Continue" or "Fail"`,
      );
    const execTimeout = durationField(annotationExec.execTimeout, annotationField(EXEC_TIMEOUT), (f, m) =>
      problems.push({
        severity: 'warning',
        object: 'target',
        field: f,
        message: `${m}; using the default 30s, as Velero does`,
      }),
    );
    const waitTimeout = durationField(
      annotationExec.waitTimeout,
      annotationField(EXEC_WAIT_TIMEOUT),
      (f, m) =>
        problems.push({
          severity: 'warning',
          object: 'target',
          field: f,
          message: `${m}; treated as unset, as Velero does`,
        }),
    );
    let waitForReady = false;
    if (annotationExec.waitForReady !== undefined && annotationExec.waitForReady !== '') {
      const b = parseGoBool(annotationExec.waitForReady);
      if (b === undefined)
        warn(
          EXEC_WAIT_FOR_READY,
          `Invalid value: ${JSON.stringify(annotationExec.waitForReady)}: expected true or false (Go ParseBool); treated as false, as Velero does`,
        );
      else waitForReady = b;
    }
    if (
      annotationExec.rawCommand.startsWith('[') &&
      annotationExec.command[0] === annotationExec.rawCommand &&
      annotationExec.command.length === 1
    )
      warn(EXEC_COMMAND, 'not a JSON array of strings: the whole value is one argument, as Velero does');
    declaredExec.push({
      origin: { source: 'annotation' },
      field: annotationField(EXEC_COMMAND),
      container: annotationExec.container,
      command: annotationExec.command,
      onError,
      execTimeoutMs: execTimeout ? execTimeout : DEFAULT_EXEC_TIMEOUT_MS,
      waitTimeoutMs: waitTimeout ? waitTimeout : undefined,
      waitForReady,
      valid: true,
    });
  } else {
    for (const r of applicable)
      for (const ph of r.postHooks) {
        if (ph.kind !== 'exec') continue;
        execSource = 'spec';
        declaredExec.push({
          origin: {
            source: 'spec',
            resourceName: r.name,
            resourceIndex: r.resourceIndex,
            postHookIndex: ph.postHookIndex,
          },
          ...ph.exec,
        });
      }
  }

  const execHooks: ExecHook[] = [];
  const positions = new Map<string, number>();
  for (const d of declaredExec) {
    const containerField =
      d.origin.source === 'annotation' ? annotationField(EXEC_CONTAINER) : `${d.field}.container`;
    const container = d.container || appContainers[0]?.name || '';
    const position = positions.get(container) ?? 0;
    positions.set(container, position + 1);
    const { origin: _o, field: _f, valid: _v, ...behaviour } = d;
    const id = `exec/${container || '-'}/${position}-${shortHash({ source: d.origin.source, ...behaviour, container })}`;
    let valid = d.valid;
    if (d.origin.source === 'spec')
      for (const p of hooks.problems)
        if (p.field === d.field || p.field.startsWith(`${d.field}.`)) problems.push({ ...p, hookId: id });
    if (container === '') {
      targetProblem(
        'error',
        `${specPath}.containers`,
        'the pod has no containers to run the exec hook in',
        id,
      );
      valid = false;
    } else if (!appContainers.some((c) => c.name === container)) {
      const names = appContainers.map((c) => c.name).join(', ') || 'none';
      targetProblem(
        'error',
        containerField,
        `Not found: ${JSON.stringify(container)}: the pod has no such container (it has: ${names}); the hook cannot run`,
        id,
      );
      valid = false;
    }
    execHooks.push({
      id,
      origin: d.origin,
      field: d.field,
      container,
      command: d.command,
      onError: d.onError,
      execTimeoutMs: d.execTimeoutMs,
      waitTimeoutMs: d.waitTimeoutMs,
      waitForReady: d.waitForReady,
      valid,
    });
  }
  const containerOrder = appContainers.map((c) => c.name);
  const groupNames = [...new Set(execHooks.map((h) => h.container))].sort((a, b) => {
    const ia = containerOrder.indexOf(a);
    const ib = containerOrder.indexOf(b);
    return (ia === -1 ? containerOrder.length : ia) - (ib === -1 ? containerOrder.length : ib);
  });
  const execHooksByContainer = groupNames.map((container) => ({
    container,
    hooks: execHooks.filter((h) => h.container === container),
  }));

  return {
    initSource,
    execSource,
    initHooks,
    initContainers,
    initContainersChanged,
    execHooks,
    execHooksByContainer,
    problems,
  };
}

/**
 * The hook containers this plan adds (state `insert`), as the controller records them on the template it patches
 * (APPLIED_INIT_HOOKS_ANNOTATION), so that cleanup later removes exactly these.
 */
export function addedHookContainers(plan: Pick<HookPlan, 'initHooks'>): AddedHookContainer[] {
  return plan.initHooks
    .filter((h) => h.state === 'insert')
    .map((h) => ({ name: h.container.name, hash: h.contentHash }));
}
