import { createHmac } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import { InvalidSignatureError, PaymentDeclinedError, UnknownPaymentError } from '../../src/gateways/errors.ts';
import { PaystackGateway, type PaystackConfig } from '../../src/gateways/paystack.ts';
import { decide } from '../../src/gateways/reconcile.ts';
import { fastTransport, payment, recorder, server, useMockServer } from './helpers.ts';

useMockServer();

const BASE = 'https://api.paystack.co';
const SECRET = 'sk_test_0123456789abcdef';

function gateway(overrides: Partial<PaystackConfig> = {}) {
  return new PaystackGateway({ secretKey: SECRET, callbackUrl: 'https://app.soko.example/paid', transport: fastTransport, ...overrides });
}

function transaction(reference: string, overrides: Record<string, unknown> = {}) {
  return {
    id: 4099260516,
    domain: 'test',
    status: 'success',
    reference,
    amount: 1500,
    gateway_response: 'Approved',
    paid_at: '2026-11-21T09:02:11.000Z',
    channel: 'mobile_money',
    currency: 'GHS',
    ...overrides,
  };
}

describe('a customer pays by card page (initialize)', () => {
  it('sends the documented initialize request and returns the authorization URL', async () => {
    const calls = recorder();
    server.use(
      http.post(`${BASE}/transaction/initialize`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({
          status: true,
          message: 'Authorization URL created',
          data: { authorization_url: 'https://checkout.paystack.com/0peioxfhpn', access_code: '0peioxfhpn', reference: 'r' },
        });
      }),
    );
    const request = payment();
    expect(await gateway().initiate(request)).toEqual({ kind: 'redirect', reference: request.paymentId, url: 'https://checkout.paystack.com/0peioxfhpn' });
    const [call] = calls.calls;
    expect(call!.headers).toMatchObject({ authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' });
    expect(call!.json).toEqual({ email: 'kofi@example.com', amount: 1500, currency: 'GHS', reference: request.paymentId, callback_url: 'https://app.soko.example/paid' });
  });

  it('gives phone-only customers a placeholder email when configured, and refuses otherwise', async () => {
    const calls = recorder();
    server.use(
      http.post(`${BASE}/transaction/initialize`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({ status: true, data: { authorization_url: 'https://checkout.paystack.com/x', access_code: 'x', reference: 'r' } });
      }),
    );
    const phoneOnly = payment({ customer: { phone: '+233241234567' } });
    await gateway({ placeholderEmailDomain: 'customers.soko.example' }).initiate(phoneOnly);
    expect((calls.calls[0]!.json as { email: string }).email).toBe('233241234567@customers.soko.example');
    await expect(gateway().initiate(payment({ customer: { phone: '+233241234567' } }))).rejects.toBeInstanceOf(ValidationError);
  });

  it('does not retry initialize (a repeat reference is refused as duplicate) and reports the refusal', async () => {
    let attempts = 0;
    server.use(
      http.post(`${BASE}/transaction/initialize`, () => {
        attempts += 1;
        return HttpResponse.json({ status: false, message: 'Duplicate Transaction Reference' }, { status: 400 });
      }),
    );
    await expect(gateway().initiate(payment())).rejects.toMatchObject({ code: 'gateway_rejected', details: { httpStatus: 400 } });
    expect(attempts).toBe(1);
  });
});

