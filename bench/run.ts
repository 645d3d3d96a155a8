// npm run bench [-- <filter>…]
//
// Starts a database of its own (embedded PostgreSQL 17, or a fresh database on the
// server DATABASE_URL names), bootstraps the Supabase platform, applies every
// migration and the seed, runs each scenario in bench/scenarios/ whose name contains
// one of the filters, and prints one table. Every ratio in it is measured in this run,
// on this machine. Misses are reported, not fatal: the exit code is 0 unless the
// bench itself could not run.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { LOCAL_PASSWORD, prepareDatabase, startDatabase, type Database } from '../scripts/db/local.ts';
import { PostgrestRunner } from './lib/request.ts';
import { printReport, type ReportRow } from './lib/report.ts';
import type { BenchContext, Scenario } from './lib/scenario.ts';
import { timed } from './lib/timing.ts';
import { generateUsers } from './lib/users.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function loadScenarios(): Promise<Scenario[]> {
  const dir = path.join(here, 'scenarios');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: Scenario };
    if (!module.default?.name || typeof module.default.run !== 'function') {
      throw new Error(`bench/scenarios/${file} must export default defineScenario({ name, description, run })`);
    }
    scenarios.push(module.default);
  }
  const names = scenarios.map((s) => s.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`two scenarios are named ${duplicate}`);
  return scenarios;
}

/** PostgREST's login role on this database, or the admin URL where it has no known password. */
async function apiConnection(database: Database): Promise<{ sql: postgres.Sql; as: string }> {
  const url = new URL(database.url);
  url.username = 'authenticator';
  url.password = LOCAL_PASSWORD;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => undefined });
  try {
    await sql`select 1`;
    return { sql, as: 'authenticator' };
  } catch {
    await sql.end({ timeout: 1 });
    return { sql: postgres(database.adminUrl, { max: 1, onnotice: () => undefined }), as: 'admin URL (authenticator password unknown)' };
  }
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2).filter((a) => a !== '--');
  const all = await loadScenarios();
  const selected = all.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
  if (selected.length === 0) {
    log(`No scenario matches ${filters.join(', ')}. Scenarios: ${all.map((s) => s.name).join(', ')}`);
    return 2;
  }

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'soko-bench-'));
  let database: Database | undefined;
  const clients: postgres.Sql[] = [];
  const stop = async () => {
    await Promise.allSettled(clients.map((c) => c.end({ timeout: 5 })));
    await database?.stop().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));

  try {
    const started = await timed(async () => {
      database = await startDatabase({
        dataDir: path.join(workDir, 'pgdata'),
        persistent: false,
        freshDatabase: true,
        // Durability is not what is measured; loading 100k users is faster without it.
        settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
      });
      await prepareDatabase(database, { seed: true });
    });
    log(`database ready in ${started.seconds.toFixed(1)} s (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'})`);

    const admin = postgres(database!.adminUrl, { max: 2, onnotice: () => undefined });
    clients.push(admin);
    let apiRole = 'authenticator';
    const newApi = async () => {
      const api = await apiConnection(database!);
      clients.push(api.sql);
      apiRole = api.as;
      return PostgrestRunner.create(api.sql);
    };
    const [server] = await admin<{ version: string }[]>`select current_setting('server_version') as version`;

    let users: string[] = [];
    const ctx: BenchContext = {
      db: database!,
      admin,
      api: newApi,
      async users(count) {
        if (users.length < count) {
          log(`generating ${count - users.length} users through auth.users (sign-up trigger on)`);
          const made = await timed(() => generateUsers(admin, { from: users.length + 1, count: count - users.length, log }));
          users = users.concat(made.result);
          log(`  ${made.result.length} users in ${made.seconds.toFixed(1)} s`);
        }
        return users.slice(0, count);
      },
      log,
    };

    const rows: ReportRow[] = [];
    for (const scenario of selected) {
      log(`\n▶ ${scenario.name}: ${scenario.description}`);
      try {
        const run = await timed(() => scenario.run(ctx));
        log(`  done in ${run.seconds.toFixed(1)} s`);
        for (const result of run.result) rows.push({ scenario: scenario.name, ...result });
      } catch (error) {
        log(`  failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        rows.push({
          scenario: scenario.name,
          metric: 'scenario did not complete',
          measured: error instanceof Error ? error.message.split('\n')[0]! : String(error),
          target: '-',
          ratio: null,
          pass: false,
        });
      }
    }

    printReport(rows, {
      title: 'Soko bench',
      notes: [
        `PostgreSQL ${server?.version} · ${os.cpus().length} cores · ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'} · fsync off · requests as ${apiRole}`,
      ],
    });
    return 0;
  } finally {
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
