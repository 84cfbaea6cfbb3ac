import protobuf from 'protobufjs';
import { errors } from '../api/errors.ts';
import generated from './k8s-protobuf.json' with { type: 'json' };

/**
 * kube-apiserver's protobuf wire format (`application/vnd.kubernetes.protobuf`) for the built-in kinds the
 * devcluster serves, in both directions: the `k8s\0` prefix, then a `runtime.Unknown` whose typeMeta names the
 * kind and whose raw bytes hold the typed message.
 *
 * The messages are protobufjs types built from k8s-protobuf.json, which hack/k8s-protobuf/generate.ts derives
 * from the upstream generated.proto files of k8s.io/api and k8s.io/apimachinery 1.32. Go's marshaller always
 * writes non-pointer fields, so a zero value on the wire means "unset" unless the Go field is a pointer or has no
 * `omitempty` (the descriptor's `fields` table, from the same release's Go struct tags); that is how the JSON
 * form below matches the JSON kube-apiserver would hold for the same object.
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

interface Generated {
  groups: Record<string, string>;
  slices: string[];
  fields: Record<string, Record<string, { keepZero?: true; json?: string }>>;
  descriptor: protobuf.INamespace;
}
const spec = generated as unknown as Generated;
const root = protobuf.Root.fromJSON(spec.descriptor);
root.resolveAll();

const META = '.k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const DURATION = `${META}.Duration`;
const FIELDS_V1 = `${META}.FieldsV1`;
const QUANTITY = '.k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = '.k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = '.k8s.io.apimachinery.pkg.runtime.RawExtension';
const SLICES = new Set(spec.slices.map((s) => `.${s}`));
const UNKNOWN = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');

/** How one message's fields map to JSON: proto name -> JSON name and back, and which zero values are kept. */
interface Shape {
  readonly jsonOf: Map<string, string>;
  readonly protoOf: Map<string, string>;
  readonly keepZero: Set<string>;
}
const shapes = new Map<string, Shape>();
function shapeOf(type: protobuf.Type): Shape {
  let shape = shapes.get(type.fullName);
  if (shape) return shape;
  const go = spec.fields[type.fullName.slice(1)] ?? {};
  const jsonOf = new Map<string, string>();
  const protoOf = new Map<string, string>();
  const keepZero = new Set<string>();
  for (const field of type.fieldsArray) {
    const json = go[field.name]?.json ?? field.name;
    jsonOf.set(field.name, json);
    protoOf.set(json, field.name);
    if (go[field.name]?.keepZero) keepZero.add(field.name);
  }
  shape = { jsonOf, protoOf, keepZero };
  shapes.set(type.fullName, shape);
  return shape;
}

/** The message type of a kind, e.g. ('apps/v1', 'Deployment'); undefined when the devcluster has none. */
export function protobufType(apiVersion: string, kind: string): protobuf.Type | undefined {
  const pkg = spec.groups[apiVersion];
  const own = pkg && kind ? root.lookup(`${pkg}.${kind}`) : null;
  if (own instanceof protobuf.Type) return own;
  // Option kinds (DeleteOptions, ...) travel with the version of the request they belong to.
  return META_KINDS.has(kind) ? root.lookupType(`${META.slice(1)}.${kind}`) : undefined;
}
/** The meta.k8s.io/v1 kinds a client may send in any group's version. */
const META_KINDS = new Set(['DeleteOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions']);

// ---- wire -> JSON ----------------------------------------------------------------------------------------------

type Long = { toNumber(): number };
const isLong = (v: unknown): v is Long => typeof v === 'object' && v !== null && 'toNumber' in v;
const num = (v: unknown): number => (isLong(v) ? v.toNumber() : Number(v));

function isZero(v: unknown): boolean {
  if (v === '' || v === false || v === 0) return true;
  if (isLong(v)) return v.toNumber() === 0;
  if (v instanceof Uint8Array) return v.length === 0;
  return false;
}

const rfc3339 = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  if (rest < 1e3) return `${sign}${rest}ns`;
  if (rest < 1e6) return `${sign}${rest / 1e3}µs`;
  if (rest < 1e9) return `${sign}${rest / 1e6}ms`;
  const h = Math.floor(rest / 3.6e12);
  rest -= h * 3.6e12;
  const m = Math.floor(rest / 6e10);
  rest -= m * 6e10;
  const s = `${rest / 1e9}s`;
  return `${sign}${h ? `${h}h${m}m` : m ? `${m}m` : ''}${s}`;
}

function parseJsonBytes(raw: Uint8Array): unknown {
  const text = Buffer.from(raw).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw errors.badRequest('protobuf: a RawExtension or FieldsV1 does not hold JSON');
  }
}

function scalarToJson(field: protobuf.Field, v: unknown): unknown {
  if (field.type === 'bytes') return Buffer.from(v as Uint8Array).toString('base64');
  if (isLong(v)) return v.toNumber();
  return v;
}

