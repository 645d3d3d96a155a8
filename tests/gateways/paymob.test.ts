import { createHmac } from 'node:crypto';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { GatewayTimeoutError, InvalidSignatureError, UnknownPaymentError } from '../../src/gateways/errors.ts';
import { paymobConcatenationFromObject, paymobConcatenationFromQuery, PaymobGateway, type PaymobConfig } from '../../src/gateways/paymob.ts';
import { decide } from '../../src/gateways/reconcile.ts';
import { fastTransport, payment, recorder, server, useMockServer } from './helpers.ts';

useMockServer();

const BASE = 'https://accept.paymob.com';
const HMAC_SECRET = 'TEST_HMAC_SECRET_0123456789';

// Paymob's published example (developers.paymob.com → Webhook callbacks and HMAC →
// HMAC Transaction Callback): the sample processed callback's values concatenate to
// exactly this string.
const OFFICIAL_CONCATENATION =
  '1000002024-06-13T11:33:44.592345EGPfalsefalse1920364654097558truefalsefalsefalsetruefalse217503754302852false2346MasterCardcardtrue';

function sampleTransaction(overrides: Record<string, unknown> = {}) {
  return {
    id: 192036465,
    pending: false,
    amount_cents: 100000,
    success: true,
    is_auth: false,
    is_capture: false,
    is_standalone_payment: true,
    is_voided: false,
    is_refunded: false,
    is_3d_secure: true,
    integration_id: 4097558,
    has_parent_transaction: false,
    order: { id: 217503754, merchant_order_id: '6f9619ff-8b86-4011-b42d-00c04fc964ff', amount_cents: 100000 },
    created_at: '2024-06-13T11:33:44.592345',
    currency: 'EGP',
    source_data: { pan: '2346', type: 'card', sub_type: 'MasterCard' },
    error_occured: false,
    owner: 302852,
    data: { message: 'Approved' },
    ...overrides,
  };
}

function sign(text: string, secret = HMAC_SECRET): string {
  return createHmac('sha512', secret).update(text).digest('hex');
}

function gateway(overrides: Partial<PaymobConfig> = {}) {
  return new PaymobGateway({
    secretKey: 'sk_test_secret',
    publicKey: 'egy_pk_test_public',
    hmacSecret: HMAC_SECRET,
    integrationIds: [4097558, 4097559],
    apiKey: 'legacy-api-key',
    notificationUrl: 'https://soko.example/functions/v1/paymob-callback',
    redirectionUrl: 'https://app.soko.example/paid',
    transport: fastTransport,
    ...overrides,
  });
}

