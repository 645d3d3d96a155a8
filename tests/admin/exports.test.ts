import { randomBytes } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { sharedSecretVerifier } from '../../src/auth/jwt.ts';
import { createHandler } from '../../supabase/functions/admin-export/handler.ts';
import { asUser, createUser, db, deleteUsers, issueClaims, rollback, type TestUser } from '../harness/db.ts';
import {
  CITY,
  completedBooking,
  createListing,
  createProvider,
  requestBooking,
  startedBooking,
  utcDay,
  type Provider,
  type ServicesMarket,
} from '../harness/services.ts';
import { settle, startPayment } from '../money/helpers.ts';

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

describe('admin-export: marketplace datasets', () => {
  // A services market of its own, in the ISO test currency so its ledger entries touch
  // no real currency's accounts. Money fixtures stop short of releasing escrow, so no
  // user owns a ledger account and everything but the journal can be removed afterwards.
  const shop = `xm-${randomBytes(4).toString('hex')}`;
  const people: TestUser[] = [];
  let kwame: Provider;
  let efo: Provider;
  let ama: TestUser;
  let kofi: TestUser;
  const ids = { completed: '', disputed: '', requested: '', payment: '', dispute: '' };

  const makeProvider = async (businessName: string, verified: boolean) => {
    const made = await createProvider(db(), {
      market: shop as ServicesMarket, lat: CITY.gh.lat, lng: CITY.gh.lng, timeZone: 'Africa/Accra', businessName, verified,
    });
    people.push(made);
    return made;
  };
  const makeCustomer = async (name: string) => {
    const made = await createUser(db(), { metadata: { market: shop, display_name: name } });
    people.push(made);
    return made;
  };

  beforeAll(async () => {
    await db()`
      insert into public.markets (code, name, country_code, currency_code, phone_country_code, default_locale, locales,
                                  time_zone, modules, payment_gateways)
      values (${shop}, 'Marketplace export', 'GH', 'XTS', '999', 'en', '{en}', 'Africa/Accra', '{services}', '{fake}')`;
    await db()`insert into public.service_settings (market_code) values (${shop})`;
    kwame = await makeProvider('=cmd|calc', true);
    efo = await makeProvider('Efo Electricals', false);
    ama = await makeCustomer('Ama, "quoted"');
    kofi = await makeCustomer('Kofi');
    const listing = await createListing(db(), kwame, { priceMinor: 10_000, title: { en: '+Deep clean' } });

    const done = await completedBooking(db(), kofi, kwame, listing);
    ids.completed = done.id;
    await asUser(db(), kofi, (q) => q`select public.submit_review(${done.id}, 4, '@everyone great job')`);
    await asUser(db(), kwame, (q) => q`select public.submit_review(${done.id}, 5)`);

    const running = await startedBooking(db(), ama, kwame, listing);
    ids.disputed = running.id;
    const payment = await startPayment(db(), ama, running.id);
    ids.payment = payment.id;
    await settle(db(), payment, { status: 'succeeded', amount: payment.amount_minor, currency: 'XTS', transactionId: '-tx-1' });
    await db()`
      insert into public.webhook_inbox (gateway, event_id, signature_valid, payload, headers, payment_id)
      values ('fake', ${`evt-${shop}`}, true, '{"secret": "whsec_SHOULD_NOT_LEAK"}', '{"x-signature": "sig_SHOULD_NOT_LEAK"}', ${payment.id})`;
    const [dispute] = await asUser(db(), ama, (q) => q`select * from public.open_dispute(${running.id}, '=SUM(A1)', ${[]})`);
    ids.dispute = dispute!.id as string;

    const later = await requestBooking(db(), ama, listing, utcDay(5, 10), { address: '12 Secret Lane', notes: 'Gate code 4321' });
    ids.requested = later.id;

    // Payouts as the payout worker leaves them (the ledger side is the money tests' subject).
    await db()`
      insert into public.payouts (provider_id, market_code, amount_minor, currency, rail, phone, status, failure_reason,
                                  idempotency_key, completed_at)
      values (${kwame.id}, ${shop}, 5000, 'XTS', 'fake', '233200000077', 'failed', '-1 balance', ${`xp-${shop}-1`}, now()),
             (${kwame.id}, ${shop}, 2500, 'XTS', 'fake', '233200000077', 'pending', null, ${`xp-${shop}-2`}, null)`;
  });

  afterAll(async () => {
    await db()`delete from public.payouts where market_code = ${shop}`;
    await db()`delete from public.webhook_inbox where event_id = ${`evt-${shop}`}`;
    await db()`delete from public.refunds where payment_id in (select id from public.payments where market_code = ${shop})`;
    await db()`delete from public.payments where market_code = ${shop}`;
    await deleteUsers(...people);
    await db()`delete from public.markets where code = ${shop}`;
  });

  async function csv(dataset: string, query = ''): Promise<{ text: string; table: Record<string, string>[] }> {
    const response = await download(admin, `market=${shop}${query ? `&${query}` : ''}`, dataset);
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const text = new TextDecoder().decode(bytes.slice(3));
    return { text, table: parse(text, { columns: true, relax_column_count: false }) };
  }

  it('providers: business profile, badge, phone, listings and completed jobs', async () => {
    const { table } = await csv('providers');
    expect(table.map((r) => r.id).sort()).toEqual([kwame.id, efo.id].sort());
    expect(table.find((r) => r.id === kwame.id)).toEqual({
      id: kwame.id, market: shop, business_name: `'=cmd|calc`, display_name: '', phone: kwame.phone,
      verification_status: 'verified', verified_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), active: 'true',
      years_experience: '0', service_radius_m: '20000', active_listings: '1', completed_bookings: '1',
      rating_count: '1', rating_average: '4.00', created_at: expect.stringMatching(/Z$/),
    });
    expect((await csv('providers', 'status=unverified')).table.map((r) => r.business_name)).toEqual(['Efo Electricals']);
    expect((await csv('providers', 'active=false')).table).toEqual([]);
  });

  it('bookings: parties, listing, times and price, never the address or notes', async () => {
    const { text, table } = await csv('bookings');
    expect(Object.keys(table[0]!)).toEqual([
      'id', 'market', 'status', 'payment_status', 'requested_at', 'starts_at', 'ends_at', 'time_zone', 'customer_id',
      'customer_name', 'provider_id', 'provider_name', 'listing_id', 'listing_title', 'category', 'price_minor', 'currency',
      'pricing_unit', 'accepted_at', 'completed_at', 'cancelled_at',
    ]);
    expect(text).not.toContain('Secret Lane');
    expect(text).not.toContain('Gate code');
    expect(table.map((r) => [r.id, r.status, r.payment_status]).sort()).toEqual([
      [ids.completed, 'completed', 'unpaid'],
      [ids.disputed, 'disputed', 'paid'],
      [ids.requested, 'requested', 'unpaid'],
    ].sort());
    expect(table.find((r) => r.id === ids.disputed)).toMatchObject({
      customer_id: ama.id, customer_name: 'Ama, "quoted"', provider_name: `'=cmd|calc`, listing_title: `'+Deep clean`,
      price_minor: '10000', currency: 'XTS', pricing_unit: 'fixed', completed_at: '',
    });
    expect((await csv('bookings', 'status=disputed')).table.map((r) => r.id)).toEqual([ids.disputed]);
    expect((await csv('bookings', 'payment_status=paid')).table.map((r) => r.id)).toEqual([ids.disputed]);
  });

  it('payments: amounts, commission and the gateway references, never the callbacks', async () => {
    const { text, table } = await csv('payments');
    expect(text).not.toContain('SHOULD_NOT_LEAK');
    expect(table).toEqual([{
      id: ids.payment, market: shop, purpose: 'booking', booking_id: ids.disputed, payer_id: ama.id, payee_id: kwame.id,
      method: 'gateway', gateway: 'fake', reference: ids.payment, gateway_transaction_id: `'-tx-1`,
      status: 'succeeded', amount_minor: '10000', captured_minor: '10000', refunded_minor: '0', currency: 'XTS',
      commission_rate_bps: '1000', commission_minor: '1000', late: 'false', failure_reason: '',
      created_at: expect.stringMatching(/Z$/), settled_at: expect.stringMatching(/Z$/), released_at: '',
    }]);
    expect((await csv('payments', 'method=gateway&gateway=fake&status=succeeded')).table).toHaveLength(1);
    expect((await csv('payments', 'status=failed')).table).toEqual([]);
    expect((await csv('payments', 'method=cash')).table).toEqual([]);
  });

  it('payouts: amount, rail, number and outcome, filtered by status', async () => {
    const { table } = await csv('payouts');
    expect(table.map((r) => [r.status, r.amount_minor, r.failure_reason, r.provider_name]).sort()).toEqual([
      ['failed', '5000', `'-1 balance`, `'=cmd|calc`],
      ['pending', '2500', '', `'=cmd|calc`],
    ]);
    expect((await csv('payouts', 'status=pending')).table.map((r) => r.amount_minor)).toEqual(['2500']);
  });

  it('reviews: ratings, defused comments and visibility', async () => {
    const { table } = await csv('reviews');
    expect(table.map((r) => [r.author_role, r.rating, r.comment, r.status]).sort()).toEqual([
      ['customer', '4', `'@everyone great job`, 'published'],
      ['provider', '5', '', 'published'],
    ]);
    expect((await csv('reviews', 'author_role=customer')).table.map((r) => r.author_id)).toEqual([kofi.id]);
    expect((await csv('reviews', 'status=hidden')).table).toEqual([]);
  });

  it('disputes: who, why, price, outcome and how much evidence', async () => {
    const { table } = await csv('disputes');
    expect(table).toEqual([expect.objectContaining({
      id: ids.dispute, booking_id: ids.disputed, market: shop, opened_by: ama.id, opener_role: 'customer',
      booking_status_before: 'in_progress', reason: `'=SUM(A1)`, status: 'open', outcome: '', price_minor: '10000',
      refund_minor: '', currency: 'XTS', evidence_count: '0', comment_count: '0',
    })]);
    expect((await csv('disputes', 'status=resolved')).table).toEqual([]);
  });

  it.each(['providers', 'bookings', 'payments', 'payouts', 'reviews', 'disputes'])(
    '%s honours from/to and streams nothing to customers, providers or anonymous clients',
    async (dataset) => {
      expect((await csv(dataset)).table.length).toBeGreaterThan(0);
      expect((await csv(dataset, 'from=2020-01-01&to=2020-12-31')).table).toEqual([]);
      for (const who of [customer, provider, kofi, kwame]) {
        const response = await download(who, `market=${shop}`, dataset);
        expect(response.status).toBe(403);
        expect((await response.json()).error.code).toBe('forbidden');
      }
      expect((await download(null, `market=${shop}`, dataset)).status).toBe(401);
    },
  );

  it.each([
    ['providers', 'active=maybe'],
    ['bookings', 'status=lost'],
    ['payments', 'method=card'],
    ['payouts', 'status=done'],
    ['reviews', 'status=deleted'],
    ['disputes', 'outcome=win'],
  ])('%s answers the unknown filter value %s with 400 invalid_input', async (dataset, query) => {
    const response = await download(admin, query, dataset);
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('invalid_input');
  });
});
