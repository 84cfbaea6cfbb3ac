import { errors } from '../api/errors.ts';

/** Typed access to the query parameters of a request, answering 400 for malformed values as kube-apiserver does. */
export class Query {
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  string(name: string): string | undefined {
    const v = this.#params.get(name);
    return v === null ? undefined : v;
  }

  integer(name: string, min = 0): number | undefined {
    const v = this.string(name);
    if (v === undefined || v === '') return undefined;
    if (!/^-?\d+$/.test(v))
      throw errors.badRequest(
        `invalid value for query parameter ${name}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`,
      );
    const n = Number(v);
    if (n < min)
      throw errors.badRequest(`invalid value for query parameter ${name}: ${v} must be at least ${min}`);
    return n;
  }

  boolean(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined || v === '') return undefined;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw errors.badRequest(
      `invalid value for query parameter ${name}: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`,
    );
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined || v === '') return undefined;
    if (!(allowed as readonly string[]).includes(v))
      throw errors.badRequest(
        `invalid value for query parameter ${name}: ${JSON.stringify(v)}; supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
      );
    return v as T;
  }

  /** dryRun=All (the only value kube-apiserver accepts). */
  dryRun(): boolean {
    const values = this.#params.getAll('dryRun');
    for (const v of values)
      if (v !== 'All')
        throw errors.badRequest(`Invalid dry run value: ${JSON.stringify(v)}; supported values: "All"`);
    return values.length > 0;
  }
}
