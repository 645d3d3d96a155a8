// What the queue-draining functions (push, notification-sms) share: the optional JSON
// body that sizes a run, the rounds themselves (lease a batch, deliver it, report it,
// until the queue is empty, the rounds are used up or the time budget is spent), and
// the tally of what private.complete_deliveries answered.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

const RunOptions = z
  .object({
    batch_size: z.number().int().min(1).max(500).optional(),
    max_batches: z.number().int().min(1).max(50).optional(),
  })
  .strict();
export type RunOptions = z.infer<typeof RunOptions>;

/** Optional JSON body: {"batch_size": 1-500, "max_batches": 1-50}; empty means defaults. */
export async function readRunOptions(request: Request): Promise<RunOptions> {
  const text = await request.text();
  if (!text.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ValidationError('The body is not JSON.');
  }
  const parsed = RunOptions.safeParse(raw);
  if (!parsed.success) throw new ValidationError('Unknown or invalid options.', { fields: parsed.error.issues.map((i) => i.path.join('.')) });
  return parsed.data;
}

export interface RunSummary {
  batches: number;
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
  claim_lost: number;
}

export function emptySummary(): RunSummary {
  return { batches: 0, claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0, claim_lost: 0 };
}

/** Adds private.complete_deliveries' answers (one status per report) to the summary. */
export function countOutcomes(summary: RunSummary, outcomes: readonly { status: string }[]): void {
  for (const { status } of outcomes) {
    if (status === 'sent') summary.sent += 1;
    else if (status === 'pending') summary.retried += 1;
    else if (status === 'failed') summary.failed += 1;
    else if (status === 'skipped') summary.skipped += 1;
    else summary.claim_lost += 1;
  }
}

/**
 * Runs `round` (which leases up to `batchSize` deliveries, handles them and returns how
 * many it leased) until a round comes back short, `maxBatches` rounds have run or
 * `budgetMs` has passed since `started`; counts rounds and leased rows into `summary`.
 */
export async function runRounds(
  limits: { batchSize: number; maxBatches: number; budgetMs: number; started: number; now: () => number },
  summary: RunSummary,
  round: () => Promise<number>,
): Promise<void> {
  while (summary.batches < limits.maxBatches && limits.now() - limits.started < limits.budgetMs) {
    const claimed = await round();
    if (claimed === 0) break;
    summary.batches += 1;
    summary.claimed += claimed;
    if (claimed < limits.batchSize) break;
  }
}
