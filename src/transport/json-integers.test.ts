import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigIntegerLiterals, exactIntegers } from './json-integers.js';

/** JSON.parse rounds an integer past ±(2^53 − 1); exactIntegers puts back the bigint it was written as. */

describe('bigIntegerLiterals', () => {
  it('finds integer literals past ±(2^53 − 1), with their paths, and nothing else', () => {
    const text = `{"id":"e-1","data":{"balance":9007199254740993,"ok":9007199254740991,"f":9007199254740993.0,"e":1e300,
      "s":"12345678901234567890 \\" 98765432109876543210","list":[1,[2,-12345678901234567890]],"k\\"ey":18446744073709551616}}`;
    expect(bigIntegerLiterals(text)).toEqual([
      { path: ['data', 'balance'], literal: '9007199254740993' },
      { path: ['data', 'list', 1, 1], literal: '-12345678901234567890' },
      { path: ['data', 'k"ey'], literal: '18446744073709551616' },
    ]);
    expect(bigIntegerLiterals('{"card":"4111111111111111","n":-9007199254740991}')).toEqual([]);
    expect(bigIntegerLiterals('9007199254740992')).toEqual([{ path: [], literal: '9007199254740992' }]);
  });
});

describe('exactIntegers', () => {
  it('puts each back as a bigint where JSON.parse left its rounded number', () => {
    const text = '{"data":{"balance":9007199254740993,"nested":[{"a":-9007199254740993}]},"at":1700000000000}';
    const v = JSON.parse(text) as Record<string, unknown>;
    expect(exactIntegers(text, v)).toBe(2);
    expect(v).toEqual({ data: { balance: 9007199254740993n, nested: [{ a: -9007199254740993n }] }, at: 1700000000000 });
    // a key given twice: JSON.parse keeps the last, and so does this
    const dup = '{"n":12345678901234567890,"n":1}';
    const d = JSON.parse(dup) as Record<string, unknown>;
    expect(exactIntegers(dup, d)).toBe(0);
    expect(d).toEqual({ n: 1 });
  });

  it('finds exactly the whole numbers JSON.stringify writes past 2^53 without an exponent, whatever the strings around them (fast-check)', () => {
    const big = fc.oneof(fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }), fc.bigInt({ min: -(2n ** 70n), max: -(2n ** 53n) }));
    const json = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.string({ unit: fc.constantFrom('1', '9', '"', '\\', '{', '[', ',', ':', 'u', 'e', '.') }),
        big,
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: fc.constantFrom('a', '"', '\\', '1', ':') }).filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 4 }),
      ),
    }));
    fc.assert(
      fc.property(json.v, (v) => {
        const value = { v }; // a body is a map: the top level itself is never a number
        const text = JSON.stringify(value, (_k, x: unknown) => (typeof x === 'bigint' ? `@big:${x}` : x)).replace(/"@big:(-?\d+)"/g, '$1');
        const parsed: unknown = JSON.parse(text);
        exactIntegers(text, parsed);
        // every bigint sent is back exactly; every other number is as JSON.parse read it (a double past 2^53 written without an exponent becomes a bigint too)
        const expected = JSON.parse(JSON.stringify(value, (_k, x: unknown) => (typeof x === 'bigint' ? `@big:${x}` : x)), (_k, x: unknown) =>
          typeof x === 'string' && x.startsWith('@big:') ? BigInt(x.slice(5)) : typeof x === 'number' && Number.isInteger(x) && Math.abs(x) > Number.MAX_SAFE_INTEGER && !/e/i.test(String(x)) ? BigInt(String(x)) : x,
        ) as unknown;
        expect(parsed).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
