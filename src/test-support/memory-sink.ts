import type { RejectSink } from '../import/import-customers.js';

/** An import's rejects file in memory: what was appended, read back with `text()`. */
export function memorySink(): RejectSink & { text: () => string } {
  let text = '';
  return {
    append: (t) => void (text += t),
    size: () => Buffer.byteLength(text),
    truncate: (b) => void (text = Buffer.from(text).subarray(0, b).toString()),
    text: () => text,
  };
}
