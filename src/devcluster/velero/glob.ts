/** Velero's namespace globs: `*` any run of characters, `?` one character; everything else literal. */
export function globMatches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(value);
}

/** An empty include list or `*` means all; excludes win. */
export function includedBy(
  value: string,
  includes: readonly string[] | undefined,
  excludes: readonly string[] | undefined,
): boolean {
  if ((excludes ?? []).some((p) => globMatches(p, value))) return false;
  return !includes || includes.length === 0 || includes.some((p) => globMatches(p, value));
}
