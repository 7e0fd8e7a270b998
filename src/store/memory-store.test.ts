import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory-store.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('memory', () => Promise.resolve({ store: new MemoryStore(), cleanup: () => Promise.resolve() }), { durable: false });

describe('memory store, closed', () => {
  it('refuses a call after close as unavailable', async () => {
    const store = new MemoryStore();
    await store.close();
    expect(() => store.getSnapshot('c-1')).toThrow(expect.objectContaining({ name: 'KairosError', code: 'unavailable', message: 'the store is closed' }));
  });
});
