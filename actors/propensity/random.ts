/**
 * Deterministic randomness for the brain: the runtime hands each event a seed, and the actor
 * draws from a small PRNG seeded with it, so a decision is still a function of its inputs
 * (and a test can fix the seed).
 */

export type Rng = () => number;

/** mulberry32: a fast 32-bit PRNG, uniform in [0, 1). */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rng: Rng): number {
  // Box-Muller; 1 - u keeps the logarithm finite.
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw (Marsaglia and Tsang, 2000). */
export function gamma(shape: number, rng: Rng): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.pow(1 - rng(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Beta(a, b) draw; the mean a / (a + b) when either is not positive. */
export function betaSample(a: number, b: number, rng: Rng): number {
  if (!(a > 0) || !(b > 0)) return a + b > 0 ? Math.max(0, a) / (Math.max(0, a) + Math.max(0, b)) : 0;
  const x = gamma(a, rng);
  const y = gamma(b, rng);
  return x + y === 0 ? a / (a + b) : x / (x + y);
}
