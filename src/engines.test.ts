import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './paths.js';

/**
 * package.json's `engines` admits only Node versions whose uWebSockets.js binary ships in the
 * package Kairos uses (it refuses to start on the slow fallback): each Node major the range
 * admits maps to its ABI (process.versions.modules), and the package must hold
 * `uws_<platform>_<arch>_<ABI>.node` for it.
 */

/** Node majors and their ABI (NODE_MODULE_VERSION), from nodejs.org's list of releases. */
const abiOfMajor: Record<number, number> = { 16: 93, 17: 102, 18: 108, 19: 111, 20: 115, 21: 120, 22: 127, 23: 131, 24: 137, 25: 141 };

type Version = [number, number, number];
const parse = (v: string): Version => {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, '').split('.').map(Number);
  return [a, b, c];
};
const cmp = (x: Version, y: Version): number => x[0] - y[0] || x[1] - y[1] || x[2] - y[2];

/** Whether `range` (comparators `>=`, `>`, `<=`, `<`, `=`, joined by spaces, clauses by `||`) admits `version`. */
export function admits(range: string, version: string): boolean {
  const v = parse(version);
  return range.split('||').some((clause) =>
    clause
      .trim()
      .split(/\s+/)
      .every((c) => {
        const m = /^(>=|<=|>|<|=)?(\d+(?:\.\d+){0,2})$/.exec(c);
        if (m === null) throw new Error(`engines comparator not understood: ${c}`);
        const d = cmp(v, parse(m[2]!));
        switch (m[1]) {
          case '>=':
            return d >= 0;
          case '>':
            return d > 0;
          case '<=':
            return d <= 0;
          case '<':
            return d < 0;
          default:
            return d === 0;
        }
      }),
  );
}

describe('engines', () => {
  const range = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  // src/uws.js loads ../binaries/uws_<platform>_<arch>_<ABI>.node
  const uwsDir = join(dirname(createRequire(import.meta.url).resolve('@trufflesuite/uws-js-unofficial')), '..', 'binaries');
  const abis = new Set(
    readdirSync(uwsDir)
      .map((f) => new RegExp(`^uws_${process.platform}_${process.arch}_(\\d+)\\.node$`).exec(f)?.[1])
      .filter((a): a is string => a !== undefined)
      .map(Number),
  );

  it('reads ranges as npm does for the forms package.json uses', () => {
    expect(admits('>=20.19.0 <21', '20.19.0')).toBe(true);
    expect(admits('>=20.19.0 <21', '20.18.9')).toBe(false);
    expect(admits('>=20.19.0 <21', '21.0.0')).toBe(false);
    expect(admits('>=20.19.0 <21 || >=22.12.0', '22.12.0')).toBe(true);
  });

  it('admits only Node majors whose uWS binary ships, and the Node running the tests', () => {
    expect(abis.size).toBeGreaterThan(0);
    const admitted = Object.keys(abiOfMajor)
      .map(Number)
      .filter((major) => admits(range, `${major}.99.0`) || admits(range, `${major}.0.0`));
    expect(admitted.length).toBeGreaterThan(0);
    for (const major of admitted) expect(abis.has(abiOfMajor[major]!), `Node ${major} (ABI ${abiOfMajor[major]}) is admitted by engines "${range}" but the package ships ABIs ${[...abis].join(', ')}`).toBe(true);
    expect(admits(range, process.versions.node), `this Node ${process.versions.node}`).toBe(true);
    expect(abiOfMajor[Number(process.versions.node.split('.')[0])]).toBe(Number(process.versions.modules));
  });
});
