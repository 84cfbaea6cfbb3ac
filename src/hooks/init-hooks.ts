/**
 * Init hooks of one target: declared by annotations or by the spec (annotations win), then resolved against the
 * init containers the target already has: insert, present (same content, under its name or a Velero-generated
 * one), conflict, duplicate or invalid; and the resulting init-container list in Velero's order.
 */
import type { Container } from './restore-types.ts';
import type { HookOrigin, HookPlan, InitHook, InitHookState } from './hook-plan.ts';
import type { PlacedHook } from './init-containers.ts';
import type { PlanContext } from './plan-context.ts';
import { imagePolicyError } from './policy.ts';
import { containerImageError, dns1123LabelError } from './k8s-names.ts';
import { placeHookContainers } from './init-containers.ts';
import { LIMITS, tooMany } from './limits.ts';
import { defaultInitHookName, hookContentHash, isVeleroGeneratedInitName, sameHookContent } from './names.ts';
import {
  INIT_COMMAND,
  INIT_CONTAINER_IMAGE,
  INIT_CONTAINER_NAME,
  readAnnotationInitHook,
} from './annotations.ts';
import { isRecord } from '../kube/json.ts';

export type InitPlan = Pick<
  HookPlan,
  'initSource' | 'initHooks' | 'initContainers' | 'initContainersChanged'
>;

interface DeclaredInit {
  readonly origin: HookOrigin;
  readonly field: string;
  readonly container: Container;
  readonly valid: boolean;
}

/** The annotation init hook (name, image, command), checked; undefined when the target has none. */
function declareAnnotationInitHook(ctx: PlanContext): DeclaredInit | undefined {
  const annotationInit = ctx.useAnnotations ? readAnnotationInitHook(ctx.annotations) : undefined;
  if (!annotationInit) return undefined;
  const content: Omit<Container, 'name'> = {
    image: annotationInit.image,
    // No command: the image's ENTRYPOINT runs, as Velero documents (Velero itself crashes here).
    ...(annotationInit.command.length > 0 ? { command: annotationInit.command } : {}),
  };
  const name = annotationInit.name || defaultInitHookName(content);
  let valid = [INIT_CONTAINER_IMAGE, INIT_CONTAINER_NAME, INIT_COMMAND]
    .map((key) => ctx.annotationWithinLimit(key))
    .every(Boolean);
  const nameError = dns1123LabelError(name);
  if (nameError) {
    ctx.report(
      'error',
      ctx.annotationField(INIT_CONTAINER_NAME),
      `Invalid value: ${JSON.stringify(name)}: ${nameError}`,
    );
    valid = false;
  }
  const formatError = containerImageError(annotationInit.image);
  const policyError = formatError ? undefined : imagePolicyError(ctx.policy, annotationInit.image);
  if (formatError) {
    ctx.report(
      'error',
      ctx.annotationField(INIT_CONTAINER_IMAGE),
      `Invalid value: ${JSON.stringify(annotationInit.image)}: ${formatError}`,
    );
    valid = false;
  } else if (policyError) {
    ctx.report(
      'error',
      ctx.annotationField(INIT_CONTAINER_IMAGE),
      policyError,
      undefined,
      'image-not-allowed',
    );
    valid = false;
  }
  const raw = annotationInit.rawCommand;
  if (raw?.startsWith('[') && annotationInit.command.length === 1 && annotationInit.command[0] === raw)
    ctx.report(
      'warning',
      ctx.annotationField(INIT_COMMAND),
      'not a JSON array of strings: the whole value is one argument, as Velero does',
    );
  return {
    origin: { source: 'annotation' },
    field: ctx.annotationField(INIT_CONTAINER_IMAGE),
    container: { name, ...content },
    valid,
  };
}

/** The init containers of the spec hook resources that select the target, in resources → postHooks order. */
function declareSpecInitHooks(ctx: PlanContext): DeclaredInit[] {
  return ctx.applicable.flatMap((r) =>
    r.postHooks.flatMap((ph) =>
      ph.kind !== 'init'
        ? []
        : ph.initContainers.map((ic): DeclaredInit => ({
            origin: {
              source: 'spec',
              resourceName: r.name,
              resourceIndex: r.resourceIndex,
              postHookIndex: ph.postHookIndex,
            },
            field: ic.field,
            container: ic.container,
            valid: ic.valid,
          })),
    ),
  );
}

