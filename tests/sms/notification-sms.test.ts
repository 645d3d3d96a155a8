// The notification SMS queue end to end: a critical notification push could not deliver
// is queued for SMS, leased with its text in the user's language, started at most once,
// reported (sent, retried with backoff, failed), and the `notification-sms` function
// drives it through the real provider adapters against msw stand-ins answering with
// each provider's documented shapes.
//
// Every test that claims SMS deliveries lives in this file: a claim takes whatever is
// due in the whole database, so these must not run beside each other.
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiKeys, LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { serveFunctions } from '../../scripts/dev/functions.ts';
import { sharedSecretVerifier } from '../../src/auth/jwt.ts';
import { smsReference } from '../../src/sms/deliver.ts';
import { loadActiveMarkets } from '../../src/sms/markets.ts';
import { providersFromEnv } from '../../src/sms/providers.ts';
import { createHandler } from '../../supabase/functions/notification-sms/handler.ts';
import { asService, asUser, createUser, db, deleteUsers, MARKET_PHONE_PREFIX, randomPhone, rollback, type TestUser, type Tx } from '../harness/db.ts';
import { deliveries, notify, registerDevice } from '../notifications/helpers.ts';

interface ClaimedSms {
  delivery_id: string;
  claim_id: string;
  attempt: number;
  notification_id: string;
  user_id: string;
  market_code: string;
  phone: string | null;
  locale: string | null;
  text: string | null;
}

type Q = Tx | postgres.Sql;

function claim(q: Q, batch = 50, lease = 300): Promise<ClaimedSms[]> {
  return asService(q, (s) => s<ClaimedSms[]>`
    select delivery_id::text as delivery_id, claim_id, attempt, notification_id, user_id, market_code, phone, locale, text
    from private.claim_sms_deliveries(${batch}, ${lease})`);
}

async function start(q: Q, row: { delivery_id: string; claim_id: string }): Promise<boolean> {
  const [result] = await asService(q, (s) => s<{ started: boolean }[]>`
    select private.start_sms_delivery(${row.delivery_id}::bigint, ${row.claim_id}::uuid) as started`);
  return result!.started;
}

function complete(q: Q, results: unknown[]): Promise<{ delivery_id: string; status: string }[]> {
  return asService(q, (s) => s<{ delivery_id: string; status: string }[]>`
    select delivery_id::text as delivery_id, status from private.complete_deliveries(${JSON.stringify(results)}::text::jsonb)`);
}

interface SmsRow {
  status: string;
  attempts: number;
  claim_id: string | null;
  sending_at: Date | null;
  provider_message_id: string | null;
  last_error: string | null;
  wait: number;
}

/** The SMS deliveries of a user's notifications, with seconds until the next attempt. */
function smsOf(q: Q, user: TestUser): Promise<SmsRow[]> {
  return q<SmsRow[]>`
    select d.status::text, d.attempts, d.claim_id, d.sending_at, d.provider_message_id, d.last_error,
           extract(epoch from d.next_attempt_at - now())::float8 as wait
    from private.notification_deliveries as d
    join public.notifications as n on n.id = d.notification_id
    where n.user_id = ${user.id} and d.channel = 'sms'
    order by d.id`;
}

/** A user in a market with a phone there (market's calling code), optionally a language. */
function person(q: Q, market: keyof typeof MARKET_PHONE_PREFIX, locale?: string): Promise<TestUser> {
  return createUser(q, { phone: randomPhone(MARKET_PHONE_PREFIX[market]), metadata: { market, ...(locale ? { locale } : {}) } });
}

/** A critical notification queued for SMS (the fallback's own queueing, past its eligibility checks). */
async function queuedSms(q: Q, user: TestUser, template: string, params: Record<string, unknown> = {}): Promise<string> {
  const run = async (tx: Q) => {
    const id = (await notify(tx, user, template, { params, critical: true }))!;
    await tx`select private.queue_delivery(${id}, 'sms')`;
    return id;
  };
  return 'savepoint' in q ? run(q) : (q as postgres.Sql).begin((tx) => run(tx)) as Promise<string>;
}

