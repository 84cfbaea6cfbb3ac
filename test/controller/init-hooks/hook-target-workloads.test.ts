import { expect } from 'chai';
import { changedThroughItsDeployment } from '../../../src/controller/init-hooks/workload-reconciler.ts';
import type { WorkloadKind } from '../../../src/controller/workload-kinds.ts';
import type { Workload } from '../../../src/kube/types.ts';

function workload(metadata: Workload['metadata']): Workload {
  return { metadata, spec: { template: { spec: { containers: [] } } } } as unknown as Workload;
}

describe('changedThroughItsDeployment: which restored workloads get hooks only through their Deployment', () => {
  const deploymentOwner = [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u1', controller: true },
  ];
  const cases: [string, WorkloadKind, Workload['metadata'], boolean][] = [
    [
      'an adopted ReplicaSet of a Deployment',
      'ReplicaSet',
      { name: 'web-1', ownerReferences: deploymentOwner },
      true,
    ],
    [
      'a restored ReplicaSet about to be adopted (pod-template-hash, no owner yet)',
      'ReplicaSet',
      { name: 'web-1', labels: { 'pod-template-hash': '5d8f7c9b6d' } },
      true,
    ],
    ['a ReplicaSet of its own', 'ReplicaSet', { name: 'cache', labels: { app: 'cache' } }, false],
    ['a Deployment', 'Deployment', { name: 'web', labels: { 'pod-template-hash': 'x' } }, false],
    ['a StatefulSet', 'StatefulSet', { name: 'db', ownerReferences: deploymentOwner }, false],
  ];
  for (const [name, kind, metadata, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      expect(changedThroughItsDeployment(kind, workload(metadata))).to.equal(expected);
    });
  }
});
