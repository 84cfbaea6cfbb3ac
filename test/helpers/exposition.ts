/** A metric family parsed from the Prometheus text format or OpenMetrics. */
export interface Family {
  readonly name: string;
  type: string;
  help: string;
  readonly samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

/**
 * Parses an exposition strictly enough for tests: every sample must belong to the family declared by the
 * preceding # TYPE (name, or name plus _total/_bucket/_sum/_count/_created), labels are parsed with escapes.
 */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    const meta = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, what, name, rest] = meta as unknown as [string, string, string, string];
      current = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      families.set(name, current);
      if (what === 'TYPE') current.type = rest;
      if (what === 'HELP') current.help = rest;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( \S+)?$/.exec(line);
    if (!sample) throw new Error(`unparseable exposition line: ${line}`);
    const [, name, , labelText, value] = sample as unknown as [
      string,
      string,
      string,
      string | undefined,
      string,
    ];
    if (
      !current ||
      !(
        name === current.name ||
        (/^_(total|bucket|sum|count|created)$/.test(name.slice(current.name.length)) &&
          name.startsWith(current.name))
      )
    ) {
      throw new Error(`sample ${name} outside its family (${current?.name ?? 'none'})`);
    }
    const labels: Record<string, string> = {};
    for (const m of (labelText ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    current.samples.push({ name, labels, value: Number(value === '+Inf' ? Infinity : value) });
  }
  return families;
}
