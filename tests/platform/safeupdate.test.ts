// On Supabase, API requests run with the `safeupdate` library loaded: an UPDATE or
// DELETE without a WHERE clause fails, including inside functions called over the
// API. That library cannot load here, so this checks every Soko function body instead.
import { describe, expect, it } from 'vitest';
import { db } from '../harness/db.ts';

function unguardedStatements(source: string): string[] {
  const withoutComments = source.replace(/--[^\n]*/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
  return withoutComments
    .split(';')
    .map((statement) => statement.replace(/\s+/g, ' ').trim())
    .filter((statement) => /\b(update\s+[\w."]+(\s+as\s+\w+)?\s+set|delete\s+from)\b/i.test(statement))
    .filter((statement) => !/\bwhere\b/i.test(statement) && !/\bwhere\s+current\s+of\b/i.test(statement));
}

describe('safeupdate', () => {
  it('the check itself spots an unguarded statement', () => {
    expect(unguardedStatements('begin update public.t set a = 1; delete from public.u where id = 1; end')).toEqual([
      'begin update public.t set a = 1',
    ]);
  });

  it('no Soko function updates or deletes without a WHERE clause', async () => {
    const functions = await db()<{ name: string; source: string }[]>`
      select n.nspname || '.' || p.proname as name, p.prosrc as source
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'private') and p.prolang in (
        select oid from pg_language where lanname in ('sql', 'plpgsql'))`;
    expect(functions.length).toBeGreaterThan(10);
    const offenders = functions.flatMap((f) => unguardedStatements(f.source).map((s) => `${f.name}: ${s}`));
    expect(offenders).toEqual([]);
  });
});
