/**
 * Mutating (and validating) admission webhooks on the devcluster, over the real stack: configurations registered
 * with client-node and kubectl, an HTTPS webhook server with a certificate from the devcluster's TLS helper, and
 * writes by the admin, a ServiceAccount, the simulated controllers and the simulated Velero.
 */
import { expect } from 'chai';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { V1MutatingWebhook, V1Pod } from '@kubernetes/client-node';
import type { TestCluster } from '../../helpers/sim-cluster.ts';
import { startTestCluster, waitFor } from '../../helpers/sim-cluster.ts';
import { TestWebhook, addContainer, allow, patching } from './webhook-server.ts';
import { rawRequest, tokenOf } from '../../helpers/devcluster.ts';
import type { FailOpenRecord } from '../../../src/devcluster/admission/fail-open-log.ts';
import type { WebhookCallRecord } from '../../../src/devcluster/admission/call-log.ts';
import type { ReviewRequest } from './webhook-server.ts';

const pod = (name: string, labels: Record<string, string> = {}): V1Pod => ({
  metadata: { name, labels },
  spec: { containers: [{ name: 'app', image: 'app:1' }] },
});

const errorBody = (e: unknown) => {
  const body = (e as { body?: unknown }).body;
  return (typeof body === 'string' ? JSON.parse(body) : body) as {
    code: number;
    reason?: string;
    message: string;
  };
};

