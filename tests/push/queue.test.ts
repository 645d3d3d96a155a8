// The push queue end to end: claiming with `for update skip locked`, reporting outcomes
// (retry with backoff, dead tokens, lost leases, SMS fallback), and the `push` edge
// function driving it against an msw stand-in for FCM and Google OAuth.
//
// Every test that claims lives in this file: claims take whatever is due in the whole
// database, so they must not run beside each other.
import { exportPKCS8, generateKeyPair } from 'jose';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiKeys, LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { sharedSecretVerifier } from '../../src/auth/jwt.ts';
import { fcmFromEnv } from '../../src/push/fcm.ts';
import { GOOGLE_TOKEN_URL } from '../../src/push/google-auth.ts';
import { createHandler } from '../../supabase/functions/push/handler.ts';
import { asService, asUser, createUser, db, deleteUsers, rollback, type TestUser, type Tx } from '../harness/db.ts';
import { deliveries, fcmToken, notify, registerDevice } from '../notifications/helpers.ts';

interface Claimed {
  delivery_id: string;
  claim_id: string;
  attempt: number;
  notification_id: string;
  user_id: string;
  title: string | null;
  body: string | null;
  tokens: { token: string; platform: string }[];
}

function claim(q: Tx | postgres.Sql, batch = 100, lease = 300): Promise<Claimed[]> {
  return asService(q, (s) => s<Claimed[]>`
    select delivery_id::text as delivery_id, claim_id, attempt, notification_id, user_id, title, body, tokens
    from private.claim_push_deliveries(${batch}, ${lease})`);
}

function complete(q: Tx | postgres.Sql, results: unknown[]): Promise<{ delivery_id: string; status: string; next_attempt_at: Date | null }[]> {
  return asService(q, (s) => s`
    select delivery_id::text as delivery_id, status, next_attempt_at
    from private.complete_deliveries(${JSON.stringify(results)}::text::jsonb)`) as never;
}

/** A user with one device and one notification queued for push. */
async function queued(tx: Tx, template = 'test.booking_confirmed', options: Parameters<typeof notify>[3] = {}) {
  const user = await createUser(tx);
  const token = await registerDevice(tx, user);
  const notificationId = (await notify(tx, user, template, options))!;
  return { user, token, notificationId };
}

