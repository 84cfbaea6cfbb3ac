/** A JSON object (not an array, not null): what a parsed document's maps are. */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
