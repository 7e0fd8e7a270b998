/**
 * Test support: a tiny, strict MessagePack reader, as a Java or C# gateway reads Kairos's frames
 * (msgpack-java `unpackLong`, MessagePack-CSharp `ReadInt64`): it keeps what type byte each
 * number came with, so a test can refuse a float where the contract declares an integer.
 * Integers are read as {@link WireInt} (the value as a bigint and its type byte), floats as
 * {@link WireFloat}; maps must have string keys; extension types and bytes after the value are
 * refused. Written from the MessagePack specification, independent of msgpackr.
 */

export class WireInt {
  constructor(
    readonly value: bigint,
    /** 0x00-0x7f and 0xe0-0xff (fixint), 0xcc-0xcf (uint 8-64), 0xd0-0xd3 (int 8-64) */
    readonly typeByte: number,
  ) {}
}

export class WireFloat {
  constructor(
    readonly value: number,
    /** 0xca (float32) or 0xcb (float64) */
    readonly typeByte: number,
  ) {}
}

export type WireValue = null | boolean | string | Uint8Array | WireInt | WireFloat | WireValue[] | { [key: string]: WireValue };

/** Reads one MessagePack value that fills `bytes` exactly; throws on anything the specification does not allow or an extension. */
export function readStrict(bytes: Uint8Array): WireValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const take = (n: number): number => {
    if (pos + n > bytes.byteLength) throw new Error(`truncated at byte ${pos}`);
    const at = pos;
    pos += n;
    return at;
  };
  const str = (n: number): string => new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(take(n), pos));
  const list = (n: number): WireValue[] => Array.from({ length: n }, () => value());
  const map = (n: number): { [key: string]: WireValue } => {
    const out: { [key: string]: WireValue } = {};
    for (let i = 0; i < n; i++) {
      const k = value();
      if (typeof k !== 'string') throw new Error(`a map key at byte ${pos} is not a string`);
      out[k] = value();
    }
    return out;
  };
  const value = (): WireValue => {
    const t = view.getUint8(take(1));
    if (t <= 0x7f) return new WireInt(BigInt(t), t);
    if (t >= 0xe0) return new WireInt(BigInt(t - 0x100), t);
    if (t <= 0x8f) return map(t & 0x0f);
    if (t <= 0x9f) return list(t & 0x0f);
    if (t <= 0xbf) return str(t & 0x1f);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return bytes.slice(take(view.getUint8(take(1))), pos);
      case 0xc5:
        return bytes.slice(take(view.getUint16(take(2))), pos);
      case 0xc6:
        return bytes.slice(take(view.getUint32(take(4))), pos);
      case 0xca:
        return new WireFloat(view.getFloat32(take(4)), t);
      case 0xcb:
        return new WireFloat(view.getFloat64(take(8)), t);
      case 0xcc:
        return new WireInt(BigInt(view.getUint8(take(1))), t);
      case 0xcd:
        return new WireInt(BigInt(view.getUint16(take(2))), t);
      case 0xce:
        return new WireInt(BigInt(view.getUint32(take(4))), t);
      case 0xcf:
        return new WireInt(view.getBigUint64(take(8)), t);
      case 0xd0:
        return new WireInt(BigInt(view.getInt8(take(1))), t);
      case 0xd1:
        return new WireInt(BigInt(view.getInt16(take(2))), t);
      case 0xd2:
        return new WireInt(BigInt(view.getInt32(take(4))), t);
      case 0xd3:
        return new WireInt(view.getBigInt64(take(8)), t);
      case 0xd9:
        return str(view.getUint8(take(1)));
      case 0xda:
        return str(view.getUint16(take(2)));
      case 0xdb:
        return str(view.getUint32(take(4)));
      case 0xdc:
        return list(view.getUint16(take(2)));
      case 0xdd:
        return list(view.getUint32(take(4)));
      case 0xde:
        return map(view.getUint16(take(2)));
      case 0xdf:
        return map(view.getUint32(take(4)));
      default:
        throw new Error(`type byte 0x${t.toString(16)} at ${pos - 1}: ${t === 0xc1 ? 'never used' : 'an extension type'}, refused`);
    }
  };
  const v = value();
  if (pos !== bytes.byteLength) throw new Error(`${bytes.byteLength - pos} bytes after the value`);
  return v;
}

/** A JSON Schema as TypeBox writes one: the parts the integer check reads. */
interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

const isMap = (v: WireValue): v is { [key: string]: WireValue } => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof WireInt) && !(v instanceof WireFloat);

/**
 * Where `value` holds a float (or anything but an integer) in a place `schema` declares
 * `integer`, as paths (`actions[0].expiresAt: float64 1.8e12`); empty when every declared
 * integer arrived as one. A union passes when one of its branches does. Only the integer
 * fields are judged: the shape itself is the JSON Schema validators' business.
 */
export function floatsWhereIntegers(jsonSchema: object, value: WireValue, path = ''): string[] {
  const schema = jsonSchema as SchemaNode;
  if (schema.type === 'integer') {
    if (value instanceof WireInt) return [];
    const what = value instanceof WireFloat ? `${value.typeByte === 0xcb ? 'float64' : 'float32'} ${value.value}` : JSON.stringify(value);
    return [`${path || '(the value)'}: ${what}, declared integer`];
  }
  if (schema.anyOf !== undefined) {
    const each = schema.anyOf.map((branch) => floatsWhereIntegers(branch, value, path));
    return each.some((problems) => problems.length === 0) ? [] : (each[0] ?? []);
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    return value.flatMap((item, i) => floatsWhereIntegers(items, item, `${path}[${i}]`));
  }
  if (isMap(value)) {
    const out: string[] = [];
    for (const [key, v] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      const declared =
        schema.properties?.[key] ??
        Object.entries(schema.patternProperties ?? {}).find(([pattern]) => new RegExp(pattern).test(key))?.[1] ??
        (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (declared !== undefined) out.push(...floatsWhereIntegers(declared, v, at));
    }
    return out;
  }
  return [];
}

/** Every float in `value` that holds a whole number (a count or a time sent as a float), as paths. */
export function wholeFloats(value: WireValue, path = ''): string[] {
  if (value instanceof WireFloat) return Number.isInteger(value.value) ? [`${path || '(the value)'}: ${value.value}`] : [];
  if (Array.isArray(value)) return value.flatMap((item, i) => wholeFloats(item, `${path}[${i}]`));
  if (isMap(value)) return Object.entries(value).flatMap(([k, v]) => wholeFloats(v, path === '' ? k : `${path}.${k}`));
  return [];
}

/** The schema paths declared `integer` (`actions[].expiresAt`), through unions, lists and maps. */
export function integerPaths(jsonSchema: object, path = ''): string[] {
  const schema = jsonSchema as SchemaNode;
  if (schema.type === 'integer') return [path];
  const out = new Set<string>();
  for (const branch of schema.anyOf ?? []) for (const p of integerPaths(branch, path)) out.add(p);
  if (schema.items !== undefined) for (const p of integerPaths(schema.items, `${path}[]`)) out.add(p);
  for (const [key, s] of Object.entries(schema.properties ?? {})) for (const p of integerPaths(s, path === '' ? key : `${path}.${key}`)) out.add(p);
  for (const s of Object.values(schema.patternProperties ?? {})) for (const p of integerPaths(s, `${path}.*`)) out.add(p);
  return [...out];
}
