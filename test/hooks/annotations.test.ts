import { expect } from 'chai';
import fc from 'fast-check';
import {
  HOOK_ANNOTATIONS,
  parseCommand,
  readAnnotationExecHook,
  readAnnotationInitHook,
} from '../../src/hooks/annotations.ts';

describe('hooks/annotations', () => {
  it('knows the nine annotation keys', () => {
    expect(HOOK_ANNOTATIONS).to.have.length(9);
    expect(new Set(HOOK_ANNOTATIONS).size).to.equal(9);
  });

  describe('parseCommand, as Velero parses commands', () => {
    const cases: [string, string[]][] = [
      ['["/bin/ash", "-c", "date"]', ['/bin/ash', '-c', 'date']],
      ['["a"]', ['a']],
      ['[]', []],
      ['null', ['null']],
      ['/bin/sh -c date', ['/bin/sh -c date']],
      ['echo "[x]"', ['echo "[x]"']],
      ['[not json', ['[not json']],
      ['[1, 2]', ['[1, 2]']],
      ['["a", 1]', ['["a", 1]']],
      ['["a", null]', ['a', '']],
      ['{"a": 1}', ['{"a": 1}']],
      [' ["a"]', [' ["a"]']],
      ['', []],
    ];
    for (const [value, expected] of cases)
      it(`${JSON.stringify(value)} -> ${JSON.stringify(expected)}`, () => {
        expect(parseCommand(value)).to.deep.equal(expected);
      });

    it('never throws and always returns strings', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            fc.json(),
            fc.string().map((s) => `[${s}`),
          ),
          (v) => {
            const cmd = parseCommand(v);
            expect(cmd.every((a) => typeof a === 'string')).to.equal(true);
          },
        ),
        { numRuns: 3000 },
      );
    });

    it('round-trips any JSON array of strings', () => {
      fc.assert(
        fc.property(fc.array(fc.string()), (args) => {
          expect(parseCommand(JSON.stringify(args))).to.deep.equal(args);
        }),
      );
    });

    it('keeps any value not starting with [ as one argument', () => {
      fc.assert(
        fc.property(
          fc.string({ minLength: 1 }).filter((s) => !s.startsWith('[')),
          (s) => void expect(parseCommand(s)).to.deep.equal([s]),
        ),
      );
    });
  });

  describe('reading hooks from annotations', () => {
    it('has no init hook without a non-empty image', () => {
      expect(readAnnotationInitHook(undefined)).to.equal(undefined);
      expect(readAnnotationInitHook({ 'init.hook.restore.velero.io/container-name': 'x' })).to.equal(
        undefined,
      );
      expect(readAnnotationInitHook({ 'init.hook.restore.velero.io/container-image': '' })).to.equal(
        undefined,
      );
    });

    it('reads an init hook with no command as using the image entrypoint', () => {
      expect(
        readAnnotationInitHook({ 'init.hook.restore.velero.io/container-image': 'busybox' }),
      ).to.deep.equal({
        image: 'busybox',
        name: '',
        command: [],
        rawCommand: undefined,
      });
    });

    it('has no exec hook without a non-empty command', () => {
      expect(readAnnotationExecHook({ 'post.hook.restore.velero.io/container': 'app' })).to.equal(undefined);
      expect(readAnnotationExecHook({ 'post.hook.restore.velero.io/command': '' })).to.equal(undefined);
    });

    it('reads all six exec keys, raw', () => {
      expect(
        readAnnotationExecHook({
          'post.hook.restore.velero.io/command': '["sh", "-c", "true"]',
          'post.hook.restore.velero.io/container': 'db',
          'post.hook.restore.velero.io/on-error': 'Fail',
          'post.hook.restore.velero.io/exec-timeout': '1m',
          'post.hook.restore.velero.io/wait-timeout': '2m',
          'post.hook.restore.velero.io/wait-for-ready': 'true',
        }),
      ).to.deep.equal({
        command: ['sh', '-c', 'true'],
        rawCommand: '["sh", "-c", "true"]',
        container: 'db',
        onError: 'Fail',
        execTimeout: '1m',
        waitTimeout: '2m',
        waitForReady: 'true',
      });
    });

    it('ignores non-string annotation values instead of crashing', () => {
      expect(readAnnotationInitHook({ 'init.hook.restore.velero.io/container-image': 42 })).to.equal(
        undefined,
      );
    });
  });
});
