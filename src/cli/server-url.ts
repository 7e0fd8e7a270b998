/**
 * The running server the admin-API commands (`kairos keys`, `kairos run`, `kairos merge`) talk
 * to when `--url` is not given, the same for each: `KAIROS_URL`, else this host's server at
 * `KAIROS_PORT` (the port `kairos serve` listens on), else port 8080.
 */
export function defaultServerUrl(env: Readonly<Record<string, string | undefined>>): string {
  const url = env.KAIROS_URL;
  if (url !== undefined && url !== '') return url;
  const port = env.KAIROS_PORT;
  return `http://127.0.0.1:${port !== undefined && port !== '' ? port : '8080'}`;
}

/** `--url` in each of those commands' usage. */
export const URL_OPTION = '--url URL        the server (default KAIROS_URL, else http://127.0.0.1:$KAIROS_PORT, else port 8080)';