describe('a customer pays with mobile money in Ghana (charge)', () => {
  it('charges with the network and local number, and asks the customer to approve on the phone', async () => {
    const calls = recorder();
    server.use(
      http.post(`${BASE}/charge`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({
          status: true,
          message: 'Charge attempted',
          data: { reference: 'r', status: 'pay_offline', display_text: 'Please complete authorization process on your mobile phone' },
        });
      }),
    );
    const request = payment({ method: 'mobile_money', mobileMoneyProvider: 'mtn' });
    expect(await gateway().initiate(request)).toEqual({
      kind: 'approve_on_phone',
      reference: request.paymentId,
      message: 'Please complete authorization process on your mobile phone',
    });
    expect(calls.calls[0]!.json).toEqual({
      email: 'kofi@example.com',
      amount: 1500,
      currency: 'GHS',
      reference: request.paymentId,
      mobile_money: { phone: '0241234567', provider: 'mtn' },
    });
  });

  it('asks for the OTP when Paystack says send_otp, then submits it', async () => {
    const otpCalls = recorder();
    server.use(
      http.post(`${BASE}/charge`, () => HttpResponse.json({ status: true, data: { reference: 'r', status: 'send_otp', display_text: 'Please send the OTP' } })),
      http.post(`${BASE}/charge/submit_otp`, async ({ request }) => {
        await otpCalls.record(request);
        return HttpResponse.json({ status: true, data: { reference: 'r', status: 'pay_offline', display_text: 'Approve on your phone' } });
      }),
    );
    const request = payment({ method: 'mobile_money', mobileMoneyProvider: 'vod' });
    expect(await gateway().initiate(request)).toMatchObject({ kind: 'otp_required', reference: request.paymentId });
    expect(await gateway().submitOtp(request.paymentId, '123456')).toMatchObject({ kind: 'approve_on_phone' });
    expect(otpCalls.calls[0]!.json).toEqual({ otp: '123456', reference: request.paymentId });
    await expect(gateway().submitOtp(request.paymentId, '12ab')).rejects.toBeInstanceOf(ValidationError);
  });

  it('reports a declined charge and refuses an unknown network', async () => {
    server.use(http.post(`${BASE}/charge`, () => HttpResponse.json({ status: true, data: { reference: 'r', status: 'failed' } })));
    await expect(gateway().initiate(payment({ method: 'mobile_money', mobileMoneyProvider: 'atl' }))).rejects.toBeInstanceOf(PaymentDeclinedError);
    await expect(gateway().initiate(payment({ method: 'mobile_money', mobileMoneyProvider: 'orange' }))).rejects.toBeInstanceOf(ValidationError);
    await expect(gateway().initiate(payment({ method: 'mobile_money' }))).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('verifying a Paystack transaction', () => {
  it.each([
    [{ status: 'success' }, 'succeeded', null],
    [{ status: 'failed', gateway_response: 'Declined' }, 'failed', 'Declined'],
    [{ status: 'abandoned' }, 'pending', null],
    [{ status: 'ongoing' }, 'pending', null],
    [{ status: 'reversed' }, 'refunded', null],
  ])('%j → %s', async (fields, status, reason) => {
    const reference = crypto.randomUUID();
    const calls = recorder();
    server.use(
      http.get(`${BASE}/transaction/verify/${reference}`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({ status: true, message: 'Verification successful', data: transaction(reference, fields) });
      }),
    );
    expect(await gateway().fetchStatus(reference)).toEqual({
      gateway: 'paystack',
      reference,
      status,
      amountMinor: 1500,
      currency: 'GHS',
      gatewayTransactionId: '4099260516',
      failureReason: reason,
    });
    expect(calls.calls[0]!.method).toBe('GET');
    expect(calls.calls[0]!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('says an unknown reference is unknown, and retries verify through a 502', async () => {
    const reference = crypto.randomUUID();
    server.use(http.get(`${BASE}/transaction/verify/${reference}`, () => HttpResponse.json({ status: false, message: 'Transaction reference not found' }, { status: 400 })));
    await expect(gateway().fetchStatus(reference)).rejects.toBeInstanceOf(UnknownPaymentError);

    let attempts = 0;
    server.use(
      http.get(`${BASE}/transaction/verify/${reference}`, () => {
        attempts += 1;
        return attempts === 1 ? new HttpResponse(null, { status: 502 }) : HttpResponse.json({ status: true, data: transaction(reference) });
      }),
    );
    expect((await gateway().fetchStatus(reference)).status).toBe('succeeded');
    expect(attempts).toBe(2);
  });
});

describe('Paystack webhooks (x-paystack-signature = HMAC-SHA512 of the raw body)', () => {
  // Deliberately not what JSON.stringify would produce: the signature covers these bytes.
  function rawBody(reference: string, amount = 1500) {
    return `{"event":"charge.success",  "data": {"id":4099260516,"domain":"test","status":"success","reference":"${reference}","amount":${amount},"gateway_response":"Approved","currency":"GHS","channel":"mobile_money"}}\n`;
  }

  function webhook(body: string, signature?: string | null) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== null) headers['x-paystack-signature'] = signature ?? createHmac('sha512', SECRET).update(body).digest('hex');
    return new Request('https://soko.example/functions/v1/paystack-webhook', { method: 'POST', headers, body });
  }

  it('accepts a signature computed over the raw body and reports the charge', async () => {
    const reference = crypto.randomUUID();
    const result = await gateway().verifyCallback(webhook(rawBody(reference)));
    expect(result.outcome).toEqual({
      kind: 'verified',
      eventId: 'paystack:charge.success:4099260516',
      payment: { gateway: 'paystack', reference, status: 'succeeded', amountMinor: 1500, currency: 'GHS', gatewayTransactionId: '4099260516', failureReason: null },
    });
    expect(result.reply.status).toBe(200);
  });

  it('rejects a forged signature, a signature with another key, a re-serialised body and a missing header', async () => {
    const body = rawBody(crypto.randomUUID());
    await expect(gateway().verifyCallback(webhook(body, 'f'.repeat(128)))).rejects.toBeInstanceOf(InvalidSignatureError);
    await expect(gateway().verifyCallback(webhook(body, createHmac('sha512', 'sk_test_other').update(body).digest('hex')))).rejects.toBeInstanceOf(InvalidSignatureError);
    const signature = createHmac('sha512', SECRET).update(body).digest('hex');
    await expect(gateway().verifyCallback(webhook(JSON.stringify(JSON.parse(body)), signature))).rejects.toBeInstanceOf(InvalidSignatureError);
    await expect(gateway().verifyCallback(webhook(body, null))).rejects.toMatchObject({ details: { reason: 'missing' } });
  });

  it('gives a redelivered webhook the same event id', async () => {
    const body = rawBody(crypto.randomUUID());
    const first = await gateway().verifyCallback(webhook(body));
    const second = await gateway().verifyCallback(webhook(body));
    expect(second.outcome).toEqual(first.outcome);
  });

  it('reports the amount paid, so an underpayment is refused at settlement', async () => {
    const reference = crypto.randomUUID();
    const { outcome } = await gateway().verifyCallback(webhook(rawBody(reference, 100)));
    if (outcome.kind !== 'verified') throw new Error('expected verified');
    expect(decide({ amountMinor: 1500, currency: 'GHS', status: 'pending', gatewayTransactionId: null }, outcome.payment)).toEqual({ action: 'reject', reason: 'amount_mismatch' });
  });

  it('re-fetches on refund events and ignores the rest', async () => {
    const refund = '{"event":"refund.processed","data":{"status":"processed","transaction_reference":"abc","amount":500,"currency":"GHS"}}';
    expect((await gateway().verifyCallback(webhook(refund))).outcome).toEqual({ kind: 'refetch', reference: 'abc' });
    const other = '{"event":"transfer.success","data":{"reference":"t1"}}';
    expect((await gateway().verifyCallback(webhook(other))).outcome).toEqual({ kind: 'ignored', reason: 'event:transfer.success' });
  });
});

describe('Paystack refunds', () => {
  it('refunds by reference and amount in pesewas', async () => {
    const calls = recorder();
    server.use(
      http.post(`${BASE}/refund`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({
          status: true,
          message: 'Refund has been queued for processing',
          data: { transaction: { id: 4099260516 }, id: 3018284, amount: 500, currency: 'GHS', status: 'pending' },
        });
      }),
    );
    const refundId = crypto.randomUUID();
    const result = await gateway().refund({ refundId, reference: 'pay-ref', gatewayTransactionId: '4099260516', amountMinor: 500, currency: 'GHS' });
    expect(result).toEqual({ refundId, status: 'pending', gatewayRefundId: '3018284', amountMinor: 500, currency: 'GHS' });
    expect(calls.calls[0]!.json).toEqual({ transaction: 'pay-ref', amount: 500 });
  });
});
