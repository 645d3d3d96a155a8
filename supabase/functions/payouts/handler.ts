// POST /functions/v1/payouts — a provider withdraws available earnings:
//   {amount_minor, phone?, idempotency_key}
// public.request_payout runs as the caller (only providers; never more than available:
// earnings less commission owed), then the payout is sent on its rail at once; a rail
// that has not confirmed yet leaves it processing for payments-reconcile to check.
import type postgres from 'postgres';
import { z } from 'zod';
import { authenticate, type JwtVerifier } from '../../../src/auth/jwt.ts';
import { asCaller } from '../../../src/db/caller.ts';
import { json, UnauthorizedError, ValidationError, type Logger } from '../../../src/errors.ts';
import { serveJson, type Handler } from '../../../src/http/serve.ts';
import type { Gateways } from '../../../src/payments/gateways.ts';
import { runPayouts } from '../../../src/payments/payouts.ts';

export interface PayoutsDependencies {
  sql: postgres.Sql;
  verifier: JwtVerifier;
  gateways: Gateways;
  log?: Logger;
}

const bodySchema = z.object({
  amount_minor: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  phone: z.string().regex(/^\+?[1-9]\d{7,14}$/).optional(),
  idempotency_key: z.string().regex(/^[A-Za-z0-9._:-]{8,128}$/),
});

export function createHandler({ sql, verifier, gateways, log }: PayoutsDependencies): Handler {
  return serveJson({ methods: ['POST'], ...(log ? { log } : {}) }, async (request) => {
    const claims = await authenticate(request, verifier);
    if (claims.role !== 'authenticated') throw new UnauthorizedError();
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      throw new ValidationError('The body must be JSON.');
    }
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) {
      throw new ValidationError('The payout request is not valid.', { field: parsed.error.issues[0]?.path.join('.') ?? '' });
    }
    const input = parsed.data;
    const [requested] = await asCaller(sql, claims, (tx) => tx`
      select id, status from public.request_payout(${input.amount_minor}, ${input.phone ?? null}, ${input.idempotency_key})`);
    if (requested!.status === 'pending') await runPayouts(sql, gateways, { only: String(requested!.id), ...(log ? { log } : {}) });
    const [payout] = await asCaller(sql, claims, (tx) => tx`
      select id, amount_minor::text, currency, debt_settled_minor::text, phone, status, failure_reason, created_at, completed_at
      from public.payouts where id = ${String(requested!.id)}`);
    return json({
      ...payout,
      amount_minor: Number(payout!.amount_minor),
      debt_settled_minor: Number(payout!.debt_settled_minor),
    });
  });
}
