import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serverForFile } from '../test-support/test-kairos.js';
import { keysCommand } from './keys-command.js';

/** `kairos keys …` against a running server: create, list, rotate, revoke, with the admin key from the environment or a file. */

const server = serverForFile({ config: { store: 'memory' } });
const dir = mkdtempSync(join(tmpdir(), 'kairos-keys-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], env: Record<string, string> = { KAIROS_ADMIN_KEY: 'demo-admin' }): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await keysCommand([...args, '--url', server.k.httpUrl], { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const works = async (secret: string): Promise<number> => (await fetch(`${server.k.httpUrl}/v1/status`, { headers: { Authorization: `Bearer ${secret}` } })).status;

describe('kairos keys', () => {
  it('creates, lists, rotates, re-roles and revokes a key on the running server', async () => {
    const created = await run(['create', 'night-ops', '--role', 'ops']);
    expect(created.code).toBe(0);
    expect(created.out).toEqual([expect.stringMatching(/^kairos_/)]);
    const secret = created.out[0]!;
    expect(await works(secret)).toBe(200);

    const keyFile = join(dir, 'admin-key');
    writeFileSync(keyFile, 'demo-admin\n');
    const listed = await run(['list', '--key-file', keyFile], {});
    expect(listed.code).toBe(0);
    expect(listed.out).toContain('night-ops\tops\tapi');
    expect(listed.out.join('\n')).not.toContain(secret);

    const rotated = await run(['rotate', 'night-ops']);
    expect(rotated.code).toBe(0);
    expect(await works(secret)).toBe(401);
    expect(await works(rotated.out[0]!)).toBe(200);

    // An analyst may not read the status: the new role holds at once.
    expect((await run(['role', 'night-ops', '--role', 'analyst'])).code).toBe(0);
    expect(await works(rotated.out[0]!)).toBe(403);
    expect((await run(['role', 'night-ops'])).code).toBe(2); // no --role

    expect((await run(['revoke', 'night-ops'])).code).toBe(0);
    expect(await works(rotated.out[0]!)).toBe(401);
  });

  it('makes a gateway key with its channel scope, lists the scope, and changes it with the role', async () => {
    const created = await run(['create', 'smsc-gw', '--role', 'gateway', '--channels', 'sms,email']);
    expect(created.code).toBe(0);
    expect(created.err).toEqual(['created: smsc-gw (role gateway, channels sms,email); the secret is shown this once:']);
    const unscoped = await run(['create', 'any-gw', '--role', 'gateway']);
    expect(unscoped.err[0]).toContain('channels *');
    const listed = await run(['list']);
    expect(listed.out).toContain('smsc-gw\tgateway\tapi\tsms,email');
    expect(listed.out).toContain('any-gw\tgateway\tapi\t*');
    const narrowed = await run(['role', 'any-gw', '--role', 'gateway', '--channels', '-']);
    expect(narrowed).toMatchObject({ code: 0, err: ['any-gw: role gateway, channels - from now on'] });
    expect((await run(['list'])).out).toContain('any-gw\tgateway\tapi\t-');
    // a scope is a gateway key's only; a channel Kairos does not have is refused by the server
    expect((await run(['create', 'x-ops', '--role', 'ops', '--channels', 'sms'])).code).toBe(1);
    expect((await run(['create', 'x-gw', '--role', 'gateway', '--channels', 'telegram'])).code).toBe(1);
    expect((await run(['rotate', 'smsc-gw', '--channels', 'sms'])).code).toBe(2);
  });

  it('finds the server at this host’s KAIROS_PORT without --url or KAIROS_URL, as kairos merge and kairos run do', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const port = new URL(server.k.httpUrl).port;
    const code = await keysCommand(['list'], { env: { KAIROS_ADMIN_KEY: 'demo-admin', KAIROS_PORT: port }, out: (l) => out.push(l), err: (l) => err.push(l) });
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out.length).toBeGreaterThan(0);
  });

  it('says what is wrong: usage, no admin key, a refusal by the server', async () => {
    expect((await run(['create', 'x'])).code).toBe(2); // no --role
    expect((await run(['list'], {})).err[0]).toContain('KAIROS_ADMIN_KEY');
    const refused = await run(['revoke', 'nobody']);
    expect(refused).toMatchObject({ code: 1, err: ['kairos keys: not_found: no key named "nobody"'] });
    const wrongKey = await run(['list'], { KAIROS_ADMIN_KEY: 'not-the-admin-key' });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.err[0]).toContain('unauthorized');
  });
});
