import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ApiError } from '../../../src/devcluster/api/errors.ts';
import { FaultInjector, FaultRuleError, handleFaultAdmin } from '../../../src/devcluster/faults/index.ts';
import type { FaultRequest } from '../../../src/devcluster/faults/index.ts';

const listPods: FaultRequest = { verb: 'list', apiGroup: '', resource: 'pods', namespace: 'app' };
const patchPod: FaultRequest = {
  verb: 'patch',
  apiGroup: '',
  resource: 'pods',
  namespace: 'app',
  name: 'p1',
};
const getRestore: FaultRequest = {
  verb: 'get',
  apiGroup: 'velero.io',
  resource: 'restores',
  namespace: 'velero',
  name: 'r',
};

async function outcome(injector: FaultInjector, req: FaultRequest): Promise<number> {
  try {
    await injector.beforeRequest(req);
    return 200;
  } catch (e) {
    expect(e).to.be.instanceOf(ApiError);
    return (e as ApiError).code;
  }
}

describe('devcluster fault injection', () => {
  it('fails matching requests with 429 + Retry-After, 500 and 503 Status errors', async () => {
    const injector = new FaultInjector({
      rules: [
        {
          id: 'throttle',
          verbs: ['list'],
          resources: ['pods'],
          error: { code: 429, rate: 1, retryAfterSeconds: 2 },
        },
        { id: 'restores', resources: ['restores.velero.io'], error: { code: 503 } },
        { id: 'boom', verbs: ['patch'], error: { code: 500 } },
      ],
    });
    let error: ApiError | undefined;
    await injector.beforeRequest(listPods).catch((e: ApiError) => (error = e));
    expect(error?.toStatus()).to.deep.include({
      code: 429,
      reason: 'TooManyRequests',
      details: { retryAfterSeconds: 2 },
    });
    expect(error?.headers).to.deep.equal({ 'Retry-After': '2' });
    expect(await outcome(injector, getRestore)).to.equal(503);
    expect(await outcome(injector, patchPod)).to.equal(500);
    expect(await outcome(injector, { ...listPods, resource: 'configmaps' })).to.equal(200);
    expect(injector.counters()).to.deep.include({ requests: 4, errors: { 429: 1, 500: 1, 503: 1 } });
    expect(injector.counters().byRule).to.deep.equal({ throttle: 1, restores: 1, boom: 1 });
  });

  it('is reproducible: the same seed injects the same faults in the same order', async () => {
    const run = async (seed: number) => {
      const injector = new FaultInjector({ seed, rules: [{ error: { code: 500, rate: 0.3 } }] });
      const codes: number[] = [];
      for (let i = 0; i < 200; i++) codes.push(await outcome(injector, listPods));
      return codes;
    };
    const a = await run(42);
    expect(await run(42)).to.deep.equal(a);
    expect(await run(43)).to.not.deep.equal(a);
    const failures = a.filter((c) => c === 500).length;
    expect(failures).to.be.within(30, 90);
  });

  it('injects write conflicts only into update, patch and delete', async () => {
    const injector = new FaultInjector({ rules: [{ id: 'c', error: { code: 409 } }] });
    expect(await outcome(injector, listPods)).to.equal(200);
    let error: ApiError | undefined;
    await injector.beforeRequest(patchPod).catch((e: ApiError) => (error = e));
    expect(error?.message).to.equal(
      'Operation cannot be fulfilled on pods "p1": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('expires a rule after `times` faults and matches subresources by resource/*', async () => {
    const injector = new FaultInjector({
      rules: [{ resources: ['pods/*'], error: { code: 500 }, times: 2 }],
    });
    const exec: FaultRequest = {
      verb: 'create',
      apiGroup: '',
      resource: 'pods',
      subresource: 'exec',
      namespace: 'a',
      name: 'p',
    };
    expect(await outcome(injector, listPods)).to.equal(200);
    expect([
      await outcome(injector, exec),
      await outcome(injector, exec),
      await outcome(injector, exec),
    ]).to.deep.equal([500, 500, 200]);
  });

  it('adds latency and counts it', async () => {
    const injector = new FaultInjector({ rules: [{ latencyMs: 5, jitterMs: 5 }] });
    await injector.beforeRequest(listPods);
    const counters = injector.counters();
    expect(counters.delayed).to.equal(1);
    expect(counters.delayMsTotal).to.be.within(5, 9);
  });

  it('holds requests while paused and releases them on resume', async () => {
    const injector = new FaultInjector();
    injector.pause();
    let served = false;
    const request = injector.beforeRequest(listPods).then(() => (served = true));
    await new Promise((r) => setImmediate(r));
    expect(served).to.equal(false);
    injector.resume();
    await request;
    expect(injector.counters().pausedRequests).to.equal(1);
  });

  function fakeWatch() {
    const w = { closed: 0, destroyed: 0, listeners: [] as ((n: number) => void)[], sent: 0 };
    return Object.assign(w, {
      close: () => void w.closed++,
      destroy: () => void w.destroyed++,
      onEvent: (l: (n: number) => void) => void w.listeners.push(l),
      emit: () => w.listeners.forEach((l) => l(++w.sent)),
    });
  }

  it('cuts watch streams after N events (clean close) and after N seconds (dropped connection)', async () => {
    const injector = new FaultInjector({ rules: [{ verbs: ['watch'], cutWatch: { afterEvents: 2 } }] });
    const watch = fakeWatch();
    injector.attachWatch({ ...listPods, verb: 'watch' }, watch);
    watch.emit();
    expect(watch.closed).to.equal(0);
    watch.emit();
    watch.emit();
    expect(watch.closed).to.equal(1);
    injector.attachWatch(listPods, fakeWatch());
    const timed = new FaultInjector({ rules: [{ cutWatch: { afterSeconds: 0.01, mode: 'drop' } }] });
    const dropped = fakeWatch();
    timed.attachWatch({ ...listPods, verb: 'watch' }, dropped);
    for (let i = 0; i < 200 && dropped.destroyed === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(dropped.destroyed).to.equal(1);
    expect(timed.counters().watchesCut).to.equal(1);
    expect(injector.counters().watchesCut).to.equal(1);
  });

  it('forces compaction through the compactor the API server registers', () => {
    const injector = new FaultInjector();
    expect(() => injector.compact()).to.throw(/no compactor registered/);
    let compacted = 0;
    injector.setCompactor(() => compacted++);
    injector.compact();
    expect(compacted).to.equal(1);
    expect(injector.counters().compactions).to.equal(1);
  });

  const invalid: [unknown, string][] = [
    [{ error: { code: 404 } }, 'rule.error.code: must be one of 409, 429, 500, 503'],
    [{ error: { code: 500, rate: 2 } }, 'rule.error.rate: must be a number in [0, 1]'],
    [{ latencyMs: -1 }, 'rule.latencyMs: must be a number in [0, Infinity]'],
    [{ verbs: 'get', latencyMs: 1 }, 'rule.verbs: must be a list of strings'],
    [{ cutWatch: {} }, 'rule.cutWatch: needs afterSeconds or afterEvents'],
    [{ verbs: ['get'] }, 'rule: needs at least one of latencyMs, jitterMs, error, cutWatch'],
    [{ latencyMs: 1, colour: 'red' }, 'rule.colour: unknown field'],
  ];
  for (const [rule, message] of invalid) {
    it(`rejects ${JSON.stringify(rule)} naming the field`, () => {
      expect(() => new FaultInjector().addRule(rule)).to.throw(FaultRuleError, message);
    });
  }

  it('replaces rules atomically: one invalid rule changes nothing', () => {
    const injector = new FaultInjector({ rules: [{ id: 'keep', latencyMs: 1 }] });
    expect(() => injector.setRules([{ latencyMs: 2 }, { error: { code: 1 } }])).to.throw(
      /rules\[1\]\.error\.code/,
    );
    expect(injector.state().rules.map((r) => r.id)).to.deep.equal(['keep']);
  });
});

describe('devcluster fault admin endpoint (HTTP)', () => {
  let server: Server;
  let base: string;
  const injector = new FaultInjector({ seed: 7 });

  before(async () => {
    server = createServer((req, res) => {
      if (!handleFaultAdmin(injector, req, res)) res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/devcluster/faults`;
  });
  after(async () => {
    injector.dispose();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const call = async (method: string, path = '', body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { code: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('adds, lists and removes rules, and pauses and resumes', async () => {
    expect((await call('POST', '/rules', { id: 'slow', latencyMs: 1 })).code).to.equal(201);
    const state = await call('GET');
    expect(state.body).to.deep.include({ seed: 7, paused: false, rules: [{ id: 'slow', latencyMs: 1 }] });
    expect((await call('POST', '/pause')).body.paused).to.equal(true);
    expect(injector.paused).to.equal(true);
    expect((await call('POST', '/resume')).body.paused).to.equal(false);
    expect((await call('DELETE', '/rules/slow')).body.rules).to.deep.equal([]);
    expect((await call('DELETE', '/rules/slow')).code).to.equal(404);
  });

  it('replaces the whole configuration with PUT and reports bad input as a 400 naming the field', async () => {
    const put = await call('PUT', '', { seed: 9, rules: [{ id: 'e', error: { code: 503, rate: 0.5 } }] });
    expect(put.body).to.deep.include({ seed: 9, rules: [{ id: 'e', error: { code: 503, rate: 0.5 } }] });
    const bad = await call('PUT', '', { rules: [{ error: { code: 503, rate: 'often' } }] });
    expect(bad.code).to.equal(400);
    expect(bad.body).to.deep.include({
      reason: 'BadRequest',
      message: 'rules[0].error.rate: must be a number in [0, 1]',
    });
    expect((await call('PATCH')).code).to.equal(405);
    expect((await call('POST', '/compact')).code).to.equal(500);
  });
});
