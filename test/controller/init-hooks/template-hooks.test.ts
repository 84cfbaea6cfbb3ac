import { expect } from 'chai';
import { initHooksSkip } from '../../../src/controller/init-hooks/template-hooks.ts';
import { planHooks } from '../../../src/hooks/plan.ts';
import { DEFAULT_HOOK_POLICY, parseHookPolicy } from '../../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../../src/hooks/validate.ts';

const hooks = parseRestoreHooks({ spec: {} }, parseHookPolicy(undefined, 'policy').policy);
const plan = (annotations: Record<string, string>, allowedImages: string[] = []) =>
  planHooks(
    hooks,
    {
      namespace: 'app',
      annotations,
      podSpec: { containers: [{ name: 'app', image: 'nginx' }] },
      specPath: 'spec.template.spec',
      metadataPath: 'spec.template.metadata',
    },
    { policy: { ...DEFAULT_HOOK_POLICY, allowedImages } },
  );

describe('initHooksSkip: why a template’s own init hooks are not applied', () => {
  it('is undefined for valid hooks, and for errors of exec hooks only', () => {
    expect(initHooksSkip(plan({ 'init.hook.restore.velero.io/container-image': 'alpine:3.20' }))).to.equal(
      undefined,
    );
    expect(
      initHooksSkip(
        plan({
          'post.hook.restore.velero.io/command': 'true',
          'post.hook.restore.velero.io/container': 'nope',
        }),
      ),
    ).to.equal(undefined);
  });

  it('says invalid-hook for a malformed hook, with its field', () => {
    expect(
      initHooksSkip(
        plan({
          'init.hook.restore.velero.io/container-image': 'alpine:3.20',
          'init.hook.restore.velero.io/container-name': 'Bad_Name',
        }),
      ),
    ).to.deep.include({ reason: 'invalid-hook' });
  });

  it('says image-not-allowed when the policy refused the image', () => {
    const skip = initHooksSkip(
      plan({ 'init.hook.restore.velero.io/container-image': 'evil/x:1' }, ['good/*']),
    );
    expect(skip?.reason).to.equal('image-not-allowed');
    expect(skip?.problems).to.deep.equal([
      'spec.template.metadata.annotations[init.hook.restore.velero.io/container-image]: image "evil/x:1" is not allowed by policy (allowed: good/*)',
    ]);
  });
});
