import { expect } from 'chai';
import fc from 'fast-check';
import {
  ENTRY_VALUES,
  MAX_RECORD_BYTES,
  TAIL_BYTES,
  entryAfterAttempt,
  NOT_STARTED_ATTEMPTS,
  failedEntry,
  formatExecRecord,
  parseExecRecord,
  retryBackoffMs,
  utf8Tail,
} from '../../../src/controller/exec-hooks/exec-record.ts';
import type { ExecRecord, HookEntry } from '../../../src/controller/exec-hooks/exec-record.ts';

const T0 = Date.parse('2026-11-24T20:00:00Z');
const NO_RETRY = { attempts: 1, backoffBaseMs: 1000, backoffMaxMs: 60_000 };
const THREE = { attempts: 3, backoffBaseMs: 1000, backoffMaxMs: 1500 };

describe('exec-hooks: the progress record', () => {
  describe('utf8Tail', () => {
    const cases: [string, string, number, string][] = [
      ['short text is kept', 'hello', 10, 'hello'],
      ['the end is kept', 'abcdef', 3, 'def'],
      ['never half a character (2-byte é)', 'aéé', 3, 'é'],
      ['never half a character (4-byte emoji)', 'x😀y', 4, 'y'],
      ['a whole emoji fits', 'x😀y', 5, '😀y'],
      ['empty', '', 4, ''],
    ];
    for (const [what, text, max, want] of cases) it(what, () => expect(utf8Tail(text, max)).to.equal(want));

    it('is at most maxBytes of valid UTF-8 and a suffix of the text (property)', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.integer({ min: 0, max: 300 }),
          (text, max) => {
            const tail = utf8Tail(text, max);
            expect(Buffer.byteLength(tail)).to.be.at.most(Math.max(max, 0));
            expect(text.endsWith(tail)).to.equal(true);
            expect(Buffer.from(tail, 'utf8').toString('utf8')).to.equal(tail);
          },
        ),
      );
    });
  });

  describe('parseExecRecord', () => {
    const good = JSON.stringify({
      restore: 'velero/r2',
      hooks: {
        'exec/app/0-abc': {
          attempts: 1,
          result: 'Succeeded',
          exitCode: 0,
          finishedAt: '2026-11-24T20:00:00Z',
        },
      },
    });
    const cases: [string, string | undefined, string | undefined][] = [
      ['no annotation', undefined, undefined],
      ['a valid record', good, undefined],
      ['not JSON', '{', 'not JSON'],
      ['an array', '[]', 'expected a JSON object'],
      ['restore without a namespace', '{"restore":"r2","hooks":{}}', 'restore: expected "namespace/name"'],
      ['hooks not an object', '{"restore":"velero/r2","hooks":[]}', 'hooks: expected an object'],
      [
        'an unknown result',
        '{"restore":"velero/r2","hooks":{"h":{"attempts":1,"result":"Done","finishedAt":"2026-11-24T20:00:00Z"}}}',
        'hooks["h"].result: expected one of Succeeded, Failed, Retrying',
      ],
      [
        'negative attempts',
        '{"restore":"velero/r2","hooks":{"h":{"attempts":-1,"result":"Failed","finishedAt":"2026-11-24T20:00:00Z"}}}',
        'hooks["h"].attempts: expected a non-negative integer',
      ],
      [
        'Retrying without nextAttemptAt',
        '{"restore":"velero/r2","hooks":{"h":{"attempts":1,"result":"Retrying","finishedAt":"2026-11-24T20:00:00Z"}}}',
        'hooks["h"].nextAttemptAt: required when Retrying',
      ],
      [
        'a bad time',
        '{"restore":"velero/r2","hooks":{"h":{"attempts":1,"result":"Failed","finishedAt":"yesterday"}}}',
        'hooks["h"].finishedAt: expected an RFC 3339 time',
      ],
      [
        'an unknown reason',
        '{"restore":"velero/r2","hooks":{"h":{"attempts":1,"result":"Failed","reason":"Oops","finishedAt":"2026-11-24T20:00:00Z"}}}',
        `hooks["h"].reason: expected one of ${ENTRY_VALUES.reason.join(', ')}`,
      ],
    ];
    for (const [what, text, error] of cases)
      it(what, () => {
        const parsed = parseExecRecord(text);
        if (error === undefined) expect(parsed.ok).to.equal(true);
        else expect(parsed).to.deep.equal({ ok: false, error });
      });
  });

  const entry: fc.Arbitrary<HookEntry> = fc
    .record({
      attempts: fc.nat(20),
      result: fc.constantFrom(...ENTRY_VALUES.result),
      reason: fc.option(fc.constantFrom(...ENTRY_VALUES.reason), { nil: undefined }),
      exitCode: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
      finishedAt: fc
        .integer({ min: 0, max: 10 ** 6 })
        .map((s) => new Date(T0 + s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')),
      stdout: fc.option(
        fc.string({ maxLength: 300 }).map((s) => utf8Tail(s)),
        { nil: undefined },
      ),
      stderr: fc.option(
        fc.string({ maxLength: 300 }).map((s) => utf8Tail(s)),
        { nil: undefined },
      ),
    })
    .map((e) => {
      const clean = Object.fromEntries(
        Object.entries(e).filter(([, v]) => v !== undefined),
      ) as unknown as HookEntry;
      return clean.result === 'Retrying' ? { ...clean, nextAttemptAt: clean.finishedAt } : clean;
    });
  const record: fc.Arbitrary<ExecRecord> = fc.record({
    restore: fc.constantFrom('velero/r2', 'openshift-adp/nightly'),
    hooks: fc.dictionary(fc.string({ minLength: 1, maxLength: 40 }), entry, { maxKeys: 8 }),
  });

  it('format then parse gives the record back (property)', () => {
    fc.assert(
      fc.property(record, (r) => {
        const text = formatExecRecord(r);
        expect(Buffer.byteLength(text)).to.be.at.most(MAX_RECORD_BYTES);
        const parsed = parseExecRecord(text);
        expect(parsed).to.deep.equal({ ok: true, record: r });
      }),
    );
  });

  it('stays within MAX_RECORD_BYTES by dropping output tails, oldest first, keeping every outcome (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 300 }), (count) => {
        const hooks: Record<string, HookEntry> = {};
        for (let i = 0; i < count; i++)
          hooks[`exec/app/${i}-0123456789ab`] = {
            attempts: 1,
            result: 'Failed',
            reason: 'NonZeroExit',
            exitCode: 1,
            finishedAt: new Date(T0 + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
            stdout: 'o'.repeat(TAIL_BYTES),
            stderr: 'e'.repeat(TAIL_BYTES),
          };
        const text = formatExecRecord({ restore: 'velero/r2', hooks });
        expect(Buffer.byteLength(text)).to.be.at.most(MAX_RECORD_BYTES);
        const parsed = parseExecRecord(text);
        if (!parsed.ok || !parsed.record) throw new Error('unparseable');
        expect(Object.keys(parsed.record.hooks)).to.have.length(count);
        const newest = parsed.record.hooks[`exec/app/${count - 1}-0123456789ab`]!;
        expect(newest.stdout).to.have.length(TAIL_BYTES);
        expect(parsed.record.hooks['exec/app/0-0123456789ab']!.stdout).to.equal(undefined);
      }),
      { numRuns: 10 },
    );
  });

  describe('entryAfterAttempt', () => {
    const out = { stdout: 'out\n', stderr: 'err\n' };
    const cases: [string, Parameters<typeof entryAfterAttempt>, Partial<HookEntry>][] = [
      [
        'exit 0 succeeds',
        [1, { kind: 'exited', exitCode: 0, ...out }, T0, NO_RETRY],
        { result: 'Succeeded', exitCode: 0, attempts: 1 },
      ],
      [
        'exit 3 fails',
        [1, { kind: 'exited', exitCode: 3, ...out }, T0, NO_RETRY],
        { result: 'Failed', reason: 'NonZeroExit', exitCode: 3 },
      ],
      [
        'a timeout fails',
        [1, { kind: 'timeout', ...out }, T0, NO_RETRY],
        { result: 'Failed', reason: 'ExecTimeout' },
      ],
      [
        'an exec error keeps the message as stderr',
        [1, { kind: 'error', message: 'container not found', stdout: '', stderr: '' }, T0, NO_RETRY],
        { result: 'Failed', reason: 'ExecError', stderr: 'container not found' },
      ],
      [
        'an exec the API server refused (the command never started) is retried even without configured retries',
        [1, { kind: 'error', message: 'HTTP 503', notStarted: true, stdout: '', stderr: '' }, T0, NO_RETRY],
        { result: 'Retrying', reason: 'ExecError', attempts: 1 },
      ],
      [
        'a refused exec fails for good after NOT_STARTED_ATTEMPTS attempts',
        [
          NOT_STARTED_ATTEMPTS,
          { kind: 'error', message: 'HTTP 503', notStarted: true, stdout: '', stderr: '' },
          T0,
          NO_RETRY,
        ],
        { result: 'Failed', reason: 'ExecError', attempts: NOT_STARTED_ATTEMPTS },
      ],
      [
        'a failure with attempts left retries after the base backoff',
        [1, { kind: 'exited', exitCode: 1, ...out }, T0, THREE],
        { result: 'Retrying', reason: 'NonZeroExit', nextAttemptAt: '2026-11-24T20:00:01.000Z' },
      ],
      [
        'the backoff doubles, capped at the maximum',
        [2, { kind: 'timeout', ...out }, T0, THREE],
        { result: 'Retrying', attempts: 2, nextAttemptAt: '2026-11-24T20:00:01.500Z' },
      ],
      [
        'the last attempt fails for good',
        [3, { kind: 'exited', exitCode: 1, ...out }, T0, THREE],
        { result: 'Failed', attempts: 3 },
      ],
    ];
    for (const [what, args, want] of cases)
      it(what, () => expect(entryAfterAttempt(...args)).to.include(want));

    it('the second backoff is twice the first (uncapped)', () => {
      const policy = { attempts: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 };
      expect([1, 2, 3].map((a) => retryBackoffMs(a, policy))).to.deep.equal([1000, 2000, 4000]);
    });

    it('keeps only the tails of long output', () => {
      const e = entryAfterAttempt(
        1,
        { kind: 'exited', exitCode: 0, stdout: 'x'.repeat(10_000), stderr: '' },
        T0,
        NO_RETRY,
      );
      expect(e.stdout).to.have.length(TAIL_BYTES);
      expect(e.stderr).to.equal(undefined);
    });
  });

  it('failedEntry keeps the attempts and output of a previous attempt', () => {
    const previous: HookEntry = {
      attempts: 2,
      result: 'Retrying',
      reason: 'NonZeroExit',
      exitCode: 1,
      finishedAt: '2026-11-24T20:00:00Z',
      nextAttemptAt: '2026-11-24T20:00:01Z',
      stderr: 'e',
    };
    expect(failedEntry(previous, 'PodDeleted', T0)).to.deep.equal({
      attempts: 2,
      result: 'Failed',
      reason: 'PodDeleted',
      exitCode: 1,
      finishedAt: '2026-11-24T20:00:00.000Z',
      stderr: 'e',
    });
    expect(failedEntry(undefined, 'WaitTimeout', T0)).to.deep.equal({
      attempts: 0,
      result: 'Failed',
      reason: 'WaitTimeout',
      finishedAt: '2026-11-24T20:00:00.000Z',
    });
  });
});
