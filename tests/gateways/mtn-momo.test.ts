import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { GatewayError, GatewayRejectedError, NotSupportedError, UnknownPaymentError } from '../../src/gateways/errors.ts';
import { MtnMomoGateway, type MtnMomoConfig } from '../../src/gateways/mtn-momo.ts';
import { decide } from '../../src/gateways/reconcile.ts';
import { clock, fastTransport, payment, recorder, server, useMockServer } from './helpers.ts';

useMockServer();

const BASE = 'https://sandbox.momodeveloper.mtn.com';
const COLLECTION = { subscriptionKey: 'col-sub-key', apiUser: 'c5b8d2a0-1111-4a4a-8a8a-000000000001', apiKey: 'col-api-key' };
const DISBURSEMENT = { subscriptionKey: 'dis-sub-key', apiUser: 'c5b8d2a0-2222-4a4a-8a8a-000000000002', apiKey: 'dis-api-key' };

function gateway(overrides: Partial<MtnMomoConfig> = {}) {
  return new MtnMomoGateway({
    baseUrl: BASE,
    targetEnvironment: 'sandbox',
    collection: COLLECTION,
    disbursement: DISBURSEMENT,
    callbackUrl: 'https://soko.example/functions/v1/momo-callback',
    transport: fastTransport,
    ...overrides,
  });
}

function tokenHandler(product: 'collection' | 'disbursement', log = recorder(), expiresIn = 3600) {
  let issued = 0;
  return {
    log,
    issued: () => issued,
    handler: http.post(`${BASE}/${product}/token/`, async ({ request }) => {
      await log.record(request);
      issued += 1;
      return HttpResponse.json({ access_token: `${product}-token-${issued}`, token_type: 'access_token', expires_in: expiresIn });
    }),
  };
}

function sandboxPayment() {
  return payment({ currency: 'EUR', amountMinor: 1500, customer: { phone: '+46733123450' } });
}

describe('a customer pays with MTN MoMo (request to pay)', () => {
  it('sends the documented request-to-pay, with a minted token and our payment id as X-Reference-Id', async () => {
    const tokens = tokenHandler('collection');
    const calls = recorder();
    server.use(
      tokens.handler,
      http.post(`${BASE}/collection/v1_0/requesttopay`, async ({ request }) => {
        await calls.record(request);
        return new HttpResponse(null, { status: 202 });
      }),
    );
    const request = sandboxPayment();
    const initiation = await gateway().initiate(request);

    expect(initiation).toEqual({ kind: 'approve_on_phone', reference: request.paymentId, message: 'Approve the payment on your phone.' });
    const [token] = tokens.log.calls;
    expect(token!.method).toBe('POST');
    expect(token!.headers.authorization).toBe(`Basic ${btoa(`${COLLECTION.apiUser}:${COLLECTION.apiKey}`)}`);
    expect(token!.headers['ocp-apim-subscription-key']).toBe('col-sub-key');

    const [call] = calls.calls;
    expect(call!.url).toBe(`${BASE}/collection/v1_0/requesttopay`);
    expect(call!.headers).toMatchObject({
      authorization: 'Bearer collection-token-1',
      'x-reference-id': request.paymentId,
      'x-target-environment': 'sandbox',
      'x-callback-url': 'https://soko.example/functions/v1/momo-callback',
      'ocp-apim-subscription-key': 'col-sub-key',
      'content-type': 'application/json',
    });
    expect(call!.json).toEqual({
      amount: '15',
      currency: 'EUR',
      externalId: request.paymentId,
      payer: { partyIdType: 'MSISDN', partyId: '46733123450' },
      payerMessage: 'Tomatoes from Ama',
      payeeNote: 'Tomatoes from Ama',
    });
  });

  it('shares one token among concurrent payments and refreshes it after expiry', async () => {
    const time = clock();
    const tokens = tokenHandler('collection');
    server.use(tokens.handler, http.post(`${BASE}/collection/v1_0/requesttopay`, () => new HttpResponse(null, { status: 202 })));
    const momo = gateway({ transport: { ...fastTransport, now: time.now } });
    await Promise.all(Array.from({ length: 10 }, () => momo.initiate(sandboxPayment())));
    expect(tokens.issued()).toBe(1);
    time.advance(3_600_000);
    await momo.initiate(sandboxPayment());
    expect(tokens.issued()).toBe(2);
  });

  it('mints a new token once when MoMo answers 401, then carries on', async () => {
    const tokens = tokenHandler('collection');
    let calls = 0;
    server.use(
      tokens.handler,
      http.post(`${BASE}/collection/v1_0/requesttopay`, ({ request }) => {
        calls += 1;
        return request.headers.get('authorization') === 'Bearer collection-token-1'
          ? HttpResponse.json({ code: 'UNAUTHORIZED' }, { status: 401 })
          : new HttpResponse(null, { status: 202 });
      }),
    );
    await gateway().initiate(sandboxPayment());
    expect(calls).toBe(2);
    expect(tokens.issued()).toBe(2);
  });

  it('retries a timed-out request with the same X-Reference-Id and takes 409 as "already accepted"', async () => {
    const tokens = tokenHandler('collection');
    const calls = recorder();
    server.use(
      tokens.handler,
      http.post(`${BASE}/collection/v1_0/requesttopay`, async ({ request }) => {
        await calls.record(request);
        if (calls.calls.length === 1) {
          await delay(500);
          return new HttpResponse(null, { status: 202 });
        }
        return HttpResponse.json({ code: 'RESOURCE_ALREADY_EXIST', message: 'Duplicated reference id' }, { status: 409 });
      }),
    );
    const request = sandboxPayment();
    const initiation = await gateway({ transport: { ...fastTransport, timeoutMs: 100 } }).initiate(request);
    expect(initiation.kind).toBe('approve_on_phone');
    expect(calls.calls.map((c) => c.headers['x-reference-id'])).toEqual([request.paymentId, request.paymentId]);
  });

  it('reports a refused request (bad payer) as rejected, and a persistent 500 as a gateway error', async () => {
    server.use(
      tokenHandler('collection').handler,
      http.post(`${BASE}/collection/v1_0/requesttopay`, () => HttpResponse.json({ code: 'PAYER_NOT_FOUND', message: 'Payer not found' }, { status: 400 })),
    );
    await expect(gateway().initiate(sandboxPayment())).rejects.toMatchObject({ code: 'gateway_rejected', details: { gatewayCode: 'PAYER_NOT_FOUND' } });

    let attempts = 0;
    server.use(
      http.post(`${BASE}/collection/v1_0/requesttopay`, () => {
        attempts += 1;
        return new HttpResponse(null, { status: 500 });
      }),
    );
    const error = await gateway().initiate(sandboxPayment()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).not.toBeInstanceOf(GatewayRejectedError);
    expect(attempts).toBe(3);
  });

  it('refuses a payment id that is not a UUID before calling MoMo', async () => {
    await expect(gateway().initiate({ ...sandboxPayment(), paymentId: 'order-17' })).rejects.toThrow(/UUID/);
  });
});

