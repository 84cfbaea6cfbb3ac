import { errors } from '../api/errors.ts';

/**
 * A minimal decoder for kube-apiserver's protobuf wire format, for the few kinds kubectl's imperative `create`
 * subcommands send as protobuf (`kubectl create namespace|configmap|secret`). Other kinds answer 415: the
 * devcluster has no generated.proto schemas for them.
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Field = { readonly num: number; readonly wire: number; readonly value: bigint | Buffer };

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw errors.badRequest('protobuf: truncated varint');
    const byte = buf[pos++]!;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    const num = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [value, next] = readVarint(buf, afterKey);
      out.push({ num, wire, value });
      pos = next;
    } else if (wire === 2) {
      const [len, start] = readVarint(buf, afterKey);
      const end = start + Number(len);
      if (end > buf.length) throw errors.badRequest('protobuf: truncated field');
      out.push({ num, wire, value: buf.subarray(start, end) });
      pos = end;
    } else if (wire === 1) {
      out.push({ num, wire, value: buf.subarray(afterKey, afterKey + 8) });
      pos = afterKey + 8;
    } else if (wire === 5) {
      out.push({ num, wire, value: buf.subarray(afterKey, afterKey + 4) });
      pos = afterKey + 4;
    } else throw errors.badRequest(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

const str = (f: Field) => (f.value as Buffer).toString('utf8');
const bytes = (f: Field) => f.value as Buffer;
const int = (f: Field) => Number(f.value as bigint);

function map<V>(entries: Field[], value: (f: Field) => V): Record<string, V> | undefined {
  if (entries.length === 0) return undefined;
  const out: Record<string, V> = {};
  for (const e of entries) {
    const kv = fields(bytes(e));
    const k = kv.find((f) => f.num === 1);
    const v = kv.find((f) => f.num === 2);
    out[k ? str(k) : ''] = v ? value(v) : value({ num: 2, wire: 2, value: Buffer.alloc(0) });
  }
  return out;
}

/** ObjectMeta: the fields a client sets on create. */
function objectMeta(buf: Buffer): Record<string, unknown> {
  const fs = fields(buf);
  const meta: Record<string, unknown> = {};
  const one = (n: number) => fs.find((f) => f.num === n);
  const put = (key: string, n: number) => {
    const f = one(n);
    if (f) meta[key] = str(f);
  };
  put('name', 1);
  put('generateName', 2);
  put('namespace', 3);
  put('uid', 5);
  put('resourceVersion', 6);
  const labels = map(
    fs.filter((f) => f.num === 11),
    str,
  );
  const annotations = map(
    fs.filter((f) => f.num === 12),
    str,
  );
  if (labels) meta.labels = labels;
  if (annotations) meta.annotations = annotations;
  const finalizers = fs.filter((f) => f.num === 14).map(str);
  if (finalizers.length) meta.finalizers = finalizers;
  return meta;
}

type KindDecoder = (fs: Field[]) => Record<string, unknown>;

const base64 = (f: Field) => bytes(f).toString('base64');

const KINDS: Record<string, KindDecoder> = {
  'v1/Namespace': (fs) => {
    const spec = fs.find((f) => f.num === 2);
    const finalizers = spec
      ? fields(bytes(spec))
          .filter((f) => f.num === 1)
          .map(str)
      : [];
    return { ...(finalizers.length ? { spec: { finalizers } } : {}) };
  },
  'v1/ConfigMap': (fs) => {
    const data = map(
      fs.filter((f) => f.num === 2),
      str,
    );
    const binaryData = map(
      fs.filter((f) => f.num === 3),
      base64,
    );
    const immutable = fs.find((f) => f.num === 4);
    return {
      ...(data ? { data } : {}),
      ...(binaryData ? { binaryData } : {}),
      ...(immutable ? { immutable: int(immutable) !== 0 } : {}),
    };
  },
  'v1/Secret': (fs) => {
    const data = map(
      fs.filter((f) => f.num === 2),
      base64,
    );
    const type = fs.find((f) => f.num === 3);
    const stringData = map(
      fs.filter((f) => f.num === 4),
      str,
    );
    const immutable = fs.find((f) => f.num === 5);
    return {
      ...(data ? { data } : {}),
      ...(type ? { type: str(type) } : {}),
      ...(stringData ? { stringData } : {}),
      ...(immutable ? { immutable: int(immutable) !== 0 } : {}),
    };
  },
};

/** Decodes a `k8s\0`-framed runtime.Unknown holding one of the supported kinds into its JSON form. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC))
    throw errors.badRequest('protobuf: missing the k8s envelope prefix');
  const unknown = fields(body.subarray(MAGIC.length));
  const typeMeta = unknown.find((f) => f.num === 1);
  const raw = unknown.find((f) => f.num === 2);
  const tm = typeMeta ? fields(bytes(typeMeta)) : [];
  const apiVersion = tm.find((f) => f.num === 1);
  const kind = tm.find((f) => f.num === 2);
  const gvk = `${apiVersion ? str(apiVersion) : ''}/${kind ? str(kind) : ''}`;
  const decode = KINDS[gvk];
  if (!decode || !raw) throw errors.unsupportedMediaType(['application/json', 'application/yaml']);
  const object = fields(bytes(raw));
  const meta = object.find((f) => f.num === 1);
  return {
    apiVersion: str(apiVersion!),
    kind: str(kind!),
    metadata: meta ? objectMeta(bytes(meta)) : {},
    ...decode(object),
  };
}
