import { describe, expect, it } from 'vitest';
import { duplicateJsonKey, duplicateJsonKeys } from './duplicate-json-key.js';

describe('duplicateJsonKey', () => {
  it('finds a key given twice, naming its path', () => {
    expect(duplicateJsonKey('{"a":1,"a":2}')).toBe('a');
    expect(duplicateJsonKey('{"customer":{"id":"x"},"data":{"amount":1,"card":"c","amount":2}}')).toBe('data.amount');
    expect(duplicateJsonKey('{"rules":[{"attr":"a"},{"attr":"b","op":"eq","attr":"c"}]}')).toBe('rules[1].attr');
    expect(duplicateJsonKey('[[1,2],{"x":[{"y":1,"y":2}]}]')).toBe('[1].x[0].y');
    expect(duplicateJsonKey('{ "a" : 1 , "b" : { } , "a" : 3 }')).toBe('a');
  });

  it('lists every key given twice, and writes a key that is no plain name in brackets, so no two paths read alike', () => {
    expect(duplicateJsonKeys('{"a":1,"a":2,"id":"x","id":"y","b":{"c":1,"c":2}}')).toEqual(['a', 'id', 'b.c']);
    expect(duplicateJsonKeys('{"a":1,"a":2,"a":3}')).toEqual(['a', 'a']);
    expect(duplicateJsonKeys('{"id":"x","":{"id":1,"id":2}}')).toEqual(['[""].id']);
    expect(duplicateJsonKeys('{"a.b":{"c":1,"c":2},"a":{"b":{"d":1,"d":2}}}')).toEqual(['["a.b"].c', 'a.b.d']);
    expect(duplicateJsonKeys('{"x[0]":1,"x[0]":2}')).toEqual(['["x[0]"]']);
    expect(duplicateJsonKeys('{"a":1}')).toEqual([]);
  });

  it('compares keys as the strings they denote', () => {
    expect(duplicateJsonKey('{"a":1,"\\u0061":2}')).toBe('a');
    expect(duplicateJsonKey('{"a\\"b":1,"a\\"b":2}')).toBe('["a\\"b"]');
    expect(duplicateJsonKey('{"a\\"b":1,"a":2}')).toBeUndefined();
  });

  it('takes the same key in different objects, and strings that look like keys, as no duplicate', () => {
    expect(duplicateJsonKey('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}')).toBeUndefined();
    expect(duplicateJsonKey('{"a":"\\"a\\":1,\\"a\\":2","b":"{\\"b\\":1}"}')).toBeUndefined();
    expect(duplicateJsonKey('{"a":1}')).toBeUndefined();
    expect(duplicateJsonKey('[1,"a:b","c:d"]')).toBeUndefined();
    expect(duplicateJsonKey('"x"')).toBeUndefined();
  });

  it('finds a duplicate among many keys (past the small-object array)', () => {
    const keys = Array.from({ length: 500 }, (_, i) => `"k${i}":${i}`);
    expect(duplicateJsonKey(`{${keys.join(',')}}`)).toBeUndefined();
    expect(duplicateJsonKey(`{${keys.join(',')},"k7":0}`)).toBe('k7');
    expect(duplicateJsonKey(`{${keys.join(',')},"k499":0}`)).toBe('k499');
  });

  it('scans deep nesting without recursion', () => {
    const deep = `${'['.repeat(100_000)}{"a":1,"a":2}${']'.repeat(100_000)}`;
    expect(duplicateJsonKey(deep)).toMatch(/^\[0\](\[0\])+\.a$/);
  });
});
