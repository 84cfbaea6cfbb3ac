import { Writable } from 'node:stream';
import type { KubeConfig, V1Status } from '@kubernetes/client-node';
import type WebSocket from 'isomorphic-ws';
import { Exec } from '../machinery/client-node.ts';
import type { AttemptResult } from './exec-record.ts';

export interface ExecRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly timeoutMs: number;
}

/** Runs one command in a container and resolves with how it ended; never rejects. */
export type ExecFunc = (request: ExecRequest) => Promise<AttemptResult>;

/** How much of each output stream is kept while the command runs (the record keeps less). */
const KEPT_BYTES = 4096;

/** Keeps the last KEPT_BYTES bytes written to it. */
class Tail {
  #chunks: Buffer[] = [];
  #length = 0;

  push(chunk: Buffer): void {
    this.#chunks.push(Buffer.from(chunk));
    this.#length += chunk.length;
    while (this.#length - this.#chunks[0]!.length >= KEPT_BYTES) this.#length -= this.#chunks.shift()!.length;
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    let start = Math.max(0, all.length - KEPT_BYTES);
    while (start < all.length && (all[start]! & 0xc0) === 0x80) start++;
    return all.subarray(start).toString('utf8');
  }
}

/** The exit code a channel-3 V1Status reports: 0 for Success, the ExitCode cause of NonZeroExitCode. */
export function exitCodeOfStatus(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  if (status.reason !== 'NonZeroExitCode') return undefined;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return cause?.message !== undefined && Number.isInteger(code) ? code : undefined;
}

/**
 * Exec over WebSocket with client-node's `Exec` (v5/v4.channel.k8s.io, authenticated with the kubeconfig). `exec()`
 * resolves once the socket is open, not when the command ends: the outcome is the V1Status on channel 3. At
 * `timeoutMs` the socket is terminated (the command is abandoned; the API server stops streaming it) and the result
 * is `timeout`. Every path clears its timer and closes the socket, and the returned promise never rejects.
 */
export function createExec(kubeConfig: KubeConfig): ExecFunc {
  return (request) =>
    new Promise<AttemptResult>((resolve) => {
      const stdout = new Tail();
      const stderr = new Tail();
      let settled = false;
      let socket: WebSocket | undefined;
      const output = () => ({ stdout: stdout.text(), stderr: stderr.text() });
      const settle = (result: AttemptResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket?.terminate();
        resolve(result);
      };
      const timer = setTimeout(() => settle({ kind: 'timeout', ...output() }), request.timeoutMs);
      const sink = (tail: Tail) =>
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            tail.push(chunk);
            done();
          },
        });
      const onStatus = (status: V1Status): void => {
        const exitCode = exitCodeOfStatus(status);
        settle(
          exitCode === undefined
            ? { kind: 'error', message: status.message ?? status.reason ?? 'exec failed', ...output() }
            : { kind: 'exited', exitCode, ...output() },
        );
      };
      new Exec(kubeConfig)
        .exec(
          request.namespace,
          request.pod,
          request.container,
          [...request.command],
          sink(stdout),
          sink(stderr),
          null,
          false,
          onStatus,
        )
        .then((ws) => {
          if (settled) {
            ws.terminate(); // timed out while connecting
            return;
          }
          socket = ws;
          ws.on('error', (error: Error) => settle({ kind: 'error', message: error.message, ...output() }));
          ws.on('close', () =>
            // The status frame is handled before the close; a close without one is an error.
            setImmediate(() =>
              settle({ kind: 'error', message: 'the exec stream closed without a status', ...output() }),
            ),
          );
        })
        .catch((error: unknown) =>
          settle({
            kind: 'error',
            notStarted: true,
            message:
              error instanceof Error
                ? error.message
                : String((error as { message?: unknown } | undefined)?.message ?? error),
            ...output(),
          }),
        );
    });
}
