import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A --*-bind-address value: HOST:PORT, ":PORT" (every interface), or "0" (disabled). */
export interface BindAddress {
  /** undefined listens on every interface. */
  readonly host: string | undefined;
  readonly port: number;
}

/** Parses a bind address validated by `validators.hostPort`; undefined for "0", which disables the server. */
export function parseBindAddress(address: string): BindAddress | undefined {
  if (address === '0') return undefined;
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`invalid bind address ${JSON.stringify(address)}: expected HOST:PORT`);
  }
  return { host: host === '' ? undefined : host, port };
}

export interface RunningServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** A URL that reaches the server from this host, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Stops accepting connections, ends idle keep-alive connections, and resolves once the server has closed. */
  close(): Promise<void>;
}

/** Serves `handler` on the bind address; resolves once listening, or to undefined when the address is "0". */
export async function listen(
  bindAddress: string,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<RunningServer | undefined> {
  const address = parseBindAddress(bindAddress);
  if (!address) return undefined;
  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    // A client that went away mid-answer is its own problem; never let it become an unhandled rejection.
    handler(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host === undefined || address.host === '0.0.0.0' ? '127.0.0.1' : address.host;
  const url = `http://${host.includes(':') ? `[${host === '::' ? '::1' : host}]` : host}:${port}`;
  return { port, url, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Requests in flight finish; idle keep-alive connections (a scraper's) would otherwise hold the close open.
    server.closeIdleConnections();
  });
}
