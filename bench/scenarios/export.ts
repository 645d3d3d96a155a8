// P6: the admin CSV export of ledger lines, as an admin's app downloads it — through
// the functions gateway to the admin-export function running under Deno, which streams
// COPY output as the calling admin (RLS on) — against Postgres's own
// `COPY (same rows) TO STDOUT` as the superuser, on the same data. Then the function
// process's peak memory (VmHWM) after exporting 1M and 5M lines.
import { readFile } from 'node:fs/promises';
import type postgres from 'postgres';
import { LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { serveFunctions } from '../../scripts/dev/functions.ts';
import { defineScenario, type Result } from '../lib/scenario.ts';
import { claimsFor } from '../lib/users.ts';

const KIND = 'bench.export';
const SIZES = (process.env.BENCH_EXPORT_SIZES ?? "1000000,5000000").split(",").map(Number);
const MIN_RATIO = 0.5;
const MAX_PEAK_MB = 150;

/** Adds balanced ledger lines (two per entry) until `total` lines of KIND exist. */
async function growLedger(admin: postgres.Sql, total: number): Promise<void> {
  const [{ have }] = (await admin`
    select count(*)::int as have from public.journal_lines l
    join public.journal_entries e on e.id = l.entry_id where e.kind = ${KIND}`) as unknown as [{ have: number }];
  const entries = Math.ceil((total - have) / 2);
  if (entries <= 0) return;
  await admin.begin(async (tx) => {
    // Data generation, not under test: skip the per-row ledger triggers (balance
    // upkeep, deferred balance checks) that would dominate the load time.
    await tx`set local session_replication_role = replica`;
    const accounts = await tx`
      select private.ledger_account('escrow', 'GHS', null, null, gen_random_uuid()) as id
      from generate_series(1, 200)`;
    const clearing = await tx`select private.ledger_account('gateway_clearing', 'GHS', null, 'bench', null) as id`;
    const ids = accounts.map((a) => Number(a.id));
    await tx`
      with new_entries as (
        insert into public.journal_entries (currency, kind, idempotency_key, memo, occurred_at)
        select 'GHS', ${KIND}, ${KIND} || ':' || ${have} || ':' || g,
               case when g % 10 = 0 then 'refund, "partial" — আংশিক' end,
               now() - (g % 1000) * interval '1 minute'
        from generate_series(1, ${entries}) as g
        returning id
      )
      insert into public.journal_lines (entry_id, account_id, currency, amount_minor)
      select e.id, case when side = 1 then ${Number(clearing[0]!.id)}::bigint else (${ids}::bigint[])[1 + e.id % ${ids.length}] end,
             'GHS', side * (100 + e.id % 5000)
      from new_entries as e cross join (values (1), (-1)) as s (side)`;
  });
  await admin`analyze public.journal_entries`;
  await admin`analyze public.journal_lines`;
}

async function drain(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
  return bytes;
}

async function peakRssMb(pid: number | undefined): Promise<number | null> {
  if (!pid) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : null;
}

export default defineScenario({
  name: 'export',
  description: 'P6: admin-export (Deno, as the admin, RLS) vs COPY TO STDOUT on ledger lines; function peak memory at 1M and 5M rows',
  async run(ctx) {
    const [adminId] = await ctx.users(1);
    await ctx.admin`insert into public.user_roles (user_id, role) values (${adminId!}, 'admin') on conflict do nothing`;
    const [claims] = await claimsFor(ctx.admin, [adminId!]);
    const token = await signJwt(claims!, LOCAL_JWT_SECRET, '2h');
    const server = await serveFunctions({
      port: 0,
      jwtSecret: LOCAL_JWT_SECRET,
      only: ['admin-export'],
      env: { SUPABASE_DB_URL: ctx.db.url, SOKO_JWT_SECRET: LOCAL_JWT_SECRET, SUPABASE_URL: 'http://127.0.0.1:1' },
      log: () => undefined,
    });
    const results: Result[] = [];
    try {
      for (const size of SIZES) {
        ctx.log(`  ledger: ${size.toLocaleString('en')} lines of ${KIND}`);
        await growLedger(ctx.admin, size);
        const [{ rows }] = (await ctx.admin`
          select count(*)::int as rows from public.journal_lines l
          join public.journal_entries e on e.id = l.entry_id where e.kind = ${KIND}`) as unknown as [{ rows: number }];

        // Baseline: Postgres writing the same rows as CSV, no function, no RLS, no HTTP.
        let started = performance.now();
        const copy = await ctx.admin
          .unsafe(`copy (
              select l.id, l.entry_id, e.occurred_at, e.kind, e.memo, l.account_id, a.kind, a.owner_id,
                     a.gateway, a.subject_id, l.currency, l.amount_minor
              from public.journal_lines l
              join public.journal_entries e on e.id = l.entry_id
              join public.ledger_accounts a on a.id = l.account_id
              where e.kind = '${KIND}' order by l.id
            ) to stdout with (format csv, header true)`)
          .readable();
        const copyBytes = await drain(copy as unknown as AsyncIterable<Uint8Array>);
        const copySeconds = (performance.now() - started) / 1000;

        // The export's own SELECT (CSV rules applied in SQL), COPY'd by the superuser:
        // how much of the gap is SQL, how much Deno and HTTP.
        const [{ query }] = (await ctx.admin`
          select private.export_query('ledger_lines', ${JSON.stringify({ kind: KIND })}::text::jsonb) as query`) as unknown as [{ query: string }];
        started = performance.now();
        const sqlOnly = await ctx.admin.unsafe(`copy (${query}) to stdout with (format csv, header true)`).readable();
        await drain(sqlOnly as unknown as AsyncIterable<Uint8Array>);
        const sqlSeconds = (performance.now() - started) / 1000;

        started = performance.now();
        const response = await fetch(`${server.url}/admin-export/ledger_lines?kind=${KIND}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (response.status !== 200 || !response.body) throw new Error(`admin-export answered ${response.status}`);
        const exportBytes = await drain(response.body);
        const exportSeconds = (performance.now() - started) / 1000;
        const peak = await peakRssMb(server.pid('admin-export'));

        const copyRate = rows / copySeconds;
        const exportRate = rows / exportSeconds;
        const label = `${(rows / 1e6).toFixed(0)}M lines`;
        ctx.log(`  ${label}: COPY ${(copyBytes / 1e6).toFixed(0)} MB in ${copySeconds.toFixed(1)} s, export ${(exportBytes / 1e6).toFixed(0)} MB in ${exportSeconds.toFixed(1)} s`);
        if (size === SIZES[0]) {
          results.push({
            metric: `  of which SQL: the export's SELECT under COPY (${label})`,
            measured: `${Math.round(rows / sqlSeconds).toLocaleString('en')}/s`,
            target: 'information',
            ratio: rows / sqlSeconds / copyRate,
            pass: true,
          });
          results.push({
            metric: `export rows/s vs COPY TO STDOUT (${label})`,
            measured: `export ${Math.round(exportRate).toLocaleString('en')}/s · COPY ${Math.round(copyRate).toLocaleString('en')}/s`,
            target: `≥ ${MIN_RATIO.toFixed(2)}× COPY`,
            ratio: exportRate / copyRate,
            pass: exportRate / copyRate >= MIN_RATIO,
          });
        }
        results.push({
          metric: `admin-export peak memory, Deno process (${label})`,
          measured: peak === null ? 'n/a (no /proc)' : `${peak.toFixed(0)} MB`,
          target: `≤ ${MAX_PEAK_MB} MB`,
          ratio: peak === null ? null : peak / MAX_PEAK_MB,
          pass: peak !== null && peak <= MAX_PEAK_MB,
        });
      }
    } finally {
      await server.stop();
    }
    return results;
  },
});
