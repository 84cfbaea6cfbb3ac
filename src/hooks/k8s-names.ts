/** Kubernetes name and label syntax (apimachinery's validation), returning messages instead of throwing. */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Container names, namespaces: at most 63 characters of [a-z0-9-], starting and ending alphanumeric. */
export function dns1123LabelError(value: string): string | undefined {
  if (value.length > 63) return `must be no more than 63 characters (got ${value.length})`;
  if (!DNS1123_LABEL.test(value))
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')";
  return undefined;
}

function dns1123SubdomainError(value: string): string | undefined {
  if (value.length > 253) return `prefix part must be no more than 253 characters`;
  if (!DNS1123_SUBDOMAIN.test(value)) return 'prefix part must be a lowercase RFC 1123 subdomain';
  return undefined;
}

/** Label keys: an optional DNS subdomain prefix and `/`, then a name of at most 63 characters. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const [prefix, name] = slash === -1 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined) {
    if (prefix === '') return 'prefix part must be non-empty';
    const e = dns1123SubdomainError(prefix);
    if (e) return e;
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME_PART.test(name))
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}

/** Label values: empty, or at most 63 characters of [A-Za-z0-9-_.] starting and ending alphanumeric. */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!QUALIFIED_NAME_PART.test(value))
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  return undefined;
}
