/**
 * Glob patterns as Velero matches namespaces (gobwas/glob without separators) and as our policy matches images:
 * `*` any run of characters, `?` one character, `[abc]` `[a-z]` `[!abc]` classes, `{a,b}` alternatives, `\` escapes.
 */

export type GlobResult = { ok: true; matches: (s: string) => boolean } | { ok: false; error: string };

// With the `u` flag only syntax characters may be escaped, and `-` only inside a class.
const escapeRegex = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const escapeInClass = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

class GlobSyntaxError extends Error {}

/** Compiles a pattern; never throws. An invalid pattern is reported, and matches nothing where it is used. */
export function compileGlob(pattern: string): GlobResult {
  const chars = Array.from(pattern); // code points, so `?` matches one character, not one UTF-16 unit
  let i = 0;

  function parseClass(): string {
    // chars[i] is '['
    i++;
    let negate = false;
    if (chars[i] === '!') {
      negate = true;
      i++;
    }
    const items: string[] = [];
    let closed = false;
    while (i < chars.length) {
      const c = chars[i]!;
      if (c === ']' && items.length > 0) {
        closed = true;
        i++;
        break;
      }
      let lo = c;
      if (c === '\\') {
        i++;
        if (i >= chars.length) break;
        lo = chars[i]!;
      }
      i++;
      if (chars[i] === '-' && i + 1 < chars.length && chars[i + 1] !== ']') {
        const hi = chars[i + 1]!;
        i += 2;
        if (hi < lo) throw new GlobSyntaxError(`invalid range ${lo}-${hi}`);
        items.push(`${escapeInClass(lo)}-${escapeInClass(hi)}`);
      } else {
        items.push(escapeInClass(lo));
      }
    }
    if (!closed) throw new GlobSyntaxError('unclosed character class');
    return `[${negate ? '^' : ''}${items.join('')}]`;
  }

  function parseSequence(depth: number): string {
    let out = '';
    while (i < chars.length) {
      const c = chars[i]!;
      if (depth > 0 && (c === ',' || c === '}')) return out;
      if (c === '*') {
        out += '.*';
        i++;
      } else if (c === '?') {
        out += '.';
        i++;
      } else if (c === '[') {
        out += parseClass();
      } else if (c === '{') {
        i++;
        const alternatives = [parseSequence(depth + 1)];
        while (chars[i] === ',') {
          i++;
          alternatives.push(parseSequence(depth + 1));
        }
        if (chars[i] !== '}') throw new GlobSyntaxError('unclosed {');
        i++;
        out += `(?:${alternatives.join('|')})`;
      } else if (c === '\\') {
        i++;
        if (i >= chars.length) throw new GlobSyntaxError('trailing backslash');
        out += escapeRegex(chars[i]!);
        i++;
      } else {
        // Everything else, including a stray `]` or `}` outside a group, is a literal.
        out += escapeRegex(c);
        i++;
      }
    }
    return out;
  }

  try {
    const body = parseSequence(0);
    const re = new RegExp(`^(?:${body})$`, 'su');
    return { ok: true, matches: (s) => re.test(s) };
  } catch (err) {
    const why = err instanceof GlobSyntaxError ? err.message : 'invalid pattern';
    return { ok: false, error: `invalid glob pattern ${JSON.stringify(pattern)}: ${why}` };
  }
}

/** True when the pattern has no glob syntax at all, so it can only match itself. */
export function isLiteralGlob(pattern: string): boolean {
  return !/[*?[\]{}\\]/.test(pattern);
}

export interface IncludesExcludesResult {
  readonly included: boolean;
  /** Patterns that did not compile, with the error; they match nothing. */
  readonly errors: readonly { index: number; list: 'included' | 'excluded'; error: string }[];
}

/**
 * Velero's IncludesExcludes: excludes win; an empty include list, or one containing `*`, includes everything;
 * otherwise the value must match an include pattern.
 */
export function matchIncludesExcludes(
  value: string,
  included: readonly string[] | undefined,
  excluded: readonly string[] | undefined,
): IncludesExcludesResult {
  const errors: { index: number; list: 'included' | 'excluded'; error: string }[] = [];
  const matchAny = (patterns: readonly string[], list: 'included' | 'excluded'): boolean => {
    let hit = false;
    patterns.forEach((p, index) => {
      const g = compileGlob(p);
      if (!g.ok) errors.push({ index, list, error: g.error });
      else if (g.matches(value)) hit = true;
    });
    return hit;
  };
  const inc = included ?? [];
  const isExcluded = matchAny(excluded ?? [], 'excluded');
  const matchesInclude = matchAny(inc, 'included');
  const isIncluded = inc.length === 0 || inc.includes('*') || matchesInclude;
  return { included: !isExcluded && isIncluded, errors };
}
