import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AuditWriteLog, writeRecordOf } from '../../hack/real-cluster/audit-log.ts';

const T = '2026-12-06T07:00:00.123456Z';
const event = (over: Record<string, unknown>) => ({
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  stage: 'ResponseComplete',
  verb: 'create',
  user: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
  objectRef: { resource: 'pods', namespace: 'app', name: 'web-1', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 201 },
  requestReceivedTimestamp: T,
  ...over,
});

describe('real cluster: audit events as WriteRecords', () => {
  const cases: [
    what: string,
    input: Record<string, unknown>,
    expected: Record<string, unknown> | undefined,
  ][] = [
    [
      'a create names no object, as in the devcluster',
      event({}),
      {
        time: '2026-12-06T07:00:00.123Z',
        user: 'system:serviceaccount:kube-system:replicaset-controller',
        verb: 'create',
        resource: 'pods',
        subresource: '',
        namespace: 'app',
        name: '',
        code: 201,
      },
    ],
    [
      'a subresource create keeps its name (pods/binding)',
      event({ objectRef: { resource: 'pods', subresource: 'binding', namespace: 'app', name: 'web-1' } }),
      { resource: 'pods', subresource: 'binding', name: 'web-1' },
    ],
    [
      'a grouped resource is qualified by its group',
      event({
        verb: 'patch',
        objectRef: {
          resource: 'deployments',
          apiGroup: 'apps',
          namespace: 'app',
          name: 'web',
          apiVersion: 'v1',
        },
        responseStatus: { code: 200 },
      }),
      { verb: 'patch', resource: 'deployments.apps', name: 'web', code: 200 },
    ],
    [
      'a cluster-scoped delete has no namespace',
      event({
        verb: 'delete',
        objectRef: { resource: 'nodes', name: 'node-1' },
        responseStatus: { code: 200 },
      }),
      { verb: 'delete', resource: 'nodes', namespace: '', name: 'node-1' },
    ],
    [
      'a forbidden write is kept with its code',
      event({ verb: 'update', responseStatus: { code: 403 } }),
      { verb: 'update', name: 'web-1', code: 403 },
    ],
    ['a panic counts as a 500', event({ stage: 'Panic', responseStatus: undefined }), { code: 500 }],
    ['a request that failed authentication is left out', event({ responseStatus: { code: 401 } }), undefined],
    ['a read is left out', event({ verb: 'get' }), undefined],
    ['an earlier stage is left out', event({ stage: 'ResponseStarted' }), undefined],
  ];
  for (const [what, input, expected] of cases) {
    it(what, () => {
      const record = writeRecordOf(input);
      if (expected === undefined) expect(record).to.equal(undefined);
      else expect(record).to.deep.include(expected);
    });
  }

  it('reads the log incrementally, numbering records in log order, across a line split between two reads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-log-test-'));
    try {
      const path = join(dir, 'audit.log');
      const log = new AuditWriteLog(path);
      expect(log.entries()).to.deep.equal([]);
      const a = JSON.stringify(event({ user: { username: 'a' } }));
      const b = JSON.stringify(event({ user: { username: 'b' }, verb: 'delete' }));
      appendFileSync(path, `${a}\n${JSON.stringify(event({ verb: 'list' }))}\n${b.slice(0, 20)}`);
      expect(log.entries().map((r) => [r.seq, r.user])).to.deep.equal([[1, 'a']]);
      appendFileSync(path, `${b.slice(20)}\n`);
      expect(log.entries().map((r) => [r.seq, r.user])).to.deep.equal([
        [1, 'a'],
        [2, 'b'],
      ]);
      expect(log.entries({ user: 'b' }).map((r) => r.verb)).to.deep.equal(['delete']);
      expect(log.entries({ since: 1 }).map((r) => r.seq)).to.deep.equal([2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
