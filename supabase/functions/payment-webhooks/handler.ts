// /functions/v1/payment-webhooks/<gateway> — gateways call this (no user JWT:
// verify_jwt = false). Each adapter verifies its gateway's signature over the raw body
// before anything is parsed; Payme and Click get answers in their own protocols. The
// logic lives in src/payments/webhooks.ts.
import type postgres from 'postgres';
import type { Logger } from '../../../src/errors.ts';
import type { Handler } from '../../../src/http/serve.ts';
import type { Gateways } from '../../../src/payments/gateways.ts';
import { createWebhookHandler } from '../../../src/payments/webhooks.ts';

export interface PaymentWebhooksDependencies {
  sql: postgres.Sql;
  gateways: Gateways;
  log?: Logger;
}

export function createHandler({ sql, gateways, log }: PaymentWebhooksDependencies): Handler {
  return createWebhookHandler({ sql, gateways, ...(log ? { log } : {}) });
}
