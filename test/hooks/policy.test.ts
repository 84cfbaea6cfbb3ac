import { expect } from 'chai';
import { DEFAULT_HOOK_POLICY, imagePolicyError, parseHookPolicy } from '../../src/hooks/policy.ts';

describe('hooks/policy', () => {
  it('allows every image and annotation hooks by default', () => {
    expect(parseHookPolicy(undefined, 'hooks')).to.deep.equal({ policy: DEFAULT_HOOK_POLICY, errors: [] });
    expect(imagePolicyError(DEFAULT_HOOK_POLICY, 'anything:latest')).to.equal(undefined);
  });

  it('reads the settings', () => {
    expect(parseHookPolicy({ annotationHooks: false, allowedImages: ['alpine:*'] }, 'hooks')).to.deep.equal({
      policy: { ...DEFAULT_HOOK_POLICY, annotationHooks: false, allowedImages: ['alpine:*'] },
      errors: [],
    });
  });

  it('matches images against the allowed globs', () => {
    const policy = {
      ...DEFAULT_HOOK_POLICY,
      annotationHooks: true,
      allowedImages: ['registry.example.com/*', 'alpine:3.*'],
    };
    expect(imagePolicyError(policy, 'registry.example.com/tools/hook:1')).to.equal(undefined);
    expect(imagePolicyError(policy, 'alpine:3.20')).to.equal(undefined);
    expect(imagePolicyError(policy, 'alpine:latest')).to.contain('not allowed by policy');
  });

  const bad: [unknown, string][] = [
    ['yes', 'hooks'],
    [{ annotationHooks: 'no' }, 'hooks.annotationHooks'],
    [{ allowedImages: 'alpine' }, 'hooks.allowedImages'],
    [{ allowedImages: [''] }, 'hooks.allowedImages[0]'],
    [{ allowedImages: ['[bad'] }, 'hooks.allowedImages[0]'],
    [{ allowdImages: [] }, 'hooks.allowdImages'],
  ];
  for (const [value, field] of bad)
    it(`names ${field} for ${JSON.stringify(value)}`, () => {
      expect(parseHookPolicy(value, 'hooks').errors.map((e) => e.field)).to.include(field);
    });

  it('lets an invalid pattern allow nothing, never everything', () => {
    const { policy } = parseHookPolicy({ allowedImages: ['[bad'] }, 'hooks');
    expect(imagePolicyError(policy, 'alpine')).to.contain('not allowed');
  });
});
