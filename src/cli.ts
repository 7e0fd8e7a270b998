import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CatalogDef } from '../actors/index.js';
import { isInvalidDefinition, compileCatalog } from '../actors/index.js';
import { loadCatalogFile } from './catalog/catalog-file.js';
import { namePaths } from './catalog/catalog-service.js';
import { replayLine, replayLive } from './replay/live-replay.js';
import type { Config } from './config.js';
import { configVariables, loadConfig, unknownVariableWarnings } from './config.js';
import { catalogProblems } from './catalog/catalog-problems.js';
import { KairosError } from './errors.js';
import type { Kairos } from './kairos.js';
import { startKairos } from './kairos.js';
import { createLogger } from './logger.js';
import type { ShardedKairos } from './sharded-kairos.js';
import { startShardedKairos } from './sharded-kairos.js';
import { lmdbOptions } from './host-parts.js';
import { demoCsvPath, packageVersion } from './paths.js';
import { progressLine, seedBank } from './demo/seed.js';
import { compactLmdb } from './store/lmdb-compact.js';
import { runScenarios } from './scenario/run.js';
import { LmdbStore } from './store/lmdb-store.js';
import { auditCommand } from './cli/audit-command.js';
import { mergeCommand } from './cli/merge-command.js';
import { keysCommand, keysUsage } from './cli/keys-command.js';
import { runCommand, runUsage } from './cli/run-command.js';
import { importCommand, importUsage } from './cli/import-command.js';
import { segmentsCommand, segmentsUsage } from './cli/segments-command.js';
import { backupCommand, backupUsage, restoreCommand, restoreUsage } from './cli/backup-command.js';

/** The `kairos` command. `serve` is the default. */

/** `kairos serve`'s flags, in the global help and its own. */
const serveOptions = `  --port <n>                 KAIROS_PORT, default 8080
  --host <addr>              KAIROS_HOST, default 0.0.0.0
  --data-dir <dir>           KAIROS_DATA_DIR, default ./data
  --store <lmdb|memory|redis> KAIROS_STORE, default lmdb (redis: KAIROS_REDIS_URL)
  --shards <n|auto>          KAIROS_SHARDS, default 1: customers spread over n worker threads (docs/scale-out.md)
  --gateway-port <n>         KAIROS_GATEWAY_PORT, unset: with shards, a port for the gateways accepted on every shard
  --clock <system|manual>    KAIROS_CLOCK; manual: time moves only by POST /v1/clock
  --no-demo                  KAIROS_DEMO=false: no demo bank, no campaigns
  --catalog <file>           KAIROS_CATALOG_FILE: a YAML catalog that seeds an empty store
  --log-level <level>        KAIROS_LOG_LEVEL, default info`;