async function processedCallback(obj: unknown, hmac?: string) {
  const mac = hmac ?? sign(paymobConcatenationFromObject(obj));
  return new Request(`https://soko.example/functions/v1/paymob-callback?hmac=${mac}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'TRANSACTION', obj }),
  });
}

describe('Paymob HMAC over the documented field order', () => {
  it('concatenates the official sample callback exactly as the docs show', () => {
    expect(paymobConcatenationFromObject(sampleTransaction())).toBe(OFFICIAL_CONCATENATION);
  });

  it('concatenates the GET response callback (order_id, flattened keys) the same way', () => {
    const params = new URLSearchParams({
      amount_cents: '100000',
      created_at: '2024-06-13T11:33:44.592345',
      currency: 'EGP',
      error_occured: 'false',
      has_parent_transaction: 'false',
      id: '192036465',
      integration_id: '4097558',
      is_3d_secure: 'true',
      is_auth: 'false',
      is_capture: 'false',
      is_refunded: 'false',
      is_standalone_payment: 'true',
      is_voided: 'false',
      order_id: '217503754',
      owner: '302852',
      pending: 'false',
      'source_data.pan': '2346',
      'source_data.sub_type': 'MasterCard',
      'source_data.type': 'card',
      success: 'true',
      merchant_order_id: 'ignored-by-hmac',
    });
    expect(paymobConcatenationFromQuery(params)).toBe(OFFICIAL_CONCATENATION);
  });
});

describe('Paymob processed (POST) callbacks', () => {
  it('verifies a genuine callback and reports it keyed on the signed order id', async () => {
    const result = await gateway().verifyCallback(await processedCallback(sampleTransaction()));
    expect(result.outcome).toEqual({
      kind: 'verified',
      eventId: 'paymob:192036465:succeeded',
      payment: {
        gateway: 'paymob',
        reference: '217503754',
        status: 'succeeded',
        amountMinor: 100000,
        currency: 'EGP',
        gatewayTransactionId: '192036465',
        failureReason: null,
      },
    });
    expect(result.reply.status).toBe(200);
  });

  it('gives a duplicate delivery the same event id, so settlement sees one event', async () => {
    const first = await gateway().verifyCallback(await processedCallback(sampleTransaction()));
    const second = await gateway().verifyCallback(await processedCallback(sampleTransaction()));
    expect(second.outcome).toEqual(first.outcome);
  });

  it('rejects a tampered amount, a wrong secret, and a missing hmac', async () => {
    const genuine = sampleTransaction();
    const mac = sign(paymobConcatenationFromObject(genuine));
    await expect(gateway().verifyCallback(await processedCallback({ ...genuine, amount_cents: 1 }, mac))).rejects.toBeInstanceOf(InvalidSignatureError);
    const wrongSecret = sign(paymobConcatenationFromObject(genuine), 'another-secret');
    await expect(gateway().verifyCallback(await processedCallback(genuine, wrongSecret))).rejects.toMatchObject({ details: { reason: 'mismatch' } });
    const unsigned = new Request('https://soko.example/cb', { method: 'POST', body: JSON.stringify({ type: 'TRANSACTION', obj: genuine }) });
    await expect(gateway().verifyCallback(unsigned)).rejects.toMatchObject({ details: { reason: 'missing' } });
  });

  it('ignores the unsigned merchant_order_id: pasting another order’s reference changes nothing', async () => {
    const genuine = sampleTransaction();
    const mac = sign(paymobConcatenationFromObject(genuine));
    const pasted = { ...genuine, order: { ...genuine.order, merchant_order_id: 'someone-elses-order' } };
    const result = await gateway().verifyCallback(await processedCallback(pasted, mac));
    expect(result.outcome).toMatchObject({ kind: 'verified', payment: { reference: '217503754' } });
  });

  it('lets settlement ignore an older failed attempt that arrives after the success (out of order)', async () => {
    const success = await gateway().verifyCallback(await processedCallback(sampleTransaction()));
    const olderFailure = await gateway().verifyCallback(
      await processedCallback(sampleTransaction({ id: 192036400, success: false, created_at: '2024-06-13T11:30:00.000000' })),
    );
    if (success.outcome.kind !== 'verified' || olderFailure.outcome.kind !== 'verified') throw new Error('expected verified');
    const settled = { amountMinor: 100000, currency: 'EGP', status: 'succeeded' as const, gatewayTransactionId: success.outcome.payment.gatewayTransactionId };
    expect(decide(settled, olderFailure.outcome.payment)).toEqual({ action: 'ignore', reason: 'stale' });
    expect(decide(settled, success.outcome.payment)).toEqual({ action: 'ignore', reason: 'duplicate' });
  });

  it('accepts an uppercase hex signature', async () => {
    const obj = sampleTransaction();
    const result = await gateway().verifyCallback(await processedCallback(obj, sign(paymobConcatenationFromObject(obj)).toUpperCase()));
    expect(result.outcome.kind).toBe('verified');
  });

  it.each([
    [{ success: false, data: { message: 'Do not honor' } }, 'failed', 'Do not honor'],
    [{ success: false, pending: true }, 'pending', null],
    [{ is_voided: true }, 'cancelled', null],
    [{ is_refunded: true, refunded_amount_cents: 40000 }, 'partially_refunded', null],
    [{ is_refunded: true, refunded_amount_cents: 100000 }, 'refunded', null],
  ])('maps %j to %s', async (fields, status, reason) => {
    const result = await gateway().verifyCallback(await processedCallback(sampleTransaction(fields)));
    expect(result.outcome).toMatchObject({ kind: 'verified', payment: { status, failureReason: reason } });
  });

  it('asks for a re-fetch when the callback is a refund transaction of its own', async () => {
    const refund = sampleTransaction({ id: 192099999, is_refund: true, has_parent_transaction: true, amount_cents: 40000 });
    expect((await gateway().verifyCallback(await processedCallback(refund))).outcome).toEqual({ kind: 'refetch', reference: '217503754' });
  });

  it('ignores card-token callbacks', async () => {
    const request = new Request(`https://soko.example/cb?hmac=${'a'.repeat(128)}`, {
      method: 'POST',
      body: JSON.stringify({ type: 'TOKEN', obj: { token: 'x' } }),
    });
    expect((await gateway().verifyCallback(request)).outcome).toEqual({ kind: 'ignored', reason: 'type:TOKEN' });
  });
});

