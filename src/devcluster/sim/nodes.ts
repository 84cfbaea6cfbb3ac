/** The simulated nodes: Node objects that look Ready to every client. */
import type { ClusterAPI, KubeObject } from '../api/types.ts';
import { GVR, isConflictOrExists } from './meta.ts';

export interface NodeSpec {
  name: string;
  labels?: Record<string, string>;
  /** Unschedulable nodes get no new pods. */
  unschedulable?: boolean;
}

/** Where a node's kubelet is reached; the simulated nodes' defaults are never dialled. */
export interface NodeHost {
  internalIP: string;
  /** The kubelet's HTTPS port (status.daemonEndpoints), which kube-apiserver dials for exec. */
  kubeletPort?: number;
  kubeletVersion?: string;
  /** capacity.pods and allocatable.pods; default 110, as the kubelet's --max-pods. */
  maxPods?: number;
}

export function nodeObject(node: NodeSpec, index: number, now: string, host?: NodeHost): KubeObject {
  const version = host?.kubeletVersion ?? 'v1.32.0';
  const pods = String(host?.maxPods ?? 110);
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        ...node.labels,
      },
    },
    spec: { podCIDR: `10.244.${index}.0/24`, ...(node.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: { cpu: '8', memory: '32Gi', pods, 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '8', memory: '32Gi', pods, 'ephemeral-storage': '100Gi' },
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: host?.internalIP ?? `10.0.0.${index + 1}` },
        { type: 'Hostname', address: node.name },
      ],
      ...(host?.kubeletPort !== undefined
        ? { daemonEndpoints: { kubeletEndpoint: { Port: host.kubeletPort } } }
        : {}),
      nodeInfo: {
        kubeletVersion: version,
        kubeProxyVersion: version,
        containerRuntimeVersion: 'containerd://1.7.24',
        operatingSystem: 'linux',
        architecture: 'amd64',
        osImage: 'devcluster',
        kernelVersion: '6.1.0',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

/**
 * The pods a simulated node admits by default: far above a kubelet's 110, so that the bench's 10,000 pods fit the
 * default 3 nodes. The scheduler honours it as kube-scheduler honours allocatable.pods.
 */
export const DEFAULT_SIMULATED_MAX_PODS = 1_000_000;

/** Creates the nodes that do not exist yet, each admitting `maxPods` pods (capacity and allocatable). */
export function registerNodes(
  api: ClusterAPI,
  nodes: readonly NodeSpec[],
  now: string,
  maxPods = DEFAULT_SIMULATED_MAX_PODS,
): void {
  nodes.forEach((node, i) => {
    const host = { internalIP: `10.0.0.${i + 1}`, maxPods };
    try {
      const created = api.create(GVR.nodes, undefined, nodeObject(node, i, now, host));
      api.update(
        GVR.nodes,
        undefined,
        node.name,
        { ...created, status: nodeObject(node, i, now, host).status },
        {
          subresource: 'status',
        },
      );
    } catch (e) {
      if (!isConflictOrExists(e)) throw e;
    }
  });
}
