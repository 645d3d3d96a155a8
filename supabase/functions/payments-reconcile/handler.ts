// POST /functions/v1/payments-reconcile — the schedulable money job, service role only
// (pg_cron + pg_net, or any scheduler holding the service key):
//   {older_than_seconds?, batch_size?}
// asks gateways about payments still pending past the threshold (expiring those past
// their approval window), sends booked gateway refunds, sends and checks payouts,
// releases escrow whose market hold has passed, expires booking requests nobody
// accepted in time, publishes reviews whose blind window closed, and sends the
// notifications waiting in the payment and booking outboxes. Answers what it did.
import type postgres from 'postgres';
import { z } from 'zod';
import { authenticate, type JwtVerifier } from '../../../src/auth/jwt.ts';
import { ForbiddenError, json, ValidationError, type Logger } from '../../../src/errors.ts';
import { serveJson, type Handler } from '../../../src/http/serve.ts';
import type { Gateways } from '../../../src/payments/gateways.ts';
import { reconcileAll } from '../../../src/payments/reconcile.ts';

export interface PaymentsReconcileDependencies {
  sql: postgres.Sql;
  verifier: JwtVerifier;
  gateways: Gateways;
  log?: Logger;
}

const bodySchema = z.object({
  older_than_seconds: z.number().int().min(0).max(86_400).optional(),
  batch_size: z.number().int().min(1).max(1000).optional(),
});

export function createHandler({ sql, verifier, gateways, log }: PaymentsReconcileDependencies): Handler {
  return serveJson({ methods: ['POST'], ...(log ? { log } : {}) }, async (request) => {
    const claims = await authenticate(request, verifier);
    if (claims.role !== 'service_role') throw new ForbiddenError('Only the service role runs reconciliation.');
    const text = await request.text();
    let body: unknown = {};
    try {
      body = text.trim() ? JSON.parse(text) : {};
    } catch {
      throw new ValidationError('The body must be JSON.');
    }
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) throw new ValidationError('The reconcile request is not valid.');
    const round = await reconcileAll(sql, gateways, {
      ...(parsed.data.older_than_seconds !== undefined ? { olderThanSeconds: parsed.data.older_than_seconds } : {}),
      ...(parsed.data.batch_size !== undefined ? { batchSize: parsed.data.batch_size } : {}),
      ...(log ? { log } : {}),
    });
    return json(round);
  });
}
