import { readFileSync } from 'node:fs';
import { defaultServerUrl } from './server-url.js';

/**
 * The commands that talk to a running server's admin API (`kairos keys`, `kairos run`): the
 * server from `--url` (or `defaultServerUrl`: KAIROS_URL, else KAIROS_PORT), the admin key from
 * `--key-file` (or KAIROS_ADMIN_KEY), a request that answers the status and the JSON body, and
 * a refusal's problem detail as one line.
 */

export interface AdminClient {
  /** the server's base URL, without a trailing slash */
  base: string;
  /** one call; the body as text and parsed as JSON (an empty object when it is not); throws when the server cannot be reached */
  request: (method: string, path: string, body?: unknown) => Promise<{ ok: boolean; status: number; json: Record<string, unknown>; text: string }>;
}

/**
 * The admin key of `kairos <command>`: `--key-file FILE` (trimmed), else the KAIROS_ADMIN_KEY
 * variable; `--key KEY` where a command still takes it (on the command line every local user
 * sees it in `ps`: said on `err`, and either of the others preferred). Or the exit code (2)
 * after saying on `err` what is wrong.
 */
export function adminKeyOf(
  command: string,
  values: { 'key-file'?: string | undefined; key?: string | undefined },
  io: { env: Readonly<Record<string, string | undefined>>; err: (line: string) => void },
): string | number {
  if (values.key !== undefined && values['key-file'] !== undefined) {
    io.err(`kairos ${command}: give --key-file or --key, not both`);
    return 2;
  }
  let adminKey: string | undefined;
  try {
    adminKey = values['key-file'] !== undefined ? readFileSync(values['key-file'], 'utf8').trim() : (values.key ?? io.env.KAIROS_ADMIN_KEY);
  } catch (err) {
    io.err(`kairos ${command}: cannot read --key-file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return 2;
  }
  if (adminKey === undefined || adminKey === '') {
    io.err(`kairos ${command}: an admin key is needed: set KAIROS_ADMIN_KEY or pass --key-file FILE`);
    return 2;
  }
  if (values.key !== undefined) io.err(`kairos ${command}: warning: --key shows the key to every local user (ps, the shell's history): prefer --key-file FILE or KAIROS_ADMIN_KEY`);
  return adminKey;
}

/** The client for `kairos <command>`, or the exit code (2) after saying on `err` what is missing. */
export function adminClient(command: string, values: { url?: string | undefined; 'key-file'?: string | undefined }, io: { env: Readonly<Record<string, string | undefined>>; err: (line: string) => void }): AdminClient | number {
  const adminKey = adminKeyOf(command, { 'key-file': values['key-file'] }, io);
  if (typeof adminKey === 'number') return adminKey;
  const base = (values.url ?? defaultServerUrl(io.env)).replace(/\/+$/, '');
  return {
    base,
    request: async (method, path, body) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
      } catch {
        // not JSON: the status says what happened
      }
      return { ok: res.ok, status: res.status, json, text };
    },
  };
}

/** A refusal's problem+json as one line: `kairos <command>: <code>: <detail>`. */
export function problemLine(command: string, status: number, json: Record<string, unknown>): string {
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return `kairos ${command}: ${text(json.code) || `http_${status}`}: ${text(json.detail) || text(json.title)}`;
}
