// `npm run dev`: the Soko backend on this machine, no Docker needed.
//
// Starts PostgreSQL 17 (embedded, data kept in .soko/db; or DATABASE_URL), recreates
// the Supabase platform, applies migrations and seed with the Supabase CLI, serves
// every edge function under Deno at http://127.0.0.1:54321/functions/v1/<name>, and
// prints the database URL, API keys and a signed JWT for every demo account.
import path from 'node:path';
import postgres from 'postgres';
import { apiKeys, issueClaims, LOCAL_JWT_SECRET, signJwt } from './db/auth.ts';
import { localSecrets, prepareDatabase, projectRoot, startDatabase } from './db/local.ts';
import { readEnvFile, serveFunctions } from './dev/functions.ts';

const DB_PORT = Number(process.env.SOKO_DB_PORT ?? 54322);
const API_PORT = Number(process.env.SOKO_API_PORT ?? 54321);
const verbose = process.argv.includes('--verbose');
const log = (line: string) => console.log(`  ${line}`);

console.log('Soko dev: starting the database…');
const db = await startDatabase({
  dataDir: path.join(projectRoot, '.soko', 'db'),
  persistent: true,
  port: DB_PORT,
  ...(verbose ? { log } : {}),
});

let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('\nSoko dev: stopping…');
    await functions?.stop().catch(() => undefined);
    await db.stop().catch(() => undefined);
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

let functions: Awaited<ReturnType<typeof serveFunctions>> | undefined;
try {
  await prepareDatabase(db, { seed: true, log });
  const keys = await apiKeys();
  console.log('Soko dev: starting edge functions under Deno (the first start downloads their npm packages)…');
  functions = await serveFunctions({
    port: API_PORT,
    jwtSecret: LOCAL_JWT_SECRET,
    env: {
      ...localSecrets(),
      ...readEnvFile(path.join(projectRoot, 'supabase', 'functions', '.env')),
      SUPABASE_URL: `http://127.0.0.1:${API_PORT}`,
      SUPABASE_DB_URL: db.url,
      SUPABASE_ANON_KEY: keys.anon,
      SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
      SOKO_JWT_SECRET: LOCAL_JWT_SECRET,
    },
    log,
  });
  await printWelcome(keys);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
}

async function printWelcome(keys: { anon: string; serviceRole: string }): Promise<void> {
  const sql = postgres(db.adminUrl, { max: 1, onnotice: () => undefined });
  try {
    const users = await sql<{ id: string; phone: string; market: string; name: string; roles: string[] }[]>`
      select u.id, u.phone, p.market_code as market, p.display_name as name,
             array(select r.role::text from public.user_roles r where r.user_id = u.id order by r.role) as roles
      from auth.users u join public.profiles p on p.id = u.id
      where u.id::text like '5a1e0000-%'
      order by p.market_code, u.phone`;
    const tokens = await sql.begin(async (tx) => {
      const out: string[] = [];
      for (const user of users) out.push(await signJwt(await issueClaims(tx, user.id), LOCAL_JWT_SECRET, '24h'));
      return out;
    });
    console.log(`
Soko is up.

  Database (postgres role)  ${db.url}
  Functions                 ${functions?.url}/{${functions?.functions.map((f) => f.name).join(',')}}
  JWT secret (HS256)        ${LOCAL_JWT_SECRET}
  anon key                  ${keys.anon}
  service_role key          ${keys.serviceRole}

Demo accounts (phone OTP 123456 with \`supabase start\`; tokens below are valid 24 h):
`);
    users.forEach((user, i) => {
      console.log(`  ${user.market}  +${user.phone}  ${user.name.padEnd(18)} ${user.roles.join(', ')}`);
      console.log(`      ${tokens[i]}\n`);
    });
    console.log(`Try:
  curl -H "Authorization: Bearer ${tokens[0]?.slice(0, 24)}…" ${functions?.url}/me
  psql '${db.url}'

Ctrl-C stops everything.`);
  } finally {
    await sql.end();
  }
}
