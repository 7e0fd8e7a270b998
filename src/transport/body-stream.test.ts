import { describe, expect, it } from 'vitest';
import { BodyStream } from './body-stream.js';

/** The streamed body without a socket: what it holds, when it pauses and resumes its connection, a client gone, a reply written early. */

function flowLog(): { log: string[]; flow: { pause: () => void; resume: () => void } } {
  const log: string[] = [];
  return { log, flow: { pause: () => log.push('pause'), resume: () => log.push('resume') } };
}

describe('BodyStream', () => {
  it('pauses its connection at the high water mark and resumes it when read down to half', async () => {
    const { log, flow } = flowLog();
    const s = new BodyStream(flow, 1024, 10);
    const it = s[Symbol.asyncIterator]();
    s.push(Buffer.from('abcd'), false);
    s.push(Buffer.from('efgh'), false);
    expect(log).toEqual([]);
    s.push(Buffer.from('ijkl'), false);
    expect(log).toEqual(['pause']);
    expect(s.waiting).toBe(12);
    expect((await it.next()).value?.toString()).toBe('abcd');
    expect(log).toEqual(['pause']);
    expect((await it.next()).value?.toString()).toBe('efgh');
    expect(log).toEqual(['pause', 'resume']);
    s.push(Buffer.from('mn'), true);
    expect((await it.next()).value?.toString()).toBe('ijkl');
    expect((await it.next()).value?.toString()).toBe('mn');
    expect((await it.next()).done).toBe(true);
    expect(s.limit).toBe(1024);
  });

  it('waits for chunks to come, and a client gone fails the read', async () => {
    const { flow } = flowLog();
    const s = new BodyStream(flow, 1024, 10);
    const it = s[Symbol.asyncIterator]();
    const first = it.next();
    s.push(Buffer.from('ab'), false);
    expect((await first).value?.toString()).toBe('ab');
    const second = it.next();
    s.fail(new Error('gone'));
    await expect(second).rejects.toThrow('gone');
  });

  it('a reply written before the end drops the rest and resumes a paused connection', async () => {
    const { log, flow } = flowLog();
    const s = new BodyStream(flow, 1024, 4);
    s.push(Buffer.from('abcdef'), false);
    expect(log).toEqual(['pause']);
    s.close();
    expect(log).toEqual(['pause', 'resume']);
    s.push(Buffer.from('more'), false);
    expect(s.waiting).toBe(0);
    expect((await s[Symbol.asyncIterator]().next()).done).toBe(true);
  });
});
