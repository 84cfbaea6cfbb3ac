/**
 * A tiny, deterministic stand-in for a container's shell: enough of POSIX sh for hook commands in tests
 * (`sh -c 'echo hi >> /data/f && exit 3'`). Supported: words with '…', "…" and backslash quoting; `;`, `&&`, `||`;
 * `>` and `>>` into an in-memory file system; `$?`; and the builtins listed in BUILTINS. Anything else is
 * "not found" (127), as in a minimal image.
 */
import { CommandNotStartedError } from './runner.ts';
import type { ExecSession } from './runner.ts';

export interface ShellContext {
  readonly session: ExecSession;
  /** The container's files: absolute path → content. Shared by every exec into the same container. */
  readonly files: Map<string, string>;
  readonly hostname: string;
  readonly now: () => Date;
}

type Token = { word: string } | { op: ';' | '&&' | '||' | '>' | '>>' | '|' | '&' | '<' };

export class ShellSyntaxError extends Error {
  override name = 'ShellSyntaxError';
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);

export function tokenize(script: string): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const push = () => {
    if (word !== undefined) tokens.push({ word });
    word = undefined;
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      push();
      if (c === '\n') tokens.push({ op: ';' });
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError('unterminated quoted string');
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < script.length && script[j] !== '"'; j++) {
        if (script[j] === '\\' && j + 1 < script.length && '"\\$`'.includes(script[j + 1]!)) j++;
        value += script[j];
      }
      if (j >= script.length) throw new ShellSyntaxError('unterminated quoted string');
      word = (word ?? '') + value;
      i = j;
    } else if (c === '\\') {
      if (i + 1 < script.length) word = (word ?? '') + script[++i];
    } else if (c === ';' || c === '<') {
      push();
      tokens.push({ op: c });
    } else if (c === '&' || c === '|' || c === '>') {
      push();
      if (script[i + 1] === c) {
        tokens.push({ op: `${c}${c}` as '&&' | '||' | '>>' });
        i++;
      } else tokens.push({ op: c });
    } else if (c === '#' && word === undefined) {
      while (i + 1 < script.length && script[i + 1] !== '\n') i++;
    } else {
      word = (word ?? '') + c;
    }
  }
  push();
  return tokens;
}

interface SimpleCommand {
  argv: string[];
  redirect?: { append: boolean; path: string };
}
interface Pipeline {
  /** How this command joins the previous one. */
  join: ';' | '&&' | '||';
  command: SimpleCommand;
}

function parse(tokens: Token[]): Pipeline[] {
  const out: Pipeline[] = [];
  let join: Pipeline['join'] = ';';
  let current: SimpleCommand = { argv: [] };
  const finish = (next: Pipeline['join']) => {
    if (current.argv.length === 0) {
      if (current.redirect || next !== ';') throw new ShellSyntaxError('syntax error: unexpected operator');
    } else out.push({ join, command: current });
    join = next;
    current = { argv: [] };
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if ('word' in t) current.argv.push(t.word);
    else if (t.op === '>' || t.op === '>>') {
      const target = tokens[++i];
      if (!target || !('word' in target))
        throw new ShellSyntaxError('syntax error: redirection without a file');
      current.redirect = { append: t.op === '>>', path: target.word };
    } else if (t.op === ';' || t.op === '&&' || t.op === '||') finish(t.op);
    else throw new ShellSyntaxError(`"${t.op}" is not supported by the devcluster shell`);
  }
  finish(';');
  return out;
}

/** Runs argv as a container runtime would: the executable's base name picks a builtin. */
export async function runArgv(argv: readonly string[], ctx: ShellContext): Promise<number> {
  const name = basename(argv[0] ?? '');
  const args = argv.slice(1);
  if (SHELLS.has(name)) {
    const c = args.indexOf('-c');
    if (c >= 0) {
      const script = args[c + 1];
      if (script === undefined) {
        ctx.session.stderr(`${name}: -c: option requires an argument\n`);
        return 2;
      }
      return runScript(script, ctx, name);
    }
    let script = '';
    for await (const chunk of ctx.session.stdin) script += chunk.toString('utf8');
    return runScript(script, ctx, name);
  }
  const builtin = builtinNamed(name);
  if (!builtin) {
    throw new CommandNotStartedError(`exec: "${argv[0] ?? ''}": executable file not found in $PATH: unknown`);
  }
  return builtin(args, ctx, ctx.session.stdout.bind(ctx.session));
}