/** False (and reported) when a volumeMount names a volume the target does not have. */
function checkVolumeMounts(ctx: PlanContext, d: DeclaredInit, id: string): boolean {
  let ok = true;
  const mounts = Array.isArray(d.container.volumeMounts) ? d.container.volumeMounts : [];
  mounts.forEach((m, i) => {
    if (isRecord(m) && typeof m.name === 'string' && m.name !== '' && !ctx.volumes.has(m.name)) {
      ctx.report(
        'error',
        `${d.field}.volumeMounts[${i}].name`,
        `Not found: ${JSON.stringify(m.name)}: the pod has no volume of that name (${ctx.specPath}.volumes)`,
        id,
      );
      ok = false;
    }
  });
  return ok;
}

/** Hooks resolved so far in this plan, by name; and the existing containers already matched to a hook. */
interface Resolution {
  readonly byName: Map<string, DeclaredInit>;
  readonly claimed: Set<string>;
}

/** Where a valid hook stands against the target's containers and the hooks resolved before it. */
function resolveState(
  ctx: PlanContext,
  d: DeclaredInit,
  id: string,
  seen: Resolution,
): { state: InitHookState; existingName?: string } {
  const name = d.container.name;
  const earlier = seen.byName.get(name);
  if (earlier) {
    if (sameHookContent(earlier.container, d.container)) {
      ctx.report(
        'warning',
        d.field,
        `the same hook container ${JSON.stringify(name)} is declared twice; it is added once`,
        id,
      );
      return { state: 'duplicate' };
    }
    ctx.report(
      'error',
      d.field,
      `an earlier hook (${earlier.field}) already uses the container name ${JSON.stringify(name)} with different content; rename one of them`,
      id,
    );
    return { state: 'conflict' };
  }
  if (ctx.appContainers.some((c) => c.name === name)) {
    ctx.report(
      'error',
      d.field,
      `the pod already has an application container named ${JSON.stringify(name)}; container names must be unique, rename the hook`,
      id,
    );
    return { state: 'conflict' };
  }
  const existing = ctx.existingInit.find((c) => c.name === name);
  if (existing) {
    if (sameHookContent(existing, d.container)) return { state: 'present', existingName: name };
    ctx.report(
      'error',
      d.field,
      `the pod already has an init container named ${JSON.stringify(name)} with different content; the hook is not added (rename the hook or the container)`,
      id,
    );
    return { state: 'conflict' };
  }
  const velero = ctx.existingInit.find(
    (c) => isVeleroGeneratedInitName(c.name) && !seen.claimed.has(c.name) && sameHookContent(c, d.container),
  );
  return velero ? { state: 'present', existingName: velero.name } : { state: 'insert' };
}

/** Plans the init hooks of the context's target. Annotations override the spec. */
export function planInitHooks(ctx: PlanContext): InitPlan {
  const fromAnnotation = declareAnnotationInitHook(ctx);
  const declared = fromAnnotation ? [fromAnnotation] : declareSpecInitHooks(ctx);
  const seen: Resolution = { byName: new Map(), claimed: new Set() };
  const initHooks = declared.map((d): InitHook => {
    const contentHash = hookContentHash(d.container);
    const id = `init/${typeof d.container.name === 'string' ? d.container.name : ''}/${contentHash}`;
    if (d.origin.source === 'spec') ctx.repeatRestoreProblems(d.field, id);
    const valid = checkVolumeMounts(ctx, d, id) && d.valid;
    const resolved = valid ? resolveState(ctx, d, id, seen) : { state: 'invalid' as const };
    if (valid && !seen.byName.has(d.container.name)) seen.byName.set(d.container.name, d);
    if (resolved.existingName !== undefined) seen.claimed.add(resolved.existingName);
    return { id, origin: d.origin, field: d.field, container: d.container, contentHash, ...resolved };
  });
  if (initHooks.length > LIMITS.initHooksPerPod) {
    ctx.report(
      'error',
      `${ctx.specPath}.initContainers`,
      `${tooMany(initHooks.length, LIMITS.initHooksPerPod, 'init hooks per pod')}; none is added`,
      undefined,
      'limit-exceeded',
    );
    return {
      initSource: fromAnnotation ? 'annotation' : 'spec',
      initHooks: initHooks.map((h) => ({ ...h, state: 'invalid' as const })),
      initContainers: ctx.existingInit,
      initContainersChanged: false,
    };
  }
  const placed = initHooks.flatMap((h): PlacedHook[] =>
    h.state === 'insert'
      ? [{ insert: h.container }]
      : h.state === 'present'
        ? [{ existingName: h.existingName! }]
        : [],
  );
  const initContainersChanged = initHooks.some((h) => h.state === 'insert');
  return {
    initSource: fromAnnotation ? 'annotation' : declared.length > 0 ? 'spec' : 'none',
    initHooks,
    initContainers: initContainersChanged ? placeHookContainers(ctx.existingInit, placed) : ctx.existingInit,
    initContainersChanged,
  };
}