describe('queueing and leasing SMS', () => {
  it("a critical notification push could not deliver is leased with the number and the text in the user's language", async () => {
    await rollback(async (tx) => {
      await tx`update public.markets set sms_fallback_for_critical = true where code = 'uz'`;
      await tx`
        insert into private.notification_templates (template_key, locale, title, body, sms_body) values
          ('test.payment_failed', 'en', 'Payment failed', '{amount} did not go through.', '{app_name}: your payment of {amount} failed.'),
          ('test.payment_failed', 'ru', 'Платёж не прошёл', '{amount} не списано.', '{app_name}: платёж {amount} не прошёл.')`;
      const dilnoza = await person(tx, 'uz', 'ru');
      const bobur = await person(tx, 'uz', 'uz-Latn');
      for (const user of [dilnoza, bobur]) {
        await registerDevice(tx, user);
        await notify(tx, user, 'test.payment_failed', { params: { amount: '120 000 UZS' }, critical: true });
      }
      // Push fails on every device (as the push worker reports it; claiming push belongs
      // to tests/push/queue.test.ts): the critical notifications fall back to SMS.
      await tx`
        update private.notification_deliveries as d set status = 'failed', last_error = 'UNREGISTERED'
        from public.notifications as n
        where n.id = d.notification_id and n.user_id in (${dilnoza.id}, ${bobur.id}) and d.channel = 'push'`;
      expect((await deliveries(tx, dilnoza)).map((d) => [d.channel, d.status])).toEqual([['push', 'failed'], ['sms', 'pending']]);

      const rows = await claim(tx);
      const byUser = Object.fromEntries(rows.map((r) => [r.user_id, r]));
      expect(rows).toHaveLength(2);
      expect(byUser[dilnoza.id]).toMatchObject({ attempt: 1, market_code: 'uz', phone: dilnoza.phone, locale: 'ru', text: 'Xizmat: платёж 120 000 UZS не прошёл.' });
      // No uz-Latn text, and none in the market's default either: English.
      expect(byUser[bobur.id]).toMatchObject({ locale: 'uz-Latn', text: 'Xizmat: your payment of 120 000 UZS failed.' });
      expect(await claim(tx)).toEqual([]);
    });
  });

  it('a provider call is started once, and only under the current lease', async () => {
    await rollback(async (tx) => {
      const ama = await person(tx, 'gh');
      await queuedSms(tx, ama, 'payment.failed', { amount: 'GHS 50.00' });
      const [row] = await claim(tx);
      expect(await start(tx, { ...row!, claim_id: '00000000-0000-4000-8000-000000000000' })).toBe(false);
      expect(await start(tx, row!)).toBe(true);
      expect(await start(tx, row!)).toBe(false);
      expect(await smsOf(tx, ama)).toMatchObject([{ status: 'pending', attempts: 1, claim_id: row!.claim_id, sending_at: expect.any(Date) }]);
    });
  });

  it('a lease about to run out cannot start a provider call', async () => {
    await rollback(async (tx) => {
      const ama = await person(tx, 'gh');
      await queuedSms(tx, ama, 'payment.failed', { amount: 'GHS 50.00' });
      const [row] = await claim(tx, 10, 300);
      // Claimed almost five minutes ago: two seconds of the lease are left.
      await tx`
        update private.notification_deliveries
        set claimed_at = now() - interval '298 seconds', next_attempt_at = now() + interval '2 seconds'
        where id = ${row!.delivery_id}`;
      expect(await start(tx, row!)).toBe(false);
      await tx`update private.notification_deliveries set next_attempt_at = now() + interval '2 minutes' where id = ${row!.delivery_id}`;
      expect(await start(tx, row!)).toBe(true);
    });
  });

  it('a delivery leased but never started is leased again when its lease runs out', async () => {
    await rollback(async (tx) => {
      const ama = await person(tx, 'gh');
      await queuedSms(tx, ama, 'payment.failed', { amount: 'GHS 50.00' });
      const [first] = await claim(tx);
      await tx`update private.notification_deliveries set next_attempt_at = now() - interval '1 second' where id = ${first!.delivery_id}`;
      const [second] = await claim(tx);
      expect(second).toMatchObject({ delivery_id: first!.delivery_id, attempt: 2 });
      // The first worker, late, may no longer send it.
      expect(await start(tx, first!)).toBe(false);
      expect(await start(tx, second!)).toBe(true);
    });
  });

  it('a started call whose worker never reported back is not sent again: the delivery fails', async () => {
    await rollback(async (tx) => {
      const ama = await person(tx, 'gh');
      await queuedSms(tx, ama, 'payment.failed', { amount: 'GHS 50.00' });
      const [row] = await claim(tx);
      expect(await start(tx, row!)).toBe(true);
      await tx`update private.notification_deliveries set next_attempt_at = now() - interval '1 second' where id = ${row!.delivery_id}`;
      expect(await claim(tx)).toEqual([]);
      expect(await smsOf(tx, ama)).toMatchObject([
        { status: 'failed', claim_id: null, sending_at: null, last_error: expect.stringContaining('not sent again') },
      ]);
      expect(await complete(tx, [{ delivery_id: row!.delivery_id, claim_id: row!.claim_id, outcome: 'sent' }])).toMatchObject([
        { status: 'claim_lost' },
      ]);
    });
  });

  it('records a sent SMS with the provider’s message id, and a retry with its backoff', async () => {
    await rollback(async (tx) => {
      const ama = await person(tx, 'gh');
      const kofi = await person(tx, 'gh');
      await queuedSms(tx, ama, 'payment.failed', { amount: 'GHS 50.00' });
      await queuedSms(tx, kofi, 'payout.failed', { amount: 'GHS 80.00' });
      const rows = await claim(tx);
      const of = (user: TestUser) => rows.find((r) => r.user_id === user.id)!;
      for (const row of rows) expect(await start(tx, row)).toBe(true);
      expect(await complete(tx, [
        { delivery_id: of(ama).delivery_id, claim_id: of(ama).claim_id, outcome: 'sent', provider_message_id: '9c5f3edc-529e-4182' },
        { delivery_id: of(kofi).delivery_id, claim_id: of(kofi).claim_id, outcome: 'retry', error: 'rate_limited', retry_after_seconds: 600 },
      ])).toEqual([
        { delivery_id: of(ama).delivery_id, status: 'sent' },
        { delivery_id: of(kofi).delivery_id, status: 'pending' },
      ]);
      expect(await smsOf(tx, ama)).toMatchObject([{ status: 'sent', provider_message_id: '9c5f3edc-529e-4182', sending_at: null, claim_id: null }]);
      const [retry] = await smsOf(tx, kofi);
      expect(retry).toMatchObject({ status: 'pending', sending_at: null, claim_id: null, last_error: 'rate_limited' });
      expect(retry!.wait).toBeGreaterThan(590);
    });
  });

  it.each([
    ['a provider message id that is not a string', { provider_message_id: 42 }],
    ['an empty provider message id', { provider_message_id: '' }],
  ])('refuses a report with %s', async (_, extra) => {
    await rollback(async (tx) => {
      await expect(complete(tx, [{ delivery_id: 1, claim_id: '00000000-0000-4000-8000-000000000000', outcome: 'sent', ...extra }])).rejects.toMatchObject({
        code: '22023',
        hint: 'delivery_result_invalid',
      });
    });
  });

  it('is for the service role only', async () => {
    await rollback(async (tx) => {
      const ama = await person(tx, 'gh');
      await expect(asUser(tx, ama, (q) => q`select * from private.claim_sms_deliveries(10, 60)`)).rejects.toMatchObject({ code: '42501' });
      await expect(asUser(tx, ama, (q) => q`select private.start_sms_delivery(1, '00000000-0000-4000-8000-000000000000')`)).rejects.toMatchObject({
        code: '42501',
      });
    });
  });
});

