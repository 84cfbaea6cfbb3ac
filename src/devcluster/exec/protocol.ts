/**
 * The remote-command WebSocket protocol kube-apiserver speaks for pods/exec (channel.k8s.io family). Every binary
 * frame starts with one channel byte; v5 adds a close frame [255, channel] so a client can half-close stdin.
 */

/** In server preference order. */
export const EXEC_SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export type ExecSubprotocol = (typeof EXEC_SUBPROTOCOLS)[number];

export const CHANNEL = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  /** v4+: a JSON Status ends the session. */
  status: 3,
  /** Terminal size as JSON {Width, Height}. */
  resize: 4,
  /** v5: [255, n] closes channel n. */
  close: 255,
} as const;

export function encodeFrame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const frame = Buffer.allocUnsafe(payload.length + 1);
  frame[0] = channel;
  payload.copy(frame, 1);
  return frame;
}

/** Picks the subprotocol for the offered list: the first of ours the client offers, or undefined. */
export function negotiateSubprotocol(offered: Iterable<string>): ExecSubprotocol | undefined {
  const set = new Set(offered);
  return EXEC_SUBPROTOCOLS.find((p) => set.has(p));
}

/** The Status a kubelet writes on channel 3 when the command ends. */
export interface ExecStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
  code?: number;
}

export function successStatus(): ExecStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
}

export function exitCodeStatus(command: readonly string[], exitCode: number): ExecStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** The runtime could not start the command (e.g. executable not found): no exit code, an internal error. */
export function internalErrorStatus(message: string): ExecStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    code: 500,
  };
}
