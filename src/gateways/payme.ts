// Payme (Uzbekistan) Merchant API: Payme calls us with JSON-RPC over POST, and we
// answer every call with HTTP 200 and either `result` or `error {code, message
// {ru, uz, en}, data}`. This module is the protocol layer: authentication, parsing
// and validation, the transaction state machine (1 created, 2 performed, -1
// cancelled, -2 cancelled after perform) and the 12-hour rule. Storage is behind
// PaymeStore (payme-store.ts), whose operations are atomic compare-and-sets.
//
// Amounts are in tiyin, times in ms since the epoch. Refunds are started by the
// merchant in Payme's cabinet, which then calls CancelTransaction on a performed
// transaction; there is no merchant-initiated refund call in this API.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { base64ToUtf8, timingSafeEqual, utf8ToBase64 } from './crypto.ts';
import { NotSupportedError, UnknownPaymentError } from './errors.ts';
import type { PaymeOrder, PaymeStore, PaymeTransaction } from './payme-store.ts';
import { checkPaymentRequest, jsonReply } from './shared.ts';
import type {
  CallbackOutcome,
  CallbackResult,
  GatewayCapabilities,
  Initiation,
  PaymentGateway,
  PaymentRequest,
  PaymentSnapshot,
  RefundResult,
} from './types.ts';

/** A transaction in state 1 older than this (from Payme's `time`) can no longer be performed. */
export const PAYME_TRANSACTION_TIMEOUT_MS = 43_200_000;

export interface PaymeConfig {
  /** The cash register (kassa) id, for checkout URLs. */
  merchantId: string;
  /** The key Payme authenticates with: Basic base64("Paycom:" + key). */
  key: string;
  /** Field of `account` that names our order; default "order_id". */
  accountField?: string | undefined;
  /** https://checkout.paycom.uz (production) or https://checkout.test.paycom.uz. */
  checkoutBaseUrl?: string | undefined;
  /** Handles ChangePassword (store the new key); without it the method is refused. */
  onChangePassword?: ((newKey: string) => Promise<void>) | undefined;
  now?: () => number;
}

interface Localised {
  ru: string;
  uz: string;
  en: string;
}

/** Every error we answer with, its code and its message in Russian, Uzbek and English. */
export const PAYME_ERRORS = {
  notPost: { code: -32300, message: { ru: 'Метод запроса должен быть POST.', uz: "So'rov usuli POST bo'lishi kerak.", en: 'The request method must be POST.' } },
  parse: { code: -32700, message: { ru: 'Ошибка разбора JSON.', uz: 'JSON tahlilida xatolik.', en: 'The JSON could not be parsed.' } },
  invalidRequest: { code: -32600, message: { ru: 'Неверный запрос JSON-RPC.', uz: "JSON-RPC so'rovi noto'g'ri.", en: 'The JSON-RPC request is not valid.' } },
  methodNotFound: { code: -32601, message: { ru: 'Запрашиваемый метод не найден.', uz: "So'ralgan usul topilmadi.", en: 'The requested method was not found.' } },
  unauthorized: { code: -32504, message: { ru: 'Недостаточно привилегий для выполнения метода.', uz: "Usulni bajarish uchun huquqlar yetarli emas.", en: 'Insufficient privileges to perform this method.' } },
  system: { code: -32400, message: { ru: 'Системная ошибка.', uz: 'Tizim xatosi.', en: 'System error.' } },
  wrongAmount: { code: -31001, message: { ru: 'Неверная сумма.', uz: "Noto'g'ri summa.", en: 'The amount is incorrect.' } },
  transactionNotFound: { code: -31003, message: { ru: 'Транзакция не найдена.', uz: 'Tranzaksiya topilmadi.', en: 'The transaction was not found.' } },
  cannotCancel: {
    code: -31007,
    message: {
      ru: 'Невозможно отменить транзакцию: заказ выполнен.',
      uz: "Tranzaksiyani bekor qilib bo'lmaydi: buyurtma bajarilgan.",
      en: 'The transaction cannot be cancelled: the order has been fulfilled.',
    },
  },
  cannotPerform: { code: -31008, message: { ru: 'Невозможно выполнить операцию.', uz: "Amalni bajarib bo'lmaydi.", en: 'The operation cannot be performed.' } },
  orderNotFound: { code: -31050, message: { ru: 'Заказ не найден.', uz: 'Buyurtma topilmadi.', en: 'The order was not found.' } },
  orderNotPayable: {
    code: -31051,
    message: { ru: 'Заказ уже оплачен или отменён.', uz: "Buyurtma allaqachon to'langan yoki bekor qilingan.", en: 'The order is already paid or cancelled.' },
  },
  orderBusy: {
    code: -31052,
    message: {
      ru: 'Заказ ожидает оплаты другой транзакцией.',
      uz: "Buyurtma boshqa tranzaksiya orqali to'lanmoqda.",
      en: 'The order is awaiting payment by another transaction.',
    },
  },
} as const satisfies Record<string, { code: number; message: Localised }>;