const help = `kairos: real-time next-best-offer decisioning for retail banks

usage:
  kairos [serve] [options]   run the server (the default command)
  kairos catalog check FILE  check a YAML catalog file (exit 1 naming the first problem)
  kairos replay CSV          replay the UCI bank-full calls through the real decision path
                             (score, then learn, row by row); prints, last,
                             replay: rows=N auc=… wm_auc=… alift=… top50=…
  kairos scenario run FILE…  run QA scenario scripts (scenarios/*.yaml) against a server
                             started for each file (manual clock, memory store, demo), or
                             --url http://host:port (a server with --clock manual); exit 1
                             when a step fails; --junit FILE: the results as JUnit XML
  kairos seed --customers N  write a synthetic bank of N customers (demo-1 … demo-N, the
                             demo bank first) into the data dir's LMDB store, with a
                             progress bar, then compacts the store (--no-compact: not);
                             then \`kairos serve\` runs on it
  kairos compact             rewrite the data dir's LMDB store with full pages (a third
                             smaller after a bulk load or a large erase); Kairos stopped
  kairos backup DIR          a consistent, compacted copy of the data dir's LMDB store, its
                             keyring and a manifest into DIR, while the server serves or not;
                             kairos backup check DIR checks and counts one (exit 1 if damaged)
  kairos restore DIR         a checked backup as the data dir's store (empty, or --force;
                             Kairos stopped); see kairos backup --help, docs/operations.md
  kairos audit verify        walk the audit trail's hash chain (the data dir's store, Kairos
                             stopped, or --url http://host:port with an admin key from
                             KAIROS_ADMIN_KEY or --key-file FILE); exit 1 naming the first
                             broken seq
  kairos audit export [--from MS] [--to MS]
                             the audit trail as NDJSON on stdout (same sources)
  kairos merge --into A --from B  merge customer B's profile into A on the running server
                             (--url http://host:port, default KAIROS_URL, else this host's KAIROS_PORT;
                             the admin key from --key-file FILE or KAIROS_ADMIN_KEY); prints the change
  kairos import customers FILE  the bank's customers from CSV or NDJSON (- for stdin) into
                             the data dir's store: upsert, rejects file, --resume, --mapping
                             (see kairos import --help and docs/import.md)
  kairos segments recount    rebuild segment sizes and members from the stored snapshots
                             (the data dir's store, Kairos stopped; docs/catalog.md)
  kairos keys …              named API keys on a running server (create, list, rotate,
                             revoke; see kairos keys --help and docs/security.md)
  kairos run …               outbound runs on a running server (start, status, list,
                             pause, resume, cancel; --wait follows one with a progress
                             bar; a wave's call list and outcomes: calls, outcomes); see
                             kairos run --help and docs/outbound.md
  kairos --help              this text
  kairos --version           the version

serve options (each overrides its environment variable):
${serveOptions}

environment:
${configVariables.map((v) => `  ${v.env}`).join('\n')}

With no KAIROS_GATEWAY_TOKENS / KAIROS_ADMIN_KEYS, the demo credentials are active:
gateway token "demo-gateway", admin key "demo-admin" (a warning is logged).
Docs: README.md, docs/protocol.md, docs/configuration.md.
`;

/** Each command's own usage (`kairos COMMAND --help`) and the flags that apply to it (any other is refused). */
const commands: Readonly<Record<string, { usage: string; flags: readonly string[] }>> = {
  serve: {
    usage: `usage: kairos [serve] [options]   run the server (the default command)
options (each overrides its environment variable; every setting: kairos --help, docs/configuration.md):
${serveOptions}`,
    flags: ['port', 'gateway-port', 'host', 'data-dir', 'store', 'shards', 'clock', 'no-demo', 'catalog', 'log-level'],
  },
  seed: {
    usage: `usage: kairos seed --customers N [--data-dir DIR] [--no-compact] [--catalog FILE] [--log-level L]
  writes a synthetic bank of N customers (demo-1 … demo-N, the demo bank first, N from 1 to
  1,000,000,000) into the data dir's LMDB store with a progress bar, then compacts the store
  (--no-compact: not); then \`kairos serve\` runs on it`,
    flags: ['customers', 'no-compact', 'data-dir', 'catalog', 'log-level'],
  },
  compact: {
    usage: `usage: kairos compact [--data-dir DIR]
  rewrites the data dir's LMDB store with full pages (a third smaller after a bulk load or a
  large erase); Kairos stopped`,
    flags: ['data-dir'],
  },
  catalog: { usage: 'usage: kairos catalog check FILE\n  checks a YAML catalog file: exit 0 with a summary, or 1 listing every problem found', flags: [] },
  replay: { usage: 'usage: kairos replay CSV\n  replays the UCI bank-full calls through the real decision path (callcenter.call events for the demo customers, in time order; each scored, then its answer fed back)', flags: [] },
  scenario: {
    usage: `usage: kairos scenario run FILE… [--url http://host:port] [--junit FILE]
  runs QA scenario scripts (scenarios/*.yaml) against a server started for each file (manual
  clock, memory store, demo), or --url a server started with --clock manual; exit 1 when a
  step fails; --junit FILE also writes the results as JUnit XML (a suite a file, a case a step)`,
    flags: ['url', 'junit'],
  },
  audit: {
    usage: `usage: kairos audit verify|export [--data-dir DIR | --url URL [--key-file FILE]] [--from MS --to MS]
  verify: walks the audit trail's hash chain (exit 1 naming the first broken seq); export: the
  trail as NDJSON on stdout. With --url, the admin key is read from --key-file FILE, else from
  the KAIROS_ADMIN_KEY variable (--key KEY still works, but every local user sees it in ps)`,
    flags: ['data-dir', 'url', 'key', 'key-file', 'from', 'to'],
  },
};

