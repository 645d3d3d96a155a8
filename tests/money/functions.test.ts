// The four money edge functions' handlers, in-process (the same modules Deno serves),
// against the test database as the `postgres` role, as SUPABASE_DB_URL connects.
import { randomUUID } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { apiKeys, LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { sharedSecretVerifier } from '../../src/auth/jwt.ts';
import { FakeGateway } from '../../src/gateways/fake.ts';
import { MtnMomoGateway } from '../../src/gateways/mtn-momo.ts';
import { PaymeGateway } from '../../src/gateways/payme.ts';
import { gatewaysOf } from '../../src/payments/gateways.ts';
import { FakePayoutRail } from '../../src/payments/payouts.ts';
import { SqlPaymeStore } from '../../src/payments/stores.ts';
import { createHandler as paymentsHandler } from '../../supabase/functions/payments/handler.ts';
import { createHandler as webhooksHandler } from '../../supabase/functions/payment-webhooks/handler.ts';
import { createHandler as reconcileHandler } from '../../supabase/functions/payments-reconcile/handler.ts';
import { createHandler as payoutsHandler } from '../../supabase/functions/payouts/handler.ts';
import { createUser, db } from '../harness/db.ts';
import { notifyBookingEvents, transition } from '../harness/services.ts';
import { balance, deal, paidBooking, paymentRow, startPayment } from './helpers.ts';

const SECRET = 'whsec_ZnVuY3Rpb25zLXRlc3Qtc2lnbmluZy1zZWNyZXQ=';
const MOMO = 'https://momo.test';
const verifier = sharedSecretVerifier(LOCAL_JWT_SECRET);
const silent = () => undefined;
const mock = setupServer();
let sql: postgres.Sql;

beforeAll(() => {
  sql = postgres(inject('postgresUrl'), { max: 4, onnotice: () => undefined });
  mock.listen({ onUnhandledRequest: 'bypass' });
});
afterAll(async () => {
  mock.close();
  await sql.end({ timeout: 5 });
});

function fake(options: Partial<ConstructorParameters<typeof FakeGateway>[0]> = {}) {
  return new FakeGateway({ seed: 'functions', successRate: 1, signingSecret: SECRET, ...options });
}

function post(url: string, body: unknown, token?: string, method = 'POST'): Request {
  return new Request(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('payments (the app starts a payment)', () => {
  it('answers a redirect for a card-style gateway, as the calling customer', async () => {
    const d = await deal(db(), { priceMinor: 15_000 });
    const handler = paymentsHandler({ sql, verifier, gateways: gatewaysOf([fake()]), log: silent });
    const response = await handler(post('https://x/payments', { booking_id: d.booking.id, method: 'gateway', gateway: 'fake', idempotency_key: randomUUID() }, await signJwt(d.customer.claims)));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.payment).toMatchObject({ status: 'pending', amount_minor: 15_000, currency: 'GHS', booking_id: d.booking.id });
    expect(body.next).toMatchObject({ kind: 'redirect', reference: body.payment.id, url: expect.stringContaining(body.payment.id) });
  });

  it('answers "approve on your phone" for mobile money, and pays from the wallet with nothing left to do', async () => {
    const d = await deal(db(), { priceMinor: 3_000 });
    const handler = paymentsHandler({ sql, verifier, gateways: gatewaysOf([fake({ flow: 'approve_on_phone' })]), log: silent });
    const token = await signJwt(d.customer.claims);
    const phone = await handler(post('https://x/payments', { booking_id: d.booking.id, method: 'gateway', gateway: 'fake', idempotency_key: randomUUID(), phone: '+233241234567' }, token));
    expect((await phone.json()).next).toMatchObject({ kind: 'approve_on_phone' });
    const w = await deal(db(), { priceMinor: 3_000 });
    await db()`select private.post_entry('wallet.topped_up', 'GHS', jsonb_build_array(
      jsonb_build_object('account_id', private.ledger_account('gateway_clearing', 'GHS', gateway => 'fake'), 'amount_minor', 3000),
      jsonb_build_object('account_id', private.ledger_account('customer_wallet', 'GHS', owner_id => ${w.customer.id}::uuid), 'amount_minor', -3000)),
      ${'topup:' + randomUUID()})`;
    const wallet = await handler(post('https://x/payments', { booking_id: w.booking.id, method: 'wallet', idempotency_key: randomUUID() }, await signJwt(w.customer.claims)));
    expect(await wallet.json()).toMatchObject({ payment: { status: 'succeeded', method: 'wallet' }, next: null });
  });

  it.each([
    ['no token', undefined, { idempotency_key: 'key-000001', method: 'wallet' }, 401, 'not_authenticated'],
    ['the anon key', 'anon', { idempotency_key: 'key-000002', method: 'wallet' }, 401, 'not_authenticated'],
    ['a body without an idempotency key', 'user', { method: 'wallet' }, 400, 'invalid_input'],
    ['an amount from the client', 'user', { idempotency_key: 'key-000003', method: 'wallet', amount_minor: 1 }, 400, 'invalid_input'],
    ['a gateway payment without a gateway', 'user', { idempotency_key: 'key-000004', method: 'gateway' }, 400, 'invalid_input'],
  ])('refuses %s', async (_, who, extra, status, code) => {
    const d = await deal(db());
    const handler = paymentsHandler({ sql, verifier, gateways: gatewaysOf([fake()]), log: silent });
    const token = who === 'anon' ? (await apiKeys()).anon : who === 'user' ? await signJwt(d.customer.claims) : undefined;
    const response = await handler(post('https://x/payments', { booking_id: d.booking.id, ...extra }, token));
    expect(response.status).toBe(status);
    expect((await response.json()).error.code).toBe(code);
  });

  it('another customer cannot start a payment for the booking', async () => {
    const d = await deal(db());
    const stranger = await createUser(db());
    const handler = paymentsHandler({ sql, verifier, gateways: gatewaysOf([fake()]), log: silent });
    const response = await handler(post('https://x/payments', { booking_id: d.booking.id, method: 'gateway', gateway: 'fake', idempotency_key: randomUUID() }, await signJwt(stranger.claims)));
    expect(response.status).toBe(404);
    expect((await response.json()).error.code).toBe('booking_not_found');
  });
});

describe('payment-webhooks', () => {
  async function pending(gateway: FakeGateway) {
    const d = await deal(db(), { priceMinor: 9_900 });
    const payment = await startPayment(db(), d.customer, d.booking.id);
    await gateway.initiate({ paymentId: payment.id, amountMinor: 9_900, currency: 'GHS', description: 'x', customer: { phone: '+233241234567' } });
    return { ...d, payment };
  }

  it('settles a signed callback once; the replay is acknowledged and changes nothing', async () => {
    const gateway = fake();
    const { payment, booking } = await pending(gateway);
    const handler = webhooksHandler({ sql, gateways: gatewaysOf([gateway]), log: silent });
    const callback = await gateway.buildCallback(payment.id, 'https://x/payment-webhooks/fake');
    const replay = callback.clone();
    expect((await handler(callback)).status).toBe(204);
    expect((await handler(replay)).status).toBe(204);
    expect(await paymentRow(db(), payment.id)).toMatchObject({ status: 'succeeded' });
    expect(await balance(db(), 'escrow', { subject: booking.id })).toBe(9_900);
    const inbox = await db()`select result, signature_valid from public.webhook_inbox where payment_id = ${payment.id}`;
    expect(inbox).toEqual([{ result: 'applied', signature_valid: true }]);
  });

  it('refuses a forged callback with 401, keeps it in the inbox, and settles nothing', async () => {
    const gateway = fake();
    const { payment } = await pending(gateway);
    const handler = webhooksHandler({ sql, gateways: gatewaysOf([gateway]), log: silent });
    const genuine = await gateway.buildCallback(payment.id, 'https://x/payment-webhooks/fake');
    const headers = new Headers(genuine.headers);
    const body = (await genuine.text()).replace('9900', '1');
    const response = await handler(new Request(genuine.url, { method: 'POST', headers, body }));
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe('invalid_signature');
    expect((await paymentRow(db(), payment.id)).status).toBe('pending');
    const [stored] = await db()`select signature_valid, result from public.webhook_inbox where payload = ${body}`;
    expect(stored).toEqual({ signature_valid: false, result: 'invalid_signature' });
  });

  it('404 for an unknown gateway, 413 for an oversized body', async () => {
    const handler = webhooksHandler({ sql, gateways: gatewaysOf([fake()]), log: silent });
    expect((await handler(post('https://x/payment-webhooks/nope', {}))).status).toBe(404);
    expect((await handler(post('https://x/payment-webhooks/fake', 'x'.repeat(70_000)))).status).toBe(413);
  });

  it('MTN MoMo callbacks are unsigned: the handler believes only the status it fetches from MoMo', async () => {
    const d = await deal(db(), { priceMinor: 2_500 });
    const payment = await startPayment(db(), d.customer, d.booking.id, 'gateway', 'mtn_momo');
    let status = 'SUCCESSFUL';
    mock.use(
      http.post(`${MOMO}/collection/token/`, () => HttpResponse.json({ access_token: 'token', expires_in: 3600 })),
      http.get(`${MOMO}/collection/v1_0/requesttopay/${payment.id}`, () =>
        HttpResponse.json({ amount: '25', currency: 'GHS', financialTransactionId: 'momo-77', externalId: payment.id, status })),
    );
    const momo = new MtnMomoGateway({
      baseUrl: MOMO, targetEnvironment: 'sandbox',
      collection: { subscriptionKey: 'k', apiUser: randomUUID(), apiKey: 'key' },
      transport: { retries: 0, timeoutMs: 2_000 },
    });
    const handler = webhooksHandler({ sql, gateways: gatewaysOf([momo]), log: silent });
    // The callback claims a failure; MoMo says it succeeded: MoMo wins.
    const response = await handler(post('https://x/payment-webhooks/mtn_momo', { externalId: payment.id, status: 'FAILED', amount: '1' }, undefined, 'PUT'));
    expect(response.status).toBe(200);
    expect(await paymentRow(db(), payment.id)).toMatchObject({ status: 'succeeded', gateway_transaction_id: 'momo-77' });
    status = 'FAILED';
    await handler(post('https://x/payment-webhooks/mtn_momo', { externalId: payment.id, status: 'FAILED' }));
    expect((await paymentRow(db(), payment.id)).status).toBe('succeeded');
  });

  it('Payme calls are answered in its protocol and kept in the inbox', async () => {
    const d = await deal(db(), { market: 'uz', priceMinor: 100_000 });
    const payment = await startPayment(db(), d.customer, d.booking.id, 'gateway', 'payme');
    const handler = webhooksHandler({ sql, gateways: gatewaysOf([new PaymeGateway({ merchantId: 'm', key: 'k' }, new SqlPaymeStore(sql))]), log: silent });
    const body = { jsonrpc: '2.0', id: 1, method: 'CheckPerformTransaction', params: { amount: 100_000, account: { order_id: payment.id } } };
    const response = await handler(new Request('https://x/payment-webhooks/payme', {
      method: 'POST', headers: { authorization: `Basic ${btoa('Paycom:k')}` }, body: JSON.stringify(body),
    }));
    expect(await response.json()).toMatchObject({ result: { allow: true } });
    const forged = await handler(new Request('https://x/payment-webhooks/payme', { method: 'POST', body: JSON.stringify(body) }));
    expect(await forged.json()).toMatchObject({ error: { code: -32504 } });
    const rows = await db()`select result from public.webhook_inbox where gateway = 'payme' and payload = ${JSON.stringify(body)} order by id`;
    expect(rows.map((r) => r.result)).toEqual(['protocol:checked', 'protocol:error:-32504']);
  });
});

describe('payments-reconcile', () => {
  it('only the service role runs it', async () => {
    const user = await createUser(db());
    const handler = reconcileHandler({ sql, verifier, gateways: gatewaysOf([fake()]), log: silent });
    expect((await handler(post('https://x/payments-reconcile', {}, await signJwt(user.claims)))).status).toBe(403);
    expect((await handler(post('https://x/payments-reconcile', {}))).status).toBe(401);
  });

  it('settles a payment whose callback never came, and expires one still pending past its window', async () => {
    const d1 = await deal(db(), { priceMinor: 4_000 });
    const lost = await startPayment(db(), d1.customer, d1.booking.id);
    const d2 = await deal(db(), { priceMinor: 4_000 });
    const stuck = await startPayment(db(), d2.customer, d2.booking.id);
    await db()`update public.payments set created_at = now() - interval '5 minutes' where id in (${lost.id}, ${stuck.id})`;
    await db()`update public.payments set expires_at = now() - interval '1 minute' where id = ${stuck.id}`;
    const { serviceRole } = await apiKeys();
    // The stuck one: a gateway on which nothing ever settles.
    const never = fake({ settleAfterMs: 86_400_000 });
    const stuckOnly = gatewaysOf([never]);
    await db()`update public.payments set checked_at = now() where id = ${lost.id}`;
    const first = await reconcileHandler({ sql, verifier, gateways: stuckOnly, log: silent })(post('https://x/payments-reconcile', { older_than_seconds: 60 }, serviceRole));
    expect(first.status).toBe(200);
    expect((await paymentRow(db(), stuck.id)).status).toBe('expired');
    await db()`update public.payments set checked_at = null where id = ${lost.id}`;
    const second = await reconcileHandler({ sql, verifier, gateways: gatewaysOf([fake()]), log: silent })(post('https://x/payments-reconcile', { older_than_seconds: 60 }, serviceRole));
    const answer = await second.json();
    expect(answer.payments.applied).toBeGreaterThanOrEqual(1);
    expect(typeof answer.bookingEvents).toBe('number');
    expect((await paymentRow(db(), lost.id)).status).toBe('succeeded');
    // The run also turns the bookings' events into notifications. Other test files'
    // transactions may hold some events for a moment (they run the sender and roll
    // back); whatever the run skipped, the next sender takes: each provider is told once.
    await notifyBookingEvents(db(), [d1.booking.id, d2.booking.id]);
    for (const d of [d1, d2]) {
      const [row] = await db()`
        select count(*)::int as n from public.notifications
        where user_id = ${d.provider.id} and template_key = 'booking.requested' and params ->> 'booking_id' = ${d.booking.id}`;
      expect(row!.n).toBe(1);
    }
  });
});

describe('payments-reconcile without pg_cron', () => {
  it('expires a request nobody accepted in time, and its customer is told', async () => {
    const d = await deal(db(), { priceMinor: 3_000 });
    await db()`update public.bookings set expires_at = now() - interval '1 minute' where id = ${d.booking.id}`;
    const { serviceRole } = await apiKeys();
    const response = await reconcileHandler({ sql, verifier, gateways: gatewaysOf([fake()]), log: silent })(post('https://x/payments-reconcile', {}, serviceRole));
    expect(response.status).toBe(200);
    expect((await response.json()).requestsExpired).toBeGreaterThanOrEqual(1);
    const [booking] = await db()`select status from public.bookings where id = ${d.booking.id}`;
    expect(booking!.status).toBe('expired');
    // Told once (another file's rolled-back transaction may hold the event a moment).
    await notifyBookingEvents(db(), [d.booking.id]);
    const [told] = await db()`
      select count(*)::int as n from public.notifications
      where user_id = ${d.customer.id} and template_key = 'booking.expired' and params ->> 'booking_id' = ${d.booking.id}`;
    expect(told!.n).toBe(1);
  });
});

describe('payouts', () => {
  it('a provider withdraws and the payout is sent at once', async () => {
    // Committed fixtures use UZS, so GHS accounts other files read exactly stay untouched.
    const paid = await paidBooking(db(), { priceMinor: 10_000, status: 'in_progress', market: 'uz' });
    await transition(db(), paid.provider, paid.booking.id, 'completed');
    const rail = Object.assign(new FakePayoutRail(), { id: 'mtn_momo' as const });
    const handler = payoutsHandler({ sql, verifier, gateways: gatewaysOf([], [rail]), log: silent });
    const token = await signJwt(paid.provider.claims);
    const response = await handler(post('https://x/payouts', { amount_minor: 9_000, phone: '+998901234567', idempotency_key: randomUUID() }, token));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'succeeded', amount_minor: 9_000, currency: 'UZS', phone: '998901234567' });
    const short = await handler(post('https://x/payouts', { amount_minor: 1, idempotency_key: randomUUID() }, token));
    expect((await short.json()).error.code).toBe('payout_below_minimum');
    const customer = await handler(post('https://x/payouts', { amount_minor: 500, idempotency_key: randomUUID() }, await signJwt(paid.customer.claims)));
    expect((await customer.json()).error.code).toBe('provider_role_required');
  });
});
