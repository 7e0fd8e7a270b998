import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { FtrlOptions } from '../../actors/index.js';
import { FtrlModel, alift, auc, defaultFtrl, responderShareAt } from '../../actors/index.js';
import { KairosError } from '../errors.js';

/**
 * The replay of the UCI bank-full data set as a campaign stream (`kairos replay <csv>`):
 * each row, in row (time) order, is one call offering the term deposit to that client.
 * The adaptive model scores the row, and only then learns its outcome (progressive
 * validation), so every score is an honest out-of-sample prediction. `duration` is never
 * read: it is known only after the call. Metrics: AUC, ALIFT (area under the cumulative
 * lift curve), and the share of subscribers in the better-scored half.
 */

export type BankRow = Readonly<Record<string, string>>;

const bin = (v: number, edges: readonly number[]): number => {
  let i = 0;
  while (i < edges.length && v >= (edges[i] ?? Infinity)) i++;
  return i;
};

/** What is known before the call: the client, the previous campaign, this campaign so far, the date. Never `duration` or `y`. */
export function rowFeatures(r: BankRow, index: number): string[] {
  const num = (k: string): number => Number(r[k] ?? 'NaN');
  const age = bin(num('age'), [25, 30, 35, 40, 45, 50, 55, 60, 65, 70]);
  const balance = bin(num('balance'), [0, 1, 100, 300, 600, 1000, 2000, 4000, 8000, 15000]);
  const campaign = bin(num('campaign'), [2, 3, 4, 5, 7, 11]);
  const pdays = num('pdays') === -1 ? 'none' : String(bin(num('pdays'), [90, 180, 270, 365]));
  const previous = bin(num('previous'), [1, 2, 3, 5, 8]);
  const day = bin(num('day'), [6, 11, 16, 21, 26]);
  // The data set runs from May 2008 to November 2010 in row order: a coarse clock.
  const period = Math.floor(index / 1000);
  const v = (k: string): string => r[k] ?? '';
  return [
    'bias',
    `job=${v('job')}`,
    `marital=${v('marital')}`,
    `education=${v('education')}`,
    `default=${v('default')}`,
    `housing=${v('housing')}`,
    `loan=${v('loan')}`,
    `contact=${v('contact')}`,
    `month=${v('month')}`,
    `poutcome=${v('poutcome')}`,
    `age=${age}`,
    `balance=${balance}`,
    `campaign=${campaign}`,
    `pdays=${pdays}`,
    `previous=${previous}`,
    `day=${day}`,
    `period=${period}`,
    `month*day=${v('month')}/${v('day')}`,
    `period*contact=${period}/${v('contact')}`,
    `poutcome*pdays=${v('poutcome')}/${pdays}`,
    `age*job=${age}/${v('job')}`,
    `housing*loan=${v('housing')}/${v('loan')}`,
    `month*contact=${v('month')}/${v('contact')}`,
    `period*housing=${period}/${v('housing')}`,
    `campaign*month=${campaign}/${v('month')}`,
    `balance*housing=${balance}/${v('housing')}`,
    `age*balance=${age}/${balance}`,
  ];
}

export interface ReplayResult {
  rows: number;
  positives: number;
  auc: number;
  alift: number;
  top50: number;
}

/** Reads `path` (semicolon-separated, a header row, the outcome in column `y`). */
export async function replayBankCsv(path: string, options: Partial<FtrlOptions> = {}, onProgress?: (rows: number) => void): Promise<ReplayResult> {
  const model = new FtrlModel({ ...defaultFtrl, alpha: 0.1, l1: 0.1, ...options });
  const scores: number[] = [];
  const labels: number[] = [];
  let header: string[] | undefined;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const cells = line.split(';').map((c) => c.replace(/^"(.*)"$/, '$1'));
    if (header === undefined) {
      header = cells;
      if (!header.includes('y')) throw new KairosError('invalid', `${path}: no "y" column (the outcome)`);
      continue;
    }
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = cells[i] ?? ''));
    const y = row.y === 'yes' ? 1 : 0;
    delete row.y;
    delete row.duration;
    const features = rowFeatures(row, scores.length).map((f) => model.index(f));
    scores.push(model.update(features, y));
    labels.push(y);
    if (onProgress !== undefined && scores.length % 5000 === 0) onProgress(scores.length);
  }
  return {
    rows: scores.length,
    positives: labels.reduce((a, b) => a + b, 0),
    auc: auc(scores, labels),
    alift: alift(scores, labels),
    top50: responderShareAt(scores, labels, 0.5),
  };
}

export function replayLine(r: ReplayResult): string {
  return `replay: rows=${r.rows} auc=${r.auc.toFixed(4)} alift=${r.alift.toFixed(4)} top50=${r.top50.toFixed(4)}`;
}
