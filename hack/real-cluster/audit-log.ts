/**
 * kube-apiserver's audit log (JSON lines, audit.k8s.io/v1 Events) as the devcluster's write audit: one WriteRecord
 * per write the API server answered, in the order it logged them. The audit policy (AUDIT_POLICY) logs writes at
 * Metadata level once the response is complete, and nothing else.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { WRITE_VERBS } from '../../src/devcluster/requests/request-counter.ts';
import type { WriteQuery, WriteRecord } from '../../src/devcluster/audit/write-log.ts';

export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: Metadata
    verbs: [${[...WRITE_VERBS].join(', ')}]
  - level: None
`;

interface AuditEvent {
  stage?: string;
  verb?: string;
  user?: { username?: string };
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number };
  requestReceivedTimestamp?: string;
}

/**
 * The write one audit event records, or undefined for anything else (other stages and verbs, and requests that
 * failed authentication, which the devcluster's audit leaves out too). As in the devcluster, a create names no
 * object unless it is a subresource's (pods/binding, pods/eviction).
 */
export function writeRecordOf(event: AuditEvent): Omit<WriteRecord, 'seq'> | undefined {
  if (event.stage !== 'ResponseComplete' && event.stage !== 'Panic') return undefined;
  const verb = event.verb ?? '';
  if (!WRITE_VERBS.has(verb)) return undefined;
  const code = event.stage === 'Panic' ? 500 : (event.responseStatus?.code ?? 0);
  if (code === 401) return undefined;
  const ref = event.objectRef ?? {};
  const subresource = ref.subresource ?? '';
  return {
    time: event.requestReceivedTimestamp
      ? new Date(event.requestReceivedTimestamp).toISOString()
      : new Date(0).toISOString(),
    user: event.user?.username ?? '',
    verb,
    resource: `${ref.resource ?? ''}${ref.apiGroup ? `.${ref.apiGroup}` : ''}`,
    subresource,
    namespace: ref.namespace ?? '',
    name: verb === 'create' && subresource === '' ? '' : (ref.name ?? ''),
    code,
  };
}

/** Reads the audit log incrementally: each call parses only what was appended since the last one. */
export class AuditWriteLog {
  private readonly path: string;
  private offset = 0;
  private partial = '';
  private readonly records: WriteRecord[] = [];

  constructor(path: string) {
    this.path = path;
  }

  entries(filter: WriteQuery = {}): WriteRecord[] {
    this.readAppended();
    return this.records.filter(
      (r) => (filter.user === undefined || r.user === filter.user) && r.seq > (filter.since ?? 0),
    );
  }

  /** The audit log keeps every record (the devcluster's bounded log counts what it dropped). */
  readonly dropped = 0;

  private readAppended(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return; // Nothing logged yet.
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) {
        // Rotated or truncated: start over.
        this.offset = 0;
        this.partial = '';
      }
      const buffer = Buffer.alloc(size - this.offset);
      let read = 0;
      while (read < buffer.length) {
        const n = readSync(fd, buffer, read, buffer.length - read, this.offset + read);
        if (n === 0) break;
        read += n;
      }
      this.offset += read;
      const lines = (this.partial + buffer.subarray(0, read).toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const record = writeRecordOf(JSON.parse(line) as AuditEvent);
        if (record) this.records.push({ seq: this.records.length + 1, ...record });
      }
    } finally {
      closeSync(fd);
    }
  }
}
