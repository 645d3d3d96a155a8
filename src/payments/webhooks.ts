// Gateway callbacks: `/payment-webhooks/<gateway>` (and `/payment-webhooks/mtn_momo/disbursement`
// for MoMo transfers and refunds). Runtime-neutral; the edge function only serves it.
//
// 1. Read the raw body (bounded), hand the exact bytes to the gateway's adapter, which
//    verifies the signature before parsing anything.
// 2. Store the callback in public.webhook_inbox before acting on it: verified facts are
//    stored and settled in one transaction (private.handle_callback, deduplicated on the
//    gateway's event id); unsigned ones (MTN MoMo) are stored, then re-fetched from the
//    gateway, then settled on what the gateway says; forged ones are stored as such and
//    refused.
// 3. Payme and Click speak their own protocols: the adapter answers through the SQL
//    stores (which settle inside them), and the call is stored with the outcome.
// Every settlement goes through the one SQL settlement function, so duplicates and
// out-of-order deliveries are no-ops whatever path they take.
import { AppError, json, toResponse, ValidationError, type Logger } from '../errors.ts';
import { InvalidSignatureError, UnknownPaymentError } from '../gateways/errors.ts';
import type { CallbackResult, PaymentGateway } from '../gateways/types.ts';
import type { Handler } from '../http/serve.ts';
import { isGatewayId, type Gateways } from './gateways.ts';
import { runPayouts } from './payouts.ts';
import { runRefunds } from './reconcile.ts';
import { asService, handleVerifiedCallback, processCallback, receiveCallback, reportOf, sendNotices, type InboxEntry, type Sql } from './sql.ts';

export interface WebhookDependencies {
  sql: Sql;
  gateways: Gateways;
  log?: Logger;
  /** Larger bodies are refused unread; default 64 KiB (the inbox's limit). */
  maxBodyBytes?: number;
}

const STORED_HEADERS = ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp'];

class PayloadTooLargeError extends AppError {
  constructor() {
    super('payload_too_large', 413, 'The callback is too large.');
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

function route(url: URL): string[] {
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const at = segments.indexOf('payment-webhooks');
  return at >= 0 ? segments.slice(at + 1) : segments;
}

async function readBody(request: Request, max: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > max) throw new PayloadTooLargeError();
  const raw = await request.text();
  if (new TextEncoder().encode(raw).length > max) throw new PayloadTooLargeError();
  return raw;
}

function storedHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = headers.get(name);
    if (value) kept[name] = value.slice(0, 300);
  }
  return kept;
}

export function createWebhookHandler(deps: WebhookDependencies): Handler {
  const { sql, gateways, log } = deps;
  const max = deps.maxBodyBytes ?? 65_536;

  return async (request) => {
    try {
      if (!['GET', 'POST', 'PUT'].includes(request.method)) {
        return json({ error: { code: 'method_not_allowed', message: 'This method is not allowed here.', details: {} } }, 405);
      }
      const url = new URL(request.url);
      const [gatewayId = '', sub] = route(url);
      if (!isGatewayId(gatewayId)) {
        return json({ error: { code: 'not_found', message: 'No such gateway.', details: {} } }, 404);
      }
      const gateway = gateways.get(gatewayId);
      const raw = await readBody(request, max);
      const hasBody = request.method !== 'GET';
      // The adapter reads the exact bytes we stored.
      const copy = new Request(request.url, { method: request.method, headers: request.headers, ...(hasBody ? { body: raw } : {}) });
      const entry = (eventId: string | null, signatureValid: boolean | null): InboxEntry => ({
        gateway: gatewayId,
        eventId,
        payload: hasBody ? raw : url.search,
        headers: storedHeaders(request.headers),
        signatureValid,
      });

      if (gateway.capabilities.merchantApi) return await merchantApi(sql, gateway, copy, entry(null, null));

      let result: CallbackResult;
      try {
        result = await gateway.verifyCallback(copy);
      } catch (error) {
        if (error instanceof InvalidSignatureError) {
          await handleVerifiedCallback(sql, entry(null, false), null, 'invalid_signature');
        } else if (error instanceof ValidationError) {
          await handleVerifiedCallback(sql, entry(null, true), null, 'invalid_payload');
        }
        throw error;
      }
      const { outcome, reply } = result;

      if (outcome.kind === 'verified') {
        const settled = await handleVerifiedCallback(sql, entry(outcome.eventId, true), reportOf(outcome.payment));
        if (settled.result === 'error') {
          log?.('callback settlement failed', { gateway: gatewayId, inboxId: settled.inbox_id, error: settled.error });
          // The inbox keeps it; the gateway's redelivery (or the poller) tries again.
          return json({ error: { code: 'retry', message: 'Try again later.', details: {} } }, 500);
        }
        return reply;
      }
      if (outcome.kind === 'ignored') {
        await handleVerifiedCallback(sql, entry(null, null), null, `ignored:${outcome.reason}`.slice(0, 100));
        return reply;
      }

      // Unsigned or partial: store it, then believe only what the gateway itself says.
      const eventId = `refetch:${sub === 'disbursement' ? 'disbursement:' : ''}${outcome.reference}:${await sha256Hex(raw || url.search)}`;
      const received = await receiveCallback(sql, entry(eventId, null));
      if (!received.needsProcessing) return reply;
      if (sub === 'disbursement') {
        await disbursement(sql, gateways, outcome.reference);
        await processCallback(sql, received.inboxId, null, 'disbursement_checked');
        return reply;
      }
      try {
        const snapshot = await gateway.fetchStatus(outcome.reference);
        const settled = await processCallback(sql, received.inboxId, reportOf(snapshot));
        if (settled.result === 'applied') await sendNotices(sql, log);
        if (settled.result === 'error') return json({ error: { code: 'retry', message: 'Try again later.', details: {} } }, 500);
      } catch (error) {
        if (!(error instanceof UnknownPaymentError)) throw error;
        await processCallback(sql, received.inboxId, null, 'unknown_payment');
      }
      return reply;
    } catch (error) {
      return toResponse(error, { authenticated: false, ...(log ? { log } : {}) });
    }
  };
}

/** Payme/Click: the protocol layer answers through the SQL stores; the call is kept. */
async function merchantApi(sql: Sql, gateway: PaymentGateway, request: Request, entry: InboxEntry): Promise<Response> {
  const received = await receiveCallback(sql, entry);
  const { outcome, reply } = await gateway.verifyCallback(request);
  const result = outcome.kind === 'verified' ? `protocol:${outcome.payment.status}` : `protocol:${outcome.kind === 'ignored' ? outcome.reason : 'refetch'}`;
  await processCallback(sql, received.inboxId, null, result.slice(0, 100));
  if (outcome.kind === 'verified') await sendNotices(sql);
  return reply;
}

/** A MoMo Disbursement callback names a payout or a refund: check it with MoMo. */
async function disbursement(sql: Sql, gateways: Gateways, reference: string): Promise<void> {
  const [kind] = await asService(sql, (tx) => tx`
    select case when exists (select from public.payouts where id::text = ${reference}) then 'payout'
                when exists (select from public.refunds where id::text = ${reference}) then 'refund' end as kind`);
  if (kind?.kind === 'payout') await runPayouts(sql, gateways, { only: reference });
  else if (kind?.kind === 'refund') await runRefunds(sql, gateways, { only: reference });
}

