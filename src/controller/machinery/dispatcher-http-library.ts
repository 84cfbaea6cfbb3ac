import type { HttpLibrary, RequestContext, ResponseBody } from '@kubernetes/client-node';
import { Readable } from 'node:stream';
import { getGlobalDispatcher } from 'undici';
import type { Dispatcher } from 'undici';
import { ResponseContext, wrapHttpLibrary } from './client-node.ts';

/** A response body that can also be read as it arrives, chunk by chunk, without a WHATWG stream in between. */
export interface ChunkedResponseBody extends ResponseBody {
  chunks(): AsyncIterable<Uint8Array>;
}

/** The body's chunks as they arrive: the fast path where the library offers it, else its WHATWG stream. */
export function bodyChunks(body: ResponseBody): AsyncIterable<Uint8Array> | null {
  if ('chunks' in body && typeof body.chunks === 'function') return (body as ChunkedResponseBody).chunks();
  return body.stream();
}

/**
 * client-node's `HttpLibrary` over undici's `Dispatcher.request` instead of `fetch`. The kubeconfig's TLS settings,
 * proxy and credentials still come from `KubeConfig.applySecurityAuthentication`, which puts an undici dispatcher
 * and headers on the request; only the WHATWG layer is skipped (Request, Headers and Response objects and web
 * streams for every call): a third of the CPU of a small GET, which the controller makes about six of per replaced
 * pod, and per watch event a web stream, a Node stream adapter and a readline interface.
 *
 * Differences from client-node's fetch library that callers can see: none for status, headers and text; a body
 * read by `chunks()` is a Node stream's chunks. undici's `bodyTimeout` (at most 300 s between two chunks) is off
 * for watches, which may stay quiet for as long as their `timeoutSeconds`; the informer's stall detection covers
 * a watch connection that went silent.
 */
export function dispatcherHttpLibrary(): HttpLibrary {
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const url = new URL(request.getUrl());
      const dispatcher: Dispatcher = request.getDispatcher() ?? getGlobalDispatcher();
      const body = request.getBody();
      const signal = request.getSignal();
      const response = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: request.getHttpMethod() as Dispatcher.HttpMethod,
        headers: request.getHeaders(),
        ...(body !== undefined ? { body: body as string | Buffer } : {}),
        ...(signal ? { signal } : {}),
        ...(url.searchParams.get('watch') === 'true' ? { bodyTimeout: 0 } : {}),
      });
      return new ResponseContext(response.statusCode, flatHeaders(response.headers), readBody(response.body));
    },
  });
}

/** One string per header, as fetch's `Headers` gives them (repeated headers joined with ", "). */
function flatHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function readBody(body: Dispatcher.ResponseData['body']): ChunkedResponseBody {
  return {
    text: () => body.text(),
    binary: async () => Buffer.from(await body.arrayBuffer()),
    stream: () => Readable.toWeb(body) as ReadableStream<Uint8Array>,
    chunks: () => body,
  };
}
