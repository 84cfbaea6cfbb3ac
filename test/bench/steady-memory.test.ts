import { expect } from 'chai';
import { controllerIdle } from '../../hack/bench/steady-memory.ts';

const exposition = (depths: number[], unfinished: number[]) =>
  [
    '# TYPE workqueue_depth gauge',
    ...depths.map((d, i) => `workqueue_depth{name="c${i}",controller="c${i}"} ${d}`),
    '# TYPE workqueue_unfinished_work_seconds gauge',
    ...unfinished.map((u, i) => `workqueue_unfinished_work_seconds{name="c${i}",controller="c${i}"} ${u}`),
    'process_resident_memory_bytes 123456',
    '',
  ].join('\n');

describe('bench: controllerIdle (steady state = every work queue empty, nothing in flight)', () => {
  const cases: [string, number[], number[], boolean][] = [
    ['all queues empty, nothing in flight', [0, 0, 0, 0], [0, 0, 0, 0], true],
    ['one key queued', [0, 0, 1, 0], [0, 0, 0, 0], false],
    ['one reconcile in flight', [0, 0, 0, 0], [0, 0.004, 0, 0], false],
    ['thousands queued', [0, 1996, 11361, 0], [0, 1.2, 3.4, 0], false],
  ];
  for (const [title, depths, unfinished, idle] of cases)
    it(`${title}: ${idle ? 'idle' : 'busy'}`, () => {
      expect(controllerIdle(exposition(depths, unfinished))).to.equal(idle);
    });
});