describe('Paymob response (GET) callbacks', () => {
  function responseCallback(fields: Record<string, string>, hmac?: string) {
    const params = new URLSearchParams(fields);
    params.set('hmac', hmac ?? sign(paymobConcatenationFromQuery(new URLSearchParams(fields))));
    return new Request(`https://soko.example/functions/v1/paymob-callback?${params}`);
  }
  const fields = {
    amount_cents: '100000', created_at: '2024-06-13T11:33:44.592345', currency: 'EGP', error_occured: 'false',
    has_parent_transaction: 'false', id: '192036465', integration_id: '4097558', is_3d_secure: 'true', is_auth: 'false',
    is_capture: 'false', is_refunded: 'false', is_standalone_payment: 'true', is_voided: 'false', order: '217503754',
    owner: '302852', pending: 'false', 'source_data.pan': '2346', 'source_data.sub_type': 'MasterCard',
    'source_data.type': 'card', success: 'true', merchant_order_id: 'not-signed',
  };

  it('verifies the query string and reports the payment', async () => {
    const result = await gateway().verifyCallback(responseCallback(fields));
    expect(result.outcome).toMatchObject({ kind: 'verified', payment: { reference: '217503754', status: 'succeeded', amountMinor: 100000 } });
  });

  it('rejects a query string whose success flag was flipped', async () => {
    const mac = sign(paymobConcatenationFromQuery(new URLSearchParams({ ...fields, success: 'false' })));
    await expect(gateway().verifyCallback(responseCallback({ ...fields, success: 'true' }, mac))).rejects.toBeInstanceOf(InvalidSignatureError);
  });
});

