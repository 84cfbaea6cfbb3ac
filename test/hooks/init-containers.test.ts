import { expect } from 'chai';
import { placeHookContainers, removeHookContainers } from '../../src/hooks/init-containers.ts';
import { formatAppliedInitHooks, parseAppliedInitHooks } from '../../src/hooks/applied-record.ts';
import { hookContentHash } from '../../src/hooks/names.ts';
import { defaultContainer } from '../../src/kube/container-defaults.ts';

const c = (name: string, image = 'busybox') => ({ name, image, command: ['true'] });
const names = (list: { name: string }[]) => list.map((x) => x.name);

describe('hooks/init-containers: placing and removing hook containers', () => {
  it('puts restore-wait first, then hooks in order, then the original init containers', () => {
    const existing = [c('restore-wait'), c('own-1'), c('own-2')];
    const out = placeHookContainers(existing, [{ insert: c('h1') }, { insert: c('h2') }]);
    expect(names(out)).to.deep.equal(['restore-wait', 'h1', 'h2', 'own-1', 'own-2']);
  });

  it('keeps restore-wait in place only when it is first, as Velero does', () => {
    const out = placeHookContainers([c('own-1'), c('restore-wait')], [{ insert: c('h1') }]);
    expect(names(out)).to.deep.equal(['h1', 'own-1', 'restore-wait']);
  });

  it('moves hooks already present into hook order instead of copying them', () => {
    const existing = [c('own-1'), c('h2')];
    const out = placeHookContainers(existing, [{ insert: c('h1') }, { existingName: 'h2' }]);
    expect(names(out)).to.deep.equal(['h1', 'h2', 'own-1']);
  });

  it('never produces two containers with one name', () => {
    const out = placeHookContainers([c('h1')], [{ insert: c('h1', 'other') }, { insert: c('h1') }]);
    expect(names(out)).to.deep.equal(['h1']);
    expect(out[0]!.image).to.equal('busybox');
  });

  it('removes exactly the recorded hook containers, matched by name and content', () => {
    const h1 = c('h1');
    const stored = [defaultContainer(c('restore-wait')), defaultContainer(h1), defaultContainer(c('own'))];
    const r = removeHookContainers(stored, [{ name: 'h1', hash: hookContentHash(h1) }]);
    expect(names(r.initContainers)).to.deep.equal(['restore-wait', 'own']);
    expect(r.removed).to.deep.equal(['h1']);
    expect(r.kept).to.deep.equal([]);
  });

  it('keeps a recorded container whose content changed, and reports recorded ones that are gone', () => {
    const r = removeHookContainers(
      [c('h1', 'changed')],
      [
        { name: 'h1', hash: hookContentHash(c('h1')) },
        { name: 'h2', hash: 'x' },
      ],
    );
    expect(names(r.initContainers)).to.deep.equal(['h1']);
    expect(r.kept.map((k) => k.name)).to.deep.equal(['h1', 'h2']);
  });

  it('placing then removing gives back the original list', () => {
    const original = [c('restore-wait'), c('own')];
    const hooks = [c('h1'), c('h2')];
    const placed = placeHookContainers(
      original,
      hooks.map((h) => ({ insert: h })),
    );
    const removed = removeHookContainers(
      placed,
      hooks.map((h) => ({ name: h.name, hash: hookContentHash(h) })),
    );
    expect(removed.initContainers).to.deep.equal(original);
  });

  describe('the applied-hooks record', () => {
    it('round-trips', () => {
      const record = { restore: 'velero/r2', restoreUID: 'u-1', containers: [{ name: 'h1', hash: 'abc' }] };
      expect(parseAppliedInitHooks(formatAppliedInitHooks(record))).to.deep.equal(record);
      const noUid = { restore: 'velero/r2', containers: [] };
      expect(parseAppliedInitHooks(formatAppliedInitHooks(noUid))).to.deep.equal(noUid);
    });

    for (const bad of [
      undefined,
      '',
      'not json',
      '[]',
      '{"restore":1,"containers":[]}',
      '{"restore":"a","containers":[{"name":1}]}',
    ])
      it(`reads ${JSON.stringify(bad)} as no record`, () => {
        expect(parseAppliedInitHooks(bad)).to.equal(undefined);
      });
  });
});
