import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../../src/devcluster/api/cluster.ts';
import { defaultCrdDirectory, preinstallCrds } from '../../src/devcluster/crd/preinstall.ts';
import { FIXTURE_CRDS } from '../helpers/devcluster.ts';

describe('devcluster CRD preinstall', () => {
  let cluster: Cluster;
  beforeEach(() => (cluster = new Cluster()));
  afterEach(() => cluster.close());

  it('installs every CRD of a directory, multi-document files included', () => {
    expect(preinstallCrds(cluster, FIXTURE_CRDS).sort()).to.deep.equal([
      'backups.velero.io',
      'gadgets.example.com',
      'widgets.example.com',
    ]);
    expect(
      cluster.registry.lookup({ group: 'example.com', version: 'v1beta1', resource: 'widgets' })?.kind,
    ).to.equal('Widget');
  });

  it('installs nothing from a missing directory', () => {
    expect(preinstallCrds(cluster, '/nonexistent/config/crd')).to.deep.equal([]);
  });

  it('names the file of a document that is not a CRD', () => {
    const dir = fileURLToPath(new URL('./fixtures/bad-crd', import.meta.url));
    expect(() => preinstallCrds(cluster, dir)).to.throw(
      /wrong-kind\.yaml: expected CustomResourceDefinition documents, found ConfigMap/,
    );
  });

  it("defaults to the package's config/crd", () => {
    expect(defaultCrdDirectory()).to.equal(fileURLToPath(new URL('../../config/crd', import.meta.url)));
  });
});
