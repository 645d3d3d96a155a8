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
import { authenticate, type JwtVerifier } from '../../../src/auth/jwt.ts';
import { asCaller } from '../../../src/db/caller.ts';
import { countOutcomes, emptySummary, readRunOptions, runRounds, type RunSummary } from '../../../src/delivery/rounds.ts';
import { AppError, ForbiddenError, json, type Logger } from '../../../src/errors.ts';
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

export type SmsRunSummary = RunSummary;

const defaultLogger: Logger = (message, fields) => console.log(JSON.stringify({ message, ...fields }));

export function createHandler(deps: NotificationSmsDependencies): Handler {
  const log = deps.log ?? defaultLogger;
  const now = deps.now ?? Date.now;
  return serveJson({ methods: ['POST'], log }, async (request) => {
    const claims = await authenticate(request, deps.verifier);
    if (claims.role !== 'service_role') throw new ForbiddenError('Only the scheduler (service role) runs SMS delivery.');
    const options = await readRunOptions(request);
    const batchSize = options.batch_size ?? deps.batchSize ?? 50;
    const started = now();

    // Before anything is leased: without markets nothing can be routed.
    let markets: readonly SmsMarket[];
    try {
      markets = await deps.loadMarkets();
    } catch (error) {
      log('notification-sms: markets unavailable', { level: 'error', error: error instanceof Error ? error.name : typeof error });
      throw new AppError('markets_unavailable', 503, 'The markets could not be read; try again shortly.');
    }

    const summary: SmsRunSummary = emptySummary();
    const limits = { batchSize, maxBatches: options.max_batches ?? deps.maxBatches ?? 10, budgetMs: deps.budgetMs ?? 60_000, started, now };
    await runRounds(limits, summary, async () => {
      const claimed = await asCaller(deps.sql, claims, (tx) => tx`
        select * from private.claim_sms_deliveries(${batchSize}::integer, ${deps.leaseSeconds ?? 300}::integer)`);
      if (claimed.length === 0) return 0;
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
        countOutcomes(summary, outcomes);
      }
      return claimed.length;
    });
    log('notification-sms: run finished', { level: 'info', ...summary, ms: now() - started });
    return json(summary);
  });
}
