import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { METRIC_NAMES, createMetricsRegistry } from '../../src/telemetry/metrics.ts';
import { MACHINERY_METRICS, metricFamily, metricNamesIn } from '../helpers/metric-names.ts';

const DASHBOARD = fileURLToPath(new URL('../../manifests/dashboards/restore-hooks.json', import.meta.url));

interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { uid: string };
  targets?: Array<{ expr: string; datasource: { uid: string } }>;
}

describe('manifests: Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    panels: Panel[];
    templating: { list: Array<{ name: string }> };
  };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const referenced = new Set(exprs.flatMap(metricNamesIn));

  it('charts every restore_hooks_* metric and every controller-runtime metric', () => {
    const families = new Set([...referenced].map(metricFamily));
    for (const name of [...Object.values(METRIC_NAMES), ...MACHINERY_METRICS])
      expect(families, name).to.include(name);
  });

  it('queries only metrics that exist: ours, the machinery’s, Node’s defaults, or up', async () => {
    const registry = createMetricsRegistry();
    const defaults = (await registry.getMetricsAsJSON()).map((m) => m.name);
    const known = new Set([...Object.values(METRIC_NAMES), ...MACHINERY_METRICS, ...defaults, 'up']);
    for (const name of referenced)
      expect(known.has(metricFamily(name)) || known.has(name), name).to.equal(true);
  });

  it('has unique panel ids, a description on every panel, and uses the datasource variable', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).to.equal(ids.length);
    for (const p of panels) {
      expect(p.description ?? '', p.title).to.have.length.greaterThan(0);
      expect(p.datasource?.uid, p.title).to.equal('${datasource}');
      for (const t of p.targets ?? []) expect(t.datasource.uid).to.equal('${datasource}');
    }
    expect(dashboard.templating.list.map((v) => v.name)).to.include.members([
      'datasource',
      'job',
      'namespace',
      'restore',
    ]);
  });

  it('writes balanced PromQL', () => {
    for (const e of exprs) {
      let depth = 0;
      for (const c of e) {
        depth += c === '(' || c === '{' || c === '[' ? 1 : c === ')' || c === '}' || c === ']' ? -1 : 0;
        expect(depth, e).to.be.at.least(0);
      }
      expect(depth, e).to.equal(0);
    }
  });
});
