/**
 * The chaos run's webhook Service over real sockets: connections take turns among the serving backends, a backend
 * that stops serving stays in rotation for the endpoint lag (its connections are reset) and then leaves it, and a
 * stall holds the bytes of open and new connections until it ends.
 */
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { expect } from 'chai';
import { WebhookService } from './webhook-service.ts';

/** A TCP server that answers each line with its name. */
async function namedServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on('data', () => socket.write(name)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** One connection through the Service: the first answer, or 'reset'. */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('hello\n'));
    socket.once('data', (d) => {
      resolve(d.toString());
      socket.destroy();
    });
    socket.once('error', () => resolve('reset'));
    socket.once('close', () => resolve('reset'));
  });
}

describe('chaos webhook Service', () => {
  const backends: { id: string; port: number; serving: boolean }[] = [];
  const servers: Server[] = [];
  let service: WebhookService;
  before(async () => {
    for (const id of ['a', 'b']) {
      const { server, port } = await namedServer(id);
      servers.push(server);
      backends.push({ id, port, serving: true });
    }
    service = new WebhookService(() => backends, 300);
    await service.listen();
  });
  after(async () => {
    await service.close();
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('passes connections to the serving replicas in turn', async () => {
    const answers = [await ask(service.port), await ask(service.port), await ask(service.port)];
    expect(new Set(answers)).to.deep.equal(new Set(['a', 'b']));
  });

  it('keeps a replica that stopped serving for the endpoint lag, resetting its connections, then drops it', async () => {
    const b = backends[1]!;
    const port = b.port;
    b.serving = false;
    b.port = 1; // nothing listens there: the replica is gone
    const during = [await ask(service.port), await ask(service.port)];
    expect(during).to.include('reset');
    expect(service.counters.refused).to.be.greaterThan(0);
    await new Promise((r) => setTimeout(r, 400));
    expect([await ask(service.port), await ask(service.port)]).to.deep.equal(['a', 'a']);
    b.port = port;
    b.serving = true;
  });

  it('holds every byte while stalled, and passes them on afterwards', async () => {
    service.stall(700);
    const started = Date.now();
    expect(await ask(service.port)).to.match(/^[ab]$/);
    expect(Date.now() - started).to.be.at.least(600);
    expect(service.counters.stalls).to.equal(1);
  });
});
