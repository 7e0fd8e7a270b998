import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { memorySink } from '../test-support/memory-sink.js';
import type { ImportMapping } from './import-mapping.js';
import { emptyMapping, parseMapping } from './import-mapping.js';
import { importCustomerRows } from './import-customers.js';
import type { ImportFormat } from './read-rows.js';
import { readRows } from './read-rows.js';

/**
 * What an import keeps is text, within bounds, named once: the file's encoding (windows-1251
 * read as such; bytes that are not UTF-8 rejected `invalid_encoding`, never stored as U+FFFD),
 * a BOM before NDJSON, the bounds a customer's state applies, ids without control characters,
 * one column per target. On the memory store, through the same run as the command's.
 */

const NOW = 1_700_000_000_000;

/** Bytes in small chunks, so characters cross chunk boundaries. */
function chunked(b: Buffer, size = 3): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < b.length; at += size) parts.push(b.subarray(at, at + size));
  return Readable.from(parts);
}

async function run(store: MemoryStore, content: Buffer | string, opts: { mapping?: ImportMapping; format?: ImportFormat } = {}) {
  const rejects = memorySink();
  const mapping = opts.mapping ?? emptyMapping;
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const result = await importCustomerRows(store, readRows(chunked(bytes), opts.format ?? 'csv', mapping.delimiter, mapping.encoding), {
    source: 'test',
    mapping,
    rejects,
    resume: false,
    now: NOW,
  });
  return { result, rejects: rejects.text() };
}

/** windows-1251 bytes of a text (Cyrillic letters only besides ASCII). */
function cp1251(text: string): Buffer {
  return Buffer.from([...text].map((ch) => {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) return c;
    if (c >= 0x410 && c <= 0x44f) return c - 0x410 + 0xc0;
    if (c === 0x401) return 0xa8;
    if (c === 0x451) return 0xb8;
    throw new Error(`no cp1251 byte for ${ch}`);
  }));
}

