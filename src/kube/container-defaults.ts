/**
 * kube-apiserver's defaulting of a container (SetDefaults_Container and what a container holds), pure: the input is
 * never mutated, a defaulted copy is returned. `restore-hooks plan` shows hook init containers as the API server
 * stores them with it; the devcluster's defaulting of whole objects builds on it and on the helpers below.
 */

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const objAt = (parent: Obj, key: string): Obj | undefined =>
  isObj(parent[key]) ? parent[key] : undefined;
/** Returns parent[key] as an object, creating `{}` when it is absent or null. */
export function ensureObj(parent: Obj, key: string): Obj {
  if (!isObj(parent[key])) parent[key] = {};
  return parent[key] as Obj;
}
export function setIfUnset(target: Obj, key: string, value: unknown): void {
  if (target[key] === undefined || target[key] === null || target[key] === '') target[key] = value;
}
export function eachObj(list: unknown, fn: (item: Obj) => void): void {
  if (Array.isArray(list)) for (const item of list) if (isObj(item)) fn(item);
}

// ---------------------------------------------------------------------------------------------------------------
// Images

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)` +
    '(?::([\\w][\\w.-]{0,127}))?' +
    '(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$',
);

/**
 * The tag kubelet's ParseImageName would report: the explicit tag, 'latest' for a reference with neither tag nor
 * digest, '' for a digest-only reference or a reference that does not parse (kube-apiserver then defaults
 * IfNotPresent and leaves the error to validation/kubelet).
 */
export function imageTag(image: string): string {
  const match = REFERENCE.exec(image);
  if (!match || (match[1] ?? '').length > 255 || /^[a-f0-9]{64}$/.test(image)) return '';
  const [, , tag, digest] = match;
  if (tag !== undefined) return tag;
  return digest === undefined ? 'latest' : '';
}

export function defaultImagePullPolicy(image: unknown): 'Always' | 'IfNotPresent' {
  return typeof image === 'string' && imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

// ---------------------------------------------------------------------------------------------------------------
// Containers

function defaultProbe(probe: unknown): void {
  if (!isObj(probe)) return;
  setIfUnset(probe, 'timeoutSeconds', 1);
  setIfUnset(probe, 'periodSeconds', 10);
  setIfUnset(probe, 'successThreshold', 1);
  setIfUnset(probe, 'failureThreshold', 3);
  defaultHandler(probe);
}

function defaultHandler(handler: unknown): void {
  if (!isObj(handler)) return;
  const httpGet = objAt(handler, 'httpGet');
  if (httpGet) {
    setIfUnset(httpGet, 'path', '/');
    setIfUnset(httpGet, 'scheme', 'HTTP');
  }
}

/** The defaults of a fieldRef or resourceFieldRef (env values and downward API volume items). */
export function defaultFieldRef(holder: Obj): void {
  const fieldRef = objAt(holder, 'fieldRef');
  if (fieldRef) setIfUnset(fieldRef, 'apiVersion', 'v1');
  const resourceFieldRef = objAt(holder, 'resourceFieldRef');
  if (resourceFieldRef) setIfUnset(resourceFieldRef, 'divisor', '0');
}

/** defaultContainer on the container itself, for callers defaulting a copy of a whole pod spec. */
export function defaultContainerInPlace(container: Obj): void {
  setIfUnset(container, 'imagePullPolicy', defaultImagePullPolicy(container.image));
  ensureObj(container, 'resources');
  setIfUnset(container, 'terminationMessagePath', '/dev/termination-log');
  setIfUnset(container, 'terminationMessagePolicy', 'File');
  eachObj(container.ports, (port) => setIfUnset(port, 'protocol', 'TCP'));
  eachObj(container.env, (env) => {
    const valueFrom = objAt(env, 'valueFrom');
    if (valueFrom) defaultFieldRef(valueFrom);
  });
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(container[probe]);
  const lifecycle = objAt(container, 'lifecycle');
  if (lifecycle) {
    defaultHandler(lifecycle.postStart);
    defaultHandler(lifecycle.preStop);
  }
}

/** SetDefaults_Container and the defaults of what a container holds (ports, probes, env field references). */
export function defaultContainer<T extends object>(container: T): T & Record<string, unknown> {
  const copy = structuredClone(container) as T & Record<string, unknown>;
  defaultContainerInPlace(copy);
  return copy;
}
