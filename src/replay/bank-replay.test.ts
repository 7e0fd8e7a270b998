import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/test-kairos.js';
import { replayBankCsv, replayLine, rowFeatures } from './bank-replay.js';

/** The replay on small hand-made streams (the full data set is a benchmark, not a test). */

const dir = tempDir('kairos-replay-');
afterAll(() => dir.remove());

const header = 'age;job;marital;education;default;balance;housing;loan;contact;day;month;duration;campaign;pdays;previous;poutcome;y';

/** 600 calls in which a previous success makes a yes likely; `duration` is `durationOf(i, y)`. */
function stream(name: string, durationOf: (i: number, yes: boolean) => number): string {
  const lines = [header];
  for (let i = 0; i < 600; i++) {
    const success = i % 7 === 0;
    const yes = success ? i % 3 !== 0 : i % 11 === 0;
    lines.push(
      [30 + (i % 40), i % 2 ? 'admin.' : 'technician', 'married', 'secondary', 'no', (i * 37) % 3000, i % 3 ? 'yes' : 'no', 'no', 'cellular', 1 + (i % 28), 'may', durationOf(i, yes), 1 + (i % 4), success ? 90 : -1, success ? 1 : 0, success ? 'success' : 'unknown', yes ? 'yes' : 'no'].join(';'),
    );
  }
  const path = join(dir.dir, name);
  writeFileSync(path, `${lines.join('\r\n')}\r\n`);
  return path;
}

describe('bank replay', () => {
  it('learns online: a previous success raises the score, and the metrics say so', async () => {
    const r = await replayBankCsv(stream('signal.csv', () => 100));
    expect(r.rows).toBe(600);
    // Well above chance (0.5) on 600 rows scored before they are learnt.
    expect(r.auc).toBeGreaterThan(0.62);
    expect(r.alift).toBeGreaterThan(0.55);
    expect(replayLine(r)).toMatch(/^replay: rows=600 auc=0\.\d{4} alift=0\.\d{4} top50=0\.\d{4}$/);
  });

  it('never reads duration: a duration that gives the answer away changes nothing', async () => {
    const plain = await replayBankCsv(stream('plain.csv', () => 100));
    const leaky = await replayBankCsv(stream('leaky.csv', (_i, yes) => (yes ? 900 : 30)));
    expect(leaky).toEqual(plain);
    expect(rowFeatures({ duration: '900', y: 'yes' }, 0).some((f) => f.includes('900') || f.includes('yes'))).toBe(false);
  });

  it('refuses a file without the outcome column', async () => {
    const path = join(dir.dir, 'no-y.csv');
    writeFileSync(path, 'age;job\n30;admin.\n');
    await expect(replayBankCsv(path)).rejects.toThrow('no "y" column');
  });
});