type PaymeErrorName = keyof typeof PAYME_ERRORS;

/** Thrown inside a method; becomes the JSON-RPC error. */
class PaymeRpcError extends Error {
  constructor(
    readonly errorName: PaymeErrorName,
    readonly data?: string,
  ) {
    super(errorName);
  }
}

const rpcId = z.union([z.number(), z.string()]).nullable();

const envelopeSchema = z.object({
  jsonrpc: z.literal('2.0').optional(),
  id: rpcId.optional(),
  method: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
});

const accountSchema = z.record(z.string(), z.union([z.string(), z.number()]).transform(String));
const transactionIdSchema = z.string().min(1).max(255);
const msSchema = z.number().int().nonnegative();
const reasonSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5), z.literal(10)]);

const paramSchemas = {
  CheckPerformTransaction: z.object({ amount: z.unknown(), account: accountSchema }),
  CreateTransaction: z.object({ id: transactionIdSchema, time: msSchema, amount: z.unknown(), account: accountSchema }),
  PerformTransaction: z.object({ id: transactionIdSchema }),
  CancelTransaction: z.object({ id: transactionIdSchema, reason: reasonSchema }),
  CheckTransaction: z.object({ id: transactionIdSchema }),
  GetStatement: z.object({ from: msSchema, to: msSchema }),
  ChangePassword: z.object({ password: z.string().min(1) }),
} as const;

type MethodName = keyof typeof paramSchemas;

function isMethod(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(paramSchemas, name);
}

export interface PaymeCheckoutParams {
  merchantId: string;
  /** e.g. { order_id: "…" }: becomes ac.order_id=… */
  account: Record<string, string>;
  amountMinor: number;
  /** Where Payme sends the customer afterwards (c=). */
  returnUrl?: string | undefined;
  /** Checkout language (l=). */
  lang?: 'ru' | 'uz' | 'en' | undefined;
  baseUrl?: string | undefined;
}

/**
 * The GET checkout link: base URL + base64("m=<merchant>;ac.<field>=<value>;a=<tiyin>[;l=…][;c=…]").
 */
export function buildPaymeCheckoutUrl(params: PaymeCheckoutParams): string {
  if (!Number.isSafeInteger(params.amountMinor) || params.amountMinor <= 0) {
    throw new ValidationError('The amount must be a positive number of tiyin.', { field: 'amountMinor' });
  }
  const parts: Array<[string, string]> = [['m', params.merchantId]];
  for (const [field, value] of Object.entries(params.account)) parts.push([`ac.${field}`, value]);
  parts.push(['a', String(params.amountMinor)]);
  if (params.lang) parts.push(['l', params.lang]);
  if (params.returnUrl) parts.push(['c', params.returnUrl]);
  for (const [name, value] of parts) {
    // ";" separates parameters; it cannot be escaped.
    if (value.includes(';') || value === '') throw new ValidationError('A checkout parameter is not valid.', { field: name });
  }
  const base = (params.baseUrl ?? 'https://checkout.paycom.uz').replace(/\/+$/, '');
  return `${base}/${utf8ToBase64(parts.map(([name, value]) => `${name}=${value}`).join(';'))}`;
}