/** A message's JSON form; undefined for a zero Time (which Go serializes as null). */
function messageToJson(type: protobuf.Type, msg: Record<string, unknown>): unknown {
  switch (type.fullName) {
    case TIME: {
      const s = num(msg.seconds ?? 0);
      return s === 0 && num(msg.nanos ?? 0) === 0 ? undefined : rfc3339(s);
    }
    case MICRO_TIME: {
      const s = num(msg.seconds ?? 0);
      const nanos = num(msg.nanos ?? 0);
      if (s === 0 && nanos === 0) return undefined;
      const micro = String(Math.floor(nanos / 1000)).padStart(6, '0');
      return rfc3339(s).replace(/Z$/, `.${micro}Z`);
    }
    case DURATION:
      return goDuration(num(msg.duration ?? 0));
    case QUANTITY:
      return msg.string ?? '';
    case INT_OR_STRING:
      return num(msg.type ?? 0) === 1 ? (msg.strVal ?? '') : num(msg.intVal ?? 0);
    case FIELDS_V1:
    case RAW_EXTENSION: {
      const raw = msg.Raw ?? msg.raw;
      return raw instanceof Uint8Array && raw.length ? parseJsonBytes(raw) : {};
    }
  }
  if (SLICES.has(type.fullName)) return ((msg.items as unknown[] | undefined) ?? []).slice();
  const shape = shapeOf(type);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = msg[field.name];
    const json = shape.jsonOf.get(field.name)!;
    const element = (x: unknown) =>
      field.resolvedType instanceof protobuf.Type
        ? messageToJson(field.resolvedType, x as Record<string, unknown>)
        : scalarToJson(field, x);
    if (field.map) {
      const entries = Object.entries((v ?? {}) as Record<string, unknown>);
      if (entries.length) out[json] = Object.fromEntries(entries.map(([k, x]) => [k, element(x)]));
    } else if (field.repeated) {
      if (Array.isArray(v) && v.length) out[json] = v.map(element);
    } else if (Object.hasOwn(msg, field.name) && v !== null && v !== undefined) {
      if (field.resolvedType instanceof protobuf.Type) {
        const value = element(v);
        if (value !== undefined) out[json] = value;
      } else if (!isZero(v) || shape.keepZero.has(field.name)) out[json] = element(v);
    }
  }
  return out;
}

/** Decodes a `k8s\0`-framed runtime.Unknown holding a built-in kind into the JSON form kube-apiserver would hold. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC))
    throw errors.badRequest('protobuf: missing the k8s envelope prefix');
  let unknown: { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
  try {
    unknown = UNKNOWN.decode(body.subarray(MAGIC.length)) as typeof unknown;
  } catch (err) {
    throw errors.badRequest(`protobuf: ${(err as Error).message}`);
  }
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  const type = protobufType(apiVersion, kind);
  if (!type) throw errors.unsupportedMediaType(['application/json', 'application/yaml']);
  let message: Record<string, unknown>;
  try {
    message = type.decode(unknown.raw ?? new Uint8Array()) as unknown as Record<string, unknown>;
  } catch (err) {
    throw errors.badRequest(`protobuf: ${kind}: ${(err as Error).message}`);
  }
  return { apiVersion, kind, ...(messageToJson(type, message) as Record<string, unknown>) };
}

// ---- JSON -> wire ----------------------------------------------------------------------------------------------

function parseTime(v: unknown): { seconds: number; nanos: number } | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return undefined;
  const fraction = /\.(\d+)/.exec(v)?.[1] ?? '';
  return { seconds: Math.floor(ms / 1000), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
}

const DURATION_UNITS: Record<string, number> = {
  h: 3.6e12,
  m: 6e10,
  s: 1e9,
  ms: 1e6,
  us: 1e3,
  µs: 1e3,
  ns: 1,
};
function parseGoDuration(v: unknown): number {
  if (typeof v !== 'string') return 0;
  let total = 0;
  for (const m of v.matchAll(/([\d.]+)(h|ms|m|s|us|µs|ns)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return Math.round(v.startsWith('-') ? -total : total);
}

function scalarFromJson(field: protobuf.Field, v: unknown): unknown {
  if (field.type === 'bytes') return typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0);
  return v;
}

function messageFromJson(type: protobuf.Type, v: unknown): Record<string, unknown> | undefined {
  switch (type.fullName) {
    case TIME:
    case MICRO_TIME: {
      const t = parseTime(v);
      return t && (type.fullName === MICRO_TIME ? t : { seconds: t.seconds, nanos: 0 });
    }
    case DURATION:
      return { duration: parseGoDuration(v) };
    case QUANTITY:
      return { string: String(v) };
    case INT_OR_STRING:
      return typeof v === 'number' ? { type: 0, intVal: v } : { type: 1, strVal: String(v) };
    case FIELDS_V1:
      return { Raw: Buffer.from(JSON.stringify(v)) };
    case RAW_EXTENSION:
      return { raw: Buffer.from(JSON.stringify(v)) };
  }
  if (SLICES.has(type.fullName)) return { items: Array.isArray(v) ? v : [] };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const shape = shapeOf(type);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v)) {
    const name = shape.protoOf.get(key);
    if (name === undefined || value === null || value === undefined) continue;
    const field = type.fields[name]!;
    const element = (x: unknown) =>
      field.resolvedType instanceof protobuf.Type
        ? messageFromJson(field.resolvedType, x)
        : scalarFromJson(field, x);
    if (field.map) {
      if (typeof value === 'object')
        out[name] = Object.fromEntries(Object.entries(value).map(([k, x]) => [k, element(x)]));
    } else if (field.repeated) {
      if (Array.isArray(value)) out[name] = value.map(element).filter((x) => x !== undefined);
    } else {
      const converted = element(value);
      if (converted !== undefined) out[name] = converted;
    }
  }
  return out;
}

/** Encodes a built-in object as kube-apiserver does for protobuf clients; undefined when its kind has no message. */
export function encodeProtobuf(object: { apiVersion?: string; kind?: string }): Buffer | undefined {
  const apiVersion = object.apiVersion ?? '';
  const kind = object.kind ?? '';
  const type = protobufType(apiVersion, kind);
  if (!type) return undefined;
  const raw = type.encode(messageFromJson(type, object) ?? {}).finish();
  const envelope = UNKNOWN.encode({
    typeMeta: { apiVersion, kind },
    raw,
    contentEncoding: '',
    contentType: '',
  }).finish();
  return Buffer.concat([MAGIC, envelope]);
}