describe('devcluster admission webhooks', function () {
  this.timeout(60_000);
  let t: TestCluster;
  let hook: TestWebhook;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let admission: AdmissionregistrationV1Api;

  before(async () => {
    t = await startTestCluster({ simulation: { nodes: 1 }, crdDirectory: false });
    hook = await new TestWebhook().start();
    core = t.kc.makeApiClient(CoreV1Api);
    apps = t.kc.makeApiClient(AppsV1Api);
    admission = t.kc.makeApiClient(AdmissionregistrationV1Api);
  });
  after(async () => {
    await t.stop();
    await hook.stop();
  });

  let configurations: string[] = [];
  afterEach(async () => {
    for (const name of configurations)
      await admission.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
    configurations = [];
    hook.received.length = 0;
    hook.handlers.clear();
  });

  const webhook = (
    name: string,
    path: string,
    extra: Partial<V1MutatingWebhook> = {},
  ): V1MutatingWebhook => ({
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    clientConfig: { url: hook.url(path), caBundle: hook.caBundle },
    rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    ...extra,
  });

  const register = async (name: string, webhooks: V1MutatingWebhook[]) => {
    configurations.push(name);
    return admission.createMutatingWebhookConfiguration({ body: { metadata: { name }, webhooks } });
  };

  const namespace = async (name: string, labels: Record<string, string> = {}) => {
    await core.createNamespace({ body: { metadata: { name, labels } } }).catch(() => undefined);
    return name;
  };

  it('serves MutatingWebhookConfigurations with kube-apiserver defaults', async () => {
    const created = await register('defaults', [webhook('defaults.test.dev', '/none')]);
    const [w] = created.webhooks!;
    expect(w!.failurePolicy).to.equal('Fail');
    expect(w!.matchPolicy).to.equal('Equivalent');
    expect(w!.namespaceSelector).to.deep.equal({});
    expect(w!.objectSelector).to.deep.equal({});
    expect(w!.reinvocationPolicy).to.equal('Never');
    expect(w!.timeoutSeconds).to.equal(10);
    expect(w!.rules![0]!.scope).to.equal('*');
    const listed = await admission.listMutatingWebhookConfiguration();
    expect(listed.items.map((c) => c.metadata!.name)).to.include('defaults');
  });

  it('rejects invalid configurations with field paths', async () => {
    const bad = {
      metadata: { name: 'bad' },
      webhooks: [
        {
          name: 'short',
          admissionReviewVersions: [],
          clientConfig: { url: 'http://127.0.0.1/x' },
          rules: [
            { operations: ['CREATE', 'PATCH'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
          ],
          timeoutSeconds: 31,
        },
      ],
    };
    const err = await admission
      .createMutatingWebhookConfiguration({ body: bad as never })
      .then(() => undefined, errorBody);
    expect(err?.code).to.equal(422);
    const messages = err!.message;
    for (const part of [
      'webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots',
      'webhooks[0].rules[0].operations[1]: Unsupported value: "PATCH"',
      'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
      'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
      'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
      `webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme`,
    ])
      expect(messages).to.contain(part);
  });

  it('applies a webhook patch to a created pod and sends the AdmissionReview as kube-apiserver does', async () => {
    const ns = await namespace('patched');
    hook.handlers.set('/add', addContainer('sidecar'));
    await register('add', [webhook('add.test.dev', '/add')]);
    const created = await core.createNamespacedPod({ namespace: ns, body: pod('p1') });
    expect(created.spec!.containers.map((c) => c.name)).to.deep.equal(['app', 'sidecar']);
    // Defaults were applied after the patch too, and the reinvocation round's ServiceAccount admission mounted the
    // token into the added container as well (kube-apiserver 1.20 does; the webhook, reinvocationPolicy Never, was
    // called once).
    expect(created.spec!.containers[1]!.imagePullPolicy).to.equal('IfNotPresent');
    expect(created.spec!.containers.map((c) => (c.volumeMounts ?? []).map((m) => m.mountPath))).to.deep.equal(
      [['/var/run/secrets/kubernetes.io/serviceaccount'], ['/var/run/secrets/kubernetes.io/serviceaccount']],
    );
    expect(hook.received.map((r) => r.path)).to.deep.equal(['/add']);
    const [request] = hook.on('/add');
    expect(hook.received[0]!.query).to.equal('?timeout=10s');
    expect(request!.operation).to.equal('CREATE');
    expect(request!.kind).to.deep.equal({ group: '', version: 'v1', kind: 'Pod' });
    expect(request!.resource).to.deep.equal({ group: '', version: 'v1', resource: 'pods' });
    expect(request!.requestKind).to.deep.equal(request!.kind);
    expect(request!.requestResource).to.deep.equal(request!.resource);
    expect(request!.name).to.equal('p1');
    expect(request!.namespace).to.equal(ns);
    expect(request!.dryRun).to.equal(false);
    expect(request!.oldObject).to.equal(null);
    expect(request!.options).to.include({ kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' });
    expect(request!.userInfo).to.deep.equal({
      username: 'kubernetes-admin',
      groups: ['system:masters', 'system:authenticated'],
    });
    const spec = request!.object.spec as { serviceAccountName: string; volumes: { name: string }[] };
    expect(spec.serviceAccountName).to.equal('default');
    expect(spec.volumes[0]!.name).to.match(/^kube-api-access-/);
    expect(request!.object.metadata).to.not.have.property('uid');
  });

  it('filters by rules, objectSelector and namespaceSelector', async () => {
    const chosen = await namespace('chosen', { team: 'a' });
    const other = await namespace('other', { team: 'b' });
    hook.handlers.set('/sel', addContainer('selected'));
    await register('selectors', [
      webhook('sel.test.dev', '/sel', {
        objectSelector: { matchExpressions: [{ key: 'hooked', operator: 'Exists' }] },
        namespaceSelector: { matchLabels: { team: 'a' } },
      }),
    ]);
    const names = async (ns: string, p: V1Pod) =>
      (await core.createNamespacedPod({ namespace: ns, body: p })).spec!.containers.map((c) => c.name);
    expect(await names(chosen, pod('in', { hooked: 'yes' }))).to.deep.equal(['app', 'selected']);
    expect(await names(chosen, pod('unlabelled'))).to.deep.equal(['app']);
    expect(await names(other, pod('elsewhere', { hooked: 'yes' }))).to.deep.equal(['app']);
    await core.createNamespacedConfigMap({
      namespace: chosen,
      body: { metadata: { name: 'cm', labels: { hooked: 'y' } } },
    });
    expect(hook.on('/sel').map((r) => r.name)).to.deep.equal(['in']);
  });

  it('runs the pods a Deployment gets through the webhook as the ReplicaSet controller', async () => {
    const ns = await namespace('workloads');
    hook.handlers.set('/rs', addContainer('injected'));
    await register('rs', [
      webhook('rs.test.dev', '/rs', {
        objectSelector: { matchLabels: { app: 'web' } },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      }),
    ]);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'app', image: 'app:1' }] },
          },
        },
      },
    });
    const pods = await waitFor('two pods of web', async () => {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
      return list.items.length === 2 ? list.items : undefined;
    });
    for (const p of pods) expect(p.spec!.containers.map((c) => c.name)).to.deep.equal(['app', 'injected']);
    const requests = hook.on('/rs');
    expect(requests).to.have.length(2);
    for (const r of requests) {
      expect(r.userInfo).to.deep.equal({
        username: 'system:serviceaccount:kube-system:replicaset-controller',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      });
      expect(r.name ?? '').to.equal('');
      expect(r.object.metadata)
        .to.have.property('generateName')
        .that.matches(/^web-[a-z0-9]+-$/);
    }
  });

  it('sees a ServiceAccount user', async () => {
    const ns = await namespace('team');
    hook.handlers.set('/who', allow());
    await register('who', [webhook('who.test.dev', '/who')]);
    const kc = new KubeConfig();
    kc.loadFromString(t.cluster.kubeconfig({ serviceAccount: { namespace: ns, name: 'bot' } }));
    await kc.makeApiClient(CoreV1Api).createNamespacedPod({ namespace: ns, body: pod('by-bot') });
    expect(hook.on('/who')[0]!.userInfo).to.deep.equal({
      username: 'system:serviceaccount:team:bot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'],
    });
  });

  it('Ignore admits when the webhook is down, Fail refuses with kube-apiserver message', async () => {
    const ns = await namespace('down');
    const down = (policy: string) =>
      webhook(`down-${policy.toLowerCase()}.test.dev`, '/down', {
        clientConfig: { url: 'https://127.0.0.1:1/down', caBundle: hook.caBundle },
        failurePolicy: policy,
      });
    await register('down-ignore', [down('Ignore')]);
    const admitted = await core.createNamespacedPod({ namespace: ns, body: pod('ignored') });
    expect(admitted.metadata!.name).to.equal('ignored');
    // The forgiven call is on record, with its object (kube-apiserver: "Failed calling webhook, failing open").
    const record = await rawRequest(t.cluster, 'GET', '/devcluster/admission/fail-open', {
      token: tokenOf(t.cluster.kubeconfig()),
    });
    const { items } = record.json() as { total: number; items: FailOpenRecord[] };
    const forgiven = items.filter((r) => r.namespace === ns);
    expect(forgiven).to.have.length(1);
    expect(forgiven[0]).to.include({
      webhook: 'down-ignore.test.dev',
      operation: 'CREATE',
      resource: 'pods',
      name: 'ignored',
      reason:
        'failed to call webhook: Post "https://127.0.0.1:1/down?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused',
    });
    await register('down-fail', [down('Fail')]);
    const err = await core
      .createNamespacedPod({ namespace: ns, body: pod('failed') })
      .then(() => undefined, errorBody);
    expect(err).to.include({ code: 500, reason: 'InternalError' });
    expect(err!.message).to.equal(
      'Internal error occurred: failed calling webhook "down-fail.test.dev": failed to call webhook: ' +
        'Post "https://127.0.0.1:1/down?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused',
    );
  });

  it('logs every call with its duration and outcome, for admins at /devcluster/admission/webhook-calls', async () => {
    const ns = await namespace('call-log');
    const token = tokenOf(t.cluster.kubeconfig());
    const calls = async (query: string) => {
      const r = await rawRequest(t.cluster, 'GET', `/devcluster/admission/webhook-calls${query}`, { token });
      return { status: r.status, body: r.json() as { dropped: number; items: WebhookCallRecord[] } };
    };
    const since = (await calls('')).body.items.at(-1)?.seq ?? 0;
    hook.handlers.set('/add', addContainer('sidecar'));
    hook.handlers.set('/allow', allow());
    await register('logged', [
      webhook('add.log.dev', '/add'),
      webhook('allow.log.dev', '/allow'),
      webhook('down.log.dev', '/down', {
        clientConfig: { url: 'https://127.0.0.1:1/down', caBundle: hook.caBundle },
        failurePolicy: 'Ignore',
      }),
    ]);
    await core.createNamespacedPod({ namespace: ns, body: pod('logged') });
    const { body } = await calls(`?since=${since}`);
    expect(body.dropped).to.equal(0);
    // In order, each once (reinvocationPolicy Never); the unreachable one failed and was ignored.
    const mine = body.items.filter((c) => c.namespace === ns);
    expect(mine.map((c) => [c.webhook, c.operation, c.resource, c.name, c.outcome])).to.deep.equal([
      ['add.log.dev', 'CREATE', 'pods', 'logged', 'patched'],
      ['allow.log.dev', 'CREATE', 'pods', 'logged', 'allowed'],
      ['down.log.dev', 'CREATE', 'pods', 'logged', 'failed-ignored'],
    ]);
    for (const c of mine) expect(c.durationMs).to.be.a('number').and.at.least(0);
    const filtered = await calls(`?since=${since}&webhook=allow.log.dev`);
    expect(filtered.body.items.map((c) => c.webhook)).to.deep.equal(['allow.log.dev']);
    expect((await calls('?since=-1')).status).to.equal(400);
    const user = tokenOf(
      t.cluster.kubeconfig({ user: { username: 'jane', groups: ['system:authenticated'] } }),
    );
    const forbidden = await rawRequest(t.cluster, 'GET', '/devcluster/admission/webhook-calls', {
      token: user,
    });
    expect(forbidden.status).to.equal(403);
  });

  it('times out after timeoutSeconds, then applies the failurePolicy', async () => {
    const ns = await namespace('slow');
    hook.handlers.set('/hang', () => ({ hang: true }));
    await register('slow', [webhook('slow.test.dev', '/hang', { timeoutSeconds: 1, failurePolicy: 'Fail' })]);
    const err = await core
      .createNamespacedPod({ namespace: ns, body: pod('slow') })
      .then(() => undefined, errorBody);
    expect(err?.code).to.equal(500);
    expect(err!.message).to.contain('failed calling webhook "slow.test.dev": failed to call webhook: Post ');
    expect(err!.message).to.contain('?timeout=1s": context deadline exceeded');
  });

  it('fails the call when the certificate does not chain to caBundle', async () => {
    const ns = await namespace('wrong-ca');
    const other = await new TestWebhook().start();
    try {
      await register('wrong-ca', [
        webhook('ca.test.dev', '/x', { clientConfig: { url: hook.url('/x'), caBundle: other.caBundle } }),
      ]);
      const err = await core
        .createNamespacedPod({ namespace: ns, body: pod('p') })
        .then(() => undefined, errorBody);
      expect(err?.code).to.equal(500);
      expect(err!.message).to.contain('x509: certificate signed by unknown authority');
      expect(hook.received).to.have.length(0);
    } finally {
      await other.stop();
    }
  });

  it('returns a denial with the webhook status, or 403 without one', async () => {
    const ns = await namespace('denied');
    hook.handlers.set('/deny', (r: ReviewRequest) =>
      r.object.metadata.name === 'coded'
        ? { response: { allowed: false, status: { code: 409, reason: 'Conflict', message: 'not today' } } }
        : { response: { allowed: false } },
    );
    await register('deny', [webhook('deny.test.dev', '/deny')]);
    const plain = await core
      .createNamespacedPod({ namespace: ns, body: pod('plain') })
      .then(() => undefined, errorBody);
    expect(plain).to.deep.include({
      code: 403,
      message: 'admission webhook "deny.test.dev" denied the request without explanation',
    });
    const coded = await core
      .createNamespacedPod({ namespace: ns, body: pod('coded') })
      .then(() => undefined, errorBody);
    expect(coded).to.deep.include({
      code: 409,
      reason: 'Conflict',
      message: 'admission webhook "deny.test.dev" denied the request: not today',
    });
  });

  it('handles malformed answers as kube-apiserver does', async () => {
    const ns = await namespace('malformed');
    hook.handlers.set('/text', () => ({ raw: 'not json' }));
    hook.handlers.set('/uid', () => ({ response: { uid: 'someone-else', allowed: true } }));
    hook.handlers.set('/badpatch', () => ({
      response: {
        allowed: true,
        patchType: 'JSONPatch',
        patch: Buffer.from('[{"op":"remove","path":"/nope"}]').toString('base64'),
      },
    }));
    const attempt = async (path: string, policy: string) => {
      const name = `m-${path.slice(1)}-${policy.toLowerCase()}`;
      configurations.push(name);
      await admission.createMutatingWebhookConfiguration({
        body: {
          metadata: { name },
          webhooks: [webhook(`${name}.test.dev`, path, { failurePolicy: policy })],
        },
      });
      try {
        return await core
          .createNamespacedPod({ namespace: ns, body: pod(name) })
          .then(() => 'admitted', errorBody);
      } finally {
        await admission.deleteMutatingWebhookConfiguration({ name });
      }
    };
    expect(await attempt('/text', 'Ignore')).to.equal('admitted');
    expect(await attempt('/uid', 'Ignore')).to.equal('admitted');
    const text = await attempt('/text', 'Fail');
    expect(text).to.include({ code: 500 });
    expect((text as { message: string }).message).to.contain('failed calling webhook "m-text-fail.test.dev"');
    const uid = await attempt('/uid', 'Fail');
    expect((uid as { message: string }).message).to.match(
      /failed calling webhook "m-uid-fail.test.dev": received invalid webhook response: expected response.uid="[0-9a-f-]+", got "someone-else"/,
    );
    // A patch that does not apply is an internal error whatever the failurePolicy (as in kube-apiserver).
    const patch = await attempt('/badpatch', 'Ignore');
    expect(patch).to.include({ code: 500 });
  });

  it('passes warnings to kubectl', async () => {
    const ns = await namespace('warned');
    hook.handlers.set('/warn', allow({ warnings: ['this pod is watched', 'and "quoted"'] }));
    await register('warn', [webhook('warn.test.dev', '/warn')]);
    const r = await t.kubectl(['-n', ns, 'run', 'w1', '--image=app:1', '--restart=Never']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.contain('Warning: this pod is watched');
    expect(r.stderr).to.contain('Warning: and "quoted"');
  });

  it('reinvokes an IfNeeded webhook once when a later webhook changed the object', async () => {
    const ns = await namespace('reinvoked');
    hook.handlers.set(
      '/first',
      patching((r) => {
        const labels = r.object.metadata.labels ?? {};
        return labels.second ? [{ op: 'add', path: '/metadata/labels/first-saw-second', value: 'yes' }] : [];
      }),
    );
    hook.handlers.set(
      '/second',
      patching(() => [{ op: 'add', path: '/metadata/labels/second', value: 'done' }]),
    );
    await register('a-first', [webhook('first.test.dev', '/first', { reinvocationPolicy: 'IfNeeded' })]);
    await register('b-second', [webhook('second.test.dev', '/second')]);
    const created = await core.createNamespacedPod({ namespace: ns, body: pod('r1') });
    expect(created.metadata!.labels).to.include({ second: 'done', 'first-saw-second': 'yes' });
    expect(hook.received.map((r) => r.path)).to.deep.equal(['/first', '/second', '/first']);
  });

  it('reinvokes an IfNeeded webhook that added a container, once, after the token is mounted into it', async () => {
    // kube-apiserver 1.20 (measured on the real control plane): the webhook's change starts the reinvocation
    // round, the ServiceAccount admission mounts the token into the added container, and that change calls the
    // IfNeeded webhook again; its second answer (no patch) ends it.
    const ns = await namespace('reinvoked-in-tree');
    const seen: string[][] = [];
    hook.handlers.set(
      '/inject',
      patching((r) => {
        const spec = r.object.spec as { initContainers?: { name: string; volumeMounts?: unknown[] }[] };
        seen.push((spec.initContainers ?? []).map((c) => `${c.name}:${(c.volumeMounts ?? []).length}`));
        return spec.initContainers?.some((c) => c.name === 'hook')
          ? []
          : [{ op: 'add', path: '/spec/initContainers', value: [{ name: 'hook', image: 'hook:1' }] }];
      }),
    );
    await register('inject', [webhook('inject.test.dev', '/inject', { reinvocationPolicy: 'IfNeeded' })]);
    const created = await core.createNamespacedPod({ namespace: ns, body: pod('i1') });
    expect(seen).to.deep.equal([[], ['hook:1']]);
    expect(created.spec!.initContainers!.map((c) => (c.volumeMounts ?? []).length)).to.deep.equal([1]);
    // Without the token (automountServiceAccountToken false) nothing changes after the webhook: one call.
    seen.length = 0;
    await core.createNamespacedPod({
      namespace: ns,
      body: { ...pod('i2'), spec: { ...pod('i2').spec!, automountServiceAccountToken: false } },
    });
    expect(seen).to.deep.equal([[]]);
  });

  it('reaches a service clientConfig through its Endpoints, verifying <service>.<namespace>.svc', async () => {
    const ns = await namespace('webhooks');
    const served = await new TestWebhook().start(['hooks.webhooks.svc']);
    try {
      served.handlers.set('/svc', addContainer('via-service'));
      await core.createNamespacedService({
        namespace: ns,
        body: {
          metadata: { name: 'hooks' },
          spec: { ports: [{ name: 'https', port: 443, targetPort: 9443 }] },
        },
      });
      const config = (service: Record<string, unknown>, caBundle: string) =>
        webhook('svc.test.dev', '/svc', {
          clientConfig: { service: { namespace: ns, name: 'hooks', path: '/svc', ...service }, caBundle },
          failurePolicy: 'Fail',
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'svc-target' } },
        });
      const target = await namespace('svc-target');
      await register('svc', [config({}, served.caBundle)]);
      const missing = await core
        .createNamespacedPod({ namespace: target, body: pod('before-endpoints') })
        .then(() => undefined, errorBody);
      expect(missing?.message).to.contain('no ready endpoint for port 443');
      await core.createNamespacedEndpoints({
        namespace: ns,
        body: {
          metadata: { name: 'hooks' },
          subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: served.port }] }],
        },
      });
      const created = await core.createNamespacedPod({ namespace: target, body: pod('via-svc') });
      expect(created.spec!.containers.map((c) => c.name)).to.deep.equal(['app', 'via-service']);
      expect(served.received[0]!.query).to.equal('?timeout=10s');
      // The certificate of 127.0.0.1 (the test webhook's) does not name hooks.webhooks.svc.
      await admission.deleteMutatingWebhookConfiguration({ name: 'svc' });
      await core.replaceNamespacedEndpoints({
        namespace: ns,
        name: 'hooks',
        body: {
          metadata: { name: 'hooks' },
          subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: hook.port }] }],
        },
      });
      await register('svc', [config({}, hook.caBundle)]);
      const wrongName = await core
        .createNamespacedPod({ namespace: target, body: pod('wrong-name') })
        .then(() => undefined, errorBody);
      expect(wrongName?.code).to.equal(500);
      expect(wrongName!.message).to.contain('x509');
    } finally {
      await served.stop();
    }
  });

  it('admits a server-side apply that creates as a CREATE', async () => {
    const ns = await namespace('applied');
    hook.handlers.set('/apply', addContainer('applied-sidecar'));
    await register('apply', [webhook('apply.test.dev', '/apply')]);
    const manifest = t.kubectl(
      ['apply', '--server-side', '-n', ns, '-f', '-', '-o', 'json'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ssa' }, spec: pod('ssa').spec }),
    );
    const r = await manifest;
    expect(r.status, r.stderr).to.equal(0);
    const created = await core.readNamespacedPod({ namespace: ns, name: 'ssa' });
    expect(created.spec!.containers.map((c) => c.name)).to.deep.equal(['app', 'applied-sidecar']);
    const [request] = hook.on('/apply');
    expect(request!.operation).to.equal('CREATE');
    expect(request!.options).to.include({ kind: 'CreateOptions', fieldManager: 'kubectl' });
  });

  it('tells webhooks about dry runs and stores nothing', async () => {
    const ns = await namespace('dry');
    hook.handlers.set('/dry', addContainer('dry-sidecar'));
    await register('dry', [webhook('dry.test.dev', '/dry')]);
    const r = await t.kubectl([
      '-n',
      ns,
      'run',
      'd1',
      '--image=app:1',
      '--restart=Never',
      '--dry-run=server',
      '-o',
      'json',
    ]);
    expect(r.status, r.stderr).to.equal(0);
    const shown = JSON.parse(r.stdout) as V1Pod;
    expect(shown.spec!.containers.map((c) => c.name)).to.deep.equal(['d1', 'dry-sidecar']);
    expect(hook.on('/dry')[0]!.dryRun).to.equal(true);
    expect(hook.on('/dry')[0]!.options).to.deep.include({ dryRun: ['All'] });
    const list = await core.listNamespacedPod({ namespace: ns });
    expect(list.items).to.have.length(0);
  });

  it('sends updates with the old object, and matches the objectSelector on either', async () => {
    const ns = await namespace('updates');
    hook.handlers.set(
      '/upd',
      patching(() => [{ op: 'add', path: '/metadata/annotations', value: { touched: 'yes' } }]),
    );
    await register('upd', [
      webhook('upd.test.dev', '/upd', {
        rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
        objectSelector: { matchLabels: { watched: 'true' } },
      }),
    ]);
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cm', labels: { watched: 'true' } }, data: { a: '1' } },
    });
    // The label goes away in this update: the old object still matches.
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const patched = await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'cm', body: { metadata: { labels: { watched: null } }, data: { a: '2' } } },
      merge,
    );
    expect(patched.metadata!.annotations).to.deep.equal({ touched: 'yes' });
    const [request] = hook.on('/upd');
    expect(request!.operation).to.equal('UPDATE');
    expect(request!.options).to.include({ kind: 'PatchOptions' });
    expect(request!.oldObject!.metadata.labels).to.deep.equal({ watched: 'true' });
    expect(request!.object.data).to.deep.equal({ a: '2' });
    // Neither the old nor the new object matches now.
    await core.patchNamespacedConfigMap({ namespace: ns, name: 'cm', body: { data: { a: '3' } } }, merge);
    expect(hook.on('/upd')).to.have.length(1);
  });

  it('calls validating webhooks after the mutating ones, with the object as it will be stored', async () => {
    const ns = await namespace('validated');
    hook.handlers.set('/mutate', addContainer('added'));
    hook.handlers.set('/validate', (r: ReviewRequest) => {
      const names = ((r.object.spec as { containers: { name: string }[] }).containers ?? []).map(
        (c) => c.name,
      );
      return names.includes('added')
        ? { response: { allowed: false, status: { message: `saw ${names.join(',')}` } } }
        : { response: { allowed: true } };
    });
    await register('mutate', [webhook('mutate.test.dev', '/mutate')]);
    configurations.push('validate');
    const { path: _path, ...validating } = { path: '', ...webhook('validate.test.dev', '/validate') };
    delete (validating as { reinvocationPolicy?: string }).reinvocationPolicy;
    await admission.createValidatingWebhookConfiguration({
      body: { metadata: { name: 'validate' }, webhooks: [validating] },
    });
    try {
      const err = await core
        .createNamespacedPod({ namespace: ns, body: pod('v1') })
        .then(() => undefined, errorBody);
      expect(err).to.deep.include({
        code: 403,
        message: 'admission webhook "validate.test.dev" denied the request: saw app,added',
      });
      const [request] = hook.on('/validate');
      expect(request!.object.metadata.uid).to.be.a('string');
      expect((request!.object.status as { phase: string }).phase).to.equal('Pending');
    } finally {
      await admission.deleteValidatingWebhookConfiguration({ name: 'validate' });
    }
  });

  it('keeps concurrent patches through a webhook, recomputing a patch that lost a race', async () => {
    const ns = await namespace('concurrent');
    hook.handlers.set(
      '/count',
      patching((r) => [
        {
          op: 'add',
          path: '/metadata/annotations',
          value: { seen: String(Object.keys(r.object.metadata.labels ?? {}).length) },
        },
      ]),
    );
    await register('count', [
      webhook('count.test.dev', '/count', {
        rules: [{ operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      }),
    ]);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'shared' } } });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((key) =>
        core.patchNamespacedConfigMap(
          { namespace: ns, name: 'shared', body: { metadata: { labels: { [key]: 'set' } } } },
          merge,
        ),
      ),
    );
    const shared = await core.readNamespacedConfigMap({ namespace: ns, name: 'shared' });
    expect(shared.metadata!.labels).to.deep.equal({ a: 'set', b: 'set', c: 'set', d: 'set' });
    // The last write's webhook call saw all four labels: it was computed from the latest object.
    expect(shared.metadata!.annotations).to.deep.equal({ seen: '4' });
    const r = await t.kubectl(['get', 'mutatingwebhookconfigurations', '-o', 'name']);
    expect(r.stdout).to.contain('mutatingwebhookconfiguration.admissionregistration.k8s.io/count');
  });

  it('never calls webhooks for webhook configurations', async () => {
    hook.handlers.set('/all', allow());
    await register('all', [
      webhook('all.test.dev', '/all', {
        rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }],
      }),
    ]);
    await register('another', [webhook('another.test.dev', '/none')]);
    expect(hook.on('/all')).to.have.length(0);
  });
});
