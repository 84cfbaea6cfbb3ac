import { expect } from 'chai';
import fc from 'fast-check';
import {
  canonicalJson,
  defaultInitHookName,
  hookContentHash,
  isVeleroGeneratedInitName,
  sameHookContent,
} from '../../src/hooks/names.ts';
import { defaultContainer } from '../../src/kube/container-defaults.ts';
import { dns1123LabelError } from '../../src/hooks/k8s-names.ts';

const hook = {
  name: 'restore-hook-init1',
  image: 'alpine:latest',
  command: ['/bin/ash', '-c', 'date'],
  volumeMounts: [{ name: 'pvc1-vm', mountPath: '/restores/pvc1-vm' }],
};

describe('hooks/names: content identity and default names', () => {
  it('ignores the name', () => {
    expect(hookContentHash({ ...hook, name: 'other' })).to.equal(hookContentHash(hook));
  });

  it('ignores what API server defaulting adds (the stored container has the same hash)', () => {
    const stored = defaultContainer(hook);
    expect(stored).to.not.deep.equal(hook);
    expect(hookContentHash(stored)).to.equal(hookContentHash(hook));
    expect(sameHookContent(stored, hook)).to.equal(true);
  });

  it('ignores the port protocol the API server defaults, but not another one', () => {
    const withPort = { ...hook, ports: [{ containerPort: 8080 }] };
    expect(hookContentHash({ ...hook, ports: [{ containerPort: 8080, protocol: 'TCP' }] })).to.equal(
      hookContentHash(withPort),
    );
    expect(hookContentHash({ ...hook, ports: [{ containerPort: 8080, protocol: 'UDP' }] })).to.not.equal(
      hookContentHash(withPort),
    );
  });

  it('ignores key order and empty fields', () => {
    const reordered = {
      command: hook.command,
      args: [],
      volumeMounts: hook.volumeMounts,
      image: hook.image,
      name: 'x',
    };
    expect(hookContentHash(reordered)).to.equal(hookContentHash(hook));
  });

  it('changes with the content', () => {
    expect(hookContentHash({ ...hook, command: ['/bin/ash', '-c', 'true'] })).to.not.equal(
      hookContentHash(hook),
    );
    expect(hookContentHash({ ...hook, image: 'alpine:3.20' })).to.not.equal(hookContentHash(hook));
    expect(hookContentHash({ ...hook, volumeMounts: [] })).to.not.equal(hookContentHash(hook));
  });

  it('derives a deterministic, valid default name from the content', () => {
    const a = defaultInitHookName({ image: 'busybox', command: ['true'] });
    expect(a).to.match(/^restore-hook-init-[0-9a-f]{10}$/);
    expect(defaultInitHookName({ command: ['true'], image: 'busybox' })).to.equal(a);
    expect(defaultInitHookName({ image: 'busybox', command: ['false'] })).to.not.equal(a);
    expect(dns1123LabelError(a)).to.equal(undefined);
  });

  it('recognises the names Velero generates', () => {
    expect(isVeleroGeneratedInitName('velero-restore-init-deadfeed')).to.equal(true);
    expect(isVeleroGeneratedInitName('velero-restore-init-0a1b2c3d')).to.equal(true);
    expect(isVeleroGeneratedInitName('velero-restore-init-0')).to.equal(false);
    expect(isVeleroGeneratedInitName('restore-hook')).to.equal(false);
  });

  it('canonical JSON is independent of key order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).to.equal(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).to.deep.equal(JSON.parse(JSON.stringify(obj)));
      }),
    );
  });
});

describe('hook content and API server admission', () => {
  it('ignores the service-account token mount that admission adds to every container', async () => {
    const { hookContentHash } = await import('../../src/hooks/names.ts');
    const hook = {
      name: 'h',
      image: 'alpine',
      command: ['date'],
      volumeMounts: [{ name: 'pvc1-vm', mountPath: '/restores/pvc1-vm' }],
    };
    const admitted = {
      ...hook,
      volumeMounts: [
        ...hook.volumeMounts,
        {
          name: 'kube-api-access-x7k2p',
          mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
          readOnly: true,
        },
      ],
    };
    expect(hookContentHash(admitted)).to.equal(hookContentHash(hook));
    expect(hookContentHash({ ...hook, volumeMounts: [] })).to.not.equal(hookContentHash(hook));
  });
});
