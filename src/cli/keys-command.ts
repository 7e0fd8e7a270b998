import { parseArgs } from 'node:util';
import { ROLES } from '../transport/principal.js';
import { adminClient, problemLine } from './admin-client.js';
import { URL_OPTION } from './server-url.js';

/**
 * `kairos keys create|list|rotate|role|revoke`: the running server's /v1/keys, over its API, with
 * an admin key from KAIROS_ADMIN_KEY or --key-file. A new secret is printed once, on stdout,
 * alone on its line (for a pipe into a secret store); everything else goes to stderr.
 */

export const keysUsage = `usage:
  kairos keys create NAME --role ROLE [--channels LIST]
                                        make a key (roles: ${ROLES.join(', ')}); prints its secret once
  kairos keys list                      every key: name, role, where it comes from (a gateway key: its channels)
  kairos keys rotate NAME               a new secret for the key (printed once); the old one is refused at once
  kairos keys role NAME --role ROLE [--channels LIST]
                                        give the key another role (a gateway key: another scope), from now on
  kairos keys revoke NAME               refuse the key from now on
options:
  ${URL_OPTION}
  --key-file FILE  a file holding the admin key (default: the KAIROS_ADMIN_KEY variable)
  --channels LIST  a gateway key's channel scope, comma-separated (sms,email), or - for none
                   (events and responses only); without it a new gateway key may use every channel`;

export interface KeysIo {
  env: Readonly<Record<string, string | undefined>>;
  out: (line: string) => void;
  err: (line: string) => void;
}

interface KeyRow {
  name: string;
  role: string;
  source: string;
  createdAt?: number;
  rotatedAt?: number;
  channels?: string[] | '*';
}

/** `--channels`: names joined by commas; `-` for none. */
function channelList(raw: string): string[] {
  if (raw.trim() === '-') return [];
  return raw
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

/** A gateway key's scope as `list` prints it: the channels joined by commas, `-` for none, `*` for every channel. */
function scopeText(channels: string[] | '*'): string {
  return channels === '*' ? '*' : channels.length === 0 ? '-' : channels.join(',');
}

/** Runs the command; resolves with the exit code (0 done, 1 refused by the server, 2 usage). */
export async function keysCommand(argv: readonly string[], io: KeysIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { url: { type: 'string' }, 'key-file': { type: 'string' }, role: { type: 'string' }, channels: { type: 'string' } } });
  } catch (err) {
    io.err(`kairos keys: ${(err as Error).message}\n${keysUsage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [sub, name, ...more] = positionals;
  const needsName = sub === 'create' || sub === 'rotate' || sub === 'role' || sub === 'revoke';
  const needsRole = sub === 'create' || sub === 'role';
  if (
    sub === undefined ||
    !['create', 'list', 'rotate', 'role', 'revoke'].includes(sub) ||
    more.length > 0 ||
    needsName !== (name !== undefined) ||
    needsRole !== (values.role !== undefined) ||
    (values.channels !== undefined && !needsRole)
  ) {
    io.err(keysUsage);
    return 2;
  }
  const client = adminClient('keys', values, io);
  if (typeof client === 'number') return client;
  const { base, request } = client;
  const scope = values.channels === undefined ? {} : { channels: channelList(values.channels) };
  let r;
  try {
    if (sub === 'list') r = await request('GET', '/v1/keys');
    else if (sub === 'create') r = await request('POST', '/v1/keys', { name, role: values.role, ...scope });
    else if (sub === 'rotate') r = await request('POST', `/v1/keys/${encodeURIComponent(name!)}/rotate`);
    else if (sub === 'role') r = await request('PUT', `/v1/keys/${encodeURIComponent(name!)}/role`, { role: values.role, ...scope });
    else r = await request('DELETE', `/v1/keys/${encodeURIComponent(name!)}`);
  } catch (err) {
    io.err(`kairos keys: cannot reach ${base}: ${(err as Error).message}`);
    return 1;
  }
  if (!r.ok) {
    io.err(problemLine('keys', r.status, r.json));
    return 1;
  }
  if (sub === 'list') {
    for (const k of r.json.keys as KeyRow[]) io.out(`${k.name}\t${k.role}\t${k.source}${k.channels === undefined ? '' : `\t${scopeText(k.channels)}`}`);
  } else if (sub === 'revoke') {
    io.err(`revoked: ${name}`);
  } else if (sub === 'role') {
    const channels = r.json.channels as string[] | '*' | undefined;
    io.err(`${name}: role ${String(r.json.role)}${channels === undefined ? '' : `, channels ${scopeText(channels)}`} from now on`);
  } else {
    const channels = r.json.channels as string[] | '*' | undefined;
    io.err(`${sub === 'create' ? 'created' : 'rotated'}: ${name} (role ${String(r.json.role)}${channels === undefined ? '' : `, channels ${scopeText(channels)}`}); the secret is shown this once:`);
    io.out(String(r.json.secret));
  }
  return 0;
}
