// Outbound calls to gateways: a timeout on every attempt, bounded retries only for
// calls the gateway makes idempotent, and logs that never carry secrets or bodies.
import type { z } from 'zod';
import { GatewayError, GatewayTimeoutError } from './errors.ts';
import type { GatewayId, TransportOptions } from './types.ts';

export interface GatewayCall {
  gateway: GatewayId;
  /** Short name for logs and errors: "requesttopay", "token". */
  operation: string;
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  /** Serialised as JSON with content-type application/json. */
  json?: unknown;
  /**
   * True only when repeating the call cannot move money twice (GETs, MoMo's
   * X-Reference-Id, bKash execute). Then timeouts, network errors, 429 and 5xx
   * are retried.
   */
  idempotent: boolean;
}

export interface GatewayResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  body: unknown;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_RETRIES = 2;
const DEFAULT_RETRY_DELAY_MS = 250;

/**
 * Sends the call and returns the last response whatever its HTTP status; throws
 * GatewayTimeoutError or GatewayError only when no response arrived.
 */
export async function send(call: GatewayCall, transport: TransportOptions = {}): Promise<GatewayResponse> {
  const doFetch = transport.fetch ?? globalThis.fetch;
  const timeoutMs = transport.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const attempts = call.idempotent ? 1 + Math.max(0, transport.retries ?? DEFAULT_RETRIES) : 1;
  const delayMs = transport.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  let body: string | undefined;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers['content-type'] = 'application/json';
  }
  const where = { gateway: call.gateway, operation: call.operation };

  for (let attempt = 1; ; attempt++) {
    const last = attempt >= attempts;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(call.url, {
        method: call.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      transport.log?.('gateway call failed', { ...where, attempt, reason: timedOut ? 'timeout' : 'network' });
      if (!last) {
        await sleep(delayMs * 2 ** (attempt - 1));
        continue;
      }
      if (timedOut) throw new GatewayTimeoutError(where);
      // The request may have reached the gateway before the connection broke.
      throw new GatewayError('The payment provider could not be reached.', { ...where, outcome: 'unknown' });
    }
    if ((response.status >= 500 || response.status === 429) && !last) {
      transport.log?.('gateway call failed', { ...where, attempt, httpStatus: response.status });
      await sleep(delayMs * 2 ** (attempt - 1));
      continue;
    }
    return { status: response.status, headers: response.headers, text, body: parseJson(text) };
  }
}

/** Validates a gateway's answer; a mismatch is the gateway's fault (502), described by path only. */
export function parseBody<T>(
  schema: z.ZodType<T>,
  response: GatewayResponse,
  where: { gateway: GatewayId; operation: string },
): T {
  const result = schema.safeParse(response.body);
  if (result.success) return result.data;
  throw new GatewayError('The payment provider answered in an unexpected format.', {
    ...where,
    httpStatus: response.status,
    // Paths only: values may hold tokens or personal data.
    issues: result.error.issues.slice(0, 5).map((issue) => issue.path.join('.') || '(root)'),
  });
}

/** A non-2xx answer we have no specific handling for. */
export function unexpectedStatus(response: GatewayResponse, where: { gateway: GatewayId; operation: string }, gatewayCode?: string): GatewayError {
  return new GatewayError('The payment provider returned an error.', {
    ...where,
    httpStatus: response.status,
    ...(gatewayCode ? { gatewayCode } : {}),
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
