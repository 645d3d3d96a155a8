import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { sharedSecretVerifier } from '../../src/auth/jwt.ts';
import { createHandler } from '../../supabase/functions/admin-export/handler.ts';
import { asUser, createUser, db, deleteUsers, issueClaims, rollback, type TestUser } from '../harness/db.ts';

// Exports run in their own transaction, like a real request: fixtures are committed in
// a market of their own and removed afterwards.
const market = `xt-${randomBytes(4).toString('hex')}`;
const sql = postgres(inject('postgresUrl'), { max: 2, onnotice: () => undefined });
const handler = createHandler({ sql, verifier: sharedSecretVerifier(LOCAL_JWT_SECRET), log: () => undefined, now: () => new Date('2026-11-21T10:00:00Z') });
const users: TestUser[] = [];
let admin: TestUser;
let customer: TestUser;
let provider: TestUser;

const NAMES = [
  'Ama, "the best" Mensah',
  'Two\nlines',
  'রহিম উদ্দিন',
  'منى حسن',
  '=HYPERLINK("http://evil.example","click")',
  '+233 fraud',
  '-1+1',
  '@SUM(A1:A9)',
];

beforeAll(async () => {
  await db()`
    insert into public.markets (code, name, country_code, currency_code, phone_country_code, default_locale, locales, time_zone)
    values (${market}, 'Export test', 'GH', 'GHS', '999', 'en', '{en}', 'Africa/Accra')`;
  const make = async (name: string, roles: ('admin' | 'provider')[] = []) => {
    const user = await createUser(db(), { roles, metadata: { market, display_name: name } });
    users.push(user);
    return user;
  };
  admin = await make('Export Admin', ['admin']);
  provider = await make('Kofi Provider', ['provider']);
  customer = await make('Plain Customer');
  for (const name of NAMES) await make(name);
  // Sign-up dates to filter on: the customer joined in January.
  await db()`update public.profiles set created_at = '2026-01-15T12:00:00Z' where id = ${customer.id}`;
  await asUser(db(), admin, (q) => q`select public.suspend_user(${users.at(-1)!.id}, 'Spam, "bulk" messages')`);
});

afterAll(async () => {
  await deleteUsers(...users);
  await db()`delete from public.markets where code = ${market}`;
  await sql.end();
});

async function download(user: TestUser | null, query: string, dataset = 'users'): Promise<Response> {
  const headers: Record<string, string> = user ? { authorization: `Bearer ${await signJwt(user.claims)}` } : {};
  return handler(new Request(`http://localhost/admin-export/${dataset}?${query}`, { headers }));
}

async function rows(response: Response): Promise<Record<string, string>[]> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  return parse(new TextDecoder().decode(bytes.slice(3)), { columns: true, relax_column_count: false });
}

