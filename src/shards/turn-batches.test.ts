import { describe, expect, it } from 'vitest';
import { TurnBatches } from './turn-batches.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('items gathered by key over a turn', () => {
  it('hands each key its items in one call at the end of the turn, in the order added; flush at once; a dropped key nothing', async () => {
    const sent: Array<[string, number[]]> = [];
    const b = new TurnBatches<string, number>((key, items) => sent.push([key, items]));
    b.add('a', 1);
    b.add('b', 2);
    b.add('a', 3);
    expect(sent).toEqual([]);
    await turn();
    expect(sent).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
    b.add('a', 4);
    b.flush();
    expect(sent.at(-1)).toEqual(['a', [4]]);
    await turn();
    expect(sent).toHaveLength(3);
    b.add('c', 5);
    b.add('d', 6);
    b.drop('c');
    await turn();
    expect(sent.at(-1)).toEqual(['d', [6]]);
    expect(sent).toHaveLength(4);
  });

  it('an item added while a batch is handed over goes in the next batch', async () => {
    const sent: Array<[string, number[]]> = [];
    const b = new TurnBatches<string, number>((key, items) => {
      sent.push([key, items]);
      if (items[0] === 1) b.add(key, 2);
    });
    b.add('a', 1);
    await turn();
    await turn();
    expect(sent).toEqual([
      ['a', [1]],
      ['a', [2]],
    ]);
  });
});
