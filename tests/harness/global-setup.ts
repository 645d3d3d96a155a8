// One database per test run: a fresh embedded PostgreSQL 17 (or a fresh database on
// the server DATABASE_URL names), with the Supabase platform recreated, every
// migration applied by the Supabase CLI, and the seed loaded.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { prepareDatabase, startDatabase, type Database } from '../../scripts/db/local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The bootstrap superuser: tests play every Supabase service's role from here. */
    databaseUrl: string;
    /** The `postgres` role, as edge functions connect (SUPABASE_DB_URL). */
    postgresUrl: string;
  }
}

let database: Database | undefined;

export async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  database = await startDatabase({
    dataDir: path.join(await mkdtemp(path.join(tmpdir(), 'soko-test-')), 'pgdata'),
    persistent: false,
    freshDatabase: true,
    // Durability is not under test; speed is welcome.
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
  });
  await prepareDatabase(database, { seed: true });
  // Tests connect as the bootstrap superuser so they can act as each Supabase service
  // does: GoTrue (supabase_auth_admin), PostgREST (anon, authenticated, service_role).
  // Security-definer functions still run as their owner, postgres, as on Supabase.
  project.provide('databaseUrl', database.adminUrl);
  project.provide('postgresUrl', database.url);
  console.log(`test database ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function teardown(): Promise<void> {
  await database?.stop();
}
