/**
 * The server side of pods/exec: validates the request, answers 400 before the upgrade when the target cannot run
 * commands, then speaks v5/v4.channel.k8s.io over the WebSocket and hands the command to an ExecRunner.
 * Authentication and authorization happen in the HTTP layer before it calls handleUpgrade.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { errors } from '../api/errors.ts';
import type { UpgradeHandler } from '../http/extension-points.ts';
import {
  CHANNEL,
  EXEC_SUBPROTOCOLS,
  encodeFrame,
  exitCodeStatus,
  internalErrorStatus,
  negotiateSubprotocol,
  successStatus,
} from './protocol.ts';
import type { ExecStatus, ExecSubprotocol } from './protocol.ts';
import { CommandNotStartedError } from './runner.ts';
import type { ExecRequest, ExecRunner, ExecSession } from './runner.ts';

/** Returns the container to run in, or throws ApiError (see target.ts). */
export type ExecTargetResolver = (namespace: string, pod: string, container: string | undefined) => string;

export interface ExecEndpointOptions {
  runner: ExecRunner;
  resolveContainer: ExecTargetResolver;
}

interface StreamFlags {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1';
}

/** Parses the exec query; throws 400 for what kube-apiserver rejects. */
export function parseExecQuery(
  query: URLSearchParams,
): StreamFlags & { command: string[]; container?: string } {
  const command = query.getAll('command');
  if (command.length === 0)
    throw errors.badRequest('you must specify at least one command for the container');
  const flags = {
    stdin: flag(query, 'stdin'),
    stdout: flag(query, 'stdout'),
    stderr: flag(query, 'stderr'),
    tty: flag(query, 'tty'),
  };
  if (!flags.stdin && !flags.stdout && !flags.stderr) {
    throw errors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  }
  if (flags.tty && flags.stderr) throw errors.badRequest('stdout and stderr cannot both be set with tty');
  const container = query.get('container') ?? undefined;
  return { command, ...flags, ...(container ? { container } : {}) };
}

/** A queue of stdin chunks, readable once as an async iterable. */
class StdinQueue implements AsyncIterable<Buffer> {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  push(chunk: Buffer): void {
    if (this.ended) return;
    this.chunks.push(chunk);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) yield chunk;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

export class ExecEndpoint {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => negotiateSubprotocol(offered) ?? false,
  });
  private readonly sessions = new Set<WebSocket>();
  private readonly options: ExecEndpointOptions;

  constructor(options: ExecEndpointOptions) {
    this.options = options;
  }

  /**
   * Handles the upgrade of GET .../namespaces/{namespace}/pods/{pod}/exec?{query}. Throws ApiError (the HTTP layer
   * answers with its Status) when the request is invalid or the container cannot run commands.
   */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: { namespace: string; pod: string; query: URLSearchParams },
  ): void {
    const parsed = parseExecQuery(target.query);
    const container = this.options.resolveContainer(target.namespace, target.pod, parsed.container);
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      throw errors.badRequest(
        `the devcluster serves exec over WebSocket only (${EXEC_SUBPROTOCOLS.join(', ')}), not ${req.headers.upgrade ?? 'plain HTTP'}`,
      );
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!negotiateSubprotocol(offered)) {
      throw errors.badRequest(
        `requested protocol(s) are not supported: [${offered.join(' ')}]; supported protocols are [${EXEC_SUBPROTOCOLS.join(' ')}]`,
      );
    }
    const request: ExecRequest = {
      namespace: target.namespace,
      pod: target.pod,
      container,
      command: parsed.command,
      tty: parsed.tty,
      stdin: parsed.stdin,
    };
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.serve(ws, request, parsed));
  }

  /** The pods/exec handler for the devcluster's HTTP layer (register it for 'pods/exec'). */
  upgradeHandler(): UpgradeHandler {
    return (req, socket, head, attributes) =>
      this.handleUpgrade(req, socket, head, {
        namespace: attributes.namespace,
        pod: attributes.name,
        query: new URL(req.url ?? '/', 'https://devcluster.invalid').searchParams,
      });
  }

  private async serve(ws: WebSocket, request: ExecRequest, streams: StreamFlags): Promise<void> {
    this.sessions.add(ws);
    const protocol = ws.protocol as ExecSubprotocol;
    const abort = new AbortController();
    const stdin = new StdinQueue();
    if (!streams.stdin) stdin.end();
    ws.on('message', (data: Buffer, isBinary) => {
      const frame = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      const channel = frame[0];
      if (channel === CHANNEL.stdin) stdin.push(frame.subarray(1));
      else if (channel === CHANNEL.close && protocol === 'v5.channel.k8s.io' && frame[1] === CHANNEL.stdin) {
        stdin.end();
      }
    });
    ws.on('close', () => {
      this.sessions.delete(ws);
      stdin.end();
      abort.abort();
    });
    ws.on('error', () => ws.terminate());
    const send = (channel: number, data: string | Buffer) => {
      if (ws.readyState === ws.OPEN && data.length > 0) ws.send(encodeFrame(channel, data));
    };
    const session: ExecSession = {
      stdout: (d) => streams.stdout && send(CHANNEL.stdout, d),
      stderr: (d) => streams.stderr && send(CHANNEL.stderr, d),
      stdin,
      signal: abort.signal,
    };
    let status: ExecStatus;
    try {
      const exitCode = await this.options.runner.run(request, session);
      status = exitCode === 0 ? successStatus() : exitCodeStatus(request.command, exitCode);
    } catch (e) {
      const message =
        e instanceof CommandNotStartedError
          ? `error executing command in container: failed to exec in container: OCI runtime exec failed: exec failed: unable to start container process: ${e.message}`
          : `error executing command in container: ${(e as Error).message}`;
      status = internalErrorStatus(message);
    }
    send(CHANNEL.status, JSON.stringify(status));
    if (ws.readyState === ws.OPEN) ws.close(1000);
  }

  /** Ends every live session (clients see the socket close) and stops accepting upgrades. */
  close(): void {
    for (const ws of this.sessions) ws.terminate();
    this.sessions.clear();
    this.wss.close();
  }
}
