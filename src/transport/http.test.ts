import { describe, expect, it } from 'vitest';
import { allOperations } from '../admin/openapi.js';
import { errorCatalog } from '../errors.js';
import { serverForFile } from '../test-support/test-kairos.js';
import { statusLine } from './http.js';

/** The status line: a reason phrase for every status the server sends, never "Unknown". */

const marketer = { name: 'status-marketer', role: 'marketer' as const, secret: 'secret-of-the-status-marketer-01' };
const server = serverForFile({ config: { store: 'memory', keys: [marketer] } });

describe('statusLine', () => {
  it('names every status of the error catalog and of the operations’ declared replies', () => {
    const statuses = new Set<number>([...Object.values(errorCatalog).map((e) => e.status), ...allOperations.flatMap((op) => Object.keys(op.responses).map(Number))]);
    const unnamed = [...statuses].filter((s) => statusLine(s).endsWith(' Unknown'));
    expect(unnamed).toEqual([]);
    expect([403, 502, 202].map(statusLine)).toEqual(['403 Forbidden', '502 Bad Gateway', '202 Accepted']);
  });

  it('goes out on the wire: a refused role is "403 Forbidden"', async () => {
    const res = await fetch(`${server.k.httpUrl}/v1/status`, { headers: { Authorization: `Bearer ${marketer.secret}` } });
    expect([res.status, res.statusText]).toEqual([403, 'Forbidden']);
  });
});
