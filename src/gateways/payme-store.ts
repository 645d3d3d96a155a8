// What the Payme protocol layer needs from storage. The SQL work implements this with
// one security-definer function per method, each a single transaction that locks the
// order row, so the compare-and-set semantics below hold under concurrent calls.
// MemoryPaymeStore is the reference implementation, for tests and local development.

export type PaymeState = 1 | 2 | -1 | -2;

/** Payme's cancel reasons: 1..5 and 10 (4 = timeout, 5 = refund). */
export type PaymeCancelReason = 1 | 2 | 3 | 4 | 5 | 10;

export interface PaymeOrder {
  orderId: string;
  /** In tiyin (UZS minor units). */
  amountMinor: number;
  currency: string;
  state: 'awaiting_payment' | 'paid' | 'cancelled';
  /** Whether a paid order may still be cancelled (refunded); false once delivered. */
  refundable: boolean;
}

export interface PaymeTransaction {
  /** Payme's transaction id. */
  id: string;
  /** Payme's creation time (ms): the 12-hour rule counts from here. */
  time: number;
  /** In tiyin. */
  amount: number;
  account: Record<string, string>;
  orderId: string;
  /** Our id for it, returned to Payme as `transaction`. */
  transaction: string;
  /** Our times (ms); 0 until it happens. */
  createTime: number;
  performTime: number;
  cancelTime: number;
  state: PaymeState;
  reason: PaymeCancelReason | null;
}

export type NewPaymeTransaction = Omit<PaymeTransaction, 'transaction' | 'performTime' | 'cancelTime' | 'state' | 'reason'>;

export interface PaymeStore {
  findOrder(orderId: string): Promise<PaymeOrder | null>;
  findTransaction(id: string): Promise<PaymeTransaction | null>;
  /** The order's most recent transaction (by Payme time), if any. */
  latestTransactionForOrder(orderId: string): Promise<PaymeTransaction | null>;
  /**
   * Inserts a transaction in state 1 unless the order already has one in state 1 or 2;
   * then inserts nothing and returns that one as the conflict. Atomic.
   */
  createTransaction(input: NewPaymeTransaction): Promise<{ created: PaymeTransaction } | { conflict: PaymeTransaction }>;
  /**
   * State 1 → 2 and the order becomes paid, atomically, only if the transaction is still
   * in state 1 and the order still awaits payment. Returns the transaction afterwards
   * (unchanged when the condition did not hold).
   */
  performTransaction(id: string, performTime: number): Promise<PaymeTransaction>;
  /**
   * State `from` → -1 (from 1) or -2 (from 2, a refund) with the reason, atomically, only
   * if the transaction is still in state `from`. Cancelling from 1 frees the order for
   * another attempt; from 2 marks it cancelled. Returns the transaction afterwards.
   */
  cancelTransaction(id: string, from: 1 | 2, cancelTime: number, reason: PaymeCancelReason): Promise<PaymeTransaction>;
  /** Transactions whose Payme `time` lies in [from, to], oldest first. */
  listTransactions(from: number, to: number): Promise<PaymeTransaction[]>;
}

/** In-memory PaymeStore for tests and local development. */
export class MemoryPaymeStore implements PaymeStore {
  readonly orders = new Map<string, PaymeOrder>();
  readonly transactions = new Map<string, PaymeTransaction>();
  private sequence = 0;

  addOrder(order: PaymeOrder): void {
    this.orders.set(order.orderId, { ...order });
  }

  async findOrder(orderId: string): Promise<PaymeOrder | null> {
    const order = this.orders.get(orderId);
    return order ? { ...order } : null;
  }

  async findTransaction(id: string): Promise<PaymeTransaction | null> {
    const transaction = this.transactions.get(id);
    return transaction ? clone(transaction) : null;
  }

  async latestTransactionForOrder(orderId: string): Promise<PaymeTransaction | null> {
    let latest: PaymeTransaction | null = null;
    for (const transaction of this.transactions.values()) {
      if (transaction.orderId === orderId && (!latest || transaction.time >= latest.time)) latest = transaction;
    }
    return latest ? clone(latest) : null;
  }

  async createTransaction(input: NewPaymeTransaction): Promise<{ created: PaymeTransaction } | { conflict: PaymeTransaction }> {
    for (const transaction of this.transactions.values()) {
      if (transaction.orderId === input.orderId && (transaction.state === 1 || transaction.state === 2)) {
        return { conflict: clone(transaction) };
      }
    }
    this.sequence += 1;
    const created: PaymeTransaction = {
      ...input,
      account: { ...input.account },
      transaction: String(this.sequence),
      performTime: 0,
      cancelTime: 0,
      state: 1,
      reason: null,
    };
    this.transactions.set(created.id, created);
    return { created: clone(created) };
  }

  async performTransaction(id: string, performTime: number): Promise<PaymeTransaction> {
    const transaction = this.require(id);
    const order = this.orders.get(transaction.orderId);
    if (transaction.state === 1 && order?.state === 'awaiting_payment') {
      transaction.state = 2;
      transaction.performTime = performTime;
      order.state = 'paid';
    }
    return clone(transaction);
  }

  async cancelTransaction(id: string, from: 1 | 2, cancelTime: number, reason: PaymeCancelReason): Promise<PaymeTransaction> {
    const transaction = this.require(id);
    if (transaction.state === from) {
      transaction.state = from === 1 ? -1 : -2;
      transaction.cancelTime = cancelTime;
      transaction.reason = reason;
      const order = this.orders.get(transaction.orderId);
      if (order && from === 2) order.state = 'cancelled';
    }
    return clone(transaction);
  }

  async listTransactions(from: number, to: number): Promise<PaymeTransaction[]> {
    return [...this.transactions.values()]
      .filter((transaction) => transaction.time >= from && transaction.time <= to)
      .sort((a, b) => a.time - b.time)
      .map(clone);
  }

  private require(id: string): PaymeTransaction {
    const transaction = this.transactions.get(id);
    if (!transaction) throw new Error(`no Payme transaction ${id}`);
    return transaction;
  }
}

function clone(transaction: PaymeTransaction): PaymeTransaction {
  return { ...transaction, account: { ...transaction.account } };
}
