// Sending payouts. The SQL books a payout when the provider asks (request_payout:
// earnings → payout_clearing); the worker here sends it on its rail and reports back
// (complete_payout: succeeded → the money left through the rail's clearing account;
// failed → the ledger puts it back into the provider's earnings).
//
// A rail call that times out has an unknown outcome: the payout stays pending and the
// next round sends it again with the same id, which MoMo's X-Reference-Id makes safe
// (a repeat is refused with 409, which the adapter reads as "already accepted").
import { GatewayError, GatewayRejectedError, NotSupportedError, UnknownPaymentError } from '../gateways/errors.ts';
import type { MtnMomoGateway } from '../gateways/mtn-momo.ts';
import { currencyCode } from '../money.ts';
import type { Logger } from '../errors.ts';
import type { Gateways } from './gateways.ts';
import { asService, sendNotices, toNumber, type Sql } from './sql.ts';

export type PayoutRailId = 'mtn_momo' | 'fake';

export interface TransferRequest {
  payoutId: string;
  amountMinor: number;
  currency: string;
  /** E.164 digits without '+'. */
  phone: string;
}

export interface TransferState {
  status: 'pending' | 'succeeded' | 'failed';
  reference: string;
  failureReason?: string | null;
}

export interface PayoutRail {
  readonly id: PayoutRailId;
  transfer(request: TransferRequest): Promise<TransferState>;
  status(reference: string): Promise<TransferState>;
}

/** MTN MoMo Disbursement: transfer, then poll (or get a callback) for the outcome. */
export class MtnMomoPayoutRail implements PayoutRail {
  readonly id = 'mtn_momo' as const;

  constructor(private readonly momo: MtnMomoGateway) {}

  async transfer(request: TransferRequest): Promise<TransferState> {
    const accepted = await this.momo.transfer({
      payoutId: request.payoutId,
      amountMinor: request.amountMinor,
      currency: currencyCode(request.currency),
      payeePhone: `+${request.phone}`,
      message: 'Soko payout',
    });
    return { status: 'pending', reference: accepted.reference };
  }

  async status(reference: string): Promise<TransferState> {
    const snapshot = await this.momo.fetchTransferStatus(reference);
    const status = snapshot.status === 'succeeded' ? 'succeeded' : snapshot.status === 'pending' ? 'pending' : 'failed';
    return { status, reference, failureReason: snapshot.failureReason ?? null };
  }
}

/**
 * Development and tests: pays out at once, except to numbers ending in 0000, which fail
 * (as MoMo's sandbox number 46733123450 does), so both outcomes can be exercised.
 */
export class FakePayoutRail implements PayoutRail {
  readonly id = 'fake' as const;
  private readonly outcomes = new Map<string, TransferState>();

  async transfer(request: TransferRequest): Promise<TransferState> {
    const state: TransferState = request.phone.endsWith('0000')
      ? { status: 'failed', reference: request.payoutId, failureReason: 'PAYEE_NOT_FOUND' }
      : { status: 'succeeded', reference: request.payoutId };
    this.outcomes.set(request.payoutId, state);
    return state;
  }

  async status(reference: string): Promise<TransferState> {
    return this.outcomes.get(reference) ?? { status: 'failed', reference, failureReason: 'NOT_FOUND' };
  }
}

export interface PayoutRound {
  sent: number;
  succeeded: number;
  failed: number;
  pending: number;
  errors: number;
}

interface ClaimedPayout {
  payout_id: string;
  status: 'pending' | 'processing';
  rail: string;
  phone: string;
  amount_minor: unknown;
  currency: string;
  gateway_reference: string | null;
}

async function complete(
  sql: Sql,
  payoutId: string,
  status: 'processing' | 'succeeded' | 'failed' | null,
  reference: string | null,
  failureReason: string | null,
  retryAfterSeconds = 120,
): Promise<void> {
  await asService(sql, (tx) => tx`
    select private.complete_payout(${payoutId}, ${status}::public.payout_status, ${reference}, ${failureReason},
                                   make_interval(secs => ${retryAfterSeconds}))`);
}

/** One round of the payout worker: sends pending payouts and checks those in flight. */
export async function runPayouts(
  sql: Sql,
  gateways: Gateways,
  options: { batchSize?: number; only?: string; log?: Logger } = {},
): Promise<PayoutRound> {
  const round: PayoutRound = { sent: 0, succeeded: 0, failed: 0, pending: 0, errors: 0 };
  const claimed = await asService(sql, (tx) => tx<ClaimedPayout[]>`
    select * from private.claim_payouts(${options.batchSize ?? 50}, interval '2 minutes', ${options.only ?? null})`);
  for (const payout of claimed) {
    try {
      const rail = gateways.rail(payout.rail);
      const state =
        payout.status === 'pending'
          ? await rail.transfer({ payoutId: payout.payout_id, amountMinor: toNumber(payout.amount_minor), currency: payout.currency, phone: payout.phone })
          : await rail.status(payout.gateway_reference ?? payout.payout_id);
      if (payout.status === 'pending') round.sent += 1;
      const status = state.status === 'pending' ? 'processing' : state.status;
      await complete(sql, payout.payout_id, status, state.reference, state.failureReason ?? null);
      round[state.status === 'pending' ? 'pending' : state.status] += 1;
    } catch (error) {
      if (error instanceof GatewayRejectedError || error instanceof NotSupportedError || error instanceof UnknownPaymentError) {
        // Refused outright (bad number, limits): the money goes back to the provider.
        await complete(sql, payout.payout_id, 'failed', null, error.code);
        round.failed += 1;
      } else {
        // Unknown outcome (timeout, 5xx, rail not configured): leave it for the next round.
        round.errors += 1;
        options.log?.('payout attempt failed', {
          payoutId: payout.payout_id,
          code: error instanceof GatewayError || error instanceof Error ? ((error as { code?: string }).code ?? error.name) : 'unknown',
        });
        await complete(sql, payout.payout_id, null, null, error instanceof Error ? error.message.slice(0, 200) : 'unknown', 300);
      }
    }
  }
  if (claimed.length > 0) await sendNotices(sql, options.log);
  return round;
}
