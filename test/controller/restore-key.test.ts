import { expect } from 'chai';
import { restoreKey } from '../../src/controller/restore-key.ts';

describe('restoreKey (how a Restore is named in queues, logs, ledgers and reports)', () => {
  const cases: [string, Parameters<typeof restoreKey>[0], string][] = [
    ['a Restore from the API', { metadata: { namespace: 'velero', name: 'r2' } }, 'velero/r2'],
    ['no namespace (a Restore read from a file)', { metadata: { name: 'r2' } }, '/r2'],
    ['no name', { metadata: { namespace: 'velero' } }, 'velero/'],
    ['no metadata', {}, '/'],
    ['null metadata', { metadata: null }, '/'],
    ['values that are not strings, from YAML', { metadata: { namespace: 7, name: true } }, '7/true'],
  ];
  for (const [name, restore, want] of cases)
    it(`${name}: ${JSON.stringify(want)}`, () => expect(restoreKey(restore)).to.equal(want));
});
