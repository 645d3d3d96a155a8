// `npm run advisors`: Supabase's own linter (splinter, via `supabase db advisors`) on
// a freshly migrated database. Any finding fails, except the documented exceptions
// below, which are printed with their reason (README, "Linter exceptions").
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareDatabase, startDatabase, supabaseCli } from './db/local.ts';

interface Finding {
  name: string;
  level: string;
  detail: string;
}

/** Lint name → why it cannot apply to a database the linter sees right after migrating. */
const EXCEPTIONS: Record<string, string> = {
  unused_index:
    'counts index scans since the statistics were reset; on a just-migrated database every index has none, ' +
    'and the foreign-key indexes lint 0001 demands would all be reported',
};

const db = await startDatabase({
  dataDir: path.join(await mkdtemp(path.join(tmpdir(), 'soko-advisors-')), 'pgdata'),
  persistent: false,
  freshDatabase: true,
  settings: { fsync: 'off' },
});
let failed = false;
try {
  await prepareDatabase(db, { seed: true });
  const output = await supabaseCli(['db', 'advisors', `--remote=${db.url}`, '--type', 'all', '--level', 'info', '--fail-on', 'none']);
  const start = output.indexOf('[');
  const findings: Finding[] = start === -1 ? [] : JSON.parse(output.slice(start));
  const excepted = findings.filter((f) => f.name in EXCEPTIONS);
  const reported = findings.filter((f) => !(f.name in EXCEPTIONS));
  for (const f of excepted) console.log(`excepted  ${f.name}: ${f.detail} (${EXCEPTIONS[f.name]})`);
  for (const f of reported) console.log(`FINDING   ${f.level} ${f.name}: ${f.detail}`);
  console.log(`supabase db advisors: ${reported.length} finding(s), ${excepted.length} documented exception(s)`);
  failed = reported.length > 0;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  failed = true;
} finally {
  await db.stop();
}
process.exit(failed ? 1 : 0);
