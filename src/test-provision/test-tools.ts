/**
 * What the test suite needs besides Node: programs from Debian packages that some tests start
 * themselves (on free loopback ports, in temporary directories). The one list: `npm test`
 * provisions from it (provision-tests.ts), and the tests find their programs through
 * `toolPath`.
 */

export interface TestTool {
  /** the program's name, looked up on PATH */
  binary: string;
  /** a Python module the program (then a Python interpreter) must import: a python3 that cannot is passed over */
  pythonModule?: string;
  /** the Debian package that installs it */
  debianPackage: string;
  /** the variable that names the program's path instead of PATH, when there is one */
  envVar?: string;
  /** which tests start it, for the message when it is missing */
  usedBy: string;
}

export const testTools: readonly TestTool[] = [
  { binary: 'redis-server', debianPackage: 'redis-server', envVar: 'KAIROS_REDIS_SERVER_BIN', usedBy: 'the Redis and Redis Cluster store tests' },
  { binary: 'redis-cli', debianPackage: 'redis-tools', usedBy: 'the Redis Cluster tests (cluster creation)' },
  { binary: 'prometheus', debianPackage: 'prometheus', envVar: 'KAIROS_PROMETHEUS_BIN', usedBy: 'src/dashboards.test.ts (every Grafana panel against a real Prometheus)' },
  { binary: 'promtool', debianPackage: 'prometheus', usedBy: 'src/alert-rules.test.ts (the alert and recording rules checked and unit-tested, a real scrape checked)' },
  { binary: 'chromium', debianPackage: 'chromium', envVar: 'KAIROS_CHROMIUM_BIN', usedBy: 'src/console/console.browser.test.ts (the console in a headless browser)' },
  { binary: 'python3', pythonModule: 'msgpack', debianPackage: 'python3-msgpack', envVar: 'KAIROS_PYTHON3_BIN', usedBy: "src/transport/wire-integers.test.ts (a real server's frames read by Python's msgpack)" },
  { binary: 'python3', pythonModule: 'websockets', debianPackage: 'python3-websockets', envVar: 'KAIROS_PYTHON3_BIN', usedBy: 'clients/python/kairos_gateway.test.ts (the Python reference client against a real server)' },
  { binary: 'docker-compose', debianPackage: 'docker-compose', usedBy: 'src/deploy-compose.test.ts (deploy/compose.yaml parsed and resolved by `docker-compose config`, offline)' },
  { binary: 'systemd-analyze', debianPackage: 'systemd', usedBy: 'src/deploy-systemd.test.ts (deploy/kairos.service checked by `systemd-analyze verify`)' },
];

/** The program as a message names it: `python3 with the msgpack module` when it needs a module. */
export function toolName(tool: TestTool): string {
  return tool.pythonModule === undefined ? tool.binary : `${tool.binary} with the ${tool.pythonModule} module`;
}

/** The directories of a PATH value, in order, without empty entries. */
export function pathDirs(path: string | undefined): string[] {
  return (path ?? '').split(':').filter((d) => d !== '');
}

/**
 * Where a program is: the path its variable names when set (whether or not a file is there),
 * else the first PATH directory holding an executable of that name, else undefined.
 * `executable` is the file check (injected: the decision stays testable without a file system).
 */
export function locate(binary: string, env: Readonly<Record<string, string | undefined>>, executable: (path: string) => boolean, envVar?: string): { path: string | undefined; fromEnv: boolean } {
  const named = envVar === undefined ? undefined : env[envVar];
  if (named !== undefined && named !== '') return { path: executable(named) ? named : undefined, fromEnv: true };
  for (const dir of pathDirs(env.PATH)) {
    const candidate = `${dir}/${binary}`;
    if (executable(candidate)) return { path: candidate, fromEnv: false };
  }
  return { path: undefined, fromEnv: false };
}
