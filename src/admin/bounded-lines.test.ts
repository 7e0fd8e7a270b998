import { describe, expect, it } from 'vitest';
import { LONG_LINE_QUOTE, boundedLines, longLineNote } from './bounded-lines.js';

/** Lines of a byte stream bounded by the limit, whatever the chunks' boundaries. */

async function lines(chunks: string[], limit: number): Promise<string[]> {
  let text = '';
  for await (const b of boundedLines(chunks.map((c) => Buffer.from(c)), limit)) text += b.toString('utf8');
  return text.split('\n');
}

describe('boundedLines', () => {
  it('passes lines through whole, across chunk boundaries, the last one without its newline', async () => {
    expect(await lines(['{"a"', ':1}\n{"b":2}\n{"c"', ':3}'], 100)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(await lines(['x\n\ny\n'], 100)).toEqual(['x', '', 'y', '']);
  });

  it('replaces a line over the limit, in its place, by its first bytes and a note that is not JSON', async () => {
    const long = `{"id":"1","note":"${'z'.repeat(500)}"}`;
    const out = await lines(['{"id":"0"}\n', long.slice(0, 100), long.slice(100), '\n{"id":"2"}\n'], 300);
    expect(out).toHaveLength(4);
    expect(out[0]).toBe('{"id":"0"}');
    expect(out[1]).toBe(`${long.slice(0, LONG_LINE_QUOTE)}${longLineNote(300)}`);
    expect(() => {
      JSON.parse(out[1]!);
    }).toThrow();
    expect(out[2]).toBe('{"id":"2"}');
    // a line of exactly the limit is kept
    expect((await lines(['a'.repeat(300)], 300))[0]).toBe('a'.repeat(300));
    expect((await lines(['a'.repeat(301)], 300))[0]).toBe(`${'a'.repeat(LONG_LINE_QUOTE)}${longLineNote(300)}`);
  });
});
