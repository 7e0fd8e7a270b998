import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import type { ImportMapping } from './import-mapping.js';
import { emptyMapping, parseMapping } from './import-mapping.js';
import type { RejectSink } from './import-customers.js';
import { importCustomerRows, summaryLine } from './import-customers.js';
import type { ImportFormat, SourceRow } from './read-rows.js';
import { readRows } from './read-rows.js';

/** The import run on the memory store: mapping, rejects with reasons, idempotence, upsert. */

const NOW = 1_700_000_000_000; // a fixed instant, no calendar date asserted from it beyond age arithmetic

function memorySink(): RejectSink & { text: () => string } {
  let text = '';
  return {
    append: (t) => void (text += t),
    size: () => Buffer.byteLength(text),
    truncate: (b) => void (text = Buffer.from(text).subarray(0, b).toString()),
    text: () => text,
  };
}

async function run(store: MemoryStore, content: string, opts: { mapping?: ImportMapping; format?: ImportFormat; now?: number; resume?: boolean } = {}) {
  const rejects = memorySink();
  const mapping = opts.mapping ?? emptyMapping;
  const result = await importCustomerRows(store, readRows(Readable.from([content]), opts.format ?? 'csv', mapping.delimiter), {
    source: 'test.csv',
    mapping,
    rejects,
    resume: opts.resume ?? false,
    now: opts.now ?? NOW,
    batchSize: 2,
  });
  return { result, rejects: rejects.text() };
}

