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

  it('reads a CR LF file, or one with a quoted header, as csv-parse reads it (the raw text without its CR)', async () => {
    for (const text of ['id,city\r\nc-1,Москва\r\nc-2,"Омск"\r\n', '"id","city"\nc-1,Москва\n']) {
      const want = (await all(rowsOf(csvParseChunks(Readable.from([Buffer.from(text)]), ',')))).map((r) => ({ ...r, raw: r.raw.replace(/\r$/, '') }));
      expect(await all(readRows(chunked(text), 'csv')), JSON.stringify(text)).toEqual(want);
    }
    // a cell over two lines keeps its CR LF; the record is numbered by its last line (csv-parse counts the CR and the LF inside it as two)
    expect(await all(readRows(chunked('id,note\r\nc-1,"two\r\nlines"\r\nc-2,x\r\n'), 'csv'))).toEqual([
      { line: 3, raw: 'c-1,"two\r\nlines"', fields: { id: 'c-1', note: 'two\r\nlines' } },
      { line: 4, raw: 'c-2,x', fields: { id: 'c-2', note: 'x' } },
    ]);
  });

  it('reads a quote inside a cell as text, and rejects a row it cannot read without stopping: LF and CR LF', async () => {
    for (const eol of ['\n', '\r\n']) {
      const lines = ['id,first_name,phone', 'c-1,Iv"an,+79161234501', 'c-2,"Pe"tr,+79161234502', 'c-3,"Ok ""quoted""",+79161234503', 'c-4,Anna,+79161234504'];
      const rows = await all(readRows(chunked(lines.join(eol) + eol), 'csv'));
      expect(rows.map((r) => [r.line, r.fields.id, r.fields.first_name, r.problem])).toEqual([
        [2, 'c-1', 'Iv"an', undefined],
        [3, undefined, undefined, 'not a CSV record (CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE)'],
        [4, 'c-3', 'Ok "quoted"', undefined],
        [5, 'c-4', 'Anna', undefined],
      ]);
      expect(rows[1]!.raw).toBe('c-2,"Pe"tr,+79161234502');
    }
  });

  it('reads a file with lone CR line ends (old Mac) as lines, a stray quote as text and a bad record as a row rejected', async () => {
    const rows = await all(readRows(chunked('id,first_name\rc-1,Iv"an\rc-2,"Pe"tr\rc-3,Anna\r'), 'csv'));
    expect(rows.map((r) => [r.line, r.fields.id, r.fields.first_name, r.problem])).toEqual([
      [2, 'c-1', 'Iv"an', undefined],
      [3, undefined, undefined, expect.stringMatching(/^not a CSV record/)],
      [4, 'c-3', 'Anna', undefined],
    ]);
  });

  it('takes a quote left open for a bad row: its line rejected, the lines after it read (at the end of the file, or past 64 lines)', async () => {
    const atEnd = await all(readRows(chunked('id,note\nc-1,"open\nc-2,fine\nc-3,also fine\n'), 'csv'));
    expect(atEnd.map((r) => [r.line, r.raw, r.fields.id, r.problem])).toEqual([
      [2, 'c-1,"open', undefined, 'a quoted cell not closed'],
      [3, 'c-2,fine', 'c-2', undefined],
      [4, 'c-3,also fine', 'c-3', undefined],
    ]);
    const body = Array.from({ length: 200 }, (_, i) => `c-${i + 2},row ${i + 2}`);
    for (const eol of ['\n', '\r\n']) {
      const rows = await all(readRows(chunked(['id,note', 'c-1,"never closed', ...body].join(eol) + eol, 4096), 'csv'));
      expect(rows[0]).toMatchObject({ line: 2, problem: 'a quoted cell not closed' });
      expect(rows.slice(1).map((r) => [r.line, r.fields.id, r.problem])).toEqual(body.map((_, i) => [i + 3, `c-${i + 2}`, undefined]));
    }
    // a quoted cell over a few lines is still one cell
    const spanning = await all(readRows(chunked('id,note\nc-1,"one\ntwo\nthree"\nc-2,x\n'), 'csv'));
    expect(spanning.map((r) => [r.line, r.fields.note])).toEqual([[4, 'one\ntwo\nthree'], [5, 'x']]);
  });
});
