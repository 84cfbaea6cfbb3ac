import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { LIMITS, REDACTED, createLogger } from '../../src/telemetry/logger.ts';
import type { Logger } from '../../src/telemetry/logger.ts';
import type { LogLevel } from '../../src/telemetry/log-levels.ts';

/** A logger writing into memory, and a way to read the JSON lines it wrote once they have arrived. */
function capture(level: LogLevel = 'debug') {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const logger = createLogger({ level, stream });
  const lines = async (count: number): Promise<Array<Record<string, unknown>>> => {
    for (let i = 0; i < 100 && text.split('\n').length - 1 < count; i++)
      await new Promise((r) => setImmediate(r));
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return { logger, lines };
}

describe('telemetry: logger', () => {
  it('writes one JSON object per line with timestamp, level, msg and then the context, in that order', async () => {
    const { logger, lines } = capture();
    logger
      .child({ controller: 'restore' })
      .child({ reconcileID: 'a1b2', restore: 'r2', namespace: 'app', name: 'web' })
      .info('patched pod template', { hooks: 2 });
    const [line] = await lines(1);
    expect(Object.keys(line!)).to.deep.equal([
      'timestamp',
      'level',
      'msg',
      'controller',
      'restore',
      'namespace',
      'name',
      'reconcileID',
      'hooks',
    ]);
    expect(line).to.deep.include({ level: 'info', msg: 'patched pod template', restore: 'r2', hooks: 2 });
    expect(line).to.not.have.property('message');
    expect(new Date(line!.timestamp as string).toISOString()).to.equal(line!.timestamp);
  });

  it('honours the level', async () => {
    const { logger, lines } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect((await lines(2)).map((l) => l.level)).to.deep.equal(['warn', 'error']);
    expect(logger.isLevelEnabled('debug')).to.equal(false);
    expect(logger.isLevelEnabled('error')).to.equal(true);
  });

  it('child context does not leak into the parent and fields cannot replace timestamp, level or msg', async () => {
    const { logger, lines } = capture();
    const child: Logger = logger.child({ restore: 'r1' });
    child.info('from child', { level: 'error', msg: 'forged', timestamp: 'never' });
    logger.info('from parent');
    const [a, b] = await lines(2);
    expect(a).to.deep.include({ level: 'info', msg: 'from child', restore: 'r1' });
    expect(a!.timestamp).to.not.equal('never');
    expect(b).to.not.have.property('restore');
  });

  it('redacts secret-looking keys at any depth and bearer tokens inside text', async () => {
    const { logger, lines } = capture();
    logger.info('calling the API', {
      token: 'abc',
      headers: { Authorization: 'Bearer abc.def', accept: 'json' },
      dbPassword: 'hunter2',
      note: 'sent Authorization: Bearer s3cr3t-token to the server',
      jwt: 'value eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here',
    });
    const [line] = await lines(1);
    expect(line).to.deep.include({
      token: REDACTED,
      headers: { Authorization: REDACTED, accept: 'json' },
      dbPassword: REDACTED,
      note: `sent Authorization: Bearer ${REDACTED} to the server`,
      jwt: `value ${REDACTED} here`,
    });
    expect(JSON.stringify(line)).to.not.match(/hunter2|s3cr3t|abc\.def|c2lnbmF0dXJl/);
  });

  it('never logs a whole Kubernetes object, only its kind and name', async () => {
    const { logger, lines } = capture();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-0', namespace: 'app', annotations: { big: 'x'.repeat(10_000) } },
      spec: { containers: [{ name: 'app', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }] },
    };
    logger.info('replacing pod', { pod, pods: [pod] });
    const [line] = await lines(1);
    expect(line).to.deep.include({ pod: 'Pod app/web-0', pods: ['Pod app/web-0'] });
  });

  it('bounds strings, arrays, object keys and depth, and logs errors by message and code', async () => {
    const { logger, lines } = capture();
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    const apiError = Object.assign(new Error('pods "x" is forbidden'), { code: 403 });
    logger.error('bounded', {
      long: 'y'.repeat(5000),
      list: Array.from({ length: 25 }, (_, i) => i),
      many,
      deep: { a: { b: { c: { d: 1 } } } },
      err: apiError,
      when: new Date(0),
    });
    const [line] = await lines(1);
    expect(line!.long).to.equal(`${'y'.repeat(LIMITS.string)}…[${5000 - LIMITS.string} more chars]`);
    expect(line!.list).to.have.length(LIMITS.arrayItems + 1);
    expect((line!.list as unknown[]).at(-1)).to.equal('…5 more');
    expect(Object.keys(line!.many as object)).to.have.length(LIMITS.objectKeys + 1);
    expect(line!.deep).to.deep.equal({ a: { b: { c: '[object]' } } });
    expect(line!.err).to.deep.equal({ error: 'pods "x" is forbidden', code: 403 });
    expect(line!.when).to.equal('1970-01-01T00:00:00.000Z');
  });
});
