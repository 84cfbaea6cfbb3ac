/**
 * The default ExecRunner: handlers registered by tests first (newest first), then the deterministic shell in
 * shell.ts. Every finished command is recorded, so a test can assert which hooks ran where.
 */
import type { ExecRequest, ExecRunner, ExecSession } from './runner.ts';
import { runArgv } from './shell.ts';

export interface ExecMatch {
  namespace?: string;
  pod?: string | RegExp;
  container?: string;
  /** Matches the command joined with spaces, or tests the argv. */
  command?: string | RegExp | ((argv: readonly string[]) => boolean);
}

/** Resolves to the exit code. */
export type ExecHandler = (request: ExecRequest, session: ExecSession) => number | Promise<number>;

export interface ExecRecord {
  readonly request: ExecRequest;
  /** undefined when the command could not be started or threw. */
  readonly exitCode: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SimulatedExecRunnerOptions {
  /** The clock `date` prints. Default: the wall clock. */
  now?: () => Date;
  /** How many records `history` keeps (oldest dropped first). Default 10,000. */
  historyLimit?: number;
}

export class SimulatedExecRunner implements ExecRunner {
  private readonly handlers: { match: ExecMatch; handler: ExecHandler }[] = [];
  private readonly fileSystems = new Map<string, Map<string, string>>();
  private readonly records: ExecRecord[] = [];
  private readonly now: () => Date;
  private readonly historyLimit: number;

  constructor(options: SimulatedExecRunnerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  /** Registers a handler for matching requests; returns a function that removes it. */
  handle(match: ExecMatch, handler: ExecHandler): () => void {
    const entry = { match, handler };
    this.handlers.unshift(entry);
    return () => {
      const i = this.handlers.indexOf(entry);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** The in-memory files of one container, shared by every exec into it (and writable by tests). */
  files(namespace: string, pod: string, container: string): Map<string, string> {
    const key = `${namespace}/${pod}/${container}`;
    let files = this.fileSystems.get(key);
    if (!files) this.fileSystems.set(key, (files = new Map()));
    return files;
  }

  /** Finished commands, oldest first. */
  get history(): readonly ExecRecord[] {
    return this.records;
  }

  async run(request: ExecRequest, session: ExecSession): Promise<number> {
    let stdout = '';
    let stderr = '';
    const recording: ExecSession = {
      stdin: session.stdin,
      signal: session.signal,
      stdout: (d) => {
        stdout += d.toString();
        session.stdout(d);
      },
      stderr: (d) => {
        stderr += d.toString();
        session.stderr(d);
      },
    };
    let exitCode: number | undefined;
    try {
      const handler = this.handlers.find((h) => matches(h.match, request))?.handler;
      exitCode = handler
        ? await handler(request, recording)
        : await runArgv(request.command, {
            session: recording,
            files: this.files(request.namespace, request.pod, request.container),
            hostname: request.pod,
            now: this.now,
          });
      return exitCode;
    } finally {
      this.records.push({ request, exitCode, stdout, stderr });
      if (this.records.length > this.historyLimit) this.records.shift();
    }
  }
}

function matches(match: ExecMatch, request: ExecRequest): boolean {
  if (match.namespace !== undefined && match.namespace !== request.namespace) return false;
  if (match.container !== undefined && match.container !== request.container) return false;
  if (match.pod !== undefined && !test(match.pod, request.pod)) return false;
  const c = match.command;
  if (c === undefined) return true;
  if (typeof c === 'function') return c(request.command);
  return test(c, request.command.join(' '));
}

function test(pattern: string | RegExp, value: string): boolean {
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}
