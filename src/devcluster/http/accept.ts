/** One entry of an Accept header: type/subtype with its parameters (lower-cased names). */
export interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  readonly q: number;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || header.trim() === '') return [{ type: '*/*', params: {}, q: 1 }];
  const ranges: MediaRange[] = [];
  for (const entry of header.split(',')) {
    const [type, ...rawParams] = entry.split(';').map((s) => s.trim());
    if (!type) continue;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (key === 'q') q = Number(value);
      else params[key] = value;
    }
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  // Stable sort by q: equal preferences keep the client's order.
  return ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q);
}

function acceptsJson(r: MediaRange): boolean {
  return r.type === 'application/json' || r.type === 'application/*' || r.type === '*/*';
}

export type DiscoveryFormat = 'v2' | 'v2beta1' | 'legacy';

/**
 * Chooses the discovery document for /api and /apis exactly as the Accept list asks: the first acceptable range
 * wins. Aggregated discovery only when a range names g=apidiscovery.k8s.io, the version and as=APIGroupDiscoveryList.
 */
export function negotiateDiscovery(header: string | undefined): DiscoveryFormat | undefined {
  for (const r of parseAccept(header)) {
    if (!acceptsJson(r)) continue;
    const { g, v, as } = r.params;
    if (g === undefined && v === undefined && as === undefined) return 'legacy';
    if (g === 'apidiscovery.k8s.io' && as === 'APIGroupDiscoveryList' && (v === 'v2' || v === 'v2beta1'))
      return v;
  }
  return undefined;
}

/** True when plain JSON is acceptable (every other endpoint serves only JSON). */
export function acceptsPlainJson(header: string | undefined): boolean {
  return parseAccept(header).some((r) => acceptsJson(r) && (r.params.as === undefined || r.params.as === ''));
}
