/**
 * The exec-hook progress record kept on each pod, in the annotation `restore-hooks.dev/exec-hooks`: which restore
 * the hooks belong to and, per hook id, its attempts and outcome. It is what makes exec hooks run once across
 * restarts and leader changes: a hook whose entry is final is never run again. Pure: parsing, formatting (bounded
 * in size) and the outcome arithmetic.
 */

/**
 * What an entry's `result` may hold (final: Succeeded, Failed; or Retrying while attempts are left), and its
 * `reason`: why it failed, or is retried.
 */
export const ENTRY_VALUES = {
  result: ['Succeeded', 'Failed', 'Retrying'],
  reason: [
    'NonZeroExit',
    'ExecTimeout',
    'WaitTimeout',
    'ContainerNotFound',
    'PodEnded',
    'PodDeleted',
    'NotRunAfterFailure',
    'ExecError',
  ],
} as const;
export type EntryResult = (typeof ENTRY_VALUES.result)[number];
export type FailureReason = (typeof ENTRY_VALUES.reason)[number];

/** Whether `value` is one of what an entry's `field` may hold. */
const allowed = (field: keyof typeof ENTRY_VALUES, value: unknown): boolean =>
  typeof value === 'string' && (ENTRY_VALUES[field] as readonly string[]).includes(value);

/** Failures worth another attempt when retries are configured; the others cannot change by trying again. */
const RETRYABLE: ReadonlySet<FailureReason> = new Set(['NonZeroExit', 'ExecTimeout', 'ExecError']);

export interface HookEntry {
  /** Exec attempts made so far (0 for a hook failed without running). */
  readonly attempts: number;
  readonly result: EntryResult;
  readonly reason?: FailureReason;
  readonly exitCode?: number;
  /** RFC 3339, when the last attempt (or the decision to fail) ended. */
  readonly finishedAt: string;
  /** Retrying: not before this time (RFC 3339). */
  readonly nextAttemptAt?: string;
  /** The last bytes of the last attempt's output (at most TAIL_BYTES of UTF-8 each). */
  readonly stdout?: string;
  readonly stderr?: string;
}

export interface ExecRecord {
  /** The Restore, `namespace/name`. */
  readonly restore: string;
  readonly hooks: Readonly<Record<string, HookEntry>>;
}

export const TAIL_BYTES = 256;
/**
 * The whole annotation stays below this (a pod's annotations may total 256 KiB): output tails are dropped first.
 * An outcome without output takes about 140 bytes, so the bound holds for up to ~450 exec hooks per pod.
 */
export const MAX_RECORD_BYTES = 64 * 1024;

export function isFinal(entry: HookEntry | undefined): boolean {
  return entry !== undefined && entry.result !== 'Retrying';
}

/**
 * The last `maxBytes` bytes of `text` encoded as UTF-8, cut at a character boundary (never half a character).
 */
export function utf8Tail(text: string, maxBytes = TAIL_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}

