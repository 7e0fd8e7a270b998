import { describe, expect, it } from 'vitest';
import { FtrlModel, decayFactor, defaultFtrl } from './ftrl.js';
import { seededRng } from './random.js';

/** A stream of answers whose response rate is `rate`, drawn from a fixed seed. */
function feed(model: FtrlModel, rate: number, count: number, seed: number): void {
  const rng = seededRng(seed);
  const x = [model.index('bias'), model.index('event=x')];
  for (let i = 0; i < count; i++) model.update(x, rng() < rate ? 1 : 0);
}

function predicted(model: FtrlModel): number {
  return model.predict([model.index('bias'), model.index('event=x')]);
}

describe('FtrlModel', () => {
  it('halves at its half-life', () => {
    expect(decayFactor(0)).toBe(1);
    expect(decayFactor(undefined)).toBe(1);
    expect(Math.pow(decayFactor(500), 500)).toBeCloseTo(0.5, 12);
  });

  it('learns a steady response rate with or without a half-life', () => {
    for (const halfLife of [0, 2000]) {
      const m = new FtrlModel({ ...defaultFtrl, bits: 10, halfLife });
      feed(m, 0.05, 20_000, 1);
      expect(predicted(m)).toBeGreaterThan(0.035);
      expect(predicted(m)).toBeLessThan(0.065);
    }
  });

  it('follows a response rate that triples, with a half-life; without one it lags behind', () => {
    const drifting = new FtrlModel({ ...defaultFtrl, bits: 10, halfLife: 2000 });
    const steady = new FtrlModel({ ...defaultFtrl, bits: 10 });
    for (const m of [drifting, steady]) {
      feed(m, 0.05, 20_000, 1);
      feed(m, 0.15, 1000, 2);
    }
    // (measured with the defaults: about 0.13 with the half-life, 0.09 without)
    expect(predicted(drifting)).toBeGreaterThan(0.11);
    expect(predicted(drifting)).toBeLessThan(0.16);
    expect(predicted(steady)).toBeLessThan(predicted(drifting) - 0.03);
  });

  it('is one model over arrays two instances share: what one learns the other predicts and counts', () => {
    const size = 1 << 10;
    const arrays = { z: new Float64Array(new SharedArrayBuffer(size * 8)), n: new Float64Array(new SharedArrayBuffer(size * 8)), count: new Float64Array(new SharedArrayBuffer(8)) };
    const a = new FtrlModel({ ...defaultFtrl, bits: 10 }, arrays);
    const b = new FtrlModel({ ...defaultFtrl, bits: 10 }, arrays);
    const x = [7, 11, 13];
    for (let i = 0; i < 50; i++) a.update(x, 1);
    expect(b.examples).toBe(50);
    expect(b.predict(x)).toBe(a.predict(x));
    expect(b.predict(x)).toBeGreaterThan(0.75);
    b.update(x, 0);
    expect(a.examples).toBe(51);
    expect(() => new FtrlModel({ ...defaultFtrl, bits: 12 }, arrays)).toThrow(/12 bits/);
  });
});
