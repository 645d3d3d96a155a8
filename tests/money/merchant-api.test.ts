// Payme and Click call us: their protocol layers (src/gateways) running on the SQL
// stores (src/payments/stores.ts), so each protocol step is one locked SQL transaction
// and performing/confirming settles through the one settlement function.
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClickGateway } from '../../src/gateways/click.ts';
import { PaymeGateway } from '../../src/gateways/payme.ts';
import { SqlClickStore, SqlPaymeStore } from '../../src/payments/stores.ts';
import { db } from '../harness/db.ts';
import { balance, deal, entriesFor, paymentRow, startPayment } from './helpers.ts';

const KEY = 'payme-test-key';

async function uzPayment(gateway: 'payme' | 'click', price = 500_000) {
  const d = await deal(db(), { market: 'uz', priceMinor: price });
  const payment = await startPayment(db(), d.customer, d.booking.id, 'gateway', gateway);
  return { ...d, payment };
}

function payme() {
  let now = Date.now();
  const gateway = new PaymeGateway({ merchantId: 'm-1', key: KEY, now: () => now }, new SqlPaymeStore(db()));
  let rpcId = 0;
  async function rpc(method: string, params: Record<string, unknown>) {
    const request = new Request('https://soko.example/functions/v1/payment-webhooks/payme', {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`Paycom:${KEY}`)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method, params }),
    });
    const result = await gateway.verifyCallback(request);
    return (await result.reply.json()) as { result?: Record<string, unknown>; error?: { code: number } };
  }
  return { rpc, advance: (ms: number) => (now += ms), now: () => now };
}

describe('Payme Merchant API on the SQL store', () => {
  it('check → create → perform settles the payment once; repeats answer the same', async () => {
    const { payment, booking } = await uzPayment('payme');
    const { rpc, now } = payme();
    const account = { order_id: payment.id };
    expect(await rpc('CheckPerformTransaction', { amount: 500_000, account })).toMatchObject({ result: { allow: true } });
    const id = randomUUID().replace(/-/g, '').slice(0, 24);
    const created = await rpc('CreateTransaction', { id, time: now(), amount: 500_000, account });
    expect(created.result).toMatchObject({ state: 1 });
    expect((await rpc('CreateTransaction', { id, time: now(), amount: 500_000, account })).result).toEqual(created.result);
    const performed = await rpc('PerformTransaction', { id });
    expect(performed.result).toMatchObject({ state: 2, transaction: created.result!.transaction });
    expect((await rpc('PerformTransaction', { id })).result).toEqual(performed.result);
    expect(await paymentRow(db(), payment.id)).toMatchObject({ status: 'succeeded', gateway_transaction_id: id });
    expect(await entriesFor(db(), payment.id)).toHaveLength(1);
    expect(await balance(db(), 'escrow', { subject: booking.id }, 'UZS')).toBe(500_000);
    expect(await rpc('CheckTransaction', { id })).toMatchObject({ result: { state: 2 } });
    // The order is paid: another transaction for it is refused.
    const again = await rpc('CreateTransaction', { id: randomUUID().slice(0, 24), time: now(), amount: 500_000, account });
    expect(again.error?.code).toBe(-31051);
  });

  it('refuses a wrong amount and an unknown order', async () => {
    const { payment } = await uzPayment('payme');
    const { rpc } = payme();
    expect((await rpc('CheckPerformTransaction', { amount: 499_999, account: { order_id: payment.id } })).error?.code).toBe(-31001);
    expect((await rpc('CheckPerformTransaction', { amount: 500_000, account: { order_id: randomUUID() } })).error?.code).toBe(-31050);
    expect((await rpc('CheckPerformTransaction', { amount: 500_000, account: { order_id: 'not-a-uuid' } })).error?.code).toBe(-31050);
    expect((await paymentRow(db(), payment.id)).status).toBe('pending');
  });

  it('cancelling a performed transaction (refund from Payme’s cabinet) refunds the payment in full', async () => {
    const { payment, booking } = await uzPayment('payme');
    const { rpc, now } = payme();
    const id = randomUUID().replace(/-/g, '').slice(0, 24);
    await rpc('CreateTransaction', { id, time: now(), amount: 500_000, account: { order_id: payment.id } });
    await rpc('PerformTransaction', { id });
    const cancelled = await rpc('CancelTransaction', { id, reason: 5 });
    expect(cancelled.result).toMatchObject({ state: -2 });
    expect(await paymentRow(db(), payment.id)).toMatchObject({ status: 'refunded', refunded_minor: 500_000n });
    const [refund] = await db()`select origin, destination, status from public.refunds where payment_id = ${payment.id}`;
    expect(refund).toEqual({ origin: 'gateway', destination: 'gateway', status: 'succeeded' });
    expect(await balance(db(), 'escrow', { subject: booking.id }, 'UZS')).toBe(0);
  });

  it('two transactions racing for one order: exactly one is created', async () => {
    const { payment } = await uzPayment('payme');
    const { rpc, now } = payme();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => rpc('CreateTransaction', { id: randomUUID().slice(0, 24), time: now(), amount: 500_000, account: { order_id: payment.id } })),
    );
    expect(answers.filter((a) => a.result)).toHaveLength(1);
    expect(answers.filter((a) => a.error).every((a) => a.error!.code === -31052)).toBe(true);
  });
});

