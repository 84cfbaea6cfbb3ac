import { expect } from 'chai';
import { IdleHeapRelease } from '../../../src/controller/machinery/idle-heap-release.ts';
import type { HeapRelease } from '../../../src/controller/machinery/idle-heap-release.ts';
import { FakeClock } from '../../helpers/fake-clock.ts';

const MiB = 2 ** 20;

/** A heap and work queues driven by the test: `collect` brings the heap down to `live`. */
function harness(options: { minGrowthBytes?: number; activity?: boolean } = {}) {
  const state = { used: 40 * MiB, live: 40 * MiB, idle: true, collections: 0, requests: 0 };
  const releases: HeapRelease[] = [];
  const clock = new FakeClock();
  const release = new IdleHeapRelease({
    isIdle: () => state.idle,
    heapUsed: () => state.used,
    collect: () => {
      state.collections++;
      state.used = state.live;
    },
    onRelease: (r) => releases.push(r),
    ...(options.activity ? { activity: () => state.requests } : {}),
    intervalMs: 1000,
    minGrowthBytes: options.minGrowthBytes ?? 32 * MiB,
    clock,
  });
  return { state, releases, clock, release };
}

describe('IdleHeapRelease', () => {
  // Each row: the heap in use (MiB) and whether the queues are idle at successive checks, and the checks at which
  // a collection runs. The heap starts at 40 MiB (the baseline); collections bring it down to 50 MiB.
  const cases: [string, [number, boolean][], number[]][] = [
    [
      'an idle controller whose heap does not grow',
      [
        [41, true],
        [42, true],
        [43, true],
      ],
      [],
    ],
    [
      'a burst, then idle at two checks in a row',
      [
        [120, false],
        [150, false],
        [150, true],
        [150, true],
      ],
      [3],
    ],
    [
      'idle at one check only: the queues may just be between events',
      [
        [150, true],
        [150, false],
        [150, true],
      ],
      [],
    ],
    [
      'growth below the threshold',
      [
        [71, true],
        [71, true],
      ],
      [],
    ],
    [
      'growth of exactly the threshold',
      [
        [72, true],
        [72, true],
      ],
      [1],
    ],
    [
      'once per burst: after a release the heap must grow again',
      [
        [150, true],
        [150, true],
        [60, true],
        [75, true],
      ],
      [1],
    ],
    [
      'a second burst is released again',
      [
        [150, true],
        [150, true],
        [50, false],
        [160, false],
        [160, true],
        [160, true],
      ],
      [1, 5],
    ],
  ];
  for (const [title, checks, expected] of cases)
    it(title, () => {
      const { state, release } = harness();
      state.live = 50 * MiB;
      const collected: number[] = [];
      checks.forEach(([usedMiB, idle], i) => {
        state.used = usedMiB * MiB;
        state.idle = idle;
        if (release.check()) collected.push(i);
      });
      expect(collected).to.deep.equal(expected);
      expect(state.collections).to.equal(expected.length);
    });

  it('is not idle at a check where work outside the queues (admission requests) went on since the previous one', () => {
    // Each row: admission requests received so far at successive checks (the queues idle, the heap grown), and
    // the checks at which a collection runs.
    const cases: [string, number[], number[]][] = [
      ['steady webhook traffic', [10, 20, 30, 40], []],
      ['traffic, then none for two checks', [10, 20, 20, 20], [3]],
      ['none since start', [0, 0], [1]],
      ['one request between quiet checks', [0, 1, 1, 1], [3]],
    ];
    for (const [title, counts, expected] of cases) {
      const { state, release } = harness({ activity: true });
      const collected: number[] = [];
      counts.forEach((count, i) => {
        state.used = 150 * MiB;
        state.requests = count;
        if (release.check()) collected.push(i);
      });
      expect(collected, title).to.deep.equal(expected);
    }
  });

  it('measures growth from the smallest heap seen, so that V8’s own collections lower the bar', () => {
    const { state, release } = harness();
    state.live = 20 * MiB;
    for (const [usedMiB, idle] of [
      [100, false],
      [10, false], // V8 collected on its own
      [41, true],
      [43, true],
    ] as const) {
      state.used = usedMiB * MiB;
      state.idle = idle;
      release.check();
    }
    expect(state.collections).to.equal(1);
  });

  it('reports each release: the heap in use before and after, and how long it took', () => {
    const { state, release, releases } = harness();
    state.live = 45 * MiB;
    state.used = 200 * MiB;
    release.check();
    release.check();
    expect(releases).to.deep.equal([{ usedBeforeBytes: 200 * MiB, usedAfterBytes: 45 * MiB, durationMs: 0 }]);
  });

  it('checks every interval once started, and not after stop', async () => {
    const { state, clock, release } = harness();
    state.used = 200 * MiB;
    release.start();
    release.start();
    await clock.advance(999);
    expect(state.collections).to.equal(0);
    await clock.advance(1001);
    expect(state.collections).to.equal(1);
    state.used = 300 * MiB;
    release.stop();
    await clock.advance(10_000);
    expect(state.collections).to.equal(1);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('refuses an interval or threshold that is not a number in range, naming it', () => {
    const base = { isIdle: () => true, heapUsed: () => 0, collect: () => {} };
    expect(() => new IdleHeapRelease({ ...base, intervalMs: 0 })).to.throw(RangeError, /intervalMs/);
    expect(() => new IdleHeapRelease({ ...base, intervalMs: Number.NaN })).to.throw(RangeError, /intervalMs/);
    expect(() => new IdleHeapRelease({ ...base, minGrowthBytes: -1 })).to.throw(RangeError, /minGrowthBytes/);
  });
});
