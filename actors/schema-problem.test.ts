import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { GatewayEventSchema } from './gateway-event.js';
import { fieldPath, firstSchemaProblem } from './schema-problem.js';

function first(schema: TSchema, value: unknown): { path: string; problem: string } | undefined {
  return firstSchemaProblem(schema, TypeCompiler.Compile(schema).Errors(value), value);
}

describe('a failed schema check as the problem Kairos reports', () => {
  it('turns a JSON Pointer into the field path, lists by index and maps by key', () => {
    const value = { a: [{ b: { '0': 1, 'x/y': 2 } }] };
    expect(fieldPath('/a/0/b/0', value)).toBe('a[0].b.0');
    expect(fieldPath('/a/0/b/x~1y', value)).toBe('a[0].b.x/y');
    expect(fieldPath('/missing/3', value)).toBe('missing[3]');
    expect(fieldPath('', value)).toBe('');
  });

  it('says what is wrong in plain words, naming the field', () => {
    const schema = Type.Object({ kind: Type.Union([Type.Literal('phone'), Type.Literal('email')]), caps: Type.Array(Type.Object({ max: Type.Integer() })) });
    expect(first(schema, { caps: [] })).toEqual({ path: 'kind', problem: 'is required' });
    expect(first(schema, { kind: 'fax', caps: [] })).toEqual({ path: 'kind', problem: 'must be one of phone, email' });
    expect(first(schema, { kind: 'phone', caps: [{ max: 1.5 }] })).toEqual({ path: 'caps[0].max', problem: 'must be a whole number, got 1.5' });
    expect(first(schema, [])).toEqual({ path: '', problem: 'must be a map, got an array' });
    expect(first(schema, { kind: 'phone', caps: [] })).toBeUndefined();
  });

  it('names a value of the wrong kind in the wire\'s terms, never as a JavaScript type (bigint)', () => {
    const schema = Type.Object({ name: Type.String(), count: Type.Integer(), ratio: Type.Number() });
    expect(first(schema, { name: 2n ** 64n - 1n, count: 1, ratio: 1 })).toEqual({ path: 'name', problem: 'must be a string, got 18446744073709551615, an integer beyond ±(2^53 − 1)' });
    expect(first(schema, { name: 'a', count: Number.NaN, ratio: 1 })).toEqual({ path: 'count', problem: 'must be a whole number, got NaN, not a finite number' });
    expect(first(schema, { name: 'a', count: 1, ratio: Number.NaN })).toEqual({ path: 'ratio', problem: 'must be a number, got NaN, not a finite number' });
  });

  it("prefers the schema's own messages, and reports the first field as the schema writes them", () => {
    const schema = Type.Object(
      { id: Type.String({ errorMessage: 'must be an id' }), tag: Type.String({ pattern: '^[a-z]+$', patternMessage: 'must be lower-case letters', minLength: 1 }) },
      { additionalProperties: false },
    );
    expect(first(schema, { tag: 'x' })).toEqual({ path: 'id', problem: 'must be an id' });
    expect(first(schema, { tag: 'X', id: 1 })).toEqual({ path: 'id', problem: 'must be an id' });
    expect(first(schema, { id: 'a', tag: 'X' })).toEqual({ path: 'tag', problem: 'must be lower-case letters' });
    expect(first(schema, { id: 'a', tag: '' })).toEqual({ path: 'tag', problem: 'must be a non-empty string' });
    expect(first(schema, { id: 'a', tag: 'x', extra: 1 })).toEqual({ path: 'extra', problem: 'unknown field (known: id, tag)' });
  });

  it("words an event type's pattern as the WebSocket frame check does", () => {
    expect(first(GatewayEventSchema, { id: 'e1', type: 'no spaces please', customer: { id: 'c1' } })).toEqual({ path: 'type', problem: 'may hold letters, digits and . _ : - only' });
  });
});
