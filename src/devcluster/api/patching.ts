import { applyJsonPatch } from '../patch/json-patch.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { applyServerSideApply } from '../patch/server-side-apply.ts';
import { applyStrategicMergePatch } from '../patch/strategic-merge.ts';
import type { ResourceInfo } from '../registry/resource.ts';
import { errors } from './errors.ts';
import type { KubeObject, PatchType } from './types.ts';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function asObject(result: unknown): KubeObject {
  if (!isObj(result)) throw errors.badRequest('the patch did not produce a JSON object');
  return result as KubeObject;
}

/**
 * Applies one patch of the given content type to `base` (undefined only for server-side apply of a new object).
 * The pure patch modules throw ApiErrors with kube-apiserver's codes (400 undecodable, 422 failed operations).
 */
export function applyPatch(
  type: PatchType,
  base: KubeObject | undefined,
  body: unknown,
  info: ResourceInfo,
  apply: { manager: string; force: boolean; toStatus?: boolean },
): KubeObject {
  switch (type) {
    case 'application/merge-patch+json':
      if (!isObj(body)) throw errors.badRequest('the merge patch must be a JSON object');
      return asObject(applyMergePatch(base, body));
    case 'application/json-patch+json':
      return asObject(applyJsonPatch(base, body));
    case 'application/strategic-merge-patch+json':
      if (!isObj(body)) throw errors.badRequest('the strategic merge patch must be a JSON object');
      return asObject(applyStrategicMergePatch(base, body, { group: info.group, kind: info.kind }));
    case 'application/apply-patch+yaml': {
      if (!isObj(body)) throw errors.badRequest('the apply patch must be a YAML or JSON object');
      const applied = body as KubeObject;
      if (applied.kind !== info.kind || (applied.apiVersion ?? '') === '')
        throw errors.badRequest(`the apply patch must name apiVersion and kind ${info.kind}`);
      const { status, ...rest } = applied;
      // On the main resource of a kind with a status subresource, the applied status is ignored (and not owned).
      const configuration =
        info.statusSubresource && !apply.toStatus
          ? rest
          : { ...rest, ...(status !== undefined ? { status } : {}) };
      return applyServerSideApply(
        base,
        {
          ...configuration,
          metadata: { ...(isObj(applied.metadata) ? applied.metadata : {}) },
        } as KubeObject,
        { manager: apply.manager, force: apply.force },
      );
    }
    default:
      throw errors.unsupportedMediaType([
        'application/json-patch+json',
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
        'application/apply-patch+yaml',
      ]);
  }
}