describe('encodings', () => {
  it('reads a windows-1251 file named in the mapping, characters split across chunks', async () => {
    const store = new MemoryStore();
    const mapping = parseMapping('delimiter: ";"\nencoding: cp1251\n');
    expect(mapping.encoding).toBe('windows-1251');
    const { result } = await run(store, cp1251('id;last_name;first_name\nW1;Иванов;Пётр\n'), { mapping });
    expect(result).toMatchObject({ created: 1, rejected: 0 });
    expect((await store.getCustomer('W1'))?.profile).toMatchObject({ lastName: 'Иванов', firstName: 'Пётр' });
  });

  it('rejects a row that is not valid UTF-8 as invalid_encoding, naming its column, and stores nothing of it', async () => {
    const store = new MemoryStore();
    const file = Buffer.concat([Buffer.from('id;last_name;first_name\nW1;'), cp1251('Иванов'), Buffer.from(';Petr\nW2;Ok;Fine\n')]);
    const { result, rejects } = await run(store, file, { mapping: parseMapping('delimiter: ";"') });
    expect(result).toMatchObject({ rows: 2, created: 1, rejected: 1 });
    expect(rejects.split('\n')[1]).toMatch(/^2,last_name,invalid_encoding,/);
    expect(await store.getCustomer('W1')).toBeUndefined();
  });

  it('refuses a CSV whose header is not valid UTF-8, naming the encoding option', async () => {
    await expect(run(new MemoryStore(), Buffer.concat([Buffer.from('id,'), cp1251('Фамилия'), Buffer.from('\nW1,x\n')]))).rejects.toThrow(/not valid UTF-8: name the file's encoding \(--encoding/);
  });

  it('NDJSON: skips a UTF-8 BOM, rejects bytes that are not UTF-8 and a lone surrogate escape', async () => {
    const store = new MemoryStore();
    const file = Buffer.concat([
      Buffer.from('\uFEFF{"id":"N1","first_name":"Анна"}\n{"id":"N2","first_name":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}\n{"id":"N3","last_name":"\\ud800"}\n{"id":"N4","city":"\\ud83d\\ude00"}\n'),
    ]);
    const { result, rejects } = await run(store, file, { format: 'ndjson' });
    expect(result).toMatchObject({ rows: 4, created: 2, rejected: 2 });
    expect(rejects.split('\n').slice(1, 3).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['2,first_name,invalid_encoding', '3,last_name,invalid_encoding']);
    expect((await store.getCustomer('N1'))?.profile.firstName).toBe('Анна');
    expect((await store.getCustomer('N4'))?.profile.city).toBe('😀');
  });

  it('refuses an unknown encoding in the mapping', () => {
    expect(() => parseMapping('encoding: klingon')).toThrow(/"encoding" is an encoding name/);
  });
});

describe("the state's bounds", () => {
  it('rejects rows past them as too_long or too_many_attributes, the rest imported', async () => {
    const store = new MemoryStore();
    const many = Array.from({ length: 201 }, (_, i) => `"a${i}":${i}`).join(',');
    const rows = [
      `{"id":"B1","first_name":"${'x'.repeat(257)}"}`,
      `{"id":"B2","note":"${'x'.repeat(257)}"}`,
      `{"id":"B3","${'k'.repeat(65)}":1}`,
      `{"id":"B4",${many}}`,
      `{"id":"B5","first_name":"${'x'.repeat(256)}","${'k'.repeat(64)}":"${'v'.repeat(256)}"}`,
    ].join('\n');
    const { result, rejects } = await run(store, rows, { format: 'ndjson' });
    expect(result).toMatchObject({ rows: 5, created: 1, rejected: 4 });
    expect(rejects.split('\n').slice(1, 5).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['1,first_name,too_long', '2,note,too_long', `3,${'k'.repeat(65)},too_long`, '4,a200,too_many_attributes']);
  });
});

describe('customer ids', () => {
  it('one rule for the gateway and the import: no control characters', async () => {
    const { normalizeIdentifier, customerIdProblem } = await import('../../actors/index.js');
    expect(normalizeIdentifier('id', 'a\u0000b')).toBeUndefined();
    expect(normalizeIdentifier('id', 'a\u0085b')).toBeUndefined();
    expect(normalizeIdentifier('id', ' c-1 ')).toBe('c-1');
    expect(customerIdProblem(' c-1')).toBe('starts or ends with white space');
    const store = new MemoryStore();
    const { result, rejects } = await run(store, '{"id":"a\\u0007b"}\n{"id":"ok"}\n', { format: 'ndjson' });
    expect(result).toMatchObject({ created: 1, rejected: 1 });
    expect(rejects).toContain('1,id,invalid_id,');
  });
});

describe('one column a target', () => {
  it('refuses a mapping that maps two columns to one', () => {
    expect(() => parseMapping('delimiter: ";"\ncolumns:\n  A: id\n  B: id\n')).toThrow('mapping: columns "A" and "B" both map to "id": map each column to a column of its own');
    expect(() => parseMapping('columns:\n  F1: last_name\n  last_name: { type: text }\n')).toThrow(/both map to "last_name"/);
  });

  it('refuses a header naming a column twice, or a column the mapping gives another', async () => {
    await expect(run(new MemoryStore(), 'id,phone,phone\nD1,+79161234567,+79167654321\n')).rejects.toThrow('the header names the column "phone" twice: give each column a name of its own');
    const store = new MemoryStore();
    await expect(run(store, 'CLIENT_ID,id\nX1,Y1\n', { mapping: parseMapping('columns:\n  CLIENT_ID: id\n') })).rejects.toThrow('columns "CLIENT_ID" and "id" both give "id": rename one in the mapping, or drop it');
    expect(await store.getCustomer('X1')).toBeUndefined();
    expect(await store.getCustomer('Y1')).toBeUndefined();
  });
});

describe('minor', () => {
  it('rejects a consent given in the future (past 5 minutes of clock skew) as invalid_date', async () => {
    const store = new MemoryStore();
    const day = (ms: number): string => new Date(ms).toISOString();
    const csv = `id,consent_sms,consent_sms_at\nF1,true,${day(NOW + 86_400_000)}\nF2,true,${day(NOW + 60_000)}\nF3,true,${day(NOW - 86_400_000)}\n`;
    const { result, rejects } = await run(store, csv);
    expect(result).toMatchObject({ rows: 3, created: 2, rejected: 1 });
    expect(rejects.split('\n')[1]).toMatch(/^2,consent_sms_at,invalid_date,/);
  });

  it('tells the share of the file read in its progress lines, not the tenth passed', async () => {
    const { tenthLine } = await import('../cli/import-command.js');
    expect(tenthLine(16, 100, 31_976, 0)).toEqual({ tenth: 1, text: 'import: 16% rows=31976\n' });
    expect(tenthLine(19, 100, 40_000, 1)).toBeUndefined();
    expect(tenthLine(100, 100, 200_000, 9)).toBeUndefined();
  });
});