describe('claiming the push queue', () => {
  it('leases due deliveries with their text and tokens, once', async () => {
    await rollback(async (tx) => {
      const { user, token, notificationId } = await queued(tx);
      const [row, ...rest] = await claim(tx);
      expect(rest).toEqual([]);
      expect(row).toMatchObject({
        attempt: 1,
        notification_id: notificationId,
        user_id: user.id,
        title: 'HandyGH',
        body: 'You have a new notification.',
        tokens: [{ token, platform: 'android' }],
      });
      expect(await claim(tx)).toEqual([]);
    });
  });

  it("renders the template in the user's language, falling back to the market's", async () => {
    await rollback(async (tx) => {
      await tx`
        insert into private.notification_templates (template_key, locale, title, body) values
          ('test.booking_confirmed', 'en', 'Booking confirmed', '{provider} will come on {date}.'),
          ('test.booking_confirmed', 'ru', 'Заказ подтверждён', '{provider} придёт {date}.')`;
      const dilnoza = await createUser(tx, { metadata: { market: 'uz', locale: 'ru' } });
      const bobur = await createUser(tx, { metadata: { market: 'uz', locale: 'uz-Latn' } });
      for (const user of [dilnoza, bobur]) {
        await registerDevice(tx, user);
        await notify(tx, user, 'test.booking_confirmed', { params: { provider: 'Bobur {date}', date: '21.11' } });
      }
      const rows = await claim(tx);
      const byUser = Object.fromEntries(rows.map((r) => [r.user_id, r]));
      expect(byUser[dilnoza.id]).toMatchObject({ title: 'Заказ подтверждён', body: 'Bobur {date} придёт 21.11.' });
      // No uz-Latn text, and the uz market's default (uz-Latn) has none: English.
      expect(byUser[bobur.id]).toMatchObject({ title: 'Booking confirmed', body: 'Bobur {date} will come on 21.11.' });
    });
  });

  it('is for the service role only', async () => {
    await rollback(async (tx) => {
      const ama = await createUser(tx);
      await expect(asUser(tx, ama, (q) => q`select * from private.claim_push_deliveries(10, 60)`)).rejects.toMatchObject({ code: '42501' });
      await expect(asUser(tx, ama, (q) => q`select * from private.complete_deliveries('[]')`)).rejects.toMatchObject({ code: '42501' });
    });
  });

  it('refuses a silly batch with a stable code', async () => {
    await rollback(async (tx) => {
      await expect(claim(tx, 0)).rejects.toMatchObject({ code: '22023', hint: 'delivery_batch_invalid' });
      await expect(claim(tx, 10, 5)).rejects.toMatchObject({ hint: 'delivery_batch_invalid' });
    });
  });

  it('skips a notification the user already read in the app', async () => {
    await rollback(async (tx) => {
      const { user, notificationId } = await queued(tx);
      await asUser(tx, user, (q) => q`select public.mark_notification_read(${notificationId})`);
      expect(await claim(tx)).toEqual([]);
      expect(await deliveries(tx, user)).toMatchObject([{ status: 'skipped', last_error: 'read before delivery' }]);
    });
  });

  it('takes a delivery again when its lease runs out, and ignores the late report of the first claim', async () => {
    await rollback(async (tx) => {
      const { user } = await queued(tx);
      const [first] = await claim(tx, 10, 60);
      await tx`update private.notification_deliveries set next_attempt_at = now() - interval '1 second' where id = ${first!.delivery_id}`;
      const [second] = await claim(tx, 10, 60);
      expect(second).toMatchObject({ delivery_id: first!.delivery_id, attempt: 2 });
      expect(second!.claim_id).not.toBe(first!.claim_id);
      const late = await complete(tx, [{ delivery_id: first!.delivery_id, claim_id: first!.claim_id, outcome: 'sent' }]);
      expect(late).toMatchObject([{ status: 'claim_lost' }]);
      expect(await deliveries(tx, user)).toMatchObject([{ status: 'pending', claim_id: second!.claim_id }]);
    });
  });

  it('gives up on a delivery whose last attempt never reported back', async () => {
    await rollback(async (tx) => {
      const { user } = await queued(tx);
      await tx`
        update private.notification_deliveries d set attempts = max_attempts, claim_id = gen_random_uuid(), next_attempt_at = now() - interval '1 second'
        from public.notifications n where n.id = d.notification_id and n.user_id = ${user.id}`;
      expect(await claim(tx)).toEqual([]);
      expect(await deliveries(tx, user)).toMatchObject([{ status: 'failed', claim_id: null }]);
    });
  });
});

