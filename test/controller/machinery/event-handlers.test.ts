import { expect } from 'chai';
import type { Logger as WinstonLogger } from 'winston';
import { createLogger, transports } from 'winston';
import { enqueueHandler } from '../../../src/controller/machinery/index.ts';
import type { KubeObject } from '../../../src/controller/machinery/kube-object.ts';
import type { Logger } from '../../../src/controller/machinery/logger.ts';

describe('enqueueHandler', () => {
  const pod = (name: string, restore?: string): KubeObject => ({
    metadata: { namespace: 'app', name, labels: restore ? { 'velero.io/restore-name': restore } : {} },
  });

  it("enqueues the object's key on add, update and delete", () => {
    const keys: string[] = [];
    const handler = enqueueHandler({ enqueue: (key) => keys.push(key) });
    handler.onAdd!(pod('a'));
    handler.onUpdate!(pod('a'), pod('a'));
    handler.onDelete!(pod('b'));
    expect(keys).to.deep.equal(['app/a', 'app/a', 'app/a', 'app/b']);
  });

  it('enqueues mapped keys for both the old and the new state', () => {
    const keys: string[] = [];
    const handler = enqueueHandler<KubeObject>({ enqueue: (key) => keys.push(key) }, (object) => {
      const restore = object.metadata?.labels?.['velero.io/restore-name'];
      return restore ? [`velero/${restore}`] : [];
    });
    handler.onUpdate!(pod('a', 'r1'), pod('a', 'r2'));
    handler.onAdd!(pod('b'));
    expect(keys).to.deep.equal(['velero/r1', 'velero/r2']);
  });
});

describe('Logger', () => {
  it('is satisfied by a winston logger, child loggers included', () => {
    const lines: unknown[] = [];
    const winstonLogger: WinstonLogger = createLogger({
      level: 'debug',
      transports: [new transports.Console({ silent: true })],
    });
    winstonLogger.on('data', (line: unknown) => lines.push(line));
    const logger: Logger = winstonLogger;
    logger.child({ controller: 'restore' }).info('hello', { key: 'app/a' });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ message: 'hello', controller: 'restore', key: 'app/a', level: 'info' });
  });
});
