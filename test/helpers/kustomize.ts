import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

/** A rendered Kubernetes object, loosely typed for structural assertions. */
export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Renders a kustomization with the machine's kubectl (`$KUBECTL`, else `kubectl` on PATH). kubectl's dispatcher
 * picks a version from the server it can reach; KUBECONFIG points nowhere so that it never tries one.
 */
export async function kustomize(dir: string): Promise<Obj[]> {
  const kubectl = process.env.KUBECTL ?? 'kubectl';
  const { stdout } = await promisify(execFile)(kubectl, ['kustomize', dir], {
    env: { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
}
