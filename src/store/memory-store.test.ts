import { MemoryStore } from './memory-store.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('memory', () => Promise.resolve({ store: new MemoryStore(), cleanup: () => Promise.resolve() }), { durable: false });
