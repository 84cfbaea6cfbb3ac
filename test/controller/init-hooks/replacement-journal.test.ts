import { expect } from 'chai';
import { journalStep } from '../../../src/controller/init-hooks/replacement-journal.ts';
import type { JournalEntry, JournalStep } from '../../../src/controller/init-hooks/replacement-journal.ts';
import type { Pod } from '../../../src/kube/types.ts';

const entry: JournalEntry = {
  namespace: 'app',
  name: 'bare',
  replacedUID: 'old',
  replacement: { metadata: { name: 'bare', namespace: 'app' }, spec: { containers: [] } },
};
const pod = (uid: string, extra: Partial<Pod> = {}): Pod => ({
  metadata: { name: 'bare', namespace: 'app', uid, ...extra.metadata },
  spec: { containers: [{ name: 'app' }] },
  status: extra.status ?? { phase: 'Pending' },
});

describe('replacement journal', () => {
  const cases: Array<[string, Pod | undefined, JournalStep]> = [
    ['old pod still pending', pod('old'), 'delete'],
    ['old pod terminating', pod('old', { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } }), 'wait'],
    ['name free', undefined, 'create'],
    ['replacement already created', pod('new'), 'done'],
    [
      'old pod started meanwhile',
      pod('old', {
        status: {
          phase: 'Running',
          containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
        },
      }),
      'abandon',
    ],
  ];
  for (const [title, current, want] of cases) {
    it(`${title} => ${want}`, () => expect(journalStep(entry, current)).to.equal(want));
  }
});
