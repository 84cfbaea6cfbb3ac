/**
 * Bad inputs, part 5: malformed answers from an API server. A plain node:http server on port 0 plays the API
 * server and answers each request with a scripted body; the controller's list-watch, informer and JSON client must
 * reject each one with an error naming the request and what was wrong, and never crash or hang.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { IsomorphicFetchHttpLibrary, KubeConfig } from '@kubernetes/client-node';
import { KubeListWatch } from '../../src/controller/machinery/list-watch.ts';
import { Informer } from '../../src/controller/machinery/informer.ts';
import type { RecoveryEvent } from '../../src/controller/machinery/informer.ts';
import type { KubeObject } from '../../src/controller/machinery/kube-object.ts';
import { KubeJsonClient } from '../../src/controller/kube-json-client.ts';
import { eventually } from '../helpers/eventually.ts';

interface Scripted {
  status?: number;
  type?: string;
  body: string;
}

let server: Server;
let answer: Scripted = { body: '' };
let kubeConfig: KubeConfig;

before(async () => {
  server = createServer((req, res) => {
    res.writeHead(answer.status ?? 200, { 'Content-Type': answer.type ?? 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const pod = (name: string) => ({ metadata: { name, namespace: 'app', resourceVersion: '5' } });
const huge = JSON.stringify({
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '9' },
  items: Array.from({ length: 20_000 }, (_, i) => pod(`p${i}`)),
});

/** [title, answer, what the error must say] for a list request. */
const listCases: [string, Scripted, RegExp][] = [
  [
    'truncated JSON',
    { body: '{"kind":"PodList","items":[{"metadata":' },
    /list \/api\/v1\/pods: invalid JSON/,
  ],
  [
    'an HTML error page with 200',
    { type: 'text/html', body: '<html><body>Bad Gateway</body></html>' },
    /list \/api\/v1\/pods: invalid JSON/,
  ],
  [
    'an HTML error page with 502',
    { status: 502, type: 'text/html', body: '<html>502</html>' },
    /list \/api\/v1\/pods: HTTP 502/,
  ],
  ['an empty body', { body: '' }, /list \/api\/v1\/pods: invalid JSON/],
  ['a JSON array', { body: '[]' }, /list \/api\/v1\/pods: expected a list object/],
  ['JSON null', { body: 'null' }, /list \/api\/v1\/pods: expected a list object/],
  [
    'a Status instead of a list',
    { body: '{"kind":"Status","status":"Failure","message":"nope"}' },
    /list \/api\/v1\/pods: expected a list, got kind "Status"/,
  ],
  [
    'items that are not a list',
    { body: '{"kind":"PodList","metadata":{"resourceVersion":"1"},"items":{}}' },
    /list \/api\/v1\/pods: items: must be a list/,
  ],
  [
    'an item that is not an object',
    { body: '{"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[3]}' },
    /list \/api\/v1\/pods: items\[0\]: must be an object with metadata.name/,
  ],
  [
    'an item without metadata',
    { body: '{"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[{"spec":{}}]}' },
    /items\[0\]: must be an object with metadata.name/,
  ],
  [
    'an item without a name',
    {
      body: '{"kind":"PodList","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"namespace":"a"}}]}',
    },
    /items\[0\]: must be an object with metadata.name/,
  ],
  [
    'a list without a resourceVersion',
    { body: '{"kind":"PodList","metadata":{},"items":[]}' },
    /list \/api\/v1\/pods: metadata.resourceVersion: missing/,
  ],
  [
    'a resourceVersion that is not a string',
    { body: '{"kind":"PodList","metadata":{"resourceVersion":7},"items":[]}' },
    /metadata.resourceVersion: missing/,
  ],
];

