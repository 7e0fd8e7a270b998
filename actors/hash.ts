/** FNV-1a's offset basis: the state `fnvMix` starts from. */
export const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a's state after mixing `text` into `h` (a name hashed in parts, without joining them: start from FNV_OFFSET). */
export function fnvMix(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** FNV-1a, 32 bits: a small, stable, pure string hash (ids, control groups, shards). Not for secrets. */
export function fnv1a(text: string): number {
  return fnvMix(FNV_OFFSET, text) >>> 0;
}
