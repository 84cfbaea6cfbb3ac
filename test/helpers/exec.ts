import { PassThrough, Readable } from 'node:stream';
import type { KubeConfig, V1Status } from '@kubernetes/client-node';
import { Exec } from '@kubernetes/client-node';

export interface ExecOutcome {
  stdout: string;
  stderr: string;
  status: V1Status;
}

/** Runs a command with client-node's Exec and resolves once the status arrives on channel 3. */
export async function execWithClientNode(
  kc: KubeConfig,
  target: { namespace: string; pod: string; container: string },
  command: string[],
  stdinText?: string,
): Promise<ExecOutcome> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const stdin = stdinText === undefined ? null : Readable.from([Buffer.from(stdinText)]);
  return new Promise<ExecOutcome>((resolve, reject) => {
    new Exec(kc)
      .exec(target.namespace, target.pod, target.container, command, stdout, stderr, stdin, false, (status) =>
        resolve({ stdout: out, stderr: err, status }),
      )
      .then((ws) => ws.on('close', () => reject(new Error('the exec session closed without a status'))))
      .catch(reject);
  });
}

/** The exit code a V1Status from channel 3 reports (0 for Success). */
export function exitCodeOf(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause?.message === undefined ? undefined : Number(cause.message);
}