describe('reporting outcomes', () => {
  it('marks a sent delivery sent', async () => {
    await rollback(async (tx) => {
      const { user } = await queued(tx);
      const [row] = await claim(tx);
      expect(await complete(tx, [{ delivery_id: row!.delivery_id, claim_id: row!.claim_id, outcome: 'sent' }])).toMatchObject([
        { delivery_id: row!.delivery_id, status: 'sent', next_attempt_at: null },
      ]);
      expect(await deliveries(tx, user)).toMatchObject([{ status: 'sent', attempts: 1, claim_id: null }]);
    });
  });

  it('schedules a retry with exponential backoff, never sooner than Retry-After', async () => {
    await rollback(async (tx) => {
      const { user } = await queued(tx);
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 4; attempt += 1) {
        const [row] = await claim(tx);
        expect(row?.attempt).toBe(attempt);
        const [result] = await complete(tx, [{ delivery_id: row!.delivery_id, claim_id: row!.claim_id, outcome: 'retry', error: 'UNAVAILABLE: try later' }]);
        expect(result?.status).toBe('pending');
        const [{ wait }] = (await tx`select extract(epoch from next_attempt_at - now())::float8 as wait from private.notification_deliveries where id = ${row!.delivery_id}`) as unknown as [{ wait: number }];
        waits.push(wait);
        await tx`update private.notification_deliveries set next_attempt_at = now() where id = ${row!.delivery_id}`;
      }
      // 30 s, 60 s, 120 s, 240 s, each ±20 %.
      [30, 60, 120, 240].forEach((base, i) => {
        expect(waits[i]).toBeGreaterThanOrEqual(base * 0.8);
        expect(waits[i]).toBeLessThanOrEqual(base * 1.2);
      });
      expect(await deliveries(tx, user)).toMatchObject([{ status: 'pending', attempts: 4, claim_id: null, last_error: 'UNAVAILABLE: try later' }]);

      const [row] = await claim(tx);
      await complete(tx, [{ delivery_id: row!.delivery_id, claim_id: row!.claim_id, outcome: 'retry', retry_after_seconds: 900 }]);
      const [{ wait }] = (await tx`select extract(epoch from next_attempt_at - now())::float8 as wait from private.notification_deliveries where id = ${row!.delivery_id}`) as unknown as [{ wait: number }];
      expect(wait).toBe(900);
    });
  });

  it('fails a delivery once its attempts are used up', async () => {
    await rollback(async (tx) => {
      const { user } = await queued(tx);
      await tx`update private.notification_deliveries d set max_attempts = 2 from public.notifications n where n.id = d.notification_id and n.user_id = ${user.id}`;
      for (const expected of ['pending', 'failed']) {
        const [row] = await claim(tx);
        const [result] = await complete(tx, [{ delivery_id: row!.delivery_id, claim_id: row!.claim_id, outcome: 'retry', error: 'INTERNAL' }]);
        expect(result?.status).toBe(expected);
        await tx`update private.notification_deliveries set next_attempt_at = now() where id = ${row!.delivery_id}`;
      }
      expect(await deliveries(tx, user)).toMatchObject([{ status: 'failed', last_error: 'INTERNAL (no attempts left)' }]);
    });
  });

  it('removes dead tokens, whoever holds them', async () => {
    await rollback(async (tx) => {
      const { user, token } = await queued(tx);
      const second = await registerDevice(tx, user, fcmToken(), 'ios');
      const [row] = await claim(tx);
      await complete(tx, [{ delivery_id: row!.delivery_id, claim_id: row!.claim_id, outcome: 'sent', dead_tokens: [token] }]);
      const left = await tx`select token from public.device_tokens where user_id = ${user.id}`;
      expect(left).toEqual([{ token: second }]);
    });
  });

  it('merges a retry with a newer copy queued by a collapsed notification', async () => {
    await rollback(async (tx) => {
      const { user } = await queued(tx, 'test.new_message', { collapseKey: 'thread:t1' });
      const [row] = await claim(tx);
      await notify(tx, user, 'test.new_message', { collapseKey: 'thread:t1' });
      expect(await deliveries(tx, user)).toHaveLength(2);
      await complete(tx, [{ delivery_id: row!.delivery_id, claim_id: row!.claim_id, outcome: 'retry' }]);
      expect(await deliveries(tx, user)).toMatchObject([{ id: row!.delivery_id, status: 'pending', claim_id: null }]);
    });
  });

  // Leasing the SMS it queued is tests/sms/notification-sms.test.ts's: SMS claims live there.
  it('falls back to SMS when push fails for a critical notification', async () => {
    await rollback(async (tx) => {
      await tx`update public.markets set sms_fallback_for_critical = true where code = 'gh'`;
      const { user } = await queued(tx, 'test.payment_failed', { critical: true });
      const plain = await queued(tx, 'test.booking_confirmed');
      const rows = await claim(tx);
      await complete(
        tx,
        rows.map((r) => ({ delivery_id: r.delivery_id, claim_id: r.claim_id, outcome: 'skipped', error: 'all device tokens are invalid' })),
      );
      expect(await deliveries(tx, user)).toMatchObject([
        { channel: 'push', status: 'skipped' },
        { channel: 'sms', status: 'pending' },
      ]);
      expect(await deliveries(tx, plain.user)).toMatchObject([{ channel: 'push', status: 'skipped' }]);
    });
  });

  it.each([
    ['not an array', { delivery_id: 1 }],
    ['an unknown outcome', [{ delivery_id: 1, claim_id: '00000000-0000-4000-8000-000000000000', outcome: 'maybe' }]],
    ['a missing claim', [{ delivery_id: 1, outcome: 'sent' }]],
  ])('refuses a report that is %s', async (_, results) => {
    await rollback(async (tx) => {
      await expect(asService(tx, (q) => q`select * from private.complete_deliveries(${JSON.stringify(results)}::text::jsonb)`)).rejects.toMatchObject({
        code: '22023',
        hint: 'delivery_result_invalid',
      });
    });
  });
});

