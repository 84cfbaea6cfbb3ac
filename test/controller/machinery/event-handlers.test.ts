import { expect } from 'chai';
import type { Logger as WinstonLogger } from 'winston';
import { createLogger, transports } from 'winston';
import { enqueueHandler, mappedHandler } from '../../../src/controller/machinery/event-handlers.ts';
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

describe('mappedHandler', () => {
  const pod = (name: string): KubeObject => ({ metadata: { namespace: 'app', name } });

  it('hands the mapping each change with its type, and the old state on update', () => {
    const keys: string[] = [];
    const handler = mappedHandler<KubeObject>({ enqueue: (key) => keys.push(key) }, (event) => [
      event.type === 'update'
        ? `${event.type}:${event.oldObject.metadata?.name}->${event.object.metadata?.name}`
        : `${event.type}:${event.object.metadata?.name}`,
    ]);
    handler.onAdd!(pod('a'));
    handler.onUpdate!(pod('a'), pod('b'));
    handler.onDelete!(pod('b'));
    expect(keys).to.deep.equal(['add:a', 'update:a->b', 'delete:b']);
  });

  it('enqueues nothing for a change the mapping gives no key, and every key it gives, in order', () => {
    const keys: string[] = [];
    const handler = mappedHandler<KubeObject>({ enqueue: (key) => keys.push(key) }, (event) =>
      event.type === 'delete' ? [] : ['k1', 'k2'],
    );
    handler.onDelete!(pod('a'));
    handler.onAdd!(pod('a'));
    expect(keys).to.deep.equal(['k1', 'k2']);
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