describe('MoMo payment status', () => {
  const statusUrl = (id: string) => `${BASE}/collection/v1_0/requesttopay/${id}`;

  it.each([
    [{ status: 'SUCCESSFUL', financialTransactionId: '363440463' }, 'succeeded', '363440463', null],
    [{ status: 'PENDING' }, 'pending', null, null],
    [{ status: 'FAILED', reason: 'APPROVAL_REJECTED' }, 'failed', null, 'APPROVAL_REJECTED'],
    [{ status: 'FAILED', reason: { code: 'EXPIRED', message: 'Timed out' } }, 'expired', null, 'EXPIRED'],
    [{ status: 'FAILED', reason: 'NOT_ENOUGH_FUNDS' }, 'failed', null, 'NOT_ENOUGH_FUNDS'],
  ])('%j → %s', async (fields, status, transactionId, reason) => {
    const id = crypto.randomUUID();
    const calls = recorder();
    server.use(
      tokenHandler('collection').handler,
      http.get(statusUrl(id), async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({ amount: '15', currency: 'EUR', externalId: id, payer: { partyIdType: 'MSISDN', partyId: '46733123450' }, ...fields });
      }),
    );
    const snapshot = await gateway().fetchStatus(id);
    expect(snapshot).toEqual({
      gateway: 'mtn_momo',
      reference: id,
      status,
      amountMinor: 1500,
      currency: 'EUR',
      gatewayTransactionId: transactionId,
      failureReason: reason,
    });
    expect(calls.calls[0]!.headers).toMatchObject({ 'x-target-environment': 'sandbox', 'ocp-apim-subscription-key': 'col-sub-key' });
  });

  it('says an unknown reference is unknown', async () => {
    const id = crypto.randomUUID();
    server.use(
      tokenHandler('collection').handler,
      http.get(statusUrl(id), () => HttpResponse.json({ code: 'RESOURCE_NOT_FOUND', message: 'Requested resource was not found.' }, { status: 404 })),
    );
    await expect(gateway().fetchStatus(id)).rejects.toBeInstanceOf(UnknownPaymentError);
    await expect(gateway().fetchStatus('not-a-uuid')).rejects.toBeInstanceOf(UnknownPaymentError);
  });

  it('reports the amount MoMo holds, so a wrong amount is refused at settlement', async () => {
    const id = crypto.randomUUID();
    server.use(tokenHandler('collection').handler, http.get(statusUrl(id), () => HttpResponse.json({ amount: '14.99', currency: 'EUR', status: 'SUCCESSFUL', financialTransactionId: '1' })));
    const snapshot = await gateway().fetchStatus(id);
    expect(snapshot.amountMinor).toBe(1499);
    expect(decide({ amountMinor: 1500, currency: 'EUR', status: 'pending', gatewayTransactionId: null }, snapshot)).toEqual({ action: 'reject', reason: 'amount_mismatch' });
  });

  it('treats an amount with more decimals than the currency as the gateway’s error', async () => {
    const id = crypto.randomUUID();
    server.use(tokenHandler('collection').handler, http.get(statusUrl(id), () => HttpResponse.json({ amount: '15.001', currency: 'EUR', status: 'SUCCESSFUL' })));
    await expect(gateway().fetchStatus(id)).rejects.toMatchObject({ code: 'gateway_error' });
  });
});

