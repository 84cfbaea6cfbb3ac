/**
 * A value computed from a cached object and some other inputs, remembered per object while those inputs stay the
 * same (each compared by identity). The informer caches replace an object on every change and never change one in
 * place, so the object's identity says whether it changed; what is computed must not be changed either.
 */
export class ObjectMemo<K extends object, I extends readonly unknown[], V> {
  readonly #entries = new WeakMap<K, { readonly inputs: I; readonly value: V }>();
  readonly #compute: (object: K, ...inputs: I) => V;

  constructor(compute: (object: K, ...inputs: I) => V) {
    this.#compute = compute;
  }

  get(object: K, ...inputs: I): V {
    const known = this.#entries.get(object);
    if (known && known.inputs.length === inputs.length && known.inputs.every((x, i) => x === inputs[i]))
      return known.value;
    const value = this.#compute(object, ...inputs);
    this.#entries.set(object, { inputs, value });
    return value;
  }
}