describe('bad inputs: malformed API responses', () => {
  describe('list (KubeListWatch)', () => {
    for (const [title, scripted, error] of listCases) {
      it(`rejects ${title}`, async () => {
        answer = scripted;
        const lw = new KubeListWatch<KubeObject>(kubeConfig, '/api/v1/pods');
        const failure = await lw.list({}).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(failure, 'the list must fail').to.be.instanceOf(Error);
        expect(`${failure!.message} ${(failure as { body?: string }).body ?? ''}`).to.match(error);
      });
    }

    it('reads a 20,000-item list (a huge body) whole', async () => {
      answer = { body: huge };
      const page = await new KubeListWatch<KubeObject>(kubeConfig, '/api/v1/pods').list({});
      expect(page.items).to.have.length(20_000);
      expect(page.resourceVersion).to.equal('9');
    });
  });

  describe('informer', () => {
    for (const [title, body] of [
      ['truncated JSON', '{"kind":"PodList","items":['],
      ['a Status instead of a list', '{"kind":"Status"}'],
    ] as const) {
      it(`on ${title}, stays unsynced and restarts with backoff, naming the problem`, async () => {
        answer = { body };
        const events: RecoveryEvent[] = [];
        const informer = new Informer<KubeObject>({
          name: 'pods',
          listWatch: new KubeListWatch(kubeConfig, '/api/v1/pods'),
          backoff: { initialMs: 10, maxMs: 20 },
          onRecovery: (e) => events.push(e),
        });
        informer.start();
        try {
          const restarted = await eventually(
            () => events.find((e) => e.type === 'restarted'),
            'the informer to restart',
          );
          expect((restarted as { error: string }).error).to.match(
            /list \/api\/v1\/pods: (invalid JSON|expected a list)/,
          );
          expect(informer.hasSynced()).to.equal(false);
        } finally {
          await informer.stop();
        }
      });
    }
  });

  describe('watch (KubeListWatch)', () => {
    // As client-go's decoder: a line that is not a watch event ends the watch with an error (the informer restarts
    // it with backoff, from the last resourceVersion it saw); an event cut off by the end of the stream ends it
    // quietly (docs/errors.md).
    const watchCases: [string, string, RegExp | undefined][] = [
      ['a truncated event line', '{"type":"ADDED","object":{"metadata":', undefined],
      [
        'an HTML page',
        '<html><body>gateway timeout</body></html>\n',
        /watch \/api\/v1\/pods: invalid JSON in the response .*it starts with "<html><body>gateway timeout/,
      ],

      [
        'an event without an object',
        '{"type":"ADDED"}\n',
        /watch \/api\/v1\/pods: malformed event: ADDED event without an object/,
      ],
      [
        'an event of an unknown type',
        '{"type":"EXPLODED","object":{"metadata":{"name":"a"}}}\n',
        /malformed event: unknown event type "EXPLODED"/,
      ],
      ['a JSON array line', '[1,2,3]\n', /malformed event: unknown event type undefined/],
      [
        'an object without metadata',
        '{"type":"MODIFIED","object":{"spec":{}}}\n',
        /malformed event: MODIFIED event: object without metadata/,
      ],
    ];
    for (const [title, body, expected] of watchCases) {
      it(`${expected ? 'ends the watch with an error' : 'delivers nothing and ends cleanly'} on ${title}`, async () => {
        answer = { body };
        const lw = new KubeListWatch<KubeObject>(kubeConfig, '/api/v1/pods');
        const delivered: unknown[] = [];
        const done = new Promise<unknown>((resolve) => {
          void lw.watch(
            { resourceVersion: '1', allowWatchBookmarks: true },
            (event) => delivered.push(event),
            (error) => resolve(error),
          );
        });
        const error = await done;
        expect(delivered, 'no malformed event reaches the informer').to.deep.equal([]);
        if (expected) expect(String(error)).to.match(expected);
        else expect(error).to.equal(undefined);
      });
    }

    it('delivers the events before a line that is not JSON, then ends the watch with an error', async () => {
      answer = { body: '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\nnot json\n' };
      const lw = new KubeListWatch<KubeObject>(kubeConfig, '/api/v1/pods');
      const delivered: string[] = [];
      const error = await new Promise<unknown>((resolve) => {
        void lw.watch(
          { resourceVersion: '1', allowWatchBookmarks: true },
          (event) => delivered.push(`${event.type} ${event.object.metadata?.name}`),
          (e) => resolve(e),
        );
      });
      expect(delivered).to.deep.equal(['ADDED a']);
      expect(String(error)).to.match(/watch \/api\/v1\/pods: invalid JSON in the response .*"not json"/);
    });
  });

  describe('JSON client (KubeJsonClient)', () => {
    const clientCases: [string, Scripted, RegExp][] = [
      [
        'truncated JSON',
        { body: '{"metadata":{"name":' },
        /GET \/api\/v1\/namespaces\/a\/pods\/p: invalid JSON in the response/,
      ],
      [
        'an HTML page with 200',
        { type: 'text/html', body: '<!doctype html><p>proxy</p>' },
        /GET \/api\/v1\/namespaces\/a\/pods\/p: invalid JSON in the response/,
      ],
      [
        'an HTML page with 503',
        { status: 503, type: 'text/html', body: '<html>down</html>' },
        /GET \/api\/v1\/namespaces\/a\/pods\/p: HTTP 503/,
      ],
    ];
    for (const [title, scripted, error] of clientCases) {
      it(`rejects ${title}`, async () => {
        answer = scripted;
        const client = new KubeJsonClient(kubeConfig, new IsomorphicFetchHttpLibrary());
        const failure = await client.request({ method: 'GET', path: '/api/v1/namespaces/a/pods/p' }).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(failure).to.be.instanceOf(Error);
        expect(failure!.message).to.match(error);
      });
    }

    it('reads a huge body whole', async () => {
      answer = { body: huge };
      const list = await new KubeJsonClient(kubeConfig, new IsomorphicFetchHttpLibrary()).request<{
        items: unknown[];
      }>({ method: 'GET', path: '/api/v1/pods' });
      expect(list.items).to.have.length(20_000);
    });
  });
});