export class PaymeGateway implements PaymentGateway {
  readonly id = 'payme' as const;
  readonly capabilities: GatewayCapabilities = { refund: false, partialRefund: false, merchantApi: true };
  private readonly accountField: string;
  private readonly now: () => number;

  constructor(
    private readonly config: PaymeConfig,
    private readonly store: PaymeStore,
  ) {
    this.accountField = config.accountField ?? 'order_id';
    this.now = config.now ?? Date.now;
  }

  /** The order must already be in the store under `paymentId`, in tiyin. */
  async initiate(payment: PaymentRequest): Promise<Initiation> {
    checkPaymentRequest(payment, ['UZS']);
    return {
      kind: 'redirect',
      reference: payment.paymentId,
      url: buildPaymeCheckoutUrl({
        merchantId: this.config.merchantId,
        account: { [this.accountField]: payment.paymentId },
        amountMinor: payment.amountMinor,
        returnUrl: payment.returnUrl,
        baseUrl: this.config.checkoutBaseUrl,
      }),
    };
  }

  /** Payme pushes every state change to us, so the store already knows. */
  async fetchStatus(reference: string): Promise<PaymentSnapshot> {
    const latest = await this.store.latestTransactionForOrder(reference);
    if (latest) return this.snapshot(latest);
    const order = await this.store.findOrder(reference);
    if (!order) throw new UnknownPaymentError(this.id, reference);
    return { gateway: this.id, reference, status: 'pending', amountMinor: order.amountMinor, currency: order.currency, gatewayTransactionId: null };
  }

  async refund(): Promise<RefundResult> {
    throw new NotSupportedError(this.id, 'refund', "Payme refunds are started in Payme's merchant cabinet, which then cancels the transaction.");
  }

  /** Answers one Merchant API call. Never throws for protocol errors: they are the reply. */
  async verifyCallback(request: Request): Promise<CallbackResult> {
    if (request.method !== 'POST') return this.fail(null, new PaymeRpcError('notPost'));
    const raw = await request.text();
    let body: unknown;
    let parsed = true;
    try {
      body = JSON.parse(raw) as unknown;
    } catch {
      parsed = false;
    }
    const id = requestId(body);
    if (!this.authorized(request.headers.get('authorization'))) return this.fail(id, new PaymeRpcError('unauthorized'));
    if (!parsed) return this.fail(null, new PaymeRpcError('parse'));
    const envelope = envelopeSchema.safeParse(body);
    if (!envelope.success) return this.fail(id, new PaymeRpcError('invalidRequest'));
    const { method, params } = envelope.data;
    if (!isMethod(method)) return this.fail(id, new PaymeRpcError('methodNotFound', method));
    try {
      const { result, outcome } = await this.dispatch(method, params);
      return { outcome, reply: jsonReply({ jsonrpc: '2.0', id, result }) };
    } catch (error) {
      if (error instanceof PaymeRpcError) return this.fail(id, error);
      // Storage failed: Payme retries; tell it nothing more.
      return this.fail(id, new PaymeRpcError('system'));
    }
  }

