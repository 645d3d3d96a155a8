// One batch of the push queue: the rows private.claim_push_deliveries leased, sent to
// every device of each user, and the reports private.complete_deliveries expects.
//
// Per delivery (one notification, one user, n devices):
// - no device left                       → skipped (SMS fallback may follow in SQL);
// - at least one device got it           → sent (dead tokens of the others are removed);
// - none got it, some may later          → retry, with the longest Retry-After asked for;
// - every token is dead                  → skipped, and all of them are removed;
// - otherwise (the message itself fails) → failed.
import { z } from 'zod';
import { pLimit } from '../concurrency.ts';
import type { PushMessage, PushSender, SendResult } from './fcm.ts';

/** A row of private.claim_push_deliveries. */
export const ClaimedPush = z.object({
  delivery_id: z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative(), z.bigint()]).transform(String),
  claim_id: z.guid(),
  attempt: z.number().int(),
  notification_id: z.guid(),
  user_id: z.guid(),
  template_key: z.string(),
  params: z.record(z.string(), z.unknown()),
  collapse_key: z.string().nullable(),
  critical: z.boolean(),
  locale: z.string().nullable(),
  title: z.string().nullable(),
  body: z.string().nullable(),
  tokens: z.array(z.object({ token: z.string(), platform: z.string() })),
});
export type ClaimedPush = z.output<typeof ClaimedPush>;

/** An element of private.complete_deliveries(results). */
export interface DeliveryReport {
  delivery_id: string;
  claim_id: string;
  outcome: 'sent' | 'retry' | 'failed' | 'skipped';
  error?: string;
  retry_after_seconds?: number;
  dead_tokens: string[];
}

export interface DeliverOptions {
  /** Requests to FCM in flight at once, across the batch (default 20). */
  concurrency?: number;
}

/** FCM data values are strings and the whole message must stay under 4 KB. */
const MAX_PARAMS_BYTES = 2048;

/** The push for one device: text rendered in SQL, data for the app to open the right screen. */
export function pushMessage(row: ClaimedPush, token: string): PushMessage {
  const data: Record<string, string> = { notification_id: row.notification_id, template_key: row.template_key };
  const params = JSON.stringify(row.params);
  if (new TextEncoder().encode(params).length <= MAX_PARAMS_BYTES) data.params = params;
  if (row.collapse_key) data.collapse = row.collapse_key;
  return { token, title: row.title, body: row.body, data, collapseKey: row.collapse_key, highPriority: true };
}

export async function deliverPushBatch(rows: ClaimedPush[], sender: PushSender, options: DeliverOptions = {}): Promise<DeliveryReport[]> {
  const limit = pLimit(Math.max(1, options.concurrency ?? 20));
  return Promise.all(
    rows.map(async (row) => {
      const base = { delivery_id: row.delivery_id, claim_id: row.claim_id };
      if (row.tokens.length === 0) return { ...base, outcome: 'skipped', error: 'no device tokens', dead_tokens: [] } satisfies DeliveryReport;
      const results = await Promise.all(
        row.tokens.map(({ token }) =>
          limit(async (): Promise<SendResult> => {
            try {
              return await sender.send(pushMessage(row, token));
            } catch (error) {
              // A sender bug must not lose the batch: report it and let the queue retry.
              return { outcome: 'retry', code: 'SENDER_ERROR', message: error instanceof Error ? error.name : 'error', attempts: 1 };
            }
          }),
        ),
      );
      return summarize(base, row.tokens.map((t) => t.token), results);
    }),
  );
}

function summarize(base: { delivery_id: string; claim_id: string }, tokens: string[], results: SendResult[]): DeliveryReport {
  const dead = tokens.filter((_, i) => results[i]?.outcome === 'invalid_token');
  const problems = results.flatMap((r) => (r.outcome === 'sent' ? [] : [`${r.code}: ${r.message}`]));
  const error = problems.length > 0 ? [...new Set(problems)].join('; ').slice(0, 500) : undefined;
  const withError = (report: DeliveryReport): DeliveryReport => (error ? { ...report, error } : report);

  if (results.some((r) => r.outcome === 'sent')) return withError({ ...base, outcome: 'sent', dead_tokens: dead });
  const retries = results.filter((r): r is Extract<SendResult, { outcome: 'retry' }> => r.outcome === 'retry');
  if (retries.length > 0) {
    const waits = retries.map((r) => r.retryAfterMs ?? 0);
    const report: DeliveryReport = { ...base, outcome: 'retry', dead_tokens: dead };
    const longest = Math.max(...waits);
    if (longest > 0) report.retry_after_seconds = Math.ceil(longest / 1000);
    return withError(report);
  }
  if (dead.length === tokens.length) return withError({ ...base, outcome: 'skipped', dead_tokens: dead });
  return withError({ ...base, outcome: 'failed', dead_tokens: dead });
}
