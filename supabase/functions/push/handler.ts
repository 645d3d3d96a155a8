// POST /functions/v1/push — works off the push queue; a schedule calls it (pg_cron +
// pg_net, or any cron) with the service-role key as Bearer token.
//
// Each round leases a batch with private.claim_push_deliveries (for update skip locked:
// overlapping runs never send the same delivery twice), sends it through FCM and reports
// every outcome with private.complete_deliveries, which schedules retries with backoff,
// removes dead device tokens and falls back to SMS for critical notifications. If the
// function dies mid-batch, the leases run out and the next run takes the rows again.
// Rounds continue until the queue is empty, `max_batches` is reached or the time budget
// is spent. Optional JSON body: {"batch_size": 1-500, "max_batches": 1-50}.
import type postgres from 'postgres';
import { authenticate, type JwtVerifier } from '../../../src/auth/jwt.ts';
import { asCaller } from '../../../src/db/caller.ts';
import { countOutcomes, emptySummary, readRunOptions, runRounds, type RunSummary } from '../../../src/delivery/rounds.ts';
import { AppError, ForbiddenError, json, type Logger } from '../../../src/errors.ts';
import { serveJson, type Handler } from '../../../src/http/serve.ts';
import { ClaimedPush, deliverPushBatch } from '../../../src/push/deliver.ts';
import type { PushSender } from '../../../src/push/fcm.ts';

export interface PushDependencies {
  sql: postgres.Sql;
  verifier: JwtVerifier;
  /** Undefined when FCM is not configured: the function then answers 503. */
  sender: PushSender | undefined;
  log?: Logger;
  /** Deliveries per round (default 100). */
  batchSize?: number;
  /** Rounds per call (default 10). */
  maxBatches?: number;
  /** How long a claimed delivery stays ours (default 300 s). */
  leaseSeconds?: number;
  /** FCM requests in flight (default 20). */
  concurrency?: number;
  /** No new round starts after this (default 60 s; Supabase stops a function at 150 s). */
  budgetMs?: number;
  now?: () => number;
}

export interface PushRunSummary extends RunSummary {
  tokens_removed: number;
}

const defaultLogger: Logger = (message, fields) => console.log(JSON.stringify({ message, ...fields }));

export function createHandler(deps: PushDependencies): Handler {
  const log = deps.log ?? defaultLogger;
  const now = deps.now ?? Date.now;
  return serveJson({ methods: ['POST'], log }, async (request) => {
    const claims = await authenticate(request, deps.verifier);
    if (claims.role !== 'service_role') throw new ForbiddenError('Only the scheduler (service role) runs push delivery.');
    const sender = deps.sender;
    if (!sender) throw new AppError('push_not_configured', 503, 'Push delivery is not configured (FCM_SERVICE_ACCOUNT_JSON).');
    const options = await readRunOptions(request);
    const batchSize = options.batch_size ?? deps.batchSize ?? 100;
    const started = now();

    const summary: PushRunSummary = { ...emptySummary(), tokens_removed: 0 };
    const limits = { batchSize, maxBatches: options.max_batches ?? deps.maxBatches ?? 10, budgetMs: deps.budgetMs ?? 60_000, started, now };
    await runRounds(limits, summary, async () => {
      const claimed = await asCaller(deps.sql, claims, (tx) => tx`
        select * from private.claim_push_deliveries(${batchSize}::integer, ${deps.leaseSeconds ?? 300}::integer)`);
      if (claimed.length === 0) return 0;
      const rows = claimed.map((row) => ClaimedPush.parse(row));
      const reports = await deliverPushBatch(rows, sender, { concurrency: deps.concurrency ?? 20 });
      const outcomes = await asCaller(deps.sql, claims, (tx) => tx<{ status: string }[]>`
        select status from private.complete_deliveries(${JSON.stringify(reports)}::text::jsonb)`);
      countOutcomes(summary, outcomes);
      summary.tokens_removed += reports.reduce((n, r) => n + r.dead_tokens.length, 0);
      return claimed.length;
    });
    log('push: run finished', { level: 'info', ...summary, ms: now() - started });
    return json(summary);
  });
}