describe('starting a Paymob payment (Intention API)', () => {
  it('creates the intention as documented and returns the Unified Checkout URL', async () => {
    const calls = recorder();
    server.use(
      http.post(`${BASE}/v1/intention/`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({ id: 'pi_test_abc', client_secret: 'egy_csk_test_xyz', intention_order_id: 217503754, payment_keys: [] }, { status: 201 });
      }),
    );
    const request = payment({ currency: 'EGP', amountMinor: 100000, customer: { phone: '+201012345678', email: 'mona@example.com', name: 'Mona Adel Hassan' } });
    const initiation = await gateway().initiate(request);
    expect(initiation).toEqual({
      kind: 'redirect',
      reference: '217503754',
      url: 'https://accept.paymob.com/unifiedcheckout/?publicKey=egy_pk_test_public&clientSecret=egy_csk_test_xyz',
    });
    const [call] = calls.calls;
    expect(call!.method).toBe('POST');
    expect(call!.headers.authorization).toBe('Token sk_test_secret');
    expect(call!.json).toEqual({
      amount: 100000,
      currency: 'EGP',
      payment_methods: [4097558, 4097559],
      items: [{ name: 'Tomatoes from Ama', amount: 100000, description: 'Tomatoes from Ama', quantity: 1 }],
      billing_data: { first_name: 'Mona', last_name: 'Adel Hassan', email: 'mona@example.com', phone_number: '+201012345678' },
      special_reference: request.paymentId,
      notification_url: 'https://soko.example/functions/v1/paymob-callback',
      redirection_url: 'https://app.soko.example/paid',
    });
  });

  it('never retries intention creation (no idempotency key); a timeout leaves the outcome unknown', async () => {
    let attempts = 0;
    server.use(
      http.post(`${BASE}/v1/intention/`, async () => {
        attempts += 1;
        await delay(500);
        return HttpResponse.json({});
      }),
    );
    const error = await gateway({ transport: { ...fastTransport, timeoutMs: 50 } }).initiate(payment({ currency: 'EGP' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayTimeoutError);
    expect(attempts).toBe(1);
  });

  it('reports a refused intention as rejected', async () => {
    server.use(http.post(`${BASE}/v1/intention/`, () => HttpResponse.json({ detail: 'Integration ID/Name does not exist' }, { status: 404 })));
    await expect(gateway().initiate(payment({ currency: 'EGP' }))).rejects.toMatchObject({ code: 'gateway_rejected', details: { httpStatus: 404 } });
  });
});

describe('Paymob status and refunds', () => {
  it('queries by the signed order id with one auth token shared by concurrent calls', async () => {
    const tokenCalls = recorder();
    const inquiries = recorder();
    server.use(
      http.post(`${BASE}/api/auth/tokens`, async ({ request }) => {
        await tokenCalls.record(request);
        return HttpResponse.json({ token: 'legacy-token', profile: { id: 1 } }, { status: 201 });
      }),
      http.post(`${BASE}/api/ecommerce/orders/transaction_inquiry`, async ({ request }) => {
        await inquiries.record(request);
        return HttpResponse.json(sampleTransaction());
      }),
    );
    const paymob = gateway();
    const snapshots = await Promise.all([paymob.fetchStatus('217503754'), paymob.fetchStatus('217503754'), paymob.fetchStatus('217503754')]);
    expect(snapshots[0]).toMatchObject({ reference: '217503754', status: 'succeeded', amountMinor: 100000, gatewayTransactionId: '192036465' });
    expect(tokenCalls.calls).toHaveLength(1);
    expect(tokenCalls.calls[0]!.json).toEqual({ api_key: 'legacy-api-key' });
    expect(inquiries.calls[0]!.headers.authorization).toBe('Bearer legacy-token');
    expect(inquiries.calls[0]!.json).toEqual({ order_id: 217503754 });
  });

  it('says an unknown order is unknown', async () => {
    server.use(
      http.post(`${BASE}/api/auth/tokens`, () => HttpResponse.json({ token: 't' })),
      http.post(`${BASE}/api/ecommerce/orders/transaction_inquiry`, () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })),
    );
    await expect(gateway().fetchStatus('1')).rejects.toBeInstanceOf(UnknownPaymentError);
    await expect(gateway().fetchStatus('abc')).rejects.toBeInstanceOf(UnknownPaymentError);
  });

  it('refunds by transaction id in piasters', async () => {
    const calls = recorder();
    server.use(
      http.post(`${BASE}/api/acceptance/void_refund/refund`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json(sampleTransaction({ id: 192099999, amount_cents: 40000, is_refund: true }));
      }),
    );
    const refundId = crypto.randomUUID();
    const result = await gateway().refund({ refundId, reference: '217503754', gatewayTransactionId: '192036465', amountMinor: 40000, currency: 'EGP' });
    expect(result).toEqual({ refundId, status: 'succeeded', gatewayRefundId: '192099999', amountMinor: 40000, currency: 'EGP' });
    expect(calls.calls[0]!.headers.authorization).toBe('Token sk_test_secret');
    expect(calls.calls[0]!.json).toEqual({ transaction_id: 192036465, amount_cents: 40000 });
  });
});
