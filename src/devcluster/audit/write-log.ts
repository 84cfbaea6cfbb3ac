/**
 * An audit of the writes clients make over HTTP: every create, update, patch, delete and deletecollection that was
 * authenticated, with who made it and how it was answered (including 403s and injected faults), and the writes of the
 * simulated controllers, scheduler and Velero under their own users (the kubelets and node registration are not
 * in it). Filtered by user, it shows exactly what one client such as the controller did.
 * The chaos suite reads it (GET /devcluster/writes) to prove the controller wrote nothing outside a restore.
 */

export interface WriteRecord {
  /** 1, 2, 3, ... in the order the requests arrived. */
  readonly seq: number;
  /** When the request arrived (ISO 8601, milliseconds). */
  readonly time: string;
  readonly user: string;
  readonly verb: string;
  /** `pods`, `deployments.apps`, `restores.velero.io`, ... */
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  /** '' for a create (the name is in the body) and for deletecollection. */
  readonly name: string;
  /** The HTTP status of the answer; 0 when the connection closed before one was sent. */
  code: number;
}

export interface WriteQuery {
  readonly user?: string;
  /** Only records with seq greater than this. */
  readonly since?: number;
}

export class WriteLog {
  private readonly records: WriteRecord[] = [];
  private nextSeq = 1;
  private droppedCount = 0;
  private readonly capacity: number;

  /** Keeps the newest `capacity` records; older ones are dropped and counted. */
  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  /** Starts a record; the caller sets `code` once the answer is known. */
  begin(entry: Omit<WriteRecord, 'seq' | 'time' | 'code'>, now = new Date()): WriteRecord {
    const record: WriteRecord = { seq: this.nextSeq++, time: now.toISOString(), code: 0, ...entry };
    this.records.push(record);
    if (this.records.length > this.capacity) {
      this.records.splice(0, this.records.length - this.capacity);
      this.droppedCount = this.nextSeq - 1 - this.capacity;
    }
    return record;
  }

  entries(query: WriteQuery = {}): WriteRecord[] {
    return this.records.filter(
      (r) => (query.user === undefined || r.user === query.user) && r.seq > (query.since ?? 0),
    );
  }

  /** Records dropped because the log was full. */
  get dropped(): number {
    return this.droppedCount;
  }
}
