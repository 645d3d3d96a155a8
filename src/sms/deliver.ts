// One batch of the notification SMS queue: the rows private.claim_sms_deliveries leased
// (text already rendered in the user's language), each sent through the provider the
// Send SMS hook would use for that number (routeSms), and the reports
// private.complete_deliveries expects.
//
// At most once: a row is sent only after `start` (private.start_sms_delivery) confirms
// the lease is still this worker's and records that the provider call begins; a call
// that is started and never reported is not repeated by anyone. The one case that is
// retried without knowing whether the provider took the message is a call that timed
// out: it goes again with the same reference (the delivery's id), which providers that
// accept a client reference (Vonage client-ref, SSL Wireless csms_id) record with it.
//
// Per delivery:
// - no usable phone number              → skipped (nothing to send to);
// - no market serves the number         → failed (and no fallback provider is set);
// - the provider is not configured      → retry (an operator must add its credentials);
// - lease lost before the call          → not sent, not reported (claim_lost);
// - sent                                → sent, with the provider's message id;
// - invalid number, refused             → failed (retrying cannot help);
// - rate limited, outage, our account   → retry (backoff, at least Retry-After).
import { z } from 'zod';
import { pLimit } from '../concurrency.ts';
import { routeSms, type SmsMarket } from './markets.ts';
import { maskPhone, normalizePhone } from './phone.ts';
import { isSmsError, type SmsProvider } from './provider.ts';

/** A row of private.claim_sms_deliveries. */
export const ClaimedSms = z.object({
  delivery_id: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative(), z.bigint()]).transform(String),
  claim_id: z.guid(),
  attempt: z.number().int(),
  notification_id: z.guid(),
  user_id: z.guid(),
  market_code: z.string(),
  phone: z.string().nullable(),
  locale: z.string().nullable(),
  text: z.string().nullable(),
});
export type ClaimedSms = z.output<typeof ClaimedSms>;

/** An element of private.complete_deliveries(results). */
export interface SmsDeliveryReport {
  delivery_id: string;
  claim_id: string;
  outcome: 'sent' | 'retry' | 'failed' | 'skipped';
  error?: string;
  retry_after_seconds?: number;
  provider_message_id?: string;
}

export interface SmsRouting {
  markets: readonly SmsMarket[];
  /** The provider for a slug from markets.sms_provider; undefined when it is not configured. */
  provider: (name: string) => SmsProvider | undefined;
  /** SMS_FALLBACK_PROVIDER: for numbers no market matches. */
  fallbackProvider?: string | undefined;
}

export interface SmsBatchOptions {
  /** Provider calls in flight at once (default 5). */
  concurrency?: number;
  /** Logs one line per delivery, without the text and with the number masked. */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface SmsBatchResult {
  reports: SmsDeliveryReport[];
  /** Rows whose lease was gone before the provider call: not sent, not reported. */
  claimLost: number;
}

/** The reference a provider gets for a delivery: the same on every attempt. */
export function smsReference(deliveryId: string): string {
  return `soko-notification-${deliveryId}`;
}

export async function deliverSmsBatch(
  rows: ClaimedSms[],
  routing: SmsRouting,
  start: (row: ClaimedSms) => Promise<boolean>,
  options: SmsBatchOptions = {},
): Promise<SmsBatchResult> {
  const limit = pLimit(Math.max(1, options.concurrency ?? 5));
  const log = options.log ?? (() => undefined);
  let claimLost = 0;
  const outcomes = await Promise.all(
    rows.map((row) =>
      limit(async (): Promise<SmsDeliveryReport | undefined> => {
        const base = { delivery_id: row.delivery_id, claim_id: row.claim_id };
        const fields: Record<string, unknown> = { deliveryId: row.delivery_id, attempt: row.attempt, market: row.market_code };
        const phone = normalizePhone(row.phone);
        if (!phone) return { ...base, outcome: 'skipped', error: 'no usable phone number' };
        fields.to = maskPhone(phone);
        if (!row.text?.trim()) return { ...base, outcome: 'failed', error: 'no text to send' };

        const { market, providerName } = routeSms(routing.markets, phone, row.market_code, routing.fallbackProvider);
        fields.provider = providerName;
        if (!providerName) return { ...base, outcome: 'failed', error: 'no market serves this number' };
        const provider = routing.provider(providerName);
        if (!provider) return { ...base, outcome: 'retry', error: `sms provider ${providerName} is not configured` };

        if (!(await start(row))) {
          claimLost += 1;
          log('notification-sms: lease lost, not sent', { level: 'warn', ...fields });
          return undefined;
        }
        try {
          const { providerMessageId } = await provider.send({ to: phone, text: row.text, reference: smsReference(row.delivery_id) });
          log('notification-sms: sent', { level: 'info', ...fields, market: market?.code ?? row.market_code, providerMessageId });
          return { ...base, outcome: 'sent', provider_message_id: providerMessageId.slice(0, 200) };
        } catch (error) {
          if (!isSmsError(error)) {
            // An adapter bug must not lose the batch: report it and let the queue retry.
            log('notification-sms: provider crashed', { level: 'error', ...fields, error: error instanceof Error ? error.name : typeof error });
            return { ...base, outcome: 'retry', error: 'SENDER_ERROR' };
          }
          log('notification-sms: not sent', {
            level: error.kind === 'account' ? 'error' : 'warn',
            ...fields,
            kind: error.kind,
            permanent: error.permanent,
            providerCode: error.providerCode,
          });
          const message = `${error.kind}: ${error.message}`.slice(0, 500);
          if (error.permanent) return { ...base, outcome: 'failed', error: message };
          const report: SmsDeliveryReport = { ...base, outcome: 'retry', error: message };
          if (error.retryAfterSeconds !== undefined) report.retry_after_seconds = error.retryAfterSeconds;
          return report;
        }
      }),
    ),
  );
  return { reports: outcomes.filter((r): r is SmsDeliveryReport => r !== undefined), claimLost };
}
