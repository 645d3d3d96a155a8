import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.ts';
import { BkashGateway, type BkashConfig } from '../../src/gateways/bkash.ts';
import { GatewayRejectedError, GatewayTimeoutError } from '../../src/gateways/errors.ts';
import { decide } from '../../src/gateways/reconcile.ts';
import { clock, fastTransport, payment, recorder, server, useMockServer } from './helpers.ts';

useMockServer();

const BASE = 'https://tokenized.sandbox.bka.sh/v1.2.0-beta/tokenized/checkout';
const CALLBACK = 'https://soko.example/functions/v1/bkash-callback';

function gateway(overrides: Partial<BkashConfig> = {}) {
  return new BkashGateway({
    baseUrl: BASE,
    username: 'sandboxTokenizedUser02',
    password: 'sandbox-password',
    appKey: 'app-key-123',
    appSecret: 'app-secret-456',
    callbackUrl: CALLBACK,
    returnUrl: 'https://app.soko.example/payments/return',
    transport: fastTransport,
    ...overrides,
  });
}

function grantHandler(log = recorder(), expiresIn = 3600) {
  let issued = 0;
  return {
    log,
    issued: () => issued,
    handler: http.post(`${BASE}/token/grant`, async ({ request }) => {
      await log.record(request);
      issued += 1;
      return HttpResponse.json({ statusCode: '0000', statusMessage: 'Successful', id_token: `id-token-${issued}`, token_type: 'Bearer', expires_in: expiresIn, refresh_token: `refresh-${issued}` });
    }),
  };
}

function paymentBody(paymentID: string, transactionStatus: string, overrides: Record<string, unknown> = {}) {
  return {
    paymentID,
    mode: '0011',
    paymentCreateTime: '2026-11-21T14:02:11:000 GMT+0600',
    amount: '15',
    currency: 'BDT',
    intent: 'sale',
    merchantInvoiceNumber: 'inv',
    transactionStatus,
    verificationStatus: 'Complete',
    statusCode: '0000',
    statusMessage: 'Successful',
    ...(transactionStatus === 'Completed' ? { trxID: 'BFD90JRLST' } : {}),
    ...overrides,
  };
}

function bdtPayment() {
  return payment({ currency: 'BDT', amountMinor: 1500, customer: { phone: '+8801770618575' } });
}

function callback(paymentID: string, status: string) {
  return new Request(`${CALLBACK}?paymentID=${paymentID}&status=${status}&signature=ignored`);
}