describe('Click SHOP API on the SQL store', () => {
  const SECRET = 'click-test-secret';
  const SERVICE = '3171';
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');

  function click() {
    const gateway = new ClickGateway({ serviceId: SERVICE, merchantId: '12017', secretKey: SECRET }, new SqlClickStore(db()));
    async function post(values: Record<string, string>) {
      const prepareId = values.action === '1' ? (values.merchant_prepare_id ?? '') : '';
      const sign = md5(`${values.click_trans_id}${values.service_id}${SECRET}${values.merchant_trans_id}${prepareId}${values.amount}${values.action}${values.sign_time}`);
      const request = new Request('https://soko.example/functions/v1/payment-webhooks/click', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...values, sign_string: sign }).toString(),
      });
      return (await (await gateway.verifyCallback(request)).reply.json()) as Record<string, unknown>;
    }
    const fields = (orderId: string, clickTransId: string, action: 0 | 1, extra: Record<string, string> = {}) => ({
      click_trans_id: clickTransId, service_id: SERVICE, click_paydoc_id: '77', merchant_trans_id: orderId, amount: '5000.00',
      action: String(action), error: '0', error_note: 'Success', sign_time: '2026-11-21 14:02:11', ...extra,
    });
    return { post, fields };
  }

  it('prepare → complete settles once; a repeated complete answers "already paid"', async () => {
    const { payment, booking } = await uzPayment('click');
    const { post, fields } = click();
    const clickId = String(Date.now());
    const prepared = await post(fields(payment.id, clickId, 0));
    expect(prepared).toMatchObject({ error: 0, merchant_prepare_id: expect.any(Number) });
    const prepareId = String(prepared.merchant_prepare_id);
    const completed = await post(fields(payment.id, clickId, 1, { merchant_prepare_id: prepareId }));
    expect(completed).toMatchObject({ error: 0, merchant_confirm_id: expect.any(Number) });
    expect(await post(fields(payment.id, clickId, 1, { merchant_prepare_id: prepareId }))).toMatchObject({ error: -4 });
    expect(await paymentRow(db(), payment.id)).toMatchObject({ status: 'succeeded', gateway_transaction_id: clickId });
    expect(await balance(db(), 'escrow', { subject: booking.id }, 'UZS')).toBe(500_000);
    expect(await entriesFor(db(), payment.id)).toHaveLength(1);
  });

  it('refuses a wrong amount; a failure Click reports cancels the prepare and settles nothing', async () => {
    const { payment } = await uzPayment('click');
    const { post, fields } = click();
    expect(await post(fields(payment.id, String(Date.now()), 0, { amount: '4999.00' }))).toMatchObject({ error: -2 });
    const clickId = String(Date.now() + 1);
    const prepared = await post(fields(payment.id, clickId, 0));
    const failed = await post(fields(payment.id, clickId, 1, { merchant_prepare_id: String(prepared.merchant_prepare_id), error: '-5017' }));
    expect(failed).toMatchObject({ error: -9 });
    expect((await paymentRow(db(), payment.id)).status).toBe('pending');
    expect(await entriesFor(db(), payment.id)).toHaveLength(0);
  });
});
