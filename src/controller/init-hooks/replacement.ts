import { SERVER_SET_METADATA } from '../../kube/object-meta.ts';
import type { Container, Pod } from '../../kube/types.ts';

/**
 * The pod that replaces a bare pod: the same metadata and spec, with the hook init containers in place and the
 * given marks added. Status and server-set metadata are dropped.
 */
export function replacementPod(
  pod: Pod,
  initContainers: readonly Container[],
  marks: { labels: Record<string, string>; annotations: Record<string, string> },
): Pod {
  const metadata = structuredClone(pod.metadata) as Record<string, unknown>;
  for (const key of SERVER_SET_METADATA) delete metadata[key];
  const spec = structuredClone(pod.spec);
  spec.initContainers = structuredClone([...initContainers]);
  if (spec.initContainers.length === 0) delete spec.initContainers;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(metadata as Pod['metadata']),
      labels: { ...pod.metadata.labels, ...marks.labels },
      annotations: { ...pod.metadata.annotations, ...marks.annotations },
    },
    spec,
  };
}
