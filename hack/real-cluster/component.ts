/**
 * One control plane process (etcd, kube-apiserver, …) as a child that cannot outlive us. It runs under a small sh
 * watchdog in its own process group: the watchdog holds the read end of a pipe whose write end only this process
 * holds, so when this process dies (even by SIGKILL) the watchdog reads EOF and kills the component. Stopping sends
 * SIGTERM to the group, then SIGKILL after a grace period. Output goes to `<dir>/logs/<name>.log`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// `$$` in the subshell is the outer shell, which `exec` turns into the component itself. The pipe goes through fd 3
// because sh gives a background list /dev/null as its stdin.
const WATCHDOG = `exec 3<&0
(while read -r _; do :; done; kill -TERM $$ 2>/dev/null || exit 0
  for _ in 1 2 3 4 5 6 7 8 9 10; do sleep 0.5; kill -0 $$ 2>/dev/null || exit 0; done; kill -KILL $$) <&3 &
exec "$@" </dev/null 3<&-`;

const live = new Set<Component>();
process.on('exit', () => {
  for (const c of live) c.killNow();
});

export class Component {
  readonly name: string;
  readonly logPath: string;
  private readonly command: string;
  private readonly args: readonly string[];
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(name: string, command: string, args: readonly string[], logDir: string) {
    this.name = name;
    this.command = command;
    this.args = args;
    this.logPath = join(logDir, `${name}.log`);
  }

  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    const log = openSync(this.logPath, 'a');
    const child = spawn('sh', ['-c', WATCHDOG, 'sh', this.command, ...this.args], {
      detached: true,
      stdio: ['pipe', log, log],
    });
    closeSync(log);
    this.child = child;
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        // The watchdog may still be waiting on the pipe: end it with its group.
        killGroup(child.pid, 'SIGKILL');
        live.delete(this);
        if (this.child === child) this.child = undefined;
        resolve(code ?? (signal ? null : 0));
      });
      child.once('error', () => resolve(null));
    });
    child.stdin?.on('error', () => {});
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Resolves with the exit code (null: killed by a signal) once the process has gone. */
  whenExited(): Promise<number | null> {
    return this.exited ?? Promise.resolve(0);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has gone. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    killGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL, as a crash would; resolves once the process has gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    killGroup(child.pid, 'SIGKILL');
    await this.exited;
  }

  /** Synchronous last resort at process exit. */
  killNow(): void {
    if (this.child) killGroup(this.child.pid, 'SIGKILL');
  }

  /** The last `lines` lines of the component's log. */
  tail(lines = 40): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
