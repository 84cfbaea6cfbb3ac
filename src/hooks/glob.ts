/**
 * Glob patterns as Velero matches namespaces (gobwas/glob without separators) and as our policy matches images:
 * `*` any run of characters, `?` one character, `[abc]` `[a-z]` `[!abc]` classes, `{a,b}` alternatives, `\` escapes.
 */

export type GlobResult = { ok: true; matches: (s: string) => boolean } | { ok: false; error: string };

// With the `u` flag only syntax characters may be escaped, and `-` only inside a class.
const escapeRegex = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const escapeInClass = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

class GlobSyntaxError extends Error {}

/** A recursive-descent reader of one pattern, turning it into a regular expression's source. */
class GlobReader {
  private readonly chars: readonly string[];
  private i = 0;

  constructor(pattern: string) {
    this.chars = Array.from(pattern); // code points, so `?` matches one character, not one UTF-16 unit
  }

  /** The whole pattern as a regular expression's body. */
  read(): string {
    return this.sequence(0);
  }

  private sequence(depth: number): string {
    let out = '';
    while (this.i < this.chars.length) {
      const c = this.chars[this.i]!;
      if (depth > 0 && (c === ',' || c === '}')) return out;
      if (c === '*') {
        out += '.*';
        this.i++;
      } else if (c === '?') {
        out += '.';
        this.i++;
      } else if (c === '[') {
        out += this.characterClass();
      } else if (c === '{') {
        this.i++;
        const alternatives = [this.sequence(depth + 1)];
        while (this.chars[this.i] === ',') {
          this.i++;
          alternatives.push(this.sequence(depth + 1));
        }
        if (this.chars[this.i] !== '}') throw new GlobSyntaxError('unclosed {');
        this.i++;
        out += `(?:${alternatives.join('|')})`;
      } else if (c === '\\') {
        this.i++;
        if (this.i >= this.chars.length) throw new GlobSyntaxError('trailing backslash');
        out += escapeRegex(this.chars[this.i]!);
        this.i++;
      } else {
        // Everything else, including a stray `]` or `}` outside a group, is a literal.
        out += escapeRegex(c);
        this.i++;
      }
    }
    return out;
  }

  /** A character class; `this.chars[this.i]` is its '['. */
  private characterClass(): string {
    this.i++;
    let negate = false;
    if (this.chars[this.i] === '!') {
      negate = true;
      this.i++;
    }
    const items: string[] = [];
    let closed = false;
    while (this.i < this.chars.length) {
      const c = this.chars[this.i]!;
      if (c === ']' && items.length > 0) {
        closed = true;
        this.i++;
        break;
      }
      let lo = c;
      if (c === '\\') {
        this.i++;
        if (this.i >= this.chars.length) break;
        lo = this.chars[this.i]!;
      }
      this.i++;
      if (this.chars[this.i] === '-' && this.i + 1 < this.chars.length && this.chars[this.i + 1] !== ']') {
        const hi = this.chars[this.i + 1]!;
        this.i += 2;
        if (hi < lo) throw new GlobSyntaxError(`invalid range ${lo}-${hi}`);
        items.push(`${escapeInClass(lo)}-${escapeInClass(hi)}`);
      } else {
        items.push(escapeInClass(lo));
      }
    }
    if (!closed) throw new GlobSyntaxError('unclosed character class');
    return `[${negate ? '^' : ''}${items.join('')}]`;
  }
}

/** Compiles a pattern; never throws. An invalid pattern is reported, and matches nothing where it is used. */
export function compileGlob(pattern: string): GlobResult {
  try {
    const re = new RegExp(`^(?:${new GlobReader(pattern).read()})$`, 'su');
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