describe('admin-export', () => {
  it('streams users as RFC 4180 CSV with a BOM, exact values and defused formulas', async () => {
    const response = await download(admin, `market=${market}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="soko-users-${market}-2026-11-21.csv"`);
    const table = await rows(response);
    expect(table).toHaveLength(users.length);
    const byId = new Map(table.map((r) => [r.id, r]));
    for (const user of users) {
      const row = byId.get(user.id)!;
      expect(row.phone).toBe(user.phone);
      expect(row.market).toBe(market);
    }
    const names = table.map((r) => r.display_name);
    expect(names).toEqual(expect.arrayContaining([
      'Ama, "the best" Mensah',
      'Two\nlines',
      'রহিম উদ্দিন',
      'منى حسن',
      `'=HYPERLINK("http://evil.example","click")`,
      `'+233 fraud`,
      `'-1+1`,
      `'@SUM(A1:A9)`,
    ]));
    expect(byId.get(admin.id)).toMatchObject({ roles: 'customer;admin', status: 'active', locale: 'en' });
    expect(byId.get(users.at(-1)!.id)).toMatchObject({ status: 'suspended', status_reason: 'Spam, "bulk" messages' });
    expect(byId.get(customer.id)!.signed_up_at).toBe('2026-01-15T12:00:00Z');
  });

  it.each([
    ['status=suspended', (r: Record<string, string>[]) => r.every((x) => x.status === 'suspended') && r.length === 1],
    ['role=provider', (r: Record<string, string>[]) => r.length === 1 && r[0]!.display_name === 'Kofi Provider'],
    ['from=2026-01-01&to=2026-01-31', (r: Record<string, string>[]) => r.length === 1 && r[0]!.display_name === 'Plain Customer'],
    ['to=2026-01-14', (r: Record<string, string>[]) => r.length === 0],
  ])('honours the filter %s', async (query, check) => {
    const table = await rows(await download(admin, `market=${market}&${query}`));
    expect(check(table)).toBe(true);
  });

  it.each([
    ['a customer', () => customer],
    ['a provider', () => provider],
  ])('gives %s 403 and streams nothing', async (_, who) => {
    const response = await download(who(), `market=${market}`);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({ error: { code: 'forbidden', message: 'You are not allowed to do this.', details: {} } });
  });

  it('gives an anonymous client 401', async () => {
    expect((await download(null, `market=${market}`)).status).toBe(401);
    const anon = await signJwt({ role: 'anon', iss: 'supabase-demo' });
    const response = await handler(new Request(`http://localhost/admin-export/users`, { headers: { authorization: `Bearer ${anon}` } }));
    expect(response.status).toBe(401);
  });

  it('refuses an admin whose role was revoked, even with a token that still says admin', async () => {
    const former = await createUser(db(), { roles: ['admin'], metadata: { market } });
    users.push(former);
    await db()`delete from public.user_roles where user_id = ${former.id} and role = 'admin'`;
    expect(former.claims.user_roles).toContain('admin');
    expect((await download(former, `market=${market}`)).status).toBe(403);
    expect((await issueClaims(db(), former.id)).user_roles).not.toContain('admin');
  });

  it.each([
    ['an unknown dataset', 'market=gh', 'nope'],
    ['a malformed date', 'from=21/11/2026', 'users'],
    ['from after to', 'from=2026-02-01&to=2026-01-01', 'users'],
    ['an unknown filter', 'colour=red', 'users'],
    ['an unknown status', 'status=deleted', 'users'],
  ])('answers %s with 400 invalid_input', async (_, query, dataset) => {
    const response = await download(admin, query, dataset);
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('invalid_input');
  });

  it('streams ledger lines with their entry and account, filtered by currency and kind', async () => {
    // Ledger history is append-only: these lines stay, under a kind of their own.
    const kind = `test.export_${randomBytes(6).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!)}`;
    const [ids] = await db()`
      select private.ledger_account('gateway_clearing', 'XTS', null, 'fake', null) as clearing,
             private.ledger_account('escrow', 'XTS', null, null, gen_random_uuid()) as escrow`;
    await db().begin(async (tx) => {
      const lines = JSON.stringify([
        { account_id: Number(ids!.clearing), amount_minor: 12_345 },
        { account_id: Number(ids!.escrow), amount_minor: -12_345 },
      ]);
      await tx`select private.post_entry(${kind}, 'XTS', ${lines}::text::jsonb, ${kind}, '=1+1 memo, "quoted"')`;
    });
    const response = await download(admin, `currency=XTS&kind=${kind}`, 'ledger_lines');
    expect(response.status).toBe(200);
    const table = await rows(response);
    expect(table.map((r) => [r.account_kind, r.gateway, r.currency, r.amount_minor, r.memo, r.entry_kind])).toEqual([
      ['gateway_clearing', 'fake', 'XTS', '12345', `'=1+1 memo, "quoted"`, kind],
      ['escrow', '', 'XTS', '-12345', `'=1+1 memo, "quoted"`, kind],
    ]); // in line order: post_entry writes lines by account id, and clearing was created first
    expect((await download(customer, `currency=XTS&kind=${kind}`, 'ledger_lines')).status).toBe(403);
  });

  it('quotes filter values in SQL itself, so even a hostile value reaching it cannot change the query', async () => {
    await rollback(async (tx) => {
      const [{ query }] = (await asUser(tx, admin, (q) =>
        q`select private.export_query('users', ${JSON.stringify({ market: "gh' or '1'='1" })}::text::jsonb) as query`,
      )) as unknown as [{ query: string }];
      expect(query).toContain(`p.market_code = 'gh'' or ''1''=''1'`);
      const rows = await asUser(tx, admin, (q) => q.unsafe(query));
      expect(rows).toEqual([]);
    });
  });
});