/** Refuses a flag given to a command it does not apply to (it would be ignored silently). */
function checkFlags(command: string, values: Readonly<Record<string, unknown>>): void {
  const allowed = commands[command]?.flags ?? [];
  const extra = Object.keys(values).filter((f) => values[f] !== undefined && f !== 'help' && f !== 'version' && !allowed.includes(f));
  if (extra.length > 0) fail(`--${extra[0]!} does not apply to kairos ${command} (see kairos ${command} --help)`, 2);
}

/** Warns on stderr about every `KAIROS_*` variable Kairos does not know (a misspelt setting). */
function warnUnknownVariables(env: Env): void {
  for (const w of unknownVariableWarnings(env)) process.stderr.write(`kairos: warning: ${w}\n`);
}

function fail(message: string, code: number): never {
  process.stderr.write(`kairos: ${message}\n`);
  process.exit(code);
}

type Env = Record<string, string | undefined>;

type Command =
  | { command: 'serve' | 'help' | 'version'; env: Env }
  | { command: 'catalog-check'; file: string }
  | { command: 'replay'; file: string }
  | { command: 'seed'; customers: number; compact: boolean; env: Env }
  | { command: 'compact'; env: Env }
  | { command: 'scenario'; files: string[]; url?: string; junit?: string }
  | { command: 'audit'; sub: 'verify' | 'export'; env: Env; url?: string | undefined; key?: string | undefined; keyFile?: string | undefined; from?: number | undefined; to?: number | undefined };

function parseCli(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        store: { type: 'string' },
        shards: { type: 'string' },
        'gateway-port': { type: 'string' },
        clock: { type: 'string' },
        'no-demo': { type: 'boolean' },
        'log-level': { type: 'string' },
        catalog: { type: 'string' },
        customers: { type: 'string' },
        'no-compact': { type: 'boolean' },
        url: { type: 'string' },
        key: { type: 'string' },
        'key-file': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        junit: { type: 'string' },
      },
    });
  } catch (err) {
    fail(`${(err as Error).message}\n(see kairos --help)`, 2);
  }
  const { values, positionals } = parsed;
  const [command = 'serve', ...rest] = positionals;
  if (values.help === true) {
    const own = positionals.length > 0 ? commands[command] : undefined;
    if (own !== undefined) {
      process.stdout.write(`${own.usage}\n`);
      process.exit(0);
    }
    return { command: 'help', env: {} };
  }
  if (values.version === true) return { command: 'version', env: {} };
  if (commands[command] !== undefined) checkFlags(command, values);
  if (command === 'catalog') {
    const [sub, file, ...more] = rest;
    if (sub !== 'check' || file === undefined || more.length > 0) fail('usage: kairos catalog check FILE', 2);
    return { command: 'catalog-check', file };
  }
  if (command === 'scenario') {
    const [sub, ...files] = rest;
    if (sub !== 'run' || files.length === 0) fail('usage: kairos scenario run FILE… [--url http://host:port] [--junit FILE]', 2);
    return { command: 'scenario', files, ...(values.url === undefined ? {} : { url: values.url }), ...(values.junit === undefined ? {} : { junit: values.junit }) };
  }
  if (command === 'audit') {
    const [sub, ...more] = rest;
    const ms = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number.isInteger(Number(v)) ? Number(v) : fail(`--from/--to: "${v}" is not a time in ms`, 2));
    if ((sub !== 'verify' && sub !== 'export') || more.length > 0) fail('usage: kairos audit verify|export [--data-dir DIR | --url URL [--key-file FILE]] [--from MS --to MS]', 2);
    const env: Env = { ...process.env };
    if (values['data-dir'] !== undefined) env.KAIROS_DATA_DIR = values['data-dir'];
    return { command: 'audit', sub, env, url: values.url, key: values.key, keyFile: values['key-file'], from: ms(values.from), to: ms(values.to) };
  }
  if (command === 'replay') {
    const [file, ...more] = rest;
    if (file === undefined || more.length > 0) fail('usage: kairos replay CSV', 2);
    return { command: 'replay', file };
  }
  if (command !== 'serve' && command !== 'seed' && command !== 'compact') fail(`unknown command "${command}" (see kairos --help)`, 2);
  if (rest.length > 0) fail(`unexpected arguments: ${rest.join(' ')}`, 2);

  // Flags go through the same schema as the environment, so they get the same checks.
  const env: Env = { ...process.env };
  if (values.port !== undefined) env.KAIROS_PORT = values.port;
  if (values.host !== undefined) env.KAIROS_HOST = values.host;
  if (values['data-dir'] !== undefined) env.KAIROS_DATA_DIR = values['data-dir'];
  if (values.store !== undefined) env.KAIROS_STORE = values.store;
  if (values.shards !== undefined) env.KAIROS_SHARDS = values.shards;
  if (values['gateway-port'] !== undefined) env.KAIROS_GATEWAY_PORT = values['gateway-port'];
  if (values.clock !== undefined) env.KAIROS_CLOCK = values.clock;
  if (values['no-demo'] === true) env.KAIROS_DEMO = 'false';
  if (values['log-level'] !== undefined) env.KAIROS_LOG_LEVEL = values['log-level'];
  if (values.catalog !== undefined) env.KAIROS_CATALOG_FILE = values.catalog;
  if (command === 'seed') {
    const customers = Number(values.customers);
    if (values.customers === undefined || !Number.isInteger(customers) || customers < 1 || customers > 1_000_000_000) {
      fail('usage: kairos seed --customers N [--data-dir DIR] (N from 1 to 1,000,000,000)', 2);
    }
    return { command: 'seed', customers, compact: values['no-compact'] !== true, env };
  }
  if (command === 'compact') return { command: 'compact', env };
  return { command: 'serve', env };
}

