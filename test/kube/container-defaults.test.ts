import { expect } from 'chai';
import { defaultContainer, defaultImagePullPolicy } from '../../src/kube/container-defaults.ts';

const get = (root: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => {
    if (node === undefined || node === null) return undefined;
    return (node as Record<string, unknown>)[/^\d+$/.test(key) ? Number(key) : key];
  }, root);

describe('container defaults (kube-apiserver SetDefaults_Container)', () => {
  it('golden case: the restore-hook init container', () => {
    const container = { name: 'restore-hook', image: 'alpine:latest', command: ['/bin/ash', '-c', 'date'] };
    expect(JSON.stringify(defaultContainer(container))).to.equal(
      '{"name":"restore-hook","image":"alpine:latest","command":["/bin/ash","-c","date"],"imagePullPolicy":"Always","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}',
    );
  });

  describe('imagePullPolicy by image reference', () => {
    const cases: Array<[string, 'Always' | 'IfNotPresent']> = [
      ['alpine', 'Always'],
      ['alpine:latest', 'Always'],
      ['alpine:3.20', 'IfNotPresent'],
      ['docker.io/library/alpine', 'Always'],
      ['registry.local:5000/team/img', 'Always'],
      ['registry.local:5000/team/img:latest', 'Always'],
      ['registry.local:5000/team/img:v1', 'IfNotPresent'],
      [`alpine@sha256:${'a'.repeat(64)}`, 'IfNotPresent'],
      [`alpine:latest@sha256:${'a'.repeat(64)}`, 'Always'],
      [`host:5000/img@sha256:${'b'.repeat(64)}`, 'IfNotPresent'],
      ['[::1]:5000/img', 'Always'],
      ['Alpine', 'IfNotPresent'],
      ['', 'IfNotPresent'],
      ['a'.repeat(64).replace(/a/g, 'f'), 'IfNotPresent'],
    ];
    for (const [image, want] of cases) {
      it(`${JSON.stringify(image.length > 40 ? `${image.slice(0, 30)}…` : image)} -> ${want}`, () => {
        expect(defaultImagePullPolicy(image)).to.equal(want);
        expect(defaultContainer({ name: 'c', image }).imagePullPolicy).to.equal(want);
      });
    }
    it('keeps an explicit policy', () => {
      expect(defaultContainer({ name: 'c', image: 'a', imagePullPolicy: 'Never' }).imagePullPolicy).to.equal(
        'Never',
      );
    });
    it('a missing image gets IfNotPresent', () => {
      expect(defaultImagePullPolicy(undefined)).to.equal('IfNotPresent');
    });
  });

  describe('container contents', () => {
    const container = defaultContainer({
      name: 'c',
      image: 'i:1',
      ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
      env: [
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
      livenessProbe: { httpGet: { port: 8080 } },
      readinessProbe: { exec: { command: ['true'] }, periodSeconds: 3 },
      lifecycle: { preStop: { httpGet: { port: 1, path: '/stop' } } },
    });
    const cases: Array<[string, unknown]> = [
      ['ports.0.protocol', 'TCP'],
      ['ports.1.protocol', 'UDP'],
      ['env.0.valueFrom.fieldRef.apiVersion', 'v1'],
      ['env.1.valueFrom.resourceFieldRef.divisor', '0'],
      ['livenessProbe.timeoutSeconds', 1],
      ['livenessProbe.periodSeconds', 10],
      ['livenessProbe.successThreshold', 1],
      ['livenessProbe.failureThreshold', 3],
      ['livenessProbe.httpGet.path', '/'],
      ['livenessProbe.httpGet.scheme', 'HTTP'],
      ['readinessProbe.periodSeconds', 3],
      ['lifecycle.preStop.httpGet.path', '/stop'],
      ['lifecycle.preStop.httpGet.scheme', 'HTTP'],
    ];
    for (const [path, want] of cases) {
      it(`${path} = ${JSON.stringify(want)}`, () => expect(get(container, path)).to.deep.equal(want));
    }
  });
});
