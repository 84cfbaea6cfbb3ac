import { expect } from 'chai';
import type { V1Status } from '@kubernetes/client-node';
import { exitCodeOfStatus } from '../../../src/controller/exec-hooks/exec-runner.ts';

describe('exec-hooks: exitCodeOfStatus (the V1Status on channel 3)', () => {
  const cases: [string, V1Status, number | undefined][] = [
    ['Success is 0', { status: 'Success' }, 0],
    [
      'NonZeroExitCode carries the ExitCode cause',
      {
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      },
      3,
    ],
    [
      'NonZeroExitCode without a cause has no exit code',
      { status: 'Failure', reason: 'NonZeroExitCode' },
      undefined,
    ],
    [
      'a garbled exit code is no exit code',
      {
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: 'x' }] },
      },
      undefined,
    ],
    [
      'InternalError (the command could not start) has no exit code',
      { status: 'Failure', reason: 'InternalError', message: 'executable file not found' },
      undefined,
    ],
  ];
  for (const [what, status, want] of cases) it(what, () => expect(exitCodeOfStatus(status)).to.equal(want));
});
