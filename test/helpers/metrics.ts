import type { Registry } from 'prom-client';

/**
 * The value of one sample from `registry`, matched by sample name (e.g. `x_bucket`, `x_sum`) and by
 * every label given. Fails loudly when no sample matches, so a missing metric cannot pass as zero.
 */
export async function metricValue(
  registry: Registry,
  sampleName: string,
  labels: Record<string, string>,
): Promise<number> {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const sample of metric.values) {
      const name =
        'metricName' in sample && typeof sample.metricName === 'string' ? sample.metricName : metric.name;
      if (name !== sampleName) continue;
      const sampleLabels = sample.labels as Record<string, string | number | undefined>;
      if (Object.entries(labels).every(([k, v]) => String(sampleLabels[k]) === v)) return sample.value;
    }
  }
  throw new Error(`no sample ${sampleName}${JSON.stringify(labels)} in the registry`);
}