/** The configuration from the environment and flags; invalid: exit 2 naming the problems. */
function configFrom(env: Env): Config {
  warnUnknownVariables(env);
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof KairosError && err.code === 'config_invalid') fail(err.message, 2);
    throw err;
  }
}

/** Rewrites the data dir's LMDB store with full pages, reporting the sizes before and after. */
async function compact(config: Config): Promise<void> {
  const dir = join(config.dataDir, 'lmdb');
  const started = performance.now();
  let lastTable = '';
  try {
    const r = await compactLmdb(dir, (p) => {
      if (p.table !== lastTable) {
        lastTable = p.table;
        process.stderr.write(`compact: table ${p.table}, ${p.total.toLocaleString('en-US')} entries\n`);
      }
    });
    const mb = (b: number): string => `${(b / 1048576).toFixed(0)} MB`;
    process.stdout.write(
      `compact: ${dir}: ${mb(r.beforeBytes)} -> ${mb(r.afterBytes)} (${r.entries.toLocaleString('en-US')} entries in ${r.tables} tables) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  } catch (err) {
    fail((err as Error).message, 1);
  }
}

/** Writes a synthetic bank into the data dir, with a progress bar on stderr; then compacts it. */
async function seed(customers: number, withCompact: boolean, env: Env): Promise<void> {
  const config = configFrom(env);
  if (config.store !== 'lmdb') fail('seed writes the LMDB store (KAIROS_STORE=lmdb)', 2);
  const dir = join(config.dataDir, 'lmdb');
  const store = new LmdbStore(dir, lmdbOptions(config));
  const tty = process.stderr.isTTY;
  let lastTenth = -1;
  const started = performance.now();
  try {
    const written = await seedBank(store, demoCsvPath(), customers, Date.now(), (p) => {
      if (tty) {
        process.stderr.write(`\r${progressLine(p)}`);
        return;
      }
      const tenth = Math.floor((p.done / p.total) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`${progressLine(p)}\n`);
      }
    });
    if (tty) process.stderr.write('\n');
    const secs = (performance.now() - started) / 1000;
    process.stdout.write(
      `seed: ${written.toLocaleString('en-US')} customers written to ${dir} in ${secs.toFixed(1)} s; the store holds demo-1 … demo-${customers}\n`,
    );
  } finally {
    await store.close();
  }
  if (withCompact) await compact(config);
}

/** A node with shards: their gateway sockets closed (a second at most), before an exit that does not wait for its close. */
function gatewaysClosed(kairos: Kairos | ShardedKairos): Promise<void> {
  return 'shards' in kairos ? kairos.shards.closeGateways(1000) : Promise.resolve();
}

async function serve(env: Env): Promise<void> {
  const config = configFrom(env);
  // Made before the start: a signal that comes while starting is logged like any other.
  const logger = createLogger(config.logLevel, undefined, config.nodeId);
  let kairos: Kairos | ShardedKairos | undefined = undefined;
  // (the shards' gateway sockets, while the start has not returned: closed before an exit then)
  let closeShardGateways: () => Promise<void> = () => Promise.resolve();
  let stopping = false;
  const stop = (signal: string): void => {
    if (kairos === undefined) {
      // Nothing is served yet: exit now. What the start wrote is whole or taken up again at the
      // next start (the demo bank goes on where it stopped; each store write is atomic).
      logger.warn({ signal }, 'signal received while starting: exiting before the start is complete');
      void closeShardGateways().finally(() => process.exit(0));
      return;
    }
    if (stopping) {
      kairos.logger.warn({ signal }, 'second signal: exiting without waiting');
      // (but for the shards' gateway sockets: left open as the process exits, they abort it)
      void gatewaysClosed(kairos).finally(() => process.exit(1));
      return;
    }
    stopping = true;
    kairos.logger.info({ signal }, 'signal received');
    // SIGTERM (an orchestrator's stop) drains first: readiness 503 for KAIROS_DRAIN_MS while serving.
    // SIGINT (a terminal's Ctrl-C) closes at once.
    const running = kairos;
    const drained = signal === 'SIGTERM' ? running.drain() : Promise.resolve();
    drained.then(() => running.close()).then(
      () => process.exit(0),
      (err: unknown) => {
        running.logger.fatal({ err }, 'shutdown failed');
        void gatewaysClosed(running).finally(() => process.exit(1));
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  let started: Kairos | ShardedKairos;
  try {
    started = config.shards > 1 ? await startShardedKairos(config, { logger, onShards: (close) => (closeShardGateways = close) }) : await startKairos(config, { logger });
  } catch (err) {
    if (err instanceof KairosError && err.code === 'native_uws_unavailable') fail(`refusing to start: ${err.message}`, 1);
    // (a catalog file that does not parse, a configured key named as one made through the API: exit 2, as at boot)
    if (err instanceof KairosError && err.code === 'config_invalid') fail(err.message, 2);
    fail(`cannot start: ${(err as Error).message}`, 1);
  }
  kairos = started;
  process.on('uncaughtException', (err) => {
    started.logger.fatal({ err }, 'uncaught exception; flushing and exiting');
    const timer = setTimeout(() => void gatewaysClosed(started).finally(() => process.exit(1)), 5000);
    timer.unref();
    void started.close().finally(() => process.exit(1));
  });
  process.on('unhandledRejection', (err) => {
    started.logger.error({ err }, 'unhandled promise rejection');
  });
}

/** Checks a catalog file the way the server would load it. */
function catalogCheck(file: string): void {
  let def: CatalogDef | undefined;
  try {
    def = loadCatalogFile(file);
    // every problem, one a line, not only the first
    const problems = catalogProblems(def);
    if (problems.length > 0) fail(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}`, 1);
    const catalog = compileCatalog(def);
    const campaigns = catalog.campaigns.map((c) => `${c.id} (${c.status})`).join(', ');
    process.stdout.write(
      `ok: ${file}: version ${catalog.version}; ${catalog.features.length} features, ${catalog.segments.length} segments, ` +
        `${catalog.offers.size} offers, ${catalog.campaigns.length} campaigns: ${campaigns || 'none'}\n`,
    );
  } catch (err) {
    if (isInvalidDefinition(err)) fail(def === undefined ? err.message : `${file}: ${namePaths(def, err.path)}: ${err.problem}`, 1);
    throw err;
  }
}

