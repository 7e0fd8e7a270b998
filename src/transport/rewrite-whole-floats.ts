/**
 * Integers on the wire. msgpackr writes a JavaScript number as a MessagePack integer only
 * when it fits 32 bits; a whole number past that (an epoch-milliseconds `expiresAt`, a large
 * count or amount) goes out as a float64, which strict decoders (msgpack-java `unpackLong`,
 * MessagePack-CSharp `ReadInt64`) refuse where the contract says integer. No msgpackr option
 * changes that (`int64AsType` and `largeBigIntToFloat` are about reading and about BigInt), so
 * the encoded bytes are fixed in place: every float64 (0xcb) holding a whole number within
 * ±(2^53 − 1) becomes a uint64 (0xcf) when it is not negative, an int64 (0xd3) when it is.
 * Both are 9 bytes, as the float64 was, so nothing moves and no length changes. Numbers with
 * a fraction (a score, a probability) stay float64; whole numbers past 2^53, which a double
 * cannot hold exactly, stay float64 too.
 *
 * The bytes are the server's own encoder's (plain maps, arrays and scalars); the walk reads
 * each value's header once, skips strings and binary by their lengths, allocates nothing but
 * a view, and is not run at all when the bytes hold no 0xcb byte.
 */

const TWO_32 = 0x1_0000_0000;

/** Rewrites, in place, each float64 holding a safe integer as uint64 (0 and above) or int64 (below 0). Returns the bytes. */
export function rewriteWholeFloats<B extends Uint8Array>(bytes: B): B {
  if (bytes.indexOf(0xcb) === -1) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.byteLength;
  let pos = 0;
  // Values still to read: a map adds two per entry, an array one per item.
  let pending = 1;
  while (pending > 0 && pos < end) {
    pending--;
    const t = bytes[pos++] as number;
    if (t <= 0x7f || t >= 0xe0) continue; // fixint
    if (t <= 0x8f) {
      pending += 2 * (t & 0x0f);
      continue;
    }
    if (t <= 0x9f) {
      pending += t & 0x0f;
      continue;
    }
    if (t <= 0xbf) {
      pos += t & 0x1f;
      continue;
    }
    switch (t) {
      case 0xcb: {
        const v = view.getFloat64(pos);
        if (Number.isSafeInteger(v)) {
          const hi = Math.floor(v / TWO_32);
          bytes[pos - 1] = v >= 0 ? 0xcf : 0xd3;
          view.setInt32(pos, hi);
          view.setUint32(pos + 4, v - hi * TWO_32);
        }
        pos += 8;
        break;
      }
      case 0xc0:
      case 0xc2:
      case 0xc3:
        break;
      case 0xcc:
      case 0xd0:
        pos += 1;
        break;
      case 0xcd:
      case 0xd1:
        pos += 2;
        break;
      case 0xca:
      case 0xce:
      case 0xd2:
        pos += 4;
        break;
      case 0xcf:
      case 0xd3:
        pos += 8;
        break;
      case 0xc4:
      case 0xd9:
        pos += 1 + (bytes[pos] as number);
        break;
      case 0xc5:
      case 0xda:
        pos += 2 + view.getUint16(pos);
        break;
      case 0xc6:
      case 0xdb:
        pos += 4 + view.getUint32(pos);
        break;
      case 0xdc:
        pending += view.getUint16(pos);
        pos += 2;
        break;
      case 0xdd:
        pending += view.getUint32(pos);
        pos += 4;
        break;
      case 0xde:
        pending += 2 * view.getUint16(pos);
        pos += 2;
        break;
      case 0xdf:
        pending += 2 * view.getUint32(pos);
        pos += 4;
        break;
      // Extensions (never written by the server's encoder): skipped whole.
      case 0xd4:
        pos += 2;
        break;
      case 0xd5:
        pos += 3;
        break;
      case 0xd6:
        pos += 5;
        break;
      case 0xd7:
        pos += 9;
        break;
      case 0xd8:
        pos += 17;
        break;
      case 0xc7:
        pos += 2 + (bytes[pos] as number);
        break;
      case 0xc8:
        pos += 3 + view.getUint16(pos);
        break;
      case 0xc9:
        pos += 5 + view.getUint32(pos);
        break;
      default:
        // 0xc1 is never used: nothing sensible follows; leave the rest as it is.
        return bytes;
    }
  }
  return bytes;
}
