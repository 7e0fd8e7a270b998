/**
 * The lines of a byte stream, whole lines with their `\n`, holding at most `limit` bytes of one line: a
 * longer line is not kept but replaced, in its place (so the lines after it keep their
 * numbers), by its first bytes and a note that is never valid JSON, so an NDJSON reader rejects
 * it as unreadable. What the streamed customer import reads (docs/import.md).
 */

/** How much of a too-long line its replacement quotes. */
export const LONG_LINE_QUOTE = 200;

export function longLineNote(limit: number): string {
  return ` [line longer than ${limit} bytes]`;
}

export async function* boundedLines(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, limit: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  /** the line in hand is over the limit: its quote, and its bytes are dropped until its end */
  let tooLong: Buffer | undefined;
  const take = (piece: Buffer): void => {
    if (tooLong !== undefined) return;
    if (size + piece.byteLength > limit) {
      tooLong = Buffer.concat([...parts, piece.subarray(0, Math.max(0, LONG_LINE_QUOTE - size))]).subarray(0, LONG_LINE_QUOTE);
      parts = [];
      size = 0;
      return;
    }
    parts.push(piece);
    size += piece.byteLength;
  };
  const line = (): Buffer => {
    const out = tooLong !== undefined ? Buffer.concat([tooLong, Buffer.from(longLineNote(limit))]) : Buffer.concat(parts);
    parts = [];
    size = 0;
    tooLong = undefined;
    return out;
  };
  const newline = Buffer.from('\n');
  for await (const chunk of chunks) {
    // the chunk's whole lines go on together
    const out: Buffer[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, from)) {
      take(chunk.subarray(from, nl));
      out.push(line(), newline);
      from = nl + 1;
    }
    if (from < chunk.byteLength) take(chunk.subarray(from));
    if (out.length > 0) yield Buffer.concat(out);
  }
  if (size > 0 || tooLong !== undefined) yield line();
}
