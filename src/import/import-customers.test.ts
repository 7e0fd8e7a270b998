import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import { memorySink } from '../test-support/memory-sink.js';
import type { ImportMapping } from './import-mapping.js';
import { emptyMapping, parseMapping } from './import-mapping.js';
import { importCustomerRows, summaryLine } from './import-customers.js';
import type { ImportFormat, SourceRow } from './read-rows.js';
import { readRows } from './read-rows.js';

/** The import run on the memory store: mapping, rejects with reasons, idempotence, upsert. */

const NOW = 1_700_000_000_000; // a fixed instant, no calendar date asserted from it beyond age arithmetic

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

  it('frees for a later row of the same file an identifier an earlier row dropped, in its batch or a batch after it', async () => {
    const store = new MemoryStore();
    expect((await run(store, 'id,phone\nMV1,+79160000101\nMV2,+79160000102\nMV3,+79160000104\nMV4,+79160000105\n')).result).toMatchObject({ created: 4, rejected: 0 });
    // (batches of 2) MV1 gives 101 up and MV2 takes it in the same batch; MV3 gives 104 up and MV4 takes it in the batch after
    const csv = 'id,phone\nMV1,+79160000103\nMV2,+79160000101\nMV3,+79160000106\nMV5,+79160000107\nMV4,+79160000104\n';
    const first = await run(store, csv);
    expect(first.rejects).toBe('line,column,reason,raw\n');
    expect(first.result).toMatchObject({ rows: 5, created: 1, updated: 4, unchanged: 0, rejected: 0 });
    const owners = await Promise.all(['101', '102', '103', '104', '105', '106', '107'].map((n) => store.lookupIdentity('phone', `+79160000${n}`)));
    expect(owners).toEqual(['MV2', undefined, 'MV1', 'MV4', undefined, 'MV3', 'MV5']);
    expect((await store.getCustomer('MV2'))!.identifiers.phone).toEqual(['+79160000101']);
    // the same file again changes nothing
    expect((await run(store, csv)).result).toMatchObject({ rows: 5, created: 0, updated: 0, unchanged: 5, rejected: 0 });
  });

  it('writes a batch taking an identifier the batch in flight released only once that one is committed', async () => {
    const log: string[] = [];
    /** a store whose batches take a while to commit: the next batch is checked meanwhile */
    class SlowStore extends MemoryStore {
      override async importCustomers(...args: Parameters<MemoryStore['importCustomers']>): Promise<void> {
        const ids = args[0].map((e) => e.id).join('+');
        log.push(`write ${ids}`);
        await new Promise((r) => setTimeout(r, 30));
        await super.importCustomers(...args);
        log.push(`done ${ids}`);
      }
    }
    const store = new SlowStore();
    await run(store, 'id,phone\nF1,+79160000401\nF2,+79160000402\n');
    log.length = 0;
    const { result } = await run(store, 'id,phone\nF1,+79160000403\nF3,+79160000404\nF2,+79160000401\n');
    expect(result).toMatchObject({ created: 1, updated: 2, rejected: 0 });
    expect(log).toEqual(['write F1+F3', 'done F1+F3', 'write F2', 'done F2']);
    expect(await store.lookupIdentity('phone', '+79160000401')).toBe('F2');
    expect(await store.lookupIdentity('phone', '+79160000402')).toBeUndefined();
  });

  it('still refuses an identifier a later row of the file releases (a swap), and a released one another row took first', async () => {
    const store = new MemoryStore();
    await run(store, 'id,phone\nS1,+79160000201\nS2,+79160000202\nS3,+79160000203\n');
    // S1 and S2 swap: each row names the other's number, still linked to it when the row is checked
    const swap = await run(store, 'id,phone\nS1,+79160000202\nS2,+79160000201\n');
    expect(swap.result).toMatchObject({ updated: 0, rejected: 2 });
    expect(swap.rejects.split('\n').slice(1, 3).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['2,phone,identifier_taken', '3,phone,identifier_taken']);
    // the documented way: one of them released first (its own row, a file or a request before), then the rows in order
    expect((await run(store, 'id,phone\nS1,|\n')).result).toMatchObject({ updated: 1 });
    expect((await run(store, 'id,phone\nS2,+79160000201\nS1,+79160000202\n')).result).toMatchObject({ updated: 2, rejected: 0 });
    expect(await store.lookupIdentity('phone', '+79160000201')).toBe('S2');
    expect(await store.lookupIdentity('phone', '+79160000202')).toBe('S1');
    // released by S3's row, taken by S4's, then asked for by S5's: S4's
    const taken = await run(store, 'id,phone\nS3,+79160000204\nS4,+79160000203\nS5,+79160000203\n');
    expect(taken.result).toMatchObject({ created: 1, updated: 1, rejected: 1 });
    expect(await store.lookupIdentity('phone', '+79160000203')).toBe('S4');
  });

  it('clears a list of identifiers given empty in JSON (null, "", []) or as a lone | in CSV; an empty cell keeps it', async () => {
    const store = new MemoryStore();
    await run(store, 'id,phone,email,card\nE1,+79160000301,e1@example.ru,4276000000000301\nE2,+79160000302,,\nE3,+79160000303,,\nE4,+79160000304,e4@example.ru,\n');
    // an empty cell says nothing
    expect((await run(store, 'id,phone,email\nE1,,\n')).result).toMatchObject({ unchanged: 1 });
    const ndjson = ['{"id":"E1","phone":[],"email":null,"card":""}', '{"id":"E2","phone":null}', '{"id":"E3","phone":""}', '{"id":"E5","phone":"+79160000301","email":[]}'].join('\n');
    const { result } = await run(store, `${ndjson}\n`, { format: 'ndjson' });
    expect(result).toMatchObject({ rows: 4, created: 1, updated: 3, rejected: 0 });
    expect((await store.getCustomer('E1'))!.identifiers).toEqual({});
    expect((await store.getCustomer('E2'))!.identifiers).toEqual({});
    // the number E1 gave up went, in the same file, to E5
    expect(await store.lookupIdentity('phone', '+79160000301')).toBe('E5');
    expect(await store.lookupIdentity('email', 'e1@example.ru')).toBeUndefined();
    expect(await store.lookupIdentity('card', '4276000000000301')).toBeUndefined();
    for (const n of ['302', '303']) expect(await store.lookupIdentity('phone', `+79160000${n}`)).toBeUndefined();
    // cleared again: nothing changes; other columns given null keep what they held
    expect((await run(store, '{"id":"E1","phone":[],"city":null}\n', { format: 'ndjson' })).result).toMatchObject({ unchanged: 1 });
    // CSV: a lone | clears the list; the other kinds are kept
    expect((await run(store, 'id,phone,email\nE4,|,\n')).result).toMatchObject({ updated: 1 });
    expect((await store.getCustomer('E4'))!.identifiers).toEqual({ email: ['e4@example.ru'] });
    expect(await store.lookupIdentity('phone', '+79160000304')).toBeUndefined();
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
