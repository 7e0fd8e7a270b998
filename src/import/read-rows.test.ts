import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { SourceRow } from './read-rows.js';
import { csvParseChunks, fastCsvChunks, readRows, rowsOf } from './read-rows.js';

async function all(rows: AsyncIterable<SourceRow>): Promise<Array<Omit<SourceRow, 'bytes'>>> {
  const out: Array<Omit<SourceRow, 'bytes'>> = [];
  for await (const { bytes: _bytes, ...r } of rows) out.push(r);
  return out;
}

/** Split in small chunks, so rows and characters cross chunk boundaries. */
function chunked(text: string, size = 7): Readable {
  const b = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let at = 0; at < b.length; at += size) parts.push(b.subarray(at, at + size));
  return Readable.from(parts);
}

const files = [
  'id,first_name,phone\nc-1,Анна,+79161111111\nc-2, Борис ,\n',
  '\uFEFFid,city\nc-1,Москва\n\nc-2,Омск',
  'id,note\nc-1,"a, quoted ""cell"""\nc-2,"two\nlines"\nc-3,plain\n',
  'id,note\nc-1,x,extra\nc-2\n   \nc-3,\ttabbed\t\n',
  'id;note\nc-1;a,b\nc-2;"c;d"\n',
  'id,note\nc-1,a\rb\nc-2,end\u00a0\n',
];

describe('readRows (CSV)', () => {
  it('reads an LF file line by line exactly as csv-parse reads it', async () => {
    for (const text of files) {
      const delimiter = text.startsWith('id;') ? ';' : ',';
      const want = await all(rowsOf(csvParseChunks(Readable.from([Buffer.from(text)]), delimiter)));
      expect(await all(rowsOf(fastCsvChunks(chunked(text), delimiter))), JSON.stringify(text)).toEqual(want);
      expect(await all(readRows(chunked(text), 'csv', delimiter)), JSON.stringify(text)).toEqual(want);
    }
  });

  it('reads a CR LF file, or one with a quoted header, by csv-parse', async () => {
    for (const text of ['id,city\r\nc-1,Москва\r\nc-2,"Омск"\r\n', '"id","city"\nc-1,Москва\n']) {
      expect(await all(readRows(chunked(text), 'csv'))).toEqual(await all(rowsOf(csvParseChunks(Readable.from([Buffer.from(text)]), ','))));
    }
  });

  it('throws on a quote left open, as csv-parse does', async () => {
    await expect(all(readRows(chunked('id,note\nc-1,"open\n'), 'csv'))).rejects.toThrow();
  });
});
