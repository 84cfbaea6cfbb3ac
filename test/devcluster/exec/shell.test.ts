import { expect } from 'chai';
import fc from 'fast-check';
import type { ExecSession } from '../../../src/devcluster/exec/runner.ts';
import { CommandNotStartedError } from '../../../src/devcluster/exec/runner.ts';
import { runArgv, runScript, tokenize } from '../../../src/devcluster/exec/shell.ts';

function context(stdinText = '') {
  const out = { stdout: '', stderr: '' };
  const session: ExecSession = {
    stdout: (d) => void (out.stdout += d.toString()),
    stderr: (d) => void (out.stderr += d.toString()),
    stdin: (async function* () {
      if (stdinText) yield Buffer.from(stdinText);
    })(),
    signal: new AbortController().signal,
  };
  return {
    out,
    ctx: { session, files: new Map<string, string>(), hostname: 'pod-0', now: () => new Date(0) },
  };
}

describe('devcluster exec shell simulator', () => {
  const cases: { script: string; exit: number; stdout: string; stderr?: string }[] = [
    { script: 'exit 3', exit: 3, stdout: '' },
    { script: 'exit 300', exit: 44, stdout: '' },
    { script: 'true && echo yes', exit: 0, stdout: 'yes\n' },
    { script: 'false && echo no', exit: 1, stdout: '' },
    { script: 'false || echo fallback', exit: 0, stdout: 'fallback\n' },
    { script: 'false; echo $?', exit: 0, stdout: '1\n' },
    {
      script: `echo 'single "quoted"' "double \\"q\\"" back\\ slash`,
      exit: 0,
      stdout: 'single "quoted" double "q" back slash\n',
    },
    { script: 'echo -n no-newline', exit: 0, stdout: 'no-newline' },
    { script: 'printf "%s=%d\\n" a 5', exit: 0, stdout: 'a=5\n' },
    { script: 'echo a > /f; echo b >> /f; cat /f', exit: 0, stdout: 'a\nb\n' },
    { script: 'echo one\necho two # comment', exit: 0, stdout: 'one\ntwo\n' },
    { script: 'hostname', exit: 0, stdout: 'pod-0\n' },
    { script: 'nope', exit: 127, stdout: '', stderr: 'sh: nope: not found\n' },
    {
      script: 'echo a | cat',
      exit: 2,
      stdout: '',
      stderr: 'sh: "|" is not supported by the devcluster shell\n',
    },
    { script: "echo 'open", exit: 2, stdout: '', stderr: 'sh: unterminated quoted string\n' },
    { script: '&& true', exit: 2, stdout: '', stderr: 'sh: syntax error: unexpected operator\n' },
  ];
  for (const c of cases) {
    it(`sh -c ${JSON.stringify(c.script)} → exit ${c.exit}`, async () => {
      const { out, ctx } = context();
      expect(await runScript(c.script, ctx)).to.equal(c.exit);
      expect(out.stdout).to.equal(c.stdout);
      expect(out.stderr).to.equal(c.stderr ?? '');
    });
  }

  it('runs a script read from stdin when sh has no -c', async () => {
    const { out, ctx } = context('echo from-stdin; exit 4');
    expect(await runArgv(['/bin/sh'], ctx)).to.equal(4);
    expect(out.stdout).to.equal('from-stdin\n');
  });

  it('treats exit outside a shell as a missing executable, as a container runtime does', async () => {
    const { ctx } = context();
    let error: unknown;
    await runArgv(['exit', '1'], ctx).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(CommandNotStartedError);
  });

  it('never throws on arbitrary scripts (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 60 }).filter((s) => !/sleep|cat(\s|$)/.test(s)),
        async (script) => {
          const { ctx } = context();
          const code = await runScript(script, ctx);
          expect(code).to.be.within(0, 255);
          tokenize(script.replaceAll("'", '').replaceAll('"', ''));
        },
      ),
      { numRuns: 300 },
    );
  });
});