describe('concurrent workers (real connections)', () => {
  const users: TestUser[] = [];
  afterAll(async () => deleteUsers(...users.splice(0)));

  it('never hold the same delivery, and start each provider call once', async () => {
    for (let i = 0; i < 4; i += 1) {
      const user = await person(db(), 'gh');
      users.push(user);
      await queuedSms(db(), user, 'payment.failed', { amount: 'GHS 10.00' });
    }
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstClaimed!: (rows: ClaimedSms[]) => void;
    const first = new Promise<ClaimedSms[]>((resolve) => (firstClaimed = resolve));
    const worker1 = db().begin(async (q) => {
      firstClaimed(await claim(q, 2));
      await held; // keep the row locks while the second worker claims
    });
    const rowsA = await first;
    const rowsB = await db().begin((q) => claim(q, 10));
    release();
    await worker1;
    expect(rowsA).toHaveLength(2);
    expect(rowsB).toHaveLength(2);
    expect(rowsA.filter((a) => rowsB.some((b) => b.delivery_id === a.delivery_id))).toEqual([]);

    // Two workers believing they hold the same delivery start its call at once: one wins.
    const row = rowsB[0]!;
    const starts = await Promise.all([start(db(), row), start(db(), row), start(db(), row)]);
    expect(starts.filter(Boolean)).toHaveLength(1);
  });
});

