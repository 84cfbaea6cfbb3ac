import { expect } from 'chai';
import {
  admissionBypass,
  parseAdmissionBypass,
  formatEscapeRecord,
  parseEscapeRecord,
} from '../../../src/controller/init-hooks/workload-decision.ts';
import type { AdmissionBypassFacts } from '../../../src/controller/init-hooks/workload-decision.ts';

describe('admission bypass: reported from the patch and from its record on every reconcile', () => {
  const base: AdmissionBypassFacts = {
    admissionServed: true,
    restoreActive: true,
    patching: false,
    admitted: false,
  };

  it('decides from the mark at the patch, and from the record afterwards', () => {
    const cases: Array<[string, Partial<AdmissionBypassFacts>, string | undefined]> = [
      ['patching an unmarked workload', { patching: true }, 'Unmarked'],
      ['patching a marked workload whose pods escaped', { patching: true, admitted: true }, 'PodsEscaped'],
      [
        'patching with the webhooks not served: no bypass',
        { patching: true, admissionServed: false },
        undefined,
      ],
      ['nothing to patch, nothing recorded', {}, undefined],
      ['patched earlier, recorded (the report may have been lost)', { recorded: 'Unmarked' }, 'Unmarked'],
      // After the patch the template carries the mark our patch added: the record, not the mark, says why.
      ['patched earlier, recorded, now marked', { recorded: 'Unmarked', admitted: true }, 'Unmarked'],
      [
        'recorded, the webhooks since turned off',
        { recorded: 'PodsEscaped', admissionServed: false },
        'PodsEscaped',
      ],
      [
        'recorded, but the restore is past its window',
        { recorded: 'Unmarked', restoreActive: false },
        undefined,
      ],
      ['patching past the window', { patching: true, restoreActive: false }, undefined],
      // Escaped pods deleted to come back through admission: recorded before the deletion, reported from then on.
      ['escaped pods deleted, nothing patched', { admitted: true, escapeRounds: 1 }, 'PodsEscaped'],
      [
        'escaped pods deleted, then the template path past the bound',
        { admitted: true, escapeRounds: 3, recorded: 'PodsEscaped' },
        'PodsEscaped',
      ],
      ['escaped pods deleted, past the window', { escapeRounds: 2, restoreActive: false }, undefined],
      ['no round recorded', { admitted: true, escapeRounds: 0 }, undefined],
      // Escaped pods that started before the controller saw them: reported from those pods while they exist.
      [
        'escaped pods started, nothing deleted or patched',
        { admitted: true, escapedPodsStarted: true },
        'PodsEscaped',
      ],
      [
        'escaped pods started, the webhooks since turned off',
        { admitted: true, escapedPodsStarted: true, admissionServed: false },
        undefined,
      ],
      [
        'escaped pods started, past the window',
        { admitted: true, escapedPodsStarted: true, restoreActive: false },
        undefined,
      ],
    ];
    for (const [name, overrides, want] of cases)
      expect(admissionBypass({ ...base, ...overrides }), name).to.equal(want);
  });

  it('reads the escape rounds, and the pods of the last one, only for the restore they name', () => {
    const cases: Array<[string | undefined, number, string[]]> = [
      ['1/velero/r1;uid-a', 1, ['uid-a']],
      ['3/velero/r1;uid-a,uid-b', 3, ['uid-a', 'uid-b']],
      // As written before the pods were recorded.
      ['1/velero/r1', 1, []],
      ['3/velero/r1', 3, []],
      ['2/velero/r1;', 2, []],
      ['3/velero/r2;uid-a', 0, []],
      ['3/velero/r2', 0, []],
      ['0/velero/r1;uid-a', 0, []],
      ['-1/velero/r1', 0, []],
      ['x/velero/r1', 0, []],
      ['01/velero/r1', 0, []],
      ['3', 0, []],
      ['3;uid-a', 0, []],
      ['', 0, []],
      [undefined, 0, []],
    ];
    for (const [value, rounds, pods] of cases)
      expect(parseEscapeRecord(value, 'velero/r1'), String(value)).to.deep.equal({ rounds, pods });
  });

  it('writes the escape record as it reads it back', () => {
    for (const record of [
      { rounds: 1, pods: ['uid-a'] },
      { rounds: 3, pods: ['uid-a', 'uid-b', 'uid-c'] },
    ])
      expect(parseEscapeRecord(formatEscapeRecord('velero/r1', record), 'velero/r1')).to.deep.equal(record);
  });

  it('reads the record only for the restore it names', () => {
    const cases: Array<[string | undefined, string | undefined]> = [
      ['Unmarked/velero/r1', 'Unmarked'],
      ['PodsEscaped/velero/r1', 'PodsEscaped'],
      ['Unmarked/velero/r2', undefined],
      ['Unmarked', undefined],
      ['Something/velero/r1', undefined],
      ['', undefined],
      [undefined, undefined],
    ];
    for (const [value, want] of cases)
      expect(parseAdmissionBypass(value, 'velero/r1'), String(value)).to.equal(want);
  });
});