describe('a customer pays with bKash', () => {
  it('grants a token and creates the payment as documented', async () => {
    const grant = grantHandler();
    const calls = recorder();
    server.use(
      grant.handler,
      http.post(`${BASE}/create`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({
          statusCode: '0000',
          statusMessage: 'Successful',
          paymentID: 'TR0011ON1565154754797',
          bkashURL: 'https://sandbox.payment.bkash.com/redirect/tokenized/?paymentID=TR0011ON1565154754797',
          transactionStatus: 'Initiated',
        });
      }),
    );
    const request = bdtPayment();
    const initiation = await gateway().initiate(request);
    expect(initiation).toEqual({
      kind: 'redirect',
      reference: 'TR0011ON1565154754797',
      url: 'https://sandbox.payment.bkash.com/redirect/tokenized/?paymentID=TR0011ON1565154754797',
    });
    expect(grant.log.calls[0]!.headers).toMatchObject({ username: 'sandboxTokenizedUser02', password: 'sandbox-password' });
    expect(grant.log.calls[0]!.json).toEqual({ app_key: 'app-key-123', app_secret: 'app-secret-456' });
    expect(calls.calls[0]!.headers).toMatchObject({ authorization: 'id-token-1', 'x-app-key': 'app-key-123' });
    expect(calls.calls[0]!.json).toEqual({
      mode: '0011',
      payerReference: '8801770618575',
      callbackURL: CALLBACK,
      amount: '15',
      currency: 'BDT',
      intent: 'sale',
      merchantInvoiceNumber: request.paymentId,
    });
  });

  it('takes only BDT', async () => {
    await expect(gateway().initiate(payment({ currency: 'GHS' }))).rejects.toBeInstanceOf(ValidationError);
  });

  it('reports a refused create (statusCode other than 0000) and never retries it', async () => {
    let attempts = 0;
    server.use(
      grantHandler().handler,
      http.post(`${BASE}/create`, () => {
        attempts += 1;
        return HttpResponse.json({ statusCode: '2001', statusMessage: 'Invalid App Key' });
      }),
    );
    await expect(gateway().initiate(bdtPayment())).rejects.toMatchObject({ code: 'gateway_rejected', details: { gatewayCode: '2001' } });
    server.use(
      http.post(`${BASE}/create`, async () => {
        attempts += 1;
        await delay(500);
        return HttpResponse.json({});
      }),
    );
    await expect(gateway({ transport: { ...fastTransport, timeoutMs: 50 } }).initiate(bdtPayment())).rejects.toBeInstanceOf(GatewayTimeoutError);
    expect(attempts).toBe(2);
  });

  it('reuses the token, renews it with the refresh token, and falls back to a grant if renewal fails', async () => {
    const time = clock();
    const grant = grantHandler();
    const refreshes = recorder();
    let refreshWorks = true;
    server.use(
      grant.handler,
      http.post(`${BASE}/token/refresh`, async ({ request }) => {
        await refreshes.record(request);
        return refreshWorks
          ? HttpResponse.json({ statusCode: '0000', id_token: 'refreshed-token', expires_in: 3600, refresh_token: 'refresh-2' })
          : HttpResponse.json({ statusCode: '2079', statusMessage: 'Invalid refresh token' });
      }),
      http.post(`${BASE}/payment/status`, ({ request }) =>
        HttpResponse.json(paymentBody('TR1', 'Initiated', { note: request.headers.get('authorization') })),
      ),
    );
    const bkash = gateway({ transport: { ...fastTransport, now: time.now } });
    await Promise.all([bkash.fetchStatus('TR1'), bkash.fetchStatus('TR1'), bkash.fetchStatus('TR1')]);
    expect(grant.issued()).toBe(1);
    time.advance(3_600_000);
    await bkash.fetchStatus('TR1');
    expect(refreshes.calls[0]!.json).toEqual({ app_key: 'app-key-123', app_secret: 'app-secret-456', refresh_token: 'refresh-1' });
    expect(refreshes.calls[0]!.headers).toMatchObject({ username: 'sandboxTokenizedUser02', password: 'sandbox-password' });
    expect(grant.issued()).toBe(1);
    refreshWorks = false;
    time.advance(3_600_000);
    await bkash.fetchStatus('TR1');
    expect(grant.issued()).toBe(2);
  });
});