export type ParsedRecord =
  | { readonly ok: true; readonly record: ExecRecord | undefined }
  | { readonly ok: false; readonly error: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseEntry(id: string, raw: unknown): HookEntry | string {
  const at = `hooks[${JSON.stringify(id)}]`;
  if (!isObject(raw)) return `${at}: expected an object`;
  const { attempts, result, reason, exitCode, finishedAt, nextAttemptAt, stdout, stderr } = raw;
  if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0)
    return `${at}.attempts: expected a non-negative integer`;
  if (!allowed('result', result)) return `${at}.result: expected one of ${ENTRY_VALUES.result.join(', ')}`;
  if (reason !== undefined && !allowed('reason', reason))
    return `${at}.reason: expected one of ${ENTRY_VALUES.reason.join(', ')}`;
  if (exitCode !== undefined && (typeof exitCode !== 'number' || !Number.isInteger(exitCode)))
    return `${at}.exitCode: expected an integer`;
  if (typeof finishedAt !== 'string' || Number.isNaN(Date.parse(finishedAt)))
    return `${at}.finishedAt: expected an RFC 3339 time`;
  if (
    nextAttemptAt !== undefined &&
    (typeof nextAttemptAt !== 'string' || Number.isNaN(Date.parse(nextAttemptAt)))
  )
    return `${at}.nextAttemptAt: expected an RFC 3339 time`;
  if (result === 'Retrying' && nextAttemptAt === undefined)
    return `${at}.nextAttemptAt: required when Retrying`;
  if (stdout !== undefined && typeof stdout !== 'string') return `${at}.stdout: expected a string`;
  if (stderr !== undefined && typeof stderr !== 'string') return `${at}.stderr: expected a string`;
  return {
    attempts,
    result: result as EntryResult,
    ...(reason !== undefined ? { reason: reason as FailureReason } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
    finishedAt,
    ...(nextAttemptAt !== undefined ? { nextAttemptAt: nextAttemptAt as string } : {}),
    ...(stdout !== undefined ? { stdout: stdout as string } : {}),
    ...(stderr !== undefined ? { stderr: stderr as string } : {}),
  };
}

/** Reads the annotation; `record: undefined` when there is none. A malformed record is an error, never guessed at. */
export function parseExecRecord(text: string | undefined): ParsedRecord {
  if (text === undefined || text === '') return { ok: true, record: undefined };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (!isObject(raw)) return { ok: false, error: 'expected a JSON object' };
  if (typeof raw.restore !== 'string' || !/^[^/]+\/[^/]+$/.test(raw.restore))
    return { ok: false, error: 'restore: expected "namespace/name"' };
  const hooksRaw = raw.hooks ?? {};
  if (!isObject(hooksRaw)) return { ok: false, error: 'hooks: expected an object' };
  const entries: [string, HookEntry][] = [];
  for (const [id, value] of Object.entries(hooksRaw)) {
    const entry = parseEntry(id, value);
    if (typeof entry === 'string') return { ok: false, error: entry };
    entries.push([id, entry]);
  }
  // fromEntries defines own properties, so an id such as "__proto__" (a hand-edited record) stays a plain key.
  return { ok: true, record: { restore: raw.restore, hooks: Object.fromEntries(entries) } };
}

/**
 * The annotation value: compact JSON with hook ids sorted, at most MAX_RECORD_BYTES. When the output tails make it
 * longer, they are dropped (oldest-finished hooks first); identities and outcomes are always kept.
 */
export function formatExecRecord(record: ExecRecord): string {
  const ids = Object.keys(record.hooks).sort();
  const hooks: Record<string, HookEntry> = Object.fromEntries(ids.map((id) => [id, record.hooks[id]!]));
  let text = JSON.stringify({ restore: record.restore, hooks });
  if (Buffer.byteLength(text) <= MAX_RECORD_BYTES) return text;
  const byAge = [...ids].sort((a, b) => Date.parse(hooks[a]!.finishedAt) - Date.parse(hooks[b]!.finishedAt));
  for (const id of byAge) {
    const { stdout: _stdout, stderr: _stderr, ...rest } = hooks[id]!;
    hooks[id] = rest;
    text = JSON.stringify({ restore: record.restore, hooks });
    if (Buffer.byteLength(text) <= MAX_RECORD_BYTES) break;
  }
  return text;
}

export function withEntry(record: ExecRecord, id: string, entry: HookEntry): ExecRecord {
  return { restore: record.restore, hooks: { ...record.hooks, [id]: entry } };
}

/** How one exec attempt ended. */
export type AttemptResult =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly stdout: string; readonly stderr: string }
  | { readonly kind: 'timeout'; readonly stdout: string; readonly stderr: string }
  | {
      readonly kind: 'error';
      readonly message: string;
      readonly stdout: string;
      readonly stderr: string;
      /** The API server refused the exec (the WebSocket never opened): the command did not start. */
      readonly notStarted?: boolean;
    };

/**
 * Attempts of a hook whose exec the API server refused before the command started (429, 5xx, a dropped
 * connection): retrying cannot run the command twice, so these are retried even when retries are not configured.
 */
export const NOT_STARTED_ATTEMPTS = 5;

export interface RetryPolicy {
  /** Attempts in total, including the first (1: no retry). */
  readonly attempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** The backoff after the `attempt`-th failed attempt (1-based): base × 2^(attempt-1), at most max. */
export function retryBackoffMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** Math.min(attempt - 1, 30));
}

/** RFC 3339 with milliseconds, so that a short retry backoff is not rounded away. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** The entry after attempt number `attempt` ended with `result` at `nowMs`. */
export function entryAfterAttempt(
  attempt: number,
  result: AttemptResult,
  nowMs: number,
  retry: RetryPolicy,
): HookEntry {
  const output = {
    ...(result.stdout ? { stdout: utf8Tail(result.stdout) } : {}),
    ...(result.stderr || result.kind === 'error'
      ? { stderr: utf8Tail(result.kind === 'error' && !result.stderr ? result.message : result.stderr) }
      : {}),
  };
  const finishedAt = rfc3339(nowMs);
  if (result.kind === 'exited' && result.exitCode === 0)
    return { attempts: attempt, result: 'Succeeded', exitCode: 0, finishedAt, ...output };
  const reason: FailureReason =
    result.kind === 'exited' ? 'NonZeroExit' : result.kind === 'timeout' ? 'ExecTimeout' : 'ExecError';
  const exit = result.kind === 'exited' ? { exitCode: result.exitCode } : {};
  const attempts =
    result.kind === 'error' && result.notStarted
      ? Math.max(retry.attempts, NOT_STARTED_ATTEMPTS)
      : retry.attempts;
  if (RETRYABLE.has(reason) && attempt < attempts) {
    return {
      attempts: attempt,
      result: 'Retrying',
      reason,
      ...exit,
      finishedAt,
      nextAttemptAt: rfc3339(nowMs + retryBackoffMs(attempt, retry)),
      ...output,
    };
  }
  return { attempts: attempt, result: 'Failed', reason, ...exit, finishedAt, ...output };
}

/** The entry of a hook failed without (another) attempt, e.g. WaitTimeout or NotRunAfterFailure. */
export function failedEntry(
  previous: HookEntry | undefined,
  reason: FailureReason,
  nowMs: number,
): HookEntry {
  return {
    attempts: previous?.attempts ?? 0,
    result: 'Failed',
    reason,
    ...(previous?.exitCode !== undefined ? { exitCode: previous.exitCode } : {}),
    finishedAt: rfc3339(nowMs),
    ...(previous?.stdout ? { stdout: previous.stdout } : {}),
    ...(previous?.stderr ? { stderr: previous.stderr } : {}),
  };
}