// --- The edge function -------------------------------------------------------

describe('the notification-sms function', () => {
  const HUBTEL = 'https://sms.hubtel.com/v1/messages/send';
  const ESKIZ_LOGIN = 'https://notify.eskiz.uz/api/auth/login';
  const ESKIZ_SEND = 'https://notify.eskiz.uz/api/message/sms/send';
  const VONAGE = 'https://rest.nexmo.com/sms/json';
  const SSL = 'https://smsplus.sslwireless.com/api/v3/send-sms';
  const TEMPLATE = 'test.sms_worker_payment_failed';
  const ENV: Record<string, string> = {
    HUBTEL_CLIENT_ID: 'qoohqvcp',
    HUBTEL_CLIENT_SECRET: 'sgrorne',
    HUBTEL_SENDER: 'HandyGH',
    ESKIZ_EMAIL: 'ops@soko.test',
    ESKIZ_PASSWORD: 'secret-pw',
    ESKIZ_SENDER: '4546',
    VONAGE_API_KEY: 'abcd1234',
    VONAGE_API_SECRET: 'vonage-secret',
    VONAGE_SENDER: 'SouqHandmade',
  };
  const sql = postgres(inject('postgresUrl'), { max: 4, onnotice: () => undefined });
  const users: TestUser[] = [];
  /** Every provider request, by provider. */
  let seen: { provider: string; body: string; headers: Headers }[] = [];
  /** The answer per recipient number (digits); success otherwise. */
  let answers = new Map<string, () => Response>();

  const respond = (provider: string, to: string, ok: () => Response) => async ({ request }: { request: Request }) => {
    seen.push({ provider, body: await request.clone().text(), headers: request.headers });
    return (answers.get(to) ?? ok)();
  };
  const server = setupServer(
    http.post(HUBTEL, async ({ request }) => {
      const { To } = (await request.clone().json()) as { To: string };
      return respond('hubtel', To, () => HttpResponse.json({ rate: 0.0309, messageId: `hubtel-${seen.length}`, status: 0, networkId: '62001', statusDescription: 'request submitted successfully' }, { status: 201 }))({ request });
    }),
    http.post(ESKIZ_LOGIN, () =>
      HttpResponse.json({ message: 'token_generated', data: { token: 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.sig' }, token_type: 'bearer' })),
    http.post(ESKIZ_SEND, async ({ request }) => {
      const to = new URLSearchParams(await request.clone().text()).get('mobile_phone')!;
      return respond('eskiz', to, () => HttpResponse.json({ id: `eskiz-${seen.length}`, message: 'Waiting for SMS provider', status: 'waiting' }))({ request });
    }),
    http.post(VONAGE, async ({ request }) => {
      const to = new URLSearchParams(await request.clone().text()).get('to')!;
      return respond('vonage', to, () => HttpResponse.json({ 'message-count': '1', messages: [{ to, 'message-id': `vonage-${seen.length}`, status: '0' }] }))({ request });
    }),
    http.post(SSL, async ({ request }) => {
      const { msisdn } = (await request.clone().json()) as { msisdn: string };
      return respond('ssl_wireless', msisdn, () => HttpResponse.json({ status: 'SUCCESS', smsinfo: [{ sms_status: 'SUCCESS', reference_id: 'r' }] }))({ request });
    }),
  );

  function handler(env: Record<string, string> = ENV, overrides: Partial<Parameters<typeof createHandler>[0]> = {}) {
    const providers = providersFromEnv((name) => env[name]);
    return createHandler({
      sql,
      verifier: sharedSecretVerifier(LOCAL_JWT_SECRET),
      loadMarkets: () => loadActiveMarkets(sql),
      provider: (name) => providers[name],
      log: () => undefined,
      ...overrides,
    });
  }

  async function run(handle: ReturnType<typeof createHandler>, token?: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    return handle(new Request('http://localhost/notification-sms', { method: 'POST', headers, body: body === undefined ? null : JSON.stringify(body) }));
  }

  async function user(market: keyof typeof MARKET_PHONE_PREFIX, locale?: string): Promise<TestUser> {
    const created = await person(db(), market, locale);
    users.push(created);
    return created;
  }

  beforeAll(async () => {
    // Local requests (the Deno gateway in the last test) go through; any other unexpected one fails.
    server.listen({
      onUnhandledRequest: (request, print) => {
        if (new URL(request.url).hostname !== '127.0.0.1') print.error();
      },
    });
    await db()`
      insert into private.notification_templates (template_key, locale, title, body, sms_body) values
        (${TEMPLATE}, 'en', 'Payment failed', '{amount} did not go through.', '{app_name}: your payment of {amount} failed.'),
        (${TEMPLATE}, 'ru', 'Платёж не прошёл', '{amount} не списано.', '{app_name}: платёж {amount} не прошёл.'),
        (${TEMPLATE}, 'ar', 'فشل الدفع', 'لم يتم دفع {amount}.', '{app_name}: فشل دفع {amount}.')`;
  });

  afterEach(async () => {
    server.resetHandlers();
    await deleteUsers(...users.splice(0));
    seen = [];
    answers = new Map();
  });

  afterAll(async () => {
    server.close();
    await db()`delete from private.notification_templates where template_key = ${TEMPLATE}`;
    await sql.end();
  });

  it("sends each SMS through its market's provider, in the user's language, keyed by the delivery, and records it", async () => {
    const dilnoza = await user('uz', 'ru');
    const ama = await user('gh');
    const mona = await user('eg', 'ar');
    for (const [who, amount] of [[dilnoza, '120 000 UZS'], [ama, 'GHS 50.00'], [mona, 'EGP 300']] as const) {
      await queuedSms(db(), who, TEMPLATE, { amount });
    }
    const { serviceRole } = await apiKeys();
    const response = await run(handler(), serviceRole);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ batches: 1, claimed: 3, sent: 3, retried: 0, failed: 0, skipped: 0, claim_lost: 0 });

    const eskiz = seen.find((s) => s.provider === 'eskiz')!;
    expect(Object.fromEntries(new URLSearchParams(eskiz.body))).toEqual({ mobile_phone: dilnoza.phone, message: 'Xizmat: платёж 120 000 UZS не прошёл.', from: '4546' });
    const hubtel = seen.find((s) => s.provider === 'hubtel')!;
    expect(JSON.parse(hubtel.body)).toEqual({ From: 'HandyGH', To: ama.phone, Content: 'HandyGH: your payment of GHS 50.00 failed.' });
    const vonage = Object.fromEntries(new URLSearchParams(seen.find((s) => s.provider === 'vonage')!.body));
    const [monaSms] = await sql<{ id: string }[]>`
      select d.id::text from private.notification_deliveries d join public.notifications n on n.id = d.notification_id
      where n.user_id = ${mona.id} and d.channel = 'sms'`;
    expect(vonage).toMatchObject({ to: mona.phone, text: 'Souq Handmade: فشل دفع EGP 300.', type: 'unicode', 'client-ref': smsReference(monaSms!.id) });

    for (const who of [dilnoza, ama, mona]) {
      expect(await smsOf(db(), who)).toMatchObject([{ status: 'sent', attempts: 1, sending_at: null, provider_message_id: expect.stringMatching(/^(eskiz|hubtel|vonage)-\d+$/) }]);
    }
    expect(await (await run(handler(), serviceRole)).json()).toMatchObject({ batches: 0, claimed: 0 });
  });

  it('fails a number the provider refuses for good, retries an outage with backoff and a rate limit after Retry-After', async () => {
    const refused = await user('eg');
    const limited = await user('gh');
    const outage = await user('bd');
    answers.set(refused.phone, () => HttpResponse.json({ 'message-count': '1', messages: [{ status: '6', 'error-text': 'Invalid Message' }] }));
    answers.set(limited.phone, () => HttpResponse.json({ message: 'Too many requests' }, { status: 429, headers: { 'retry-after': '900' } }));
    answers.set(outage.phone, () => HttpResponse.json({ status: 'FAILED', status_code: 5000, error_message: 'Internal error' }, { status: 500 }));
    for (const who of [refused, limited, outage]) await queuedSms(db(), who, 'payment.failed', { amount: '10' });
    const env = { ...ENV, SSL_WIRELESS_API_TOKEN: '1279-98d2bb25-3f7e', SSL_WIRELESS_SID: 'NAGORIKSEBA' };
    const { serviceRole } = await apiKeys();
    expect(await (await run(handler(env), serviceRole)).json()).toMatchObject({ claimed: 3, sent: 0, failed: 1, retried: 2 });

    expect(await smsOf(db(), refused)).toMatchObject([{ status: 'failed', last_error: expect.stringContaining('invalid_number') }]);
    const [rateLimited] = await smsOf(db(), limited);
    expect(rateLimited).toMatchObject({ status: 'pending', claim_id: null, sending_at: null, last_error: expect.stringContaining('rate_limited') });
    expect(rateLimited!.wait).toBeGreaterThan(890);
    const [down] = await smsOf(db(), outage);
    expect(down).toMatchObject({ status: 'pending', last_error: expect.stringContaining('unavailable') });
    expect(down!.wait).toBeGreaterThan(20);
    expect(down!.wait).toBeLessThan(40);
  });

  it('keeps a delivery queued while its provider has no credentials, and gives up when its attempts run out', async () => {
    const ama = await user('gh');
    await queuedSms(db(), ama, 'payment.failed', { amount: 'GHS 50.00' });
    await db()`
      update private.notification_deliveries d set max_attempts = 2
      from public.notifications n where n.id = d.notification_id and n.user_id = ${ama.id}`;
    const unconfigured = handler({});
    const { serviceRole } = await apiKeys();
    expect(await (await run(unconfigured, serviceRole)).json()).toMatchObject({ claimed: 1, retried: 1 });
    expect(await smsOf(db(), ama)).toMatchObject([{ status: 'pending', attempts: 1, last_error: 'sms provider hubtel is not configured' }]);
    await db()`
      update private.notification_deliveries d set next_attempt_at = now()
      from public.notifications n where n.id = d.notification_id and n.user_id = ${ama.id}`;
    expect(await (await run(unconfigured, serviceRole)).json()).toMatchObject({ claimed: 1, failed: 1 });
    expect(await smsOf(db(), ama)).toMatchObject([{ status: 'failed', attempts: 2, last_error: 'sms provider hubtel is not configured (no attempts left)' }]);
    expect(seen).toEqual([]);
  });

  it('two runs at once send every SMS exactly once', async () => {
    const people = await Promise.all(Array.from({ length: 6 }, () => user('gh')));
    for (const who of people) await queuedSms(db(), who, 'payment.failed', { amount: 'GHS 5.00' });
    const { serviceRole } = await apiKeys();
    const slow = handler(ENV, { batchSize: 2 });
    const summaries = await Promise.all([run(slow, serviceRole), run(slow, serviceRole)].map(async (r) => (await r).json()));
    expect(summaries.reduce((n, s) => n + s.sent, 0)).toBe(6);
    const recipients = seen.map((s) => (JSON.parse(s.body) as { To: string }).To).sort();
    expect(recipients).toEqual(people.map((p) => p.phone).sort());
    for (const who of people) expect(await smsOf(db(), who)).toMatchObject([{ status: 'sent', attempts: 1 }]);
  });

  it.each([
    ['no token', undefined, 401],
    ['a user token', 'user', 403],
    ['the anon key', 'anon', 403],
  ])('refuses %s', async (_, who, status) => {
    const ama = await user('gh');
    const token = who === 'user' ? await signJwt(ama.claims) : who === 'anon' ? (await apiKeys()).anon : undefined;
    expect((await run(handler(), token)).status).toBe(status);
  });

  it('refuses unknown options', async () => {
    const { serviceRole } = await apiKeys();
    const response = await run(handler(), serviceRole, { batch_size: 10_000 });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('invalid_input');
  });

  it('answers 503 and leases nothing when the markets cannot be read', async () => {
    const ama = await user('gh');
    await queuedSms(db(), ama, 'payment.failed', { amount: 'GHS 50.00' });
    const broken = handler(ENV, { loadMarkets: () => Promise.reject(new Error('connection refused')) });
    const { serviceRole } = await apiKeys();
    const response = await run(broken, serviceRole);
    expect(response.status).toBe(503);
    expect((await response.json()).error.code).toBe('markets_unavailable');
    expect(await smsOf(db(), ama)).toMatchObject([{ status: 'pending', attempts: 0, claim_id: null }]);
  });

  it('runs under Deno as deployed, through the console provider in development', async () => {
    const ama = await user('gh');
    await queuedSms(db(), ama, 'payment.failed', { amount: 'GHS 50.00' });
    const lines: string[] = [];
    const functions = await serveFunctions({
      port: 0,
      jwtSecret: LOCAL_JWT_SECRET,
      only: ['notification-sms'],
      env: {
        SUPABASE_DB_URL: inject('postgresUrl'),
        SOKO_JWT_SECRET: LOCAL_JWT_SECRET,
        SUPABASE_URL: 'http://127.0.0.1:1',
        SOKO_ENV: 'development',
        SMS_PROVIDER_OVERRIDE: 'console',
      },
      log: (line) => lines.push(line),
    });
    try {
      const { serviceRole } = await apiKeys();
      const response = await fetch(`${functions.url}/notification-sms`, { method: 'POST', headers: { authorization: `Bearer ${serviceRole}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ claimed: 1, sent: 1 });
      expect(await smsOf(db(), ama)).toMatchObject([{ status: 'sent', provider_message_id: 'console-1' }]);
      for (let i = 0; i < 50 && !lines.some((l) => l.includes('[sms:console]')); i += 1) await new Promise((r) => setTimeout(r, 100));
      expect(lines.find((l) => l.includes('[sms:console]'))).toContain(`to +${ama.phone}: Payment failed: Your payment of GHS 50.00 did not go through.`);
    } finally {
      await functions.stop();
    }
  }, 240_000);
});