describe('kairos import customers (the run)', () => {
  it("imports a CSV in the bank's own column names through a mapping file", async () => {
    const mapping = parseMapping(`
delimiter: ";"
dateFormat: DD.MM.YYYY
columns:
  CLIENT_ID: id
  FAM: last_name
  IM: first_name
  OTCH: patronymic
  POL: gender
  DR: birth_date
  TEL: phone
  MAIL: email
  KARTA: card
  SMS_OK: { to: consent_sms, type: boolean }
  STATUS: stage
  DOHOD: { to: income, type: number }
  VIP: { to: vip, type: boolean }
  OPEN_DT: { to: opened, type: date }
`);
    const csv = [
      'CLIENT_ID;FAM;IM;OTCH;POL;DR;TEL;MAIL;KARTA;SMS_OK;STATUS;DOHOD;VIP;OPEN_DT;REGION',
      'B-1001;Соколова;Ирина;Петровна;f;15.03.1961;8 (916) 123-45-67;Irina@Example.RU;4276000011112222|4276000033334444;да;client;120000;true;01.02.2015;77',
    ].join('\n');
    const store = new MemoryStore();
    const { result } = await run(store, csv, { mapping });
    expect(result).toMatchObject({ rows: 1, created: 1, updated: 0, unchanged: 0, rejected: 0 });
    const rec = await store.getCustomer('B-1001');
    expect(rec).toMatchObject({
      stage: 'client',
      profile: { lastName: 'Соколова', firstName: 'Ирина', patronymic: 'Петровна', gender: 'f' },
      birthDate: '1961-03-15',
      identifiers: { phone: ['+79161234567'], email: ['irina@example.ru'], card: ['4276000011112222', '4276000033334444'] },
      consents: { sms: { granted: true, at: NOW, source: 'import' } },
      attributes: { income: 120000, vip: true, opened: '2015-02-01', REGION: 77 },
    });
    const years = new Date(NOW).getUTCFullYear() - 1961;
    expect([years - 1, years]).toContain(rec!.profile.age);
    expect(await store.lookupIdentity('phone', '+79161234567')).toBe('B-1001');
  });

  it('rejects bad rows with their line, column and reason, and imports the rest', async () => {
    const store = new MemoryStore();
    await run(store, 'id,phone\nowner,+79160000001\n');
    const csv = [
      'id,first_name,phone,email,birth_date,timezone,gender',
      ',Без,+79161111111,,,,', // 2 missing id
      'c-1,Анна,+79162222222,anna@example.ru,1990-05-01,Europe/Moscow,f', // 3 ok
      'c-1,Анна,,,,,', // 4 duplicate id
      'c-2,Борис,12345,,,,', // 5 invalid phone
      'c-3,Вера,,not-an-email,,,', // 6 invalid e-mail
      'c-4,Глеб,,,1990-02-30,,', // 7 invalid date
      'c-5,Дина,,,,Mars/Olympus,', // 8 invalid time zone
      'c-6,Егор,+79160000001,,,,', // 9 the phone is another customer's
      'c-7,Жанна,+79162222222,,,,', // 10 the phone of c-1, a row above
      'c-8,Зоя,"+7 916 333-33-33",zoya@example.ru,,Asia/Omsk,x', // 11 invalid gender
      'c-9,Ия,,,,,', // 12 ok
      'c-10,Кира,,,3000-01-01,,', // 13 a birth date in the future
      'c-11,Лев,,,1700-01-01,,', // 14 a birth date over 150 years back
      'v-1a2b,Маша,,,,,', // 15 a visitor's id (Kairos's own, for a browser)
    ].join('\n');
    const { result, rejects } = await run(store, csv);
    expect(result).toMatchObject({ rows: 14, created: 2, rejected: 12 });
    const lines = rejects.trim().split('\n');
    expect(lines[0]).toBe('line,column,reason,raw');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      '2,id,missing_id',
      '4,id,duplicate_id',
      '5,phone,invalid_phone',
      '6,email,invalid_email',
      '7,birth_date,invalid_date',
      '8,timezone,invalid_timezone',
      '9,phone,identifier_taken',
      '10,phone,identifier_taken',
      '11,gender,invalid_gender',
      '13,birth_date,invalid_date',
      '14,birth_date,invalid_date',
      '15,id,invalid_id',
    ]);
    expect(lines[2]).toBe('4,id,duplicate_id,"c-1,Анна,,,,,"');
    // never half-applied: nothing of a rejected row is kept
    expect(await store.getCustomer('c-2')).toBeUndefined();
    expect(await store.lookupIdentity('phone', '+79161111111')).toBeUndefined();
    expect(await store.lookupIdentity('phone', '+79160000001')).toBe('owner');
    expect(summaryLine(result, 1.25)).toBe('import: rows=14 created=2 updated=0 unchanged=0 rejected=12 s=1.3');
  });

  it('is idempotent: the same file twice changes nothing the second time; a change updates and keeps the rest', async () => {
    const store = new MemoryStore();
    const csv = 'id,first_name,phone,consent_email,stage,tier\nc-1,Анна,+79162222222,true,client,gold\nc-2,Борис,,false,prospect,\n';
    expect((await run(store, csv)).result).toMatchObject({ rows: 2, created: 2, updated: 0, unchanged: 0 });
    expect((await run(store, csv, { now: NOW + 60_000 })).result).toMatchObject({ rows: 2, created: 0, updated: 0, unchanged: 2 });
    const before = await store.getCustomer('c-1');
    // NDJSON, another day: c-1 leaves the bank; what the row does not name stays
    const { result } = await run(store, '{"id":"c-1","stage":"former_client","city":"Омск"}\n{"id":"c-2","consent_email":false}\n', { format: 'ndjson', now: NOW + 86_400_000 });
    expect(result).toMatchObject({ rows: 2, created: 0, updated: 1, unchanged: 1 });
    const after = await store.getCustomer('c-1');
    expect(after).toMatchObject({ stage: 'formerClient', profile: { firstName: 'Анна', city: 'Омск' }, identifiers: { phone: ['+79162222222'] }, attributes: { tier: 'gold' } });
    expect(after!.consents).toEqual(before!.consents);
  });

  it('runs on one store one at a time between checking and committing: a run waiting gets its turn between two batches of a long one', async () => {
    const store = new MemoryStore();
    const long = ['id,phone', ...Array.from({ length: 40 }, (_, i) => `l-${i},+7916${String(2_000_000 + i)}`)].join('\n');
    const order: string[] = [];
    const longRun = run(store, long).then(() => order.push('long'));
    // a one-row run claiming the long file's last phone, started as the long one begins
    const shortRun = run(store, 'id,phone\ns-1,+79162000039').then((r) => {
      order.push('short');
      return r;
    });
    const [, short] = await Promise.all([longRun, shortRun]);
    // its turn came after the long run's first batch, not at its end: the phone is the short run's
    expect(order).toEqual(['short', 'long']);
    expect(short.result).toMatchObject({ created: 1, rejected: 0 });
    expect(await store.lookupIdentity('phone', '+79162000039')).toBe('s-1');
    expect(await store.getCustomer('l-39')).toBeUndefined();
  });

  it('hands the lock over while it waits for its next rows (a client sending slowly), what it checked committed first', async () => {
    const store = new MemoryStore();
    let more!: () => void;
    const stalled = new Promise<void>((r) => (more = r));
    async function* slowly(): AsyncGenerator<SourceRow> {
      yield { line: 2, raw: 'a-1,+79163000001', fields: { id: 'a-1', phone: '+79163000001' }, bytes: 10 };
      await stalled;
      yield { line: 3, raw: 'a-2,+79163000002', fields: { id: 'a-2', phone: '+79163000002' }, bytes: 20 };
    }
    const opts = { source: 'api', mapping: emptyMapping, rejects: memorySink(), resume: false, keepMarker: false, now: NOW };
    const slow = importCustomerRows(store, slowly(), opts);
    await new Promise((r) => setImmediate(r));
    // a one-row run meanwhile: not held back by the stalled one, and a-1's phone (checked, not yet committed then) is taken
    const quick = await importCustomerRows(store, [{ line: 2, raw: 'q', fields: { id: 'q-1', phone: '+79163000001' }, bytes: 1 }], opts);
    expect(quick).toMatchObject({ created: 0, rejected: 1 });
    more();
    expect(await slow).toMatchObject({ created: 2, rejected: 0 });
    expect(await store.lookupIdentity('phone', '+79163000001')).toBe('a-1');
  });

  it('resumes after the last committed batch and imports no row twice', async () => {
    const store = new MemoryStore();
    const rows = Array.from({ length: 9 }, (_, i) => `c-${i + 1},${i === 4 ? 'bad-phone' : ''}`);
    const csv = `id,phone\n${rows.join('\n')}\n`;
    // a first run that dies while reading row 7: rows 1-6 (three batches) are committed
    const rejects = memorySink();
    const dying = (async function* () {
      let n = 0;
      for await (const r of readRows(Readable.from([csv]), 'csv')) {
        if (++n === 7) throw new Error('killed');
        yield r;
      }
    })();
    await expect(importCustomerRows(store, dying, { source: 'test.csv', mapping: emptyMapping, rejects, resume: false, now: NOW, batchSize: 2 })).rejects.toThrow('killed');
    const result = await importCustomerRows(store, readRows(Readable.from([csv]), 'csv'), { source: 'test.csv', mapping: emptyMapping, rejects, resume: true, now: NOW, batchSize: 2 });
    expect(result).toMatchObject({ rows: 9, created: 8, updated: 0, unchanged: 0, rejected: 1, skipped: 6 });
    expect(rejects.text().trim().split('\n')).toEqual(['line,column,reason,raw', '6,phone,invalid_phone,"c-5,bad-phone"']);
  });
});
