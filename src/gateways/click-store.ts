// What the Click SHOP API layer needs from storage. As with PaymeStore, the SQL work
// implements each operation as one transaction that locks the order row; the
// compare-and-set semantics below must hold under concurrent Prepare/Complete calls.
// MemoryClickStore is the reference implementation, for tests and local development.

export interface ClickOrder {
  orderId: string;
  /** In tiyin (UZS minor units). */
  amountMinor: number;
  currency: string;
  state: 'awaiting_payment' | 'paid' | 'cancelled';
}

export interface ClickPrepare {
  /** Our merchant_prepare_id. */
  prepareId: number;
  clickTransId: string;
  clickPaydocId: string;
  orderId: string;
  amountMinor: number;
  state: 'prepared' | 'confirmed' | 'cancelled';
  /** Our merchant_confirm_id, once confirmed. */
  confirmId: number | null;
  /** Click's error code when Click cancelled it. */
  cancelCode: number | null;
}

export interface ClickStore {
  findOrder(orderId: string): Promise<ClickOrder | null>;
  findPrepare(prepareId: number): Promise<ClickPrepare | null>;
  /** The order's most recent prepare, if any. */
  latestPrepareForOrder(orderId: string): Promise<ClickPrepare | null>;
  /** Records a Prepare; idempotent on clickTransId (a repeat returns the first). */
  prepare(input: { clickTransId: string; clickPaydocId: string; orderId: string; amountMinor: number }): Promise<ClickPrepare>;
  /**
   * prepared → confirmed and the order becomes paid, atomically, only if the prepare is
   * still prepared and the order still awaits payment. Returns the prepare afterwards.
   */
  confirm(prepareId: number): Promise<ClickPrepare>;
  /** prepared → cancelled with Click's error code, only if still prepared. */
  cancel(prepareId: number, clickError: number): Promise<ClickPrepare>;
}

export class MemoryClickStore implements ClickStore {
  readonly orders = new Map<string, ClickOrder>();
  readonly prepares = new Map<number, ClickPrepare>();
  private sequence = 1000;

  addOrder(order: ClickOrder): void {
    this.orders.set(order.orderId, { ...order });
  }

  async findOrder(orderId: string): Promise<ClickOrder | null> {
    const order = this.orders.get(orderId);
    return order ? { ...order } : null;
  }

  async findPrepare(prepareId: number): Promise<ClickPrepare | null> {
    const prepare = this.prepares.get(prepareId);
    return prepare ? { ...prepare } : null;
  }

  async latestPrepareForOrder(orderId: string): Promise<ClickPrepare | null> {
    let latest: ClickPrepare | null = null;
    for (const prepare of this.prepares.values()) {
      if (prepare.orderId === orderId && (!latest || prepare.prepareId > latest.prepareId)) latest = prepare;
    }
    return latest ? { ...latest } : null;
  }

  async prepare(input: { clickTransId: string; clickPaydocId: string; orderId: string; amountMinor: number }): Promise<ClickPrepare> {
    for (const prepare of this.prepares.values()) {
      if (prepare.clickTransId === input.clickTransId) return { ...prepare };
    }
    this.sequence += 1;
    const prepare: ClickPrepare = { ...input, prepareId: this.sequence, state: 'prepared', confirmId: null, cancelCode: null };
    this.prepares.set(prepare.prepareId, prepare);
    return { ...prepare };
  }

  async confirm(prepareId: number): Promise<ClickPrepare> {
    const prepare = this.prepares.get(prepareId);
    if (!prepare) throw new Error(`no Click prepare ${prepareId}`);
    const order = this.orders.get(prepare.orderId);
    if (prepare.state === 'prepared' && order?.state === 'awaiting_payment') {
      this.sequence += 1;
      prepare.state = 'confirmed';
      prepare.confirmId = this.sequence;
      order.state = 'paid';
    }
    return { ...prepare };
  }

  async cancel(prepareId: number, clickError: number): Promise<ClickPrepare> {
    const prepare = this.prepares.get(prepareId);
    if (!prepare) throw new Error(`no Click prepare ${prepareId}`);
    if (prepare.state === 'prepared') {
      prepare.state = 'cancelled';
      prepare.cancelCode = clickError;
    }
    return { ...prepare };
  }
}
