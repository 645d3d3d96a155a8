// POST /functions/v1/payments — the app starts paying for a booking:
//   {booking_id, method: "gateway" | "wallet", gateway?, idempotency_key, phone?, return_url?, mobile_money_provider?}
// → {payment, next}: `next` is what to show ({kind: "redirect", url}, {kind: "approve_on_phone"}, …)
// or null when nothing is left to do (paid from the wallet). Runs as the caller, so RLS
// and the SQL's caller checks decide; the amount is the booking's, never the client's.
import type postgres from 'postgres';
import { authenticate, type JwtVerifier } from '../../../src/auth/jwt.ts';
import { json, UnauthorizedError, ValidationError, type Logger } from '../../../src/errors.ts';
import { serveJson, type Handler } from '../../../src/http/serve.ts';
import type { Gateways } from '../../../src/payments/gateways.ts';
import { parseStartPayment, startPayment } from '../../../src/payments/start.ts';

export interface PaymentsDependencies {
  sql: postgres.Sql;
  verifier: JwtVerifier;
  gateways: Gateways;
  log?: Logger;
}

export function createHandler({ sql, verifier, gateways, log }: PaymentsDependencies): Handler {
  return serveJson({ methods: ['POST'], ...(log ? { log } : {}) }, async (request) => {
    const claims = await authenticate(request, verifier);
    if (claims.role !== 'authenticated') throw new UnauthorizedError();
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      throw new ValidationError('The body must be JSON.');
    }
    const started = await startPayment(sql, gateways, claims, parseStartPayment(body));
    return json(started);
  });
}
