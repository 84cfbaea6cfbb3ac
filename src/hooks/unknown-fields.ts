/**
 * Fields of a Restore's `spec.hooks` that Velero's API does not have, as kube-apiserver's strict field validation
 * reports them: a misspelt `postHook:` is otherwise silently dropped and the restore runs without its hooks. Pure.
 * Only the hooks subtree is walked: the rest of the spec is Velero's, and containers are the API server's to check.
 */
import type { Problem } from './problems.ts';
import { nearestName } from './suggest.ts';
import { isRecord } from '../kube/json.ts';

/** A known field: its name, and the shape of its value when it is walked further. */
interface Shape {
  readonly fields: Readonly<Record<string, Shape | 'leaf'>>;
  /** The value is a list of this shape. */
  readonly list?: boolean;
}

const obj = (fields: Shape['fields']): Shape => ({ fields });
const listOf = (fields: Shape['fields']): Shape => ({ fields, list: true });

// velero.io/v1 RestoreHooks, RestoreResourceHookSpec, RestoreResourceHook, InitRestoreHook, ExecRestoreHook.
const HOOKS: Shape = obj({
  resources: listOf({
    name: 'leaf',
    includedNamespaces: 'leaf',
    excludedNamespaces: 'leaf',
    includedResources: 'leaf',
    excludedResources: 'leaf',
    labelSelector: obj({
      matchLabels: 'leaf',
      matchExpressions: listOf({ key: 'leaf', operator: 'leaf', values: 'leaf' }),
    }),
    postHooks: listOf({
      init: obj({ initContainers: 'leaf', timeout: 'leaf' }),
      exec: obj({
        container: 'leaf',
        command: 'leaf',
        onError: 'leaf',
        execTimeout: 'leaf',
        waitTimeout: 'leaf',
        waitForReady: 'leaf',
      }),
    }),
  }),
});

/**
 * One warning per unknown field of `spec.hooks`, in document order:
 * `unknown field spec.hooks.resources[0].postHook, did you mean postHooks?`.
 */
export function unknownRestoreFields(restore: unknown): Problem[] {
  const spec = isRecord(restore) && isRecord(restore.spec) ? restore.spec : undefined;
  if (!spec || !isRecord(spec.hooks)) return [];
  const problems: Problem[] = [];
  const walk = (value: unknown, shape: Shape, path: string): void => {
    if (shape.list) {
      if (Array.isArray(value))
        value.forEach((item, i) => walk(item, { fields: shape.fields }, `${path}[${i}]`));
      return;
    }
    if (!isRecord(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const field = `${path}.${key}`;
      const known = shape.fields[key];
      if (known === undefined) {
        const suggestion = nearestName(key, Object.keys(shape.fields));
        problems.push({
          severity: 'warning',
          object: 'restore',
          field,
          message: `unknown field ${field}${suggestion ? `, did you mean ${suggestion}?` : ''}`,
        });
      } else if (known !== 'leaf') walk(child, known, field);
    }
  };
  walk(spec.hooks, HOOKS, 'spec.hooks');
  return problems;
}
