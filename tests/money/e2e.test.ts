// The money flows end to end with the fake gateway, through the four edge functions as
// they really run (Deno processes behind the local functions gateway):
//   book → pay → the gateway's signed callback → the provider completes → earnings
//   released → payout; and a cancelled booking refunded per the cancellation policy.
// Uzbekistan (UZS), whose market offers the fake gateway, keeps these committed rows
// away from the GHS accounts other files read exactly.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { apiKeys, LOCAL_JWT_SECRET, signJwt } from '../../scripts/db/auth.ts';
import { serveFunctions, type FunctionsServer } from '../../scripts/dev/functions.ts';
import { FakeGateway } from '../../src/gateways/fake.ts';
import { db } from '../harness/db.ts';
import { createCustomer, createListing, createProvider, requestBooking, soon, transition, utcDay } from '../harness/services.ts';
import { balance, paymentRow } from './helpers.ts';

const SECRET = 'whsec_ZTJlLXRlc3Qtc2lnbmluZy1zZWNyZXQtZm9yLWZha2U=';
const gatewaySide = new FakeGateway({ seed: 'e2e', successRate: 1, signingSecret: SECRET });
let server: FunctionsServer;
let keys: { anon: string; serviceRole: string };
let previousRail: string;

beforeAll(async () => {
  server = await serveFunctions({
    port: 0,
    jwtSecret: LOCAL_JWT_SECRET,
    only: ['payments', 'payment-webhooks', 'payments-reconcile', 'payouts'],
    env: {
      SUPABASE_DB_URL: inject('postgresUrl'),
      SOKO_JWT_SECRET: LOCAL_JWT_SECRET,
      SUPABASE_URL: 'http://127.0.0.1:1',
      FAKE_GATEWAY_SEED: 'e2e',
      FAKE_GATEWAY_SUCCESS_RATE: '1',
      FAKE_GATEWAY_SIGNING_SECRET: SECRET,
      FAKE_GATEWAY_FLOW: 'redirect',
    },
  });
  keys = await apiKeys();
  const [settings] = await db()`select (private.payment_settings_for('uz')).payout_rail as rail`;
  previousRail = settings!.rail as string;
  await db()`update public.payment_settings set payout_rail = 'fake' where market_code = 'uz'`;
}, 240_000);

afterAll(async () => {
  if (previousRail) await db()`update public.payment_settings set payout_rail = ${previousRail} where market_code = 'uz'`;
  await server?.stop();
});

async function call(path: string, token: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** What the gateway does after the customer pays: it sends its signed callback. */
async function gatewayConfirms(paymentId: string, amountMinor: number): Promise<number> {
  await gatewaySide.initiate({ paymentId, amountMinor, currency: 'UZS', description: 'Booking', customer: { phone: '+998901234567' } });
  const callback = await gatewaySide.buildCallback(paymentId, `${server.url}/payment-webhooks/fake`);
  // Until config.toml sets verify_jwt = false for payment-webhooks, the local gateway
  // wants a JWT: the anon key, which carries no user.
  const headers = new Headers(callback.headers);
  headers.set('authorization', `Bearer ${keys.anon}`);
  const response = await fetch(callback.url, { method: 'POST', headers, body: await callback.text() });
  return response.status;
}

describe('money end to end (edge functions under Deno, fake gateway)', () => {
  it('book → pay → provider completes → earnings released → payout', async () => {
    const customer = await createCustomer(db(), 'uz');
    const provider = await createProvider(db(), { market: 'uz' });
    const listing = await createListing(db(), provider, { priceMinor: 1_500_000 });
    const booking = await requestBooking(db(), customer, listing, soon(70));
    await transition(db(), provider, booking.id, 'accepted');

    const paid = await call('payments', await signJwt(customer.claims), {
      booking_id: booking.id, method: 'gateway', gateway: 'fake', idempotency_key: randomUUID(),
    });
    expect(paid.status).toBe(200);
    expect(paid.body.next).toMatchObject({ kind: 'redirect' });
    const paymentId = paid.body.payment.id as string;
    expect(await gatewayConfirms(paymentId, 1_500_000)).toBe(204);
    expect(await paymentRow(db(), paymentId)).toMatchObject({ status: 'succeeded', captured_minor: 1_500_000n });
    expect(await balance(db(), 'escrow', { subject: booking.id }, 'UZS')).toBe(1_500_000);

    await transition(db(), provider, booking.id, 'in_progress');
    await transition(db(), provider, booking.id, 'completed');
    expect(await balance(db(), 'provider_earnings', { owner: provider.id }, 'UZS')).toBe(1_350_000);

    const payout = await call('payouts', await signJwt(provider.claims), { amount_minor: 1_350_000, idempotency_key: randomUUID() });
    expect(payout.status).toBe(200);
    expect(payout.body).toMatchObject({ status: 'succeeded', amount_minor: 1_350_000, currency: 'UZS' });
    expect(await balance(db(), 'provider_earnings', { owner: provider.id }, 'UZS')).toBe(0);
    expect(await balance(db(), 'payout_clearing', { owner: provider.id }, 'UZS')).toBe(0);
  });

  it('a cancelled booking is refunded per the policy, and the refund goes out through the reconciler', async () => {
    const customer = await createCustomer(db(), 'uz');
    const provider = await createProvider(db(), { market: 'uz' });
    const listing = await createListing(db(), provider, { priceMinor: 800_000 });
    // More than 48 hours ahead: the full-refund tier.
    const booking = await requestBooking(db(), customer, listing, utcDay(5, 9));
    const paid = await call('payments', await signJwt(customer.claims), {
      booking_id: booking.id, method: 'gateway', gateway: 'fake', idempotency_key: randomUUID(),
    });
    const paymentId = paid.body.payment.id as string;
    expect(await gatewayConfirms(paymentId, 800_000)).toBe(204);

    await transition(db(), customer, booking.id, 'cancelled_by_customer');
    const [booked] = await db()`select id, status, amount_minor from public.refunds where payment_id = ${paymentId}`;
    expect(booked).toMatchObject({ status: 'pending', amount_minor: 800_000n });

    // A large batch: other files leave pending gateway refunds of their own in this database.
    const round = await call('payments-reconcile', keys.serviceRole, { older_than_seconds: 3600, batch_size: 1000 });
    expect(round.status).toBe(200);
    expect(round.body.refunds.succeeded).toBeGreaterThanOrEqual(1);
    const [refund] = await db()`select status, gateway_refund_id from public.refunds where id = ${booked!.id}`;
    expect(refund!.status).toBe('succeeded');
    expect(refund!.gateway_refund_id).toMatch(/^fake_refund_/);
    expect(await paymentRow(db(), paymentId)).toMatchObject({ status: 'refunded', refunded_minor: 800_000n });

    // A customer cannot run the reconciler.
    expect((await call('payments-reconcile', await signJwt(customer.claims), {})).status).toBe(403);
  });
});