describe('concurrent workers (real connections)', () => {
  const users: TestUser[] = [];
  afterAll(async () => deleteUsers(...users));

  it('never lease the same delivery twice: a second worker skips what the first holds', async () => {
    for (let i = 0; i < 5; i += 1) {
      const user = await createUser(db());
      users.push(user);
      await registerDevice(db(), user);
      await notify(db(), user, 'test.booking_reminder');
    }
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstClaimed!: (rows: Claimed[]) => void;
    const first = new Promise<Claimed[]>((resolve) => (firstClaimed = resolve));
    const worker1 = db().begin(async (q) => {
      firstClaimed(await claim(q, 3));
      await held; // keep the row locks while the second worker claims
    });
    const rowsA = await first;
    const rowsB = await db().begin((q) => claim(q, 10));
    release();
    await worker1;
    const a = rowsA.map((r) => r.delivery_id);
    const b = rowsB.map((r) => r.delivery_id);
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(2);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    const mine = await db()`
      select count(*)::integer as n from private.notification_deliveries d join public.notifications n on n.id = d.notification_id
      where n.user_id = any(${users.map((u) => u.id)}::uuid[]) and d.claim_id is not null`;
    expect(mine[0]?.n).toBe(5);
  });
});

// --- The edge function -------------------------------------------------------