  private async dispatch(method: MethodName, rawParams: Record<string, unknown>): Promise<{ result: unknown; outcome: CallbackOutcome }> {
    switch (method) {
      case 'CheckPerformTransaction': {
        const params = this.params(method, rawParams);
        const amount = checkAmount(params.amount);
        const order = await this.payableOrder(params.account, amount);
        const latest = await this.store.latestTransactionForOrder(order.orderId);
        if (latest && (await this.blocksOrder(latest))) throw new PaymeRpcError('orderBusy', this.accountField);
        return { result: { allow: true }, outcome: ignored('checked') };
      }
      case 'CreateTransaction': {
        const params = this.params(method, rawParams);
        const amount = checkAmount(params.amount);
        const existing = await this.store.findTransaction(params.id);
        if (existing) {
          if (existing.state !== 1) throw new PaymeRpcError('cannotPerform');
          if (this.expired(existing)) {
            await this.store.cancelTransaction(existing.id, 1, this.now(), 4);
            throw new PaymeRpcError('cannotPerform');
          }
          return { result: createResult(existing), outcome: ignored('repeat') };
        }
        const order = await this.payableOrder(params.account, amount);
        if (this.now() - params.time > PAYME_TRANSACTION_TIMEOUT_MS) throw new PaymeRpcError('cannotPerform');
        const input = {
          id: params.id,
          time: params.time,
          amount,
          account: params.account,
          orderId: order.orderId,
          createTime: this.now(),
        };
        let attempt = await this.store.createTransaction(input);
        if ('conflict' in attempt && (await this.releaseIfExpired(attempt.conflict))) {
          attempt = await this.store.createTransaction(input);
        }
        if ('conflict' in attempt) {
          throw attempt.conflict.state === 2 ? new PaymeRpcError('orderNotPayable', this.accountField) : new PaymeRpcError('orderBusy', this.accountField);
        }
        return { result: createResult(attempt.created), outcome: ignored('created') };
      }
      case 'PerformTransaction': {
        const params = this.params(method, rawParams);
        const transaction = await this.requireTransaction(params.id);
        if (transaction.state === 1) {
          if (this.expired(transaction)) {
            await this.store.cancelTransaction(transaction.id, 1, this.now(), 4);
            throw new PaymeRpcError('cannotPerform');
          }
          const performed = await this.store.performTransaction(transaction.id, this.now());
          if (performed.state !== 2) throw new PaymeRpcError('cannotPerform');
          return { result: performResult(performed), outcome: this.verified(performed) };
        }
        if (transaction.state === 2) return { result: performResult(transaction), outcome: this.verified(transaction) };
        throw new PaymeRpcError('cannotPerform');
      }
      case 'CancelTransaction': {
        const params = this.params(method, rawParams);
        const transaction = await this.requireTransaction(params.id);
        let current = transaction;
        if (transaction.state === 1) {
          current = await this.store.cancelTransaction(transaction.id, 1, this.now(), params.reason);
        } else if (transaction.state === 2) {
          const order = await this.store.findOrder(transaction.orderId);
          if (!order?.refundable) throw new PaymeRpcError('cannotCancel');
          current = await this.store.cancelTransaction(transaction.id, 2, this.now(), params.reason);
        }
        if (current.state !== -1 && current.state !== -2) throw new PaymeRpcError('cannotCancel');
        return {
          result: { transaction: current.transaction, cancel_time: current.cancelTime, state: current.state },
          outcome: this.verified(current),
        };
      }
      case 'CheckTransaction': {
        const params = this.params(method, rawParams);
        const transaction = await this.requireTransaction(params.id);
        return {
          result: {
            create_time: transaction.createTime,
            perform_time: transaction.performTime,
            cancel_time: transaction.cancelTime,
            transaction: transaction.transaction,
            state: transaction.state,
            reason: transaction.reason,
          },
          outcome: ignored('checked'),
        };
      }
      case 'GetStatement': {
        const params = this.params(method, rawParams);
        if (params.from > params.to) throw new PaymeRpcError('invalidRequest');
        const transactions = await this.store.listTransactions(params.from, params.to);
        return {
          result: {
            transactions: transactions.map((transaction) => ({
              id: transaction.id,
              time: transaction.time,
              amount: transaction.amount,
              account: transaction.account,
              create_time: transaction.createTime,
              perform_time: transaction.performTime,
              cancel_time: transaction.cancelTime,
              transaction: transaction.transaction,
              state: transaction.state,
              reason: transaction.reason,
            })),
          },
          outcome: ignored('statement'),
        };
      }
      case 'ChangePassword': {
        const params = this.params(method, rawParams);
        if (!this.config.onChangePassword) throw new PaymeRpcError('methodNotFound', method);
        await this.config.onChangePassword(params.password);
        return { result: { success: true }, outcome: ignored('password') };
      }
    }
  }

