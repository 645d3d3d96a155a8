// POST /functions/v1/notification-sms — works off the notification SMS queue (critical
// notifications that push could not deliver, where the market enables SMS fallback); a
// schedule calls it (pg_cron + pg_net, or any cron) with the service-role key as Bearer
// token, like `push`.
//
// Each round leases a batch with private.claim_sms_deliveries (for update skip locked:
// overlapping runs never hold the same delivery), each row carrying the phone number
// and the text rendered in the user's language. Every row goes through the SMS provider
// the Send SMS hook would pick for that number (src/sms/markets.ts routeSms), after
// private.start_sms_delivery confirmed the lease and recorded the call, so a delivery
// reaches a provider at most once (see src/sms/deliver.ts). Outcomes go back through
// private.complete_deliveries: sent (with the provider's message id), retry with
// exponential backoff (failed once its attempts run out), or failed. Rounds continue
// until the queue is empty, `max_batches` is reached or the time budget is spent.
// Optional JSON body: {"batch_size": 1-500, "max_batches": 1-50}.
import type postgres from 'postgres';
import { z } from 'zod';
import { authenticate, type JwtVerifier } from '../../../src/auth/jwt.ts';
import { asCaller } from '../../../src/db/caller.ts';
import { AppError, ForbiddenError, json, ValidationError, type Logger } from '../../../src/errors.ts';
import { serveJson, type Handler } from '../../../src/http/serve.ts';
import { ClaimedSms, deliverSmsBatch } from '../../../src/sms/deliver.ts';
import type { MarketLoader, SmsMarket } from '../../../src/sms/markets.ts';
import type { SmsProvider } from '../../../src/sms/provider.ts';

export interface NotificationSmsDependencies {
  sql: postgres.Sql;
  verifier: JwtVerifier;
  /** Active markets (wrap a database loader in cachedMarkets()). */
  loadMarkets: MarketLoader;
  /** The provider for a slug from markets.sms_provider; undefined when it is not configured. */
  provider: (name: string) => SmsProvider | undefined;
  /** Provider slug for numbers that match no market (SMS_FALLBACK_PROVIDER). */
  fallbackProvider?: string | undefined;
  log?: Logger;
  /** Deliveries per round (default 50). */
  batchSize?: number;
  /** Rounds per call (default 10). */
  maxBatches?: number;
  /** How long a claimed delivery stays ours (default 300 s). */
  leaseSeconds?: number;
  /** Provider calls in flight (default 5). */
  concurrency?: number;
  /** No new round starts after this (default 60 s; Supabase stops a function at 150 s). */
  budgetMs?: number;
  now?: () => number;
}

const Options = z
  .object({
    batch_size: z.number().int().min(1).max(500).optional(),
    max_batches: z.number().int().min(1).max(50).optional(),
  })
  .strict();

export interface SmsRunSummary {
  batches: number;
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
  claim_lost: number;
}

const defaultLogger: Logger = (message, fields) => console.log(JSON.stringify({ message, ...fields }));

export function createHandler(deps: NotificationSmsDependencies): Handler {
  const log = deps.log ?? defaultLogger;
  const now = deps.now ?? Date.now;
  return serveJson({ methods: ['POST'], log }, async (request) => {
    const claims = await authenticate(request, deps.verifier);
    if (claims.role !== 'service_role') throw new ForbiddenError('Only the scheduler (service role) runs SMS delivery.');
    const options = await readOptions(request);
    const batchSize = options.batch_size ?? deps.batchSize ?? 50;
    const maxBatches = options.max_batches ?? deps.maxBatches ?? 10;
    const started = now();

    // Before anything is leased: without markets nothing can be routed.
    let markets: readonly SmsMarket[];
    try {
      markets = await deps.loadMarkets();
    } catch (error) {
      log('notification-sms: markets unavailable', { level: 'error', error: error instanceof Error ? error.name : typeof error });
      throw new AppError('markets_unavailable', 503, 'The markets could not be read; try again shortly.');
    }

    const summary: SmsRunSummary = { batches: 0, claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0, claim_lost: 0 };
    while (summary.batches < maxBatches && now() - started < (deps.budgetMs ?? 60_000)) {
      const claimed = await asCaller(deps.sql, claims, (tx) => tx`
        select * from private.claim_sms_deliveries(${batchSize}::integer, ${deps.leaseSeconds ?? 300}::integer)`);
      if (claimed.length === 0) break;
      summary.batches += 1;
      summary.claimed += claimed.length;
      const rows = claimed.map((row) => ClaimedSms.parse(row));
      const { reports, claimLost } = await deliverSmsBatch(
        rows,
        { markets, provider: deps.provider, fallbackProvider: deps.fallbackProvider },
        async (row) => {
          const [attempt] = await asCaller(deps.sql, claims, (tx) => tx<{ started: boolean }[]>`
            select private.start_sms_delivery(${row.delivery_id}::bigint, ${row.claim_id}::uuid) as started`);
          return attempt?.started === true;
        },
        { concurrency: deps.concurrency ?? 5, log },
      );
      summary.claim_lost += claimLost;
      if (reports.length > 0) {
        const outcomes = await asCaller(deps.sql, claims, (tx) => tx<{ status: string }[]>`
          select status from private.complete_deliveries(${JSON.stringify(reports)}::text::jsonb)`);
        for (const { status } of outcomes) {
          if (status === 'sent') summary.sent += 1;
          else if (status === 'pending') summary.retried += 1;
          else if (status === 'failed') summary.failed += 1;
          else if (status === 'skipped') summary.skipped += 1;
          else summary.claim_lost += 1;
        }
      }
      if (claimed.length < batchSize) break;
    }
    log('notification-sms: run finished', { level: 'info', ...summary, ms: now() - started });
    return json(summary);
  });
}

async function readOptions(request: Request): Promise<z.infer<typeof Options>> {
  const text = await request.text();
  if (!text.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ValidationError('The body is not JSON.');
  }
  const parsed = Options.safeParse(raw);
  if (!parsed.success) throw new ValidationError('Unknown or invalid options.', { fields: parsed.error.issues.map((i) => i.path.join('.')) });
  return parsed.data;
}