describe('the push function', () => {
  const PROJECT = 'soko-test';
  const SEND_URL = `https://fcm.googleapis.com/v1/projects/${PROJECT}/messages:send`;
  const sql = postgres(inject('postgresUrl'), { max: 2, onnotice: () => undefined });
  const users: TestUser[] = [];
  let tokenRequests = 0;
  let sent: { token: string; title: string; data: Record<string, string> }[] = [];
  /** FCM's answer per device token; success otherwise. */
  let answers = new Map<string, () => Response>();

  const server = setupServer(
    http.post(GOOGLE_TOKEN_URL, () => {
      tokenRequests += 1;
      return HttpResponse.json({ access_token: 'ya29.queue-test', expires_in: 3599, token_type: 'Bearer' });
    }),
    http.post(SEND_URL, async ({ request }) => {
      const { message } = (await request.json()) as { message: { token: string; notification: { title: string }; data: Record<string, string> } };
      sent.push({ token: message.token, title: message.notification.title, data: message.data });
      const answer = answers.get(message.token);
      return answer ? answer() : HttpResponse.json({ name: `projects/${PROJECT}/messages/${sent.length}` });
    }),
  );
  let handler: ReturnType<typeof createHandler>;

  beforeAll(async () => {
    server.listen({ onUnhandledRequest: 'error' });
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const serviceAccount = JSON.stringify({
      type: 'service_account',
      project_id: PROJECT,
      private_key_id: 'queue-test',
      private_key: await exportPKCS8(privateKey),
      client_email: 'push@soko-test.iam.gserviceaccount.com',
      token_uri: GOOGLE_TOKEN_URL,
    });
    const fcm = fcmFromEnv((name) => (name === 'FCM_SERVICE_ACCOUNT_JSON' ? serviceAccount : undefined), {
      client: { sleep: async () => undefined, random: () => 0.5 },
    });
    handler = createHandler({ sql, verifier: sharedSecretVerifier(LOCAL_JWT_SECRET), sender: fcm?.sender, log: () => undefined, batchSize: 2 });
  });

  afterEach(async () => {
    await deleteUsers(...users.splice(0));
    sent = [];
    answers = new Map();
    tokenRequests = 0;
  });

  afterAll(async () => {
    server.close();
    await sql.end();
  });

  async function user(): Promise<TestUser> {
    const created = await createUser(db());
    users.push(created);
    return created;
  }

  async function run(token?: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    return handler(new Request('http://localhost/push', { method: 'POST', headers, body: body === undefined ? null : JSON.stringify(body) }));
  }

  it('delivers the queue in batches, removes dead tokens and reports what it did', async () => {
    const ama = await user();
    const kwame = await user();
    const yaw = await user();
    const amaPhone = await registerDevice(db(), ama);
    const amaOldTablet = await registerDevice(db(), ama, fcmToken(), 'android');
    const kwamePhone = await registerDevice(db(), kwame, fcmToken(), 'ios');
    const yawPhone = await registerDevice(db(), yaw);
    answers.set(amaOldTablet, () =>
      HttpResponse.json(
        { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND', details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' }] } },
        { status: 404 },
      ),
    );
    answers.set(yawPhone, () =>
      HttpResponse.json({ error: { code: 400, message: 'The registration token is not a valid FCM registration token', status: 'INVALID_ARGUMENT' } }, { status: 400 }),
    );
    const forAma = await notify(db(), ama, 'test.booking_confirmed', { params: { booking_id: 'b-1' }, collapseKey: 'booking:b-1' });
    await notify(db(), kwame, 'test.booking_requested');
    await notify(db(), yaw, 'test.review_received');

    const { serviceRole } = await apiKeys();
    const response = await run(serviceRole);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ batches: 2, claimed: 3, sent: 2, retried: 0, failed: 0, skipped: 1, claim_lost: 0, tokens_removed: 2 });

    expect(tokenRequests).toBe(1);
    expect(sent.map((s) => s.token).sort()).toEqual([amaPhone, amaOldTablet, kwamePhone, yawPhone].sort());
    expect(sent.find((s) => s.token === amaPhone)).toMatchObject({
      title: 'HandyGH',
      data: { notification_id: forAma, template_key: 'test.booking_confirmed', params: '{"booking_id":"b-1"}', collapse: 'booking:b-1' },
    });
    expect(await deliveries(db(), ama)).toMatchObject([{ status: 'sent', last_error: expect.stringContaining('UNREGISTERED') }]);
    expect(await deliveries(db(), kwame)).toMatchObject([{ status: 'sent', last_error: null }]);
    expect(await deliveries(db(), yaw)).toMatchObject([{ status: 'skipped' }]);
    const tokens = await db()`select token from public.device_tokens where user_id = any(${[ama.id, kwame.id, yaw.id]}::uuid[]) order by token`;
    expect(tokens.map((t) => t.token)).toEqual([amaPhone, kwamePhone].sort());

    const again = await run(serviceRole);
    expect(await again.json()).toMatchObject({ batches: 0, claimed: 0 });
  });

  it('retries an FCM outage in place, then leaves the delivery queued with a backoff', async () => {
    const ama = await user();
    const phone = await registerDevice(db(), ama);
    answers.set(phone, () => HttpResponse.json({ error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } }, { status: 503 }));
    await notify(db(), ama, 'test.booking_confirmed');
    const { serviceRole } = await apiKeys();
    const response = await run(serviceRole);
    expect(await response.json()).toMatchObject({ claimed: 1, retried: 1, sent: 0 });
    expect(sent).toHaveLength(3);
    const [row] = await db()`
      select d.status::text, d.attempts, d.claim_id, d.last_error, d.next_attempt_at > now() + interval '20 seconds' as later
      from private.notification_deliveries d join public.notifications n on n.id = d.notification_id where n.user_id = ${ama.id}`;
    expect(row).toMatchObject({ status: 'pending', attempts: 1, claim_id: null, later: true, last_error: 'UNAVAILABLE: The service is currently unavailable.' });
  });

  it.each([
    ['no token', undefined, 401],
    ['a user token', 'user', 403],
    ['the anon key', 'anon', 403],
  ])('refuses %s', async (_, who, status) => {
    const ama = await user();
    const token = who === 'user' ? await signJwt(ama.claims) : who === 'anon' ? (await apiKeys()).anon : undefined;
    const response = await run(token);
    expect(response.status).toBe(status);
  });

  it('refuses unknown options', async () => {
    const { serviceRole } = await apiKeys();
    const response = await run(serviceRole, { batch_size: 10_000 });
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('invalid_input');
  });

  it('answers 503 when FCM is not configured', async () => {
    const unconfigured = createHandler({ sql, verifier: sharedSecretVerifier(LOCAL_JWT_SECRET), sender: undefined, log: () => undefined });
    const { serviceRole } = await apiKeys();
    const response = await unconfigured(new Request('http://localhost/push', { method: 'POST', headers: { authorization: `Bearer ${serviceRole}` } }));
    expect(response.status).toBe(503);
    expect((await response.json()).error.code).toBe('push_not_configured');
  });
});