  private params<M extends MethodName>(method: M, raw: Record<string, unknown>): z.infer<(typeof paramSchemas)[M]> {
    const parsed = paramSchemas[method].safeParse(raw);
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path[0];
      // A bad amount is Payme's "wrong amount"; anything else a malformed request.
      if (field === 'amount') throw new PaymeRpcError('wrongAmount');
      throw new PaymeRpcError('invalidRequest', typeof field === 'string' ? field : undefined);
    }
    return parsed.data as z.infer<(typeof paramSchemas)[M]>;
  }

  private async payableOrder(account: Record<string, string>, amount: number): Promise<PaymeOrder> {
    const orderId = account[this.accountField];
    if (!orderId) throw new PaymeRpcError('orderNotFound', this.accountField);
    const order = await this.store.findOrder(orderId);
    if (!order || order.currency !== 'UZS') throw new PaymeRpcError('orderNotFound', this.accountField);
    if (order.amountMinor !== amount) throw new PaymeRpcError('wrongAmount');
    if (order.state !== 'awaiting_payment') throw new PaymeRpcError('orderNotPayable', this.accountField);
    return order;
  }

  /** Whether `transaction` still holds its order (cancelling it first if it has timed out). */
  private async blocksOrder(transaction: PaymeTransaction): Promise<boolean> {
    if (transaction.state === 2) return true;
    if (transaction.state !== 1) return false;
    return !(await this.releaseIfExpired(transaction));
  }

  /** Cancels a state-1 transaction past the 12 hours (reason 4); true if it no longer holds the order. */
  private async releaseIfExpired(transaction: PaymeTransaction): Promise<boolean> {
    if (transaction.state !== 1 || !this.expired(transaction)) return false;
    const after = await this.store.cancelTransaction(transaction.id, 1, this.now(), 4);
    return after.state === -1;
  }

  private expired(transaction: PaymeTransaction): boolean {
    return this.now() - transaction.time > PAYME_TRANSACTION_TIMEOUT_MS;
  }

  private async requireTransaction(id: string): Promise<PaymeTransaction> {
    const transaction = await this.store.findTransaction(id);
    if (!transaction) throw new PaymeRpcError('transactionNotFound');
    return transaction;
  }

  private authorized(header: string | null): boolean {
    const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(header?.trim() ?? '');
    if (!match) return false;
    let decoded: string;
    try {
      decoded = base64ToUtf8(match[1]!);
    } catch {
      return false;
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const loginOk = timingSafeEqual(decoded.slice(0, colon), 'Paycom');
    const keyOk = timingSafeEqual(decoded.slice(colon + 1), this.config.key);
    return loginOk && keyOk;
  }

  private snapshot(transaction: PaymeTransaction): PaymentSnapshot {
    const status =
      transaction.state === 1 ? 'pending'
      : transaction.state === 2 ? 'succeeded'
      : transaction.state === -2 ? 'refunded'
      : transaction.reason === 4 ? 'expired'
      : 'cancelled';
    return {
      gateway: this.id,
      reference: transaction.orderId,
      status,
      amountMinor: transaction.amount,
      currency: 'UZS',
      gatewayTransactionId: transaction.id,
      failureReason: transaction.state === -1 ? `reason_${transaction.reason ?? 'unknown'}` : null,
    };
  }

  private verified(transaction: PaymeTransaction): CallbackOutcome {
    const payment = this.snapshot(transaction);
    return { kind: 'verified', eventId: `payme:${transaction.id}:${transaction.state}`, payment };
  }

  private fail(id: string | number | null, error: PaymeRpcError): CallbackResult {
    const { code, message } = PAYME_ERRORS[error.errorName];
    return {
      outcome: ignored(`error:${code}`),
      reply: jsonReply({ jsonrpc: '2.0', id, error: { code, message, ...(error.data ? { data: error.data } : {}) } }),
    };
  }
}

function ignored(reason: string): CallbackOutcome {
  return { kind: 'ignored', reason };
}

function requestId(body: unknown): string | number | null {
  if (body && typeof body === 'object' && 'id' in body) {
    const id = (body as { id: unknown }).id;
    if (typeof id === 'number' || typeof id === 'string') return id;
  }
  return null;
}

function checkAmount(amount: unknown): number {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) throw new PaymeRpcError('wrongAmount');
  return amount;
}

function createResult(transaction: PaymeTransaction) {
  return { create_time: transaction.createTime, transaction: transaction.transaction, state: transaction.state };
}

function performResult(transaction: PaymeTransaction) {
  return { transaction: transaction.transaction, perform_time: transaction.performTime, state: transaction.state };
}

