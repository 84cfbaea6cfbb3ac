/** What runs an exec command: the pluggable part behind the pods/exec endpoint. */

export interface ExecRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly tty: boolean;
  /** Whether the client attached stdin. Without it `stdin` ends at once. */
  readonly stdin: boolean;
}

/** The streams of one exec session, as the command sees them. */
export interface ExecSession {
  /** Writes to the client's stdout (dropped when the client did not ask for stdout). */
  stdout(data: string | Buffer): void;
  stderr(data: string | Buffer): void;
  /** Ends when the client closes stdin (v5) or disconnects. */
  readonly stdin: AsyncIterable<Buffer>;
  /** Aborted when the client goes away; long-running commands must stop then. */
  readonly signal: AbortSignal;
}

/**
 * Runs one command and resolves to its exit code. Throwing CommandNotStartedError reports a runtime failure
 * (no exit code), as when the executable does not exist.
 */
export interface ExecRunner {
  run(request: ExecRequest, session: ExecSession): Promise<number>;
}

export class CommandNotStartedError extends Error {
  override name = 'CommandNotStartedError';
}