export async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'merge') {
    const code = await mergeCommand(argv.slice(1), process.env, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
    if (code !== 0) process.exit(code);
    return;
  }
  if (argv[0] === 'import') {
    if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(`${importUsage}\n`);
    else process.exitCode = await importCommand(argv.slice(1), { env: process.env, stdin: process.stdin, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), tty: process.stderr.isTTY });
    return;
  }
  if (argv[0] === 'segments') {
    if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(`${segmentsUsage}\n`);
    else process.exitCode = await segmentsCommand(argv.slice(1), { env: process.env, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
    return;
  }
  if (argv[0] === 'backup') {
    if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(`${backupUsage}\n`);
    else process.exitCode = await backupCommand(argv.slice(1), { env: process.env, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
    return;
  }
  if (argv[0] === 'restore') {
    if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(`${restoreUsage}\n`);
    else process.exitCode = restoreCommand(argv.slice(1), { env: process.env, out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
    return;
  }
  if (argv[0] === 'keys') {
    if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(`${keysUsage}\n`);
    else process.exitCode = await keysCommand(argv.slice(1), { env: process.env, out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
    return;
  }
  if (argv[0] === 'run') {
    if (argv.includes('--help') || argv.includes('-h')) process.stdout.write(`${runUsage}\n`);
    else {
      const stdin = async (): Promise<string> => {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      };
      process.exitCode = await runCommand(argv.slice(1), { env: process.env, out: (l) => process.stdout.write(`${l}\n`), err: (t) => process.stderr.write(t), tty: process.stderr.isTTY, stdin });
    }
    return;
  }
  const parsed = parseCli(argv);
  if (parsed.command === 'catalog-check') {
    catalogCheck(parsed.file);
    return;
  }
  if (parsed.command === 'replay') {
    const started = Date.now();
    let result;
    try {
      result = await replayLive(parsed.file, { onProgress: (rows) => process.stderr.write(`replay: ${rows} rows\n`) });
    } catch (err) {
      fail((err as Error).message, 1);
    }
    process.stdout.write(
      `subscribers ${result.positives} of ${result.rows}, ${result.offered} calls offered and answered; ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `bar to beat (Moro, Cortez and Rita 2014, offline): auc 0.80, alift 0.70, top50 0.79\n`,
    );
    process.stdout.write(`${replayLine(result.first, 'replay(first 15000, for settings)')}\n${replayLine(result.rest, 'replay(the rest)')}\n`);
    process.stdout.write(`${replayLine(result)}\n`);
    return;
  }
  if (parsed.command === 'scenario') {
    const ok = await runScenarios(parsed.files, parsed.url, (line) => process.stdout.write(`${line}\n`), undefined, undefined, parsed.junit);
    if (!ok) process.exit(1);
    return;
  }
  if (parsed.command === 'seed') {
    await seed(parsed.customers, parsed.compact, parsed.env);
    return;
  }
  if (parsed.command === 'audit') {
    const { dataDir } = configFrom(parsed.env);
    const code = await auditCommand(
      parsed.sub,
      { dataDir, url: parsed.url, key: parsed.key, keyFile: parsed.keyFile, env: parsed.env, from: parsed.from, to: parsed.to },
      { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
    );
    if (code !== 0) process.exit(code);
    return;
  }
  if (parsed.command === 'compact') {
    const config = configFrom(parsed.env);
    if (config.store !== 'lmdb') fail('compact rewrites the LMDB store (KAIROS_STORE=lmdb)', 2);
    await compact(config);
    return;
  }
  const { command, env } = parsed;
  switch (command) {
    case 'help':
      process.stdout.write(help);
      return;
    case 'version':
      process.stdout.write(`${packageVersion()}\n`);
      return;
    case 'serve':
      await serve(env);
      return;
    default: {
      const never: never = command;
      throw new KairosError('internal', `unhandled command ${String(never)}`);
    }
  }
}
