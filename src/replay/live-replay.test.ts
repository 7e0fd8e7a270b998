import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoCsvPath } from '../paths.js';
import { tempDir } from '../test-support/test-kairos.js';
import { readBankCalls } from './bank-rows.js';
import { replayLine, replayLive, replayScores } from './live-replay.js';

/**
 * The replay through the real decision path on the first rows of the real data set (the
 * whole of it is a measurement, in the README): the calendar read from the rows, the models
 * learning from the answers fed back (a made-up signal in the outcomes is found), `duration`
 * never read, the scores' arithmetic.
 */

const dir = tempDir('kairos-replay-');
afterAll(() => dir.remove());

const ROWS = 1500;
const [header, ...rows] = readFileSync(demoCsvPath(), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
const col = (name: string): number => header!.split(';').indexOf(name);

/** The first ROWS rows, with outcomes made up by `yes` (from the row's cells) and durations by `duration`. */
function stream(name: string, yes: (cells: string[], i: number) => boolean, duration: (yes: boolean) => number): string {
  const lines = rows.slice(0, ROWS).map((line, i) => {
    const cells = line.split(';');
    const y = yes(cells, i);
    cells[col('y')] = y ? 'yes' : 'no';
    cells[col('duration')] = String(duration(y));
    return cells.join(';');
  });
  const path = join(dir.dir, name);
  writeFileSync(path, `${[header, ...lines].join('\n')}\n`);
  return path;
}

/** Clients without a housing loan say yes (2 in 3), the others rarely (1 in 25): a signal in the customers' profiles. */
const signal = (cells: string[], i: number): boolean => (cells[col('housing')] === 'no' ? i % 3 !== 0 : i % 25 === 0);

describe('bank-full rows as calls', () => {
  it('reads the calendar from the rows: the year turns when the month goes back, the calls of a day 15 s apart from 10:00 Moscow', async () => {
    const path = join(dir.dir, 'dates.csv');
    writeFileSync(path, [header, rows[0], rows[1], rows[0]!.replace(';may;', ';dec;'), rows[0]!.replace(';may;', ';jan;').replace(/;5;jan;/, ';7;jan;')].join('\n'));
    const calls = await readBankCalls(path);
    expect(calls.map((c) => c.month)).toEqual(['2008-05', '2008-05', '2008-12', '2009-01']);
    expect(new Date(calls[0]!.at).toISOString()).toBe('2008-05-05T07:00:00.000Z');
    expect(calls[1]!.at - calls[0]!.at).toBe(15_000);
    expect(new Date(calls[3]!.at).toISOString()).toBe('2009-01-07T07:00:00.000Z');
    expect(calls[0]).toMatchObject({ n: 1, subscribed: false, context: { contact: 'unknown', campaign: 1, pdays: -1, previous: 0, poutcome: 'unknown' } });
    expect(Object.keys(calls[0]!.context)).not.toContain('duration');
  });

  it('names a row that is not a date, and a file without a column it needs', async () => {
    const bad = join(dir.dir, 'bad-date.csv');
    writeFileSync(bad, [header, rows[0]!.replace(';may;', ';mai;')].join('\n'));
    await expect(readBankCalls(bad)).rejects.toThrow(/bad-date\.csv:2: day "5" and month "mai" are not a date/);
    const noY = join(dir.dir, 'no-y.csv');
    writeFileSync(noY, 'age;job;day;month\n30;admin.;5;may\n');
    await expect(readBankCalls(noY)).rejects.toThrow('no "y" column');
  });
});

describe('replay through the real decision path', () => {
  it('the models learn from the answers fed back: a signal in the outcomes is found', async () => {
    const r = await replayLive(stream('signal.csv', signal, () => 100));
    expect(r.rows).toBe(ROWS);
    expect(r.offered).toBeGreaterThan(ROWS * 0.9);
    // Scored before each answer is known, over 1,500 calls: well above chance (0.5).
    expect(r.auc).toBeGreaterThan(0.7);
    expect(replayLine(r)).toMatch(/^replay: rows=1500 auc=0\.\d{4} wm_auc=0\.\d{4} alift=0\.\d{4} top50=0\.\d{4}$/);
  }, 120_000);

  it('never reads duration: a duration that gives the answer away changes no score', async () => {
    const plain = await replayLive(stream('plain.csv', signal, () => 100), { rows: 500 });
    const leaky = await replayLive(stream('leaky.csv', signal, (y) => (y ? 900 : 30)), { rows: 500 });
    expect(leaky).toEqual(plain);
  }, 120_000);
});

describe('replay scores', () => {
  it('wm_auc weighs each month by its rows and leaves out a month with answers of one kind', () => {
    // Month A: perfect (AUC 1, 4 rows); month B: inverted (AUC 0, 2 rows); month C: no yes at all.
    const r = replayScores([0.9, 0.8, 0.2, 0.1, 0.1, 0.9, 0.5], [1, 1, 0, 0, 1, 0, 0], ['a', 'a', 'a', 'a', 'b', 'b', 'c']);
    expect(r.wmAuc).toBeCloseTo((1 * 4 + 0 * 2) / 6, 10);
    expect(r.rows).toBe(7);
    expect(r.positives).toBe(3);
  });
});
