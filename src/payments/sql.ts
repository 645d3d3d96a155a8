// Calls into the payments SQL (supabase/migrations/…_payments.sql, …_payouts.sql).
//
// Work on a user's behalf goes through asCaller (src/db/caller.ts) so RLS and the SQL
// functions' caller checks decide. Work no user asked for — applying a gateway's report,
// the poller, the refund and payout workers — runs as `service_role`, the only role
// the private settlement functions are granted to, in a transaction of its own.
import type postgres from 'postgres';
import type { PaymentSnapshot, PaymentStatus } from '../gateways/types.ts';

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

const SERVICE_CLAIMS = JSON.stringify({ role: 'service_role' });

/** Runs `fn` in a transaction as the service role, as PostgREST runs a service-key request. */
export async function asService<T>(sql: Sql, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return (await sql.begin(async (tx) => {
    await tx`select set_config('role', 'service_role', true), set_config('request.jwt.claims', ${SERVICE_CLAIMS}, true)`;
    return fn(tx);
  })) as T;
}

/** Postgres int8 arrives as a string (or a BigInt where the pool asks for it). */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error(`not a safe integer: ${String(value)}`);
    return n;
  }
  throw new Error(`not a number: ${String(value)}`);
}

/** What the settlement SQL takes: a gateway's report about one payment. */
export interface PaymentReport {
  reference: string;
  status: PaymentStatus;
  amount_minor: number;
  currency: string;
  gateway_transaction_id: string | null;
  failure_reason: string | null;
}

export function reportOf(snapshot: PaymentSnapshot): PaymentReport {
  return {
    reference: snapshot.reference,
    status: snapshot.status,
    amount_minor: snapshot.amountMinor,
    currency: snapshot.currency,
    gateway_transaction_id: snapshot.gatewayTransactionId,
    failure_reason: snapshot.failureReason ?? null,
  };
}

/**
 * What the settlement did: 'applied', or why nothing changed ('duplicate', 'stale',
 * 'still_pending', 'amount_mismatch', 'currency_mismatch', 'other_transaction',
 * 'unknown_payment', 'needs_review', 'invalid_signature', 'ignored', 'error').
 */
export interface SettlementResult {
  result: string;
  payment_id?: string;
  status?: PaymentStatus;
  late?: boolean;
  inbox_id?: number;
  error?: string;
}

/** The one settlement path, for a report no webhook carried (the poller, re-fetches). */
export async function settle(sql: Sql, gateway: string, report: PaymentReport, source: string): Promise<SettlementResult> {
  const [row] = await asService(sql, (tx) => tx`
    select private.settle_payment(${gateway}, ${report.reference}, ${report.status}::public.payment_status,
                                  ${report.amount_minor}, ${report.currency}, ${report.gateway_transaction_id},
                                  ${report.failure_reason}, ${source}) as outcome`);
  return row!.outcome as SettlementResult;
}

export interface InboxEntry {
  gateway: string;
  eventId: string | null;
  payload: string;
  headers: Record<string, string>;
  signatureValid: boolean | null;
}

/**
 * Stores a verified callback in the inbox and settles its report, in one transaction of
 * one statement. This is the hot path (every gateway callback), so it runs as the
 * connection's own role (SUPABASE_DB_URL's `postgres`, which owns the function) in a
 * single round trip instead of switching to service_role first.
 */
export async function handleVerifiedCallback(sql: Sql, entry: InboxEntry, report: PaymentReport | null, result?: string): Promise<SettlementResult> {
  const [row] = await sql`
    select private.handle_callback(${entry.gateway}, ${entry.eventId}, ${entry.payload}, ${JSON.stringify(entry.headers)}::text::jsonb,
                                   ${entry.signatureValid}, ${report ? JSON.stringify(report) : null}::text::jsonb,
                                   ${result ?? null}) as outcome`;
  return row!.outcome as SettlementResult;
}

/** Stores a callback; `needsProcessing` is false for a redelivery of one already processed. */
export async function receiveCallback(sql: Sql, entry: InboxEntry): Promise<{ inboxId: number; needsProcessing: boolean }> {
  const [row] = await asService(sql, (tx) => tx`
    select inbox_id, needs_processing
    from private.receive_callback(${entry.gateway}, ${entry.eventId}, ${entry.payload},
                                  ${JSON.stringify(entry.headers)}::text::jsonb, ${entry.signatureValid})`);
  return { inboxId: toNumber(row!.inbox_id), needsProcessing: row!.needs_processing as boolean };
}

/** Settles a stored callback's report (or records why there is none) on its inbox row. */
export async function processCallback(sql: Sql, inboxId: number, report: PaymentReport | null, result?: string): Promise<SettlementResult> {
  const [row] = await asService(sql, (tx) => tx`
    select private.process_callback(${inboxId}, ${report ? JSON.stringify(report) : null}::text::jsonb, ${result ?? null}) as outcome`);
  return row!.outcome as SettlementResult;
}

/**
 * Turns booking, dispute and review events waiting in the booking_events outbox into
 * notifications (private.send_booking_notices); returns how many events it processed.
 * Best effort like sendNotices: pg_cron, where installed, runs the same every 10 s.
 */
export async function sendBookingNotices(sql: Sql, log?: (message: string, fields: Record<string, unknown>) => void, batchSize = 1_000): Promise<number> {
  try {
    const [row] = await sql`select private.send_booking_notices(${batchSize}) as sent`;
    return toNumber(row!.sent);
  } catch (error) {
    log?.('sending booking notifications failed', { code: (error as { code?: string }).code ?? 'unknown' });
    return 0;
  }
}

/**
 * Delivers notifications money transactions left in the outbox (private.payment_notices).
 * Best effort: a failure is logged and the next sender (payments-reconcile, pg_cron) retries.
 */
export async function sendNotices(sql: Sql, log?: (message: string, fields: Record<string, unknown>) => void, batchSize = 500): Promise<number> {
  try {
    const [row] = await sql`select private.send_payment_notices(${batchSize}) as sent`;
    return toNumber(row!.sent);
  } catch (error) {
    log?.('sending payment notifications failed', { code: (error as { code?: string }).code ?? 'unknown' });
    return 0;
  }
}
