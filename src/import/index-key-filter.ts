/**
 * The identity index keys a run has written (a Bloom filter: no false "absent", a few false
 * "maybe"), for an import into a store that held no identifier when the run began
 * (docs/import.md, Speed): an identifier whose key the filter has never seen has no owner, and
 * is not read from the store; a "maybe" is read as before. The keys are HMACs
 * (`hashedIdentityKey`: `h:<kind>:` and 43 base64url characters), uniformly random already,
 * so the filter's bit positions are taken from their characters. 8 MiB, 4 positions a key:
 * ~1% false "maybe" at 3 million keys (1M rows of three identifiers), more beyond.
 */

const BITS = 26;
const MASK = (1 << BITS) - 1;
const PROBES = 4;
/** base64url characters per probe: 5 × 6 bits ≥ BITS */
const CHARS = 5;

const B64 = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((c, i) => (B64[c.charCodeAt(0)] = i));

export class IndexKeyFilter {
  private readonly bits = new Uint32Array((1 << BITS) / 32);

  /** Positions from the key's HMAC characters; undefined for a key that is not one (never filtered). */
  private positions(key: string, each: (bit: number) => boolean): boolean {
    const start = key.lastIndexOf(':') + 1;
    if (start === 0 || key.length - start < PROBES * CHARS) return false;
    for (let p = 0; p < PROBES; p++) {
      let h = 0;
      for (let c = 0; c < CHARS; c++) {
        const v = B64[key.charCodeAt(start + p * CHARS + c) & 127]!;
        if (v < 0) return false;
        h = h * 64 + v;
      }
      if (!each(h & MASK)) return true;
    }
    return true;
  }

  add(key: string): void {
    this.positions(key, (bit) => {
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
      return true;
    });
  }

  /** false: the key was certainly never added; true: it may have been. */
  mayHave(key: string): boolean {
    let all = true;
    const filtered = this.positions(key, (bit) => (all = (this.bits[bit >>> 5]! & (1 << (bit & 31))) !== 0));
    return !filtered || all;
  }
}
