import { parseArgs } from 'node:util';
import { adminKeyOf } from './admin-client.js';
import { URL_OPTION, defaultServerUrl } from './server-url.js';

export const mergeUsage = `usage: kairos merge --into SURVIVOR --from LOSER [--url URL] [--key-file FILE]
  merges customer LOSER's profile into SURVIVOR on the running server (POST /v1/customers/SURVIVOR/merge,
  docs/identity.md) and prints what the merge changed as JSON; exit 1 when the server refuses it
options:
  ${URL_OPTION}
  --key-file FILE  a file holding the admin key (default: the KAIROS_ADMIN_KEY variable)
  --key KEY        the admin key itself (every local user sees it in ps: prefer the others)`;

/**
 * `kairos merge --into A --from B [--url http://host:port] [--key-file FILE]`: asks the running
 * server to merge customer B into A (POST /v1/customers/A/merge, docs/identity.md) and prints
 * what the merge changed as JSON. The admin key is `--key-file`'s, `KAIROS_ADMIN_KEY` or
 * `--key` (with a warning: `adminKeyOf`); the
 * server is `--url`, or `defaultServerUrl` (KAIROS_URL, else KAIROS_PORT). `--help` prints the
 * usage. Returns the exit code: 0 merged (or the usage asked for), 1 refused (the problem's
 * detail on stderr), 2 bad usage.
 */
export async function mergeCommand(argv: readonly string[], env: Record<string, string | undefined>, out: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: { into: { type: 'string' }, from: { type: 'string' }, url: { type: 'string' }, key: { type: 'string' }, 'key-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    out.stderr(`kairos: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.help === true) {
    out.stdout(`${mergeUsage}\n`);
    return 0;
  }
  const { into, from } = values;
  if (into === undefined || from === undefined) {
    out.stderr(`kairos: ${mergeUsage}\n`);
    return 2;
  }
  const key = adminKeyOf('merge', { key: values.key, 'key-file': values['key-file'] }, { env, err: (line) => out.stderr(`${line}\n`) });
  if (typeof key === 'number') return key;
  const url = (values.url ?? defaultServerUrl(env)).replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${url}/v1/customers/${encodeURIComponent(into)}/merge`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ from }),
    });
  } catch (err) {
    out.stderr(`kairos: cannot reach ${url}: ${(err as Error).message}\n`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as { detail?: string; code?: string };
  if (!res.ok) {
    out.stderr(`kairos: merge refused (${res.status} ${body.code ?? ''}): ${body.detail ?? ''}\n`);
    return 1;
  }
  out.stdout(`${JSON.stringify(body)}\n`);
  return 0;
}