describe('the customer returns from bKash (unsigned callback)', () => {
  it('executes on "success", reports the completed payment and sends the browser on', async () => {
    const executes = recorder();
    server.use(
      grantHandler().handler,
      http.post(`${BASE}/execute`, async ({ request }) => {
        await executes.record(request);
        return HttpResponse.json(paymentBody('TR7', 'Completed'));
      }),
    );
    const result = await gateway().verifyCallback(callback('TR7', 'success'));
    expect(executes.calls[0]!.json).toEqual({ paymentID: 'TR7' });
    expect(result.outcome).toEqual({
      kind: 'verified',
      eventId: 'bkash:TR7:succeeded',
      payment: { gateway: 'bkash', reference: 'TR7', status: 'succeeded', amountMinor: 1500, currency: 'BDT', gatewayTransactionId: 'BFD90JRLST', failureReason: null },
    });
    expect(result.reply.status).toBe(303);
    expect(result.reply.headers.get('location')).toBe('https://app.soko.example/payments/return?reference=TR7&status=succeeded');
  });

  it.each(['2062', '2117', '2068'])('treats execute answering %s ("already completed") as re-query, not failure', async (code) => {
    let queries = 0;
    server.use(
      grantHandler().handler,
      http.post(`${BASE}/execute`, () => HttpResponse.json({ statusCode: code, statusMessage: 'The payment has already been completed' })),
      http.post(`${BASE}/payment/status`, () => {
        queries += 1;
        return HttpResponse.json(paymentBody('TR8', 'Completed'));
      }),
    );
    const result = await gateway().verifyCallback(callback('TR8', 'success'));
    expect(queries).toBe(1);
    expect(result.outcome).toMatchObject({ kind: 'verified', payment: { status: 'succeeded', gatewayTransactionId: 'BFD90JRLST' } });
  });

  it('re-queries after an execute timeout instead of failing', async () => {
    server.use(
      grantHandler().handler,
      http.post(`${BASE}/execute`, async () => {
        await delay(500);
        return HttpResponse.json({});
      }),
      http.post(`${BASE}/payment/status`, () => HttpResponse.json(paymentBody('TR9', 'Completed'))),
    );
    const result = await gateway({ transport: { ...fastTransport, timeoutMs: 50, retries: 0 } }).verifyCallback(callback('TR9', 'success'));
    expect(result.outcome).toMatchObject({ kind: 'verified', payment: { status: 'succeeded' } });
  });

  it('does not execute on "cancel" or "failure": it asks bKash what happened', async () => {
    let executed = false;
    server.use(
      grantHandler().handler,
      http.post(`${BASE}/execute`, () => {
        executed = true;
        return HttpResponse.json({});
      }),
      http.post(`${BASE}/payment/status`, () => HttpResponse.json(paymentBody('TR10', 'Cancelled'))),
    );
    const result = await gateway().verifyCallback(callback('TR10', 'cancel'));
    expect(executed).toBe(false);
    expect(result.outcome).toMatchObject({ kind: 'verified', payment: { status: 'cancelled', failureReason: 'Cancelled' } });
  });

  it('cannot be fooled by a forged "success" for a payment the customer never approved', async () => {
    server.use(
      grantHandler().handler,
      http.post(`${BASE}/execute`, () => HttpResponse.json({ statusCode: '2056', statusMessage: 'Invalid Payment State' })),
      http.post(`${BASE}/payment/status`, () => HttpResponse.json(paymentBody('TR11', 'Initiated'))),
    );
    const result = await gateway().verifyCallback(callback('TR11', 'success'));
    expect(result.outcome).toMatchObject({ kind: 'verified', payment: { status: 'pending', gatewayTransactionId: null } });
  });

  it('ignores an unknown payment id and a malformed query', async () => {
    server.use(
      grantHandler().handler,
      http.post(`${BASE}/payment/status`, () => HttpResponse.json({ statusCode: '2056', statusMessage: 'Invalid Payment State' })),
    );
    expect((await gateway().verifyCallback(callback('NOPE', 'failure'))).outcome).toEqual({ kind: 'ignored', reason: 'unknown_payment' });
    expect((await gateway().verifyCallback(new Request(`${CALLBACK}?status=success`))).outcome).toEqual({ kind: 'ignored', reason: 'bad_query' });
  });

  it('reports the amount bKash holds, so a wrong amount is refused at settlement', async () => {
    server.use(grantHandler().handler, http.post(`${BASE}/payment/status`, () => HttpResponse.json(paymentBody('TR12', 'Completed', { amount: '1.5' }))));
    const snapshot = await gateway().fetchStatus('TR12');
    expect(snapshot.amountMinor).toBe(150);
    expect(decide({ amountMinor: 1500, currency: 'BDT', status: 'pending', gatewayTransactionId: null }, snapshot)).toEqual({ action: 'reject', reason: 'amount_mismatch' });
  });
});

describe('bKash refunds', () => {
  it('refunds with paymentID and trxID, amount in taka', async () => {
    const calls = recorder();
    server.use(
      grantHandler().handler,
      http.post(`${BASE}/payment/refund`, async ({ request }) => {
        await calls.record(request);
        return HttpResponse.json({ statusCode: '0000', originalTrxID: 'BFD90JRLST', refundTrxID: 'BFD90JRMVV', transactionStatus: 'Completed', amount: '5', currency: 'BDT', charge: '0.00', completedTime: '2026-11-21T14:10:00:000 GMT+0600' });
      }),
    );
    const refundId = crypto.randomUUID();
    const result = await gateway().refund({ refundId, reference: 'TR7', gatewayTransactionId: 'BFD90JRLST', amountMinor: 500, currency: 'BDT', reason: 'Damaged goods' });
    expect(result).toEqual({ refundId, status: 'succeeded', gatewayRefundId: 'BFD90JRMVV', amountMinor: 500, currency: 'BDT' });
    expect(calls.calls[0]!.json).toEqual({ paymentID: 'TR7', amount: '5', trxID: 'BFD90JRLST', sku: refundId, reason: 'Damaged goods' });
  });

  it('refuses a refund without the trxID and reports a refused refund', async () => {
    await expect(gateway().refund({ refundId: crypto.randomUUID(), reference: 'TR7', gatewayTransactionId: null, amountMinor: 500, currency: 'BDT' })).rejects.toBeInstanceOf(ValidationError);
    server.use(grantHandler().handler, http.post(`${BASE}/payment/refund`, () => HttpResponse.json({ statusCode: '2071', statusMessage: 'Refund period expired' })));
    await expect(
      gateway().refund({ refundId: crypto.randomUUID(), reference: 'TR7', gatewayTransactionId: 'X', amountMinor: 500, currency: 'BDT' }),
    ).rejects.toBeInstanceOf(GatewayRejectedError);
  });
});