describe('MoMo callbacks are unsigned', () => {
  function callback(body: unknown, method = 'POST') {
    return new Request('https://soko.example/functions/v1/momo-callback', { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  it('never trusts the body: a SUCCESSFUL callback only asks for a re-fetch', async () => {
    const id = crypto.randomUUID();
    const result = await gateway().verifyCallback(
      callback({ financialTransactionId: '1', externalId: id, amount: '15', currency: 'EUR', status: 'SUCCESSFUL' }),
    );
    expect(result.outcome).toEqual({ kind: 'refetch', reference: id });
    expect(result.reply.status).toBe(200);
  });

  it('accepts PUT as MoMo sometimes sends, and ignores bodies that name no payment', async () => {
    expect((await gateway().verifyCallback(callback({ externalId: crypto.randomUUID(), status: 'FAILED' }, 'PUT'))).outcome.kind).toBe('refetch');
    expect((await gateway().verifyCallback(callback({ status: 'SUCCESSFUL' }))).outcome).toEqual({ kind: 'ignored', reason: 'no_reference' });
    expect((await gateway().verifyCallback(callback({ externalId: 'x; drop table' }))).outcome.kind).toBe('ignored');
    const garbage = new Request('https://soko.example/cb', { method: 'POST', body: 'not json' });
    expect((await gateway().verifyCallback(garbage)).outcome.kind).toBe('ignored');
  });
});

describe('MoMo disbursement: refunds and payouts', () => {
  it('refunds through Disbursement with its own token and the refund id as X-Reference-Id', async () => {
    const tokens = tokenHandler('disbursement');
    const calls = recorder();
    server.use(
      tokens.handler,
      http.post(`${BASE}/disbursement/v1_0/refund`, async ({ request }) => {
        await calls.record(request);
        return new HttpResponse(null, { status: 202 });
      }),
    );
    const refundId = crypto.randomUUID();
    const paymentId = crypto.randomUUID();
    const result = await gateway().refund({ refundId, reference: paymentId, gatewayTransactionId: '363440463', amountMinor: 500, currency: 'EUR', reason: 'Damaged' });
    expect(result).toEqual({ refundId, status: 'pending', gatewayRefundId: refundId, amountMinor: 500, currency: 'EUR' });
    expect(tokens.log.calls[0]!.headers.authorization).toBe(`Basic ${btoa(`${DISBURSEMENT.apiUser}:${DISBURSEMENT.apiKey}`)}`);
    expect(calls.calls[0]!.headers).toMatchObject({
      authorization: 'Bearer disbursement-token-1',
      'x-reference-id': refundId,
      'ocp-apim-subscription-key': 'dis-sub-key',
    });
    expect(calls.calls[0]!.json).toEqual({
      amount: '5',
      currency: 'EUR',
      externalId: refundId,
      payerMessage: 'Damaged',
      payeeNote: 'Damaged',
      referenceIdToRefund: paymentId,
    });
  });

  it('pays out with transfer and reads transfer and refund status', async () => {
    const payoutId = crypto.randomUUID();
    const calls = recorder();
    server.use(
      tokenHandler('disbursement').handler,
      http.post(`${BASE}/disbursement/v1_0/transfer`, async ({ request }) => {
        await calls.record(request);
        return new HttpResponse(null, { status: 202 });
      }),
      http.get(`${BASE}/disbursement/v1_0/transfer/${payoutId}`, () => HttpResponse.json({ amount: '25', currency: 'EUR', status: 'SUCCESSFUL', financialTransactionId: '99' })),
      http.get(`${BASE}/disbursement/v1_0/refund/${payoutId}`, () => HttpResponse.json({ amount: '25', currency: 'EUR', status: 'PENDING' })),
    );
    const momo = gateway();
    expect(await momo.transfer({ payoutId, amountMinor: 2500, currency: 'EUR', payeePhone: '+46733123450', message: 'Your sales' })).toEqual({ reference: payoutId, status: 'pending' });
    expect(calls.calls[0]!.json).toEqual({
      amount: '25',
      currency: 'EUR',
      externalId: payoutId,
      payee: { partyIdType: 'MSISDN', partyId: '46733123450' },
      payerMessage: 'Your sales',
      payeeNote: 'Your sales',
    });
    expect(await momo.fetchTransferStatus(payoutId)).toMatchObject({ status: 'succeeded', amountMinor: 2500, gatewayTransactionId: '99' });
    expect(await momo.fetchRefundStatus(payoutId)).toMatchObject({ status: 'pending' });
  });

  it('says refunds are unsupported without Disbursement credentials', async () => {
    const momo = gateway({ disbursement: undefined });
    expect(momo.capabilities.refund).toBe(false);
    await expect(
      momo.refund({ refundId: crypto.randomUUID(), reference: crypto.randomUUID(), gatewayTransactionId: null, amountMinor: 1, currency: 'EUR' }),
    ).rejects.toBeInstanceOf(NotSupportedError);
  });
});
