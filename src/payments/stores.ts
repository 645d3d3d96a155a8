// PaymeStore and ClickStore over the payments SQL: each operation is one SQL function,
// one transaction, run as the service role. The functions that change state lock the
// payment's booking and the payment (private.lock_payment), so the compare-and-set
// semantics the protocol layers rely on hold under concurrent calls; performing a Payme
// transaction or confirming a Click prepare settles the payment through the one
// settlement function in the same transaction.
//
// Orders are payments: the order id is the payment's id, its amount the payment's.
import type { ClickOrder, ClickPrepare, ClickStore } from '../gateways/click-store.ts';
import type { NewPaymeTransaction, PaymeCancelReason, PaymeOrder, PaymeStore, PaymeTransaction } from '../gateways/payme-store.ts';
import { asService, toNumber, type Sql, type Tx } from './sql.ts';

type Json = Record<string, unknown>;

async function call(sql: Sql, run: (tx: Tx) => Promise<readonly Json[]>): Promise<unknown> {
  const [row] = await asService(sql, run);
  return row?.value ?? null;
}

function paymeOrder(value: unknown): PaymeOrder | null {
  if (!value) return null;
  const o = value as Json;
  return {
    orderId: String(o.orderId),
    amountMinor: toNumber(o.amountMinor),
    currency: String(o.currency),
    state: o.state as PaymeOrder['state'],
    refundable: Boolean(o.refundable),
  };
}

function paymeTransaction(value: unknown): PaymeTransaction | null {
  if (!value) return null;
  const t = value as Json;
  return {
    id: String(t.id),
    time: toNumber(t.time),
    amount: toNumber(t.amount),
    account: Object.fromEntries(Object.entries((t.account ?? {}) as Json).map(([k, v]) => [k, String(v)])),
    orderId: String(t.orderId),
    transaction: String(t.transaction),
    createTime: toNumber(t.createTime),
    performTime: toNumber(t.performTime),
    cancelTime: toNumber(t.cancelTime),
    state: toNumber(t.state) as PaymeTransaction['state'],
    reason: t.reason === null || t.reason === undefined ? null : (toNumber(t.reason) as PaymeCancelReason),
  };
}

function required<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`${what} vanished`);
  return value;
}

export class SqlPaymeStore implements PaymeStore {
  constructor(private readonly sql: Sql) {}

  async findOrder(orderId: string): Promise<PaymeOrder | null> {
    return paymeOrder(await call(this.sql, (tx) => tx`select private.payme_find_order(${orderId}) as value`));
  }

  async findTransaction(id: string): Promise<PaymeTransaction | null> {
    return paymeTransaction(await call(this.sql, (tx) => tx`select private.payme_find_transaction(${id}) as value`));
  }

  async latestTransactionForOrder(orderId: string): Promise<PaymeTransaction | null> {
    return paymeTransaction(await call(this.sql, (tx) => tx`select private.payme_latest_transaction(${orderId}) as value`));
  }

  async createTransaction(input: NewPaymeTransaction): Promise<{ created: PaymeTransaction } | { conflict: PaymeTransaction }> {
    const value = (await call(this.sql, (tx) => tx`
      select private.payme_create_transaction(${input.id}, ${input.time}, ${input.amount}, ${JSON.stringify(input.account)}::text::jsonb,
                                              ${input.orderId}, ${input.createTime}) as value`)) as Json;
    if (value.created) return { created: required(paymeTransaction(value.created), 'transaction') };
    return { conflict: required(paymeTransaction(value.conflict), 'transaction') };
  }

  async performTransaction(id: string, performTime: number): Promise<PaymeTransaction> {
    const value = await call(this.sql, (tx) => tx`select private.payme_perform_transaction(${id}, ${performTime}) as value`);
    return required(paymeTransaction(value), 'transaction');
  }

  async cancelTransaction(id: string, from: 1 | 2, cancelTime: number, reason: PaymeCancelReason): Promise<PaymeTransaction> {
    const value = await call(this.sql, (tx) => tx`
      select private.payme_cancel_transaction(${id}, ${from}::smallint, ${cancelTime}, ${reason}::smallint) as value`);
    return required(paymeTransaction(value), 'transaction');
  }

  async listTransactions(from: number, to: number): Promise<PaymeTransaction[]> {
    const value = (await call(this.sql, (tx) => tx`select private.payme_list_transactions(${from}, ${to}) as value`)) as unknown[];
    return value.map((t) => required(paymeTransaction(t), 'transaction'));
  }
}

function clickOrder(value: unknown): ClickOrder | null {
  if (!value) return null;
  const o = value as Json;
  return { orderId: String(o.orderId), amountMinor: toNumber(o.amountMinor), currency: String(o.currency), state: o.state as ClickOrder['state'] };
}

function clickPrepare(value: unknown): ClickPrepare | null {
  if (!value) return null;
  const p = value as Json;
  return {
    prepareId: toNumber(p.prepareId),
    clickTransId: String(p.clickTransId),
    clickPaydocId: String(p.clickPaydocId),
    orderId: String(p.orderId),
    amountMinor: toNumber(p.amountMinor),
    state: p.state as ClickPrepare['state'],
    confirmId: p.confirmId === null || p.confirmId === undefined ? null : toNumber(p.confirmId),
    cancelCode: p.cancelCode === null || p.cancelCode === undefined ? null : toNumber(p.cancelCode),
  };
}

export class SqlClickStore implements ClickStore {
  constructor(private readonly sql: Sql) {}

  async findOrder(orderId: string): Promise<ClickOrder | null> {
    return clickOrder(await call(this.sql, (tx) => tx`select private.click_find_order(${orderId}) as value`));
  }

  async findPrepare(prepareId: number): Promise<ClickPrepare | null> {
    return clickPrepare(await call(this.sql, (tx) => tx`select private.click_find_prepare(${prepareId}) as value`));
  }

  async latestPrepareForOrder(orderId: string): Promise<ClickPrepare | null> {
    return clickPrepare(await call(this.sql, (tx) => tx`select private.click_latest_prepare(${orderId}) as value`));
  }

  async prepare(input: { clickTransId: string; clickPaydocId: string; orderId: string; amountMinor: number }): Promise<ClickPrepare> {
    const value = await call(this.sql, (tx) => tx`
      select private.click_prepare(${input.clickTransId}, ${input.clickPaydocId}, ${input.orderId}, ${input.amountMinor}) as value`);
    return required(clickPrepare(value), 'prepare');
  }

  async confirm(prepareId: number): Promise<ClickPrepare> {
    return required(clickPrepare(await call(this.sql, (tx) => tx`select private.click_confirm(${prepareId}) as value`)), 'prepare');
  }

  async cancel(prepareId: number, clickError: number): Promise<ClickPrepare> {
    return required(clickPrepare(await call(this.sql, (tx) => tx`select private.click_cancel(${prepareId}, ${clickError}) as value`)), 'prepare');
  }
}
