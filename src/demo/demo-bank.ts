import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Profile } from '../../actors/index.js';
import type { CustomerRecord, Store } from '../store/store.js';
import { generatePerson } from './russian-names.js';
import { KairosError } from '../errors.js';

/**
 * The demo bank's customers: every row of the UCI "Bank Marketing" (bank-full) data set,
 * in row order, as customers demo-1 ... demo-45211, with generated Russian names, phones,
 * e-mails and card tokens. Balances in the data set are average yearly balances in euros;
 * the demo reads them as roubles at 100 ₽ to the euro.
 */

export const DEMO_META_KEY = 'demo-bank';
export const RUB_PER_EUR = 100;

export interface DemoRow {
  age: number;
  job: string;
  marital: string;
  education: string;
  default: boolean;
  balance: number;
  housing: boolean;
  loan: boolean;
}

type Column = 'age' | 'job' | 'marital' | 'education' | 'default' | 'balance' | 'housing' | 'loan';

function yesNo(v: string, column: string, line: number): boolean {
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw new KairosError('invalid', `demo data line ${line}: column "${column}" must be yes or no, got "${v}"`);
}

/** Parses one data line of bank-full.csv (semicolon-separated, optionally quoted). */
export function parseDemoRow(line: string, header: readonly string[], lineNo: number): DemoRow {
  const cells = line.split(';').map((c) => c.replace(/^"(.*)"$/, '$1'));
  const get = (name: Column): string => {
    const i = header.indexOf(name);
    const v = i >= 0 ? cells[i] : undefined;
    if (v === undefined) throw new KairosError('invalid', `demo data line ${lineNo}: no column "${name}"`);
    return v;
  };
  const age = Number(get('age'));
  const balance = Number(get('balance'));
  if (!Number.isInteger(age) || age <= 0) throw new KairosError('invalid', `demo data line ${lineNo}: bad age "${get('age')}"`);
  if (!Number.isFinite(balance)) throw new KairosError('invalid', `demo data line ${lineNo}: bad balance "${get('balance')}"`);
  return {
    age,
    job: get('job'),
    marital: get('marital'),
    education: get('education'),
    default: yesNo(get('default'), 'default', lineNo),
    balance,
    housing: yesNo(get('housing'), 'housing', lineNo),
    loan: yesNo(get('loan'), 'loan', lineNo),
  };
}

/** The customer record for data row n (1-based). */
export function demoCustomer(n: number, row: DemoRow, importedAt: number): { id: string; record: CustomerRecord } {
  const person = generatePerson(n, row.age);
  const profile: Profile = {
    firstName: person.firstName,
    patronymic: person.patronymic,
    lastName: person.lastName,
    gender: person.gender,
    age: row.age,
    job: row.job,
    marital: row.marital,
    education: row.education,
    creditDefault: row.default,
    balance: Math.round(row.balance * RUB_PER_EUR),
    housingLoan: row.housing,
    personalLoan: row.loan,
    city: 'Москва',
  };
  return {
    id: `demo-${n}`,
    record: {
      stage: 'client',
      profile,
      identifiers: { card: [person.card], phone: [person.phone], email: [person.email], cookie: [] },
      // Demo clients signed the bank's marketing consent with their account terms.
      consents: Object.fromEntries(['sms', 'email', 'push'].map((ch) => [ch, { granted: true, at: importedAt, source: 'import' }])),
      importedAt,
    },
  };
}

/** Streams the CSV and yields customers in row order. */
export async function* readDemoCustomers(csvPath: string, importedAt: number): AsyncGenerator<{ id: string; record: CustomerRecord }> {
  const lines = createInterface({ input: createReadStream(csvPath, 'utf8'), crlfDelay: Infinity });
  let header: string[] | undefined;
  let lineNo = 0;
  let n = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    if (header === undefined) {
      header = line.split(';').map((c) => c.replace(/^"(.*)"$/, '$1'));
      continue;
    }
    n++;
    yield demoCustomer(n, parseDemoRow(line, header, lineNo), importedAt);
  }
}

export interface DemoLoadResult {
  loaded: boolean;
  /** the demo customers in the store (this store's share, for a shard) */
  customers: number;
  /** a load an earlier start began and did not finish, completed: the demo customers that were in the store already */
  resumedWith?: number;
  /** not loaded: the store holds customers, none of them the demo's (the bank's own) */
  others?: number;
}

/**
 * A demo load under way: the data rows gone through, in order (the customers among them
 * imported, with this marker in the same transaction). Written with each batch until the
 * load is complete; then `DEMO_META_KEY` says so.
 */
export const DEMO_PROGRESS_KEY = 'demo-bank-progress';

/**
 * Loads the demo customers into the store, all of them or none: the store is marked as holding
 * the demo bank (`DEMO_META_KEY`) only once every customer is in. A load a stop interrupted is
 * completed at the next start: after the rows its progress marker counts, or (a load by a build
 * without the marker) skipping each customer the store holds already. A store that holds
 * customers but no demo customer (the bank's own, imported) is left as it is. `keep`: only
 * the customers it keeps (a shard's own).
 */
export async function loadDemoBank(store: Store, csvPath: string, now: number, batchSize = 5000, keep?: (id: string) => boolean): Promise<DemoLoadResult> {
  const marker = (await store.getMeta(DEMO_META_KEY)) as { customers?: number } | undefined;
  if (marker !== undefined) return { loaded: false, customers: marker.customers ?? 0 };
  const progress = (await store.getMeta(DEMO_PROGRESS_KEY)) as { rows: number; customers: number } | undefined;
  const imported = await store.countImported();
  // Without a progress marker, customers in the store are either an interrupted load's (a build
  // before the marker: its first customer is there) or none of the demo's.
  const checkEach = progress === undefined && imported > 0;
  let batch: Array<{ id: string; record: CustomerRecord }> = [];
  let customers = 0;
  let present = 0;
  let rows = 0;
  const flush = async (): Promise<void> => {
    await store.importCustomers(batch, { key: DEMO_PROGRESS_KEY, value: { rows, customers } });
    batch = [];
  };
  for await (const c of readDemoCustomers(csvPath, now)) {
    rows++;
    if (keep !== undefined && !keep(c.id)) continue;
    customers++;
    if (progress !== undefined && rows <= progress.rows) {
      present++;
      continue;
    }
    if (checkEach) {
      if (await store.hasCustomer(c.id)) {
        present++;
        continue;
      }
      // the first demo customer not there: the store's customers are not the demo's
      if (present === 0) return { loaded: false, customers: 0, others: imported };
    }
    batch.push(c);
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  await store.putMeta(DEMO_META_KEY, { loadedAt: now, customers });
  await store.deleteMeta([DEMO_PROGRESS_KEY]);
  return present > 0 ? { loaded: true, customers, resumedWith: present } : { loaded: true, customers };
}
