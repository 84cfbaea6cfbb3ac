import { expect } from 'chai';
import { formatProblem, hasErrors } from '../../src/hooks/problems.ts';

describe('hooks/problems', () => {
  const warning = {
    severity: 'warning',
    object: 'target',
    field: 'metadata.annotations',
    message: 'ignored',
  } as const;
  const error = {
    severity: 'error',
    object: 'restore',
    field: 'spec.hooks.resources[0].name',
    message: 'Required value',
  } as const;

  it('tells whether any problem is an error', () => {
    expect(hasErrors([])).to.equal(false);
    expect(hasErrors([warning])).to.equal(false);
    expect(hasErrors([warning, error])).to.equal(true);
  });

  it('formats a problem as one line naming the field', () => {
    expect(formatProblem(error)).to.equal('spec.hooks.resources[0].name: Required value');
  });
});
