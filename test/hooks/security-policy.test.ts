import { expect } from 'chai';
import { planHooks } from '../../src/hooks/plan.ts';
import { DEFAULT_HOOK_POLICY, parseHookPolicy, securityContextErrors } from '../../src/hooks/policy.ts';
import type { HookPolicy } from '../../src/hooks/policy.ts';
import { parseRestoreHooks } from '../../src/hooks/validate.ts';

const FIELD = 'spec.hooks.resources[0].postHooks[0].init.initContainers[0]';
const withSecurityContext = (securityContext: unknown) => ({
  name: 'hook',
  image: 'alpine:3.20',
  command: ['true'],
  securityContext,
});
const allowing = (sc: Partial<HookPolicy['securityContext']>): HookPolicy => ({
  ...DEFAULT_HOOK_POLICY,
  securityContext: { ...DEFAULT_HOOK_POLICY.securityContext, ...sc },
});

describe('hooks: policy.securityContext (issue 17, finding 2)', () => {
  const table: Array<[string, unknown, HookPolicy, string[]]> = [
    ['no securityContext', undefined, DEFAULT_HOOK_POLICY, []],
    [
      'a restricted one',
      { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      DEFAULT_HOOK_POLICY,
      [],
    ],
    [
      "the issue's container: privileged, root, SYS_ADMIN",
      { privileged: true, runAsUser: 0, capabilities: { add: ['SYS_ADMIN'] } },
      DEFAULT_HOOK_POLICY,
      [`${FIELD}.securityContext.privileged`, `${FIELD}.securityContext.capabilities.add[0]`],
    ],
    [
      'privilege escalation',
      { allowPrivilegeEscalation: true },
      DEFAULT_HOOK_POLICY,
      [`${FIELD}.securityContext.allowPrivilegeEscalation`],
    ],
    ['privileged, when allowed', { privileged: true }, allowing({ allowPrivileged: true }), []],
    [
      'escalation, when allowed',
      { allowPrivilegeEscalation: true },
      allowing({ allowPrivilegeEscalation: true }),
      [],
    ],
    [
      'only the capabilities not listed',
      { capabilities: { add: ['CHOWN', 'NET_ADMIN'] } },
      allowing({ allowedCapabilities: ['CHOWN'] }),
      [`${FIELD}.securityContext.capabilities.add[1]`],
    ],
    [
      'any capability with *',
      { capabilities: { add: ['SYS_ADMIN'] } },
      allowing({ allowedCapabilities: ['*'] }),
      [],
    ],
    [
      'a securityContext that is not an object is the API server’s to refuse',
      'root',
      DEFAULT_HOOK_POLICY,
      [],
    ],
  ];
  for (const [title, sc, policy, fields] of table) {
    it(`${title}: ${fields.length === 0 ? 'allowed' : fields.join(', ')}`, () => {
      expect(securityContextErrors(policy, withSecurityContext(sc), FIELD).map((e) => e.field)).to.deep.equal(
        fields,
      );
      // The refusal makes the Restore invalid, with the field, and the planned hook invalid too.
      const hooks = parseRestoreHooks(
        {
          spec: {
            hooks: {
              resources: [
                { name: 'r', postHooks: [{ init: { initContainers: [withSecurityContext(sc)] } }] },
              ],
            },
          },
        },
        policy,
      );
      const refused = hooks.problems.filter((p) => p.rule === 'security-context-not-allowed');
      expect(refused.map((p) => [p.severity, p.field])).to.deep.equal(fields.map((f) => ['error', f]));
      const plan = planHooks(
        hooks,
        { namespace: 'app', podSpec: { containers: [{ name: 'app' }] } },
        { policy },
      );
      expect(plan.initHooks.map((h) => h.state)).to.deep.equal([fields.length === 0 ? 'insert' : 'invalid']);
    });
  }

  it('reads the settings, and names bad ones', () => {
    expect(
      parseHookPolicy(
        { securityContext: { allowPrivileged: true, allowedCapabilities: ['CHOWN'] } },
        'policy',
      ).policy.securityContext,
    ).to.deep.equal({
      allowPrivileged: true,
      allowPrivilegeEscalation: false,
      allowedCapabilities: ['CHOWN'],
    });
    expect(
      parseHookPolicy(
        { securityContext: { allowPrivileged: 'yes', allowedCapabilities: ['cap_chown'], privileged: true } },
        'policy',
      ).errors.map((e) => e.field),
    ).to.deep.equal([
      'policy.securityContext.privileged',
      'policy.securityContext.allowPrivileged',
      'policy.securityContext.allowedCapabilities[0]',
    ]);
  });
});

describe('hooks: policy.annotationExecHooks (issue 17, finding 3)', () => {
  const annotations = {
    'init.hook.restore.velero.io/container-image': 'alpine:3.20',
    'post.hook.restore.velero.io/command': '["cat", "/etc/secret"]',
  };
  const specExec = parseRestoreHooks(
    { spec: { hooks: { resources: [{ name: 'r', postHooks: [{ exec: { command: ['echo', 'spec'] } }] }] } } },
    DEFAULT_HOOK_POLICY,
  );
  const target = { namespace: 'app', annotations, podSpec: { containers: [{ name: 'app' }] } };

  it('off: annotation exec hooks are ignored with a warning; the annotation init hook and spec exec hooks stay', () => {
    const plan = planHooks(specExec, target, {
      policy: { ...DEFAULT_HOOK_POLICY, annotationExecHooks: false },
    });
    expect(plan.initSource).to.equal('annotation');
    expect(plan.initHooks.map((h) => h.state)).to.deep.equal(['insert']);
    expect(plan.execSource).to.equal('spec');
    expect(plan.execHooks.map((h) => h.command)).to.deep.equal([['echo', 'spec']]);
    expect(plan.problems.map((p) => [p.severity, p.field])).to.deep.equal([
      ['warning', 'metadata.annotations[post.hook.restore.velero.io/command]'],
    ]);
  });

  it('on (the default): the annotation exec hook wins over the spec, as in Velero', () => {
    const plan = planHooks(specExec, target, { policy: DEFAULT_HOOK_POLICY });
    expect(plan.execSource).to.equal('annotation');
    expect(plan.execHooks.map((h) => h.command)).to.deep.equal([['cat', '/etc/secret']]);
  });
});