export async function runScript(script: string, ctx: ShellContext, shell = 'sh'): Promise<number> {
  let program: Pipeline[];
  try {
    program = parse(tokenize(script));
  } catch (e) {
    ctx.session.stderr(`${shell}: ${(e as Error).message}\n`);
    return 2;
  }
  let status = 0;
  for (const { join, command } of program) {
    if ((join === '&&' && status !== 0) || (join === '||' && status === 0)) continue;
    const argv = command.argv.map((a) => a.replaceAll('$?', String(status)));
    const name = basename(argv[0]!);
    if (name === 'exit') return exitCodeOf(argv[1], status);
    let out = ctx.session.stdout.bind(ctx.session);
    let captured = '';
    if (command.redirect) out = (d) => void (captured += d.toString());
    const builtin = builtinNamed(name);
    if (!builtin) {
      ctx.session.stderr(`${shell}: ${argv[0]}: not found\n`);
      status = 127;
    } else {
      status = await builtin(argv.slice(1), ctx, out);
    }
    if (command.redirect) {
      const { path, append } = command.redirect;
      ctx.files.set(path, (append ? (ctx.files.get(path) ?? '') : '') + captured);
    }
    if (ctx.session.signal.aborted) return 130;
  }
  return status;
}

function exitCodeOf(arg: string | undefined, fallback: number): number {
  if (arg === undefined) return fallback;
  const n = Number.parseInt(arg, 10);
  return Number.isNaN(n) ? 2 : ((n % 256) + 256) % 256;
}

function builtinNamed(name: string): Builtin | undefined {
  return Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

type Builtin = (args: string[], ctx: ShellContext, out: (d: string) => void) => number | Promise<number>;

function sleep(seconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, seconds * 1000);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `date` in the C locale, UTC, as busybox and coreutils print it. */
export function formatDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
  );
}

/** printf with %s, %d, %% and the escapes \n \t \\ — enough for test scripts. */
function printf(format: string, args: string[]): string {
  let next = 0;
  return format
    .replace(/\\([nt\\])/g, (_, e: string) => (e === 'n' ? '\n' : e === 't' ? '\t' : '\\'))
    .replace(/%([sd%])/g, (_, f: string) => {
      if (f === '%') return '%';
      const v = args[next++] ?? '';
      return f === 'd' ? String(Number.parseInt(v, 10) || 0) : v;
    });
}

export const BUILTINS: Record<string, Builtin> = {
  true: () => 0,
  false: () => 1,
  ':': () => 0,
  echo: (args, _ctx, out) => {
    const noNewline = args[0] === '-n';
    out(`${(noNewline ? args.slice(1) : args).join(' ')}${noNewline ? '' : '\n'}`);
    return 0;
  },
  printf: (args, _ctx, out) => {
    if (args.length === 0) return 2;
    out(printf(args[0]!, args.slice(1)));
    return 0;
  },
  sleep: async (args, ctx) => {
    const seconds = Number.parseFloat(args[0] ?? '');
    if (!(seconds >= 0)) {
      ctx.session.stderr('sleep: invalid number\n');
      return 1;
    }
    await sleep(seconds, ctx.session.signal);
    return ctx.session.signal.aborted ? 130 : 0;
  },
  cat: async (args, ctx, out) => {
    if (args.length === 0) {
      for await (const chunk of ctx.session.stdin) out(chunk.toString('utf8'));
      return 0;
    }
    let status = 0;
    for (const path of args) {
      const content = ctx.files.get(path);
      if (content === undefined) {
        ctx.session.stderr(`cat: can't open '${path}': No such file or directory\n`);
        status = 1;
      } else out(content);
    }
    return status;
  },
  touch: (args, ctx) => {
    for (const path of args) if (!ctx.files.has(path)) ctx.files.set(path, '');
    return 0;
  },
  rm: (args, ctx) => {
    for (const path of args.filter((a) => !a.startsWith('-'))) ctx.files.delete(path);
    return 0;
  },
  mkdir: () => 0,
  date: (_args, ctx, out) => {
    out(`${formatDate(ctx.now())}\n`);
    return 0;
  },
  hostname: (_args, ctx, out) => {
    out(`${ctx.hostname}\n`);
    return 0;
  },
  pwd: (_args, _ctx, out) => {
    out('/\n');
    return 0;
  },
};
